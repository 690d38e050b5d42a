"""Over a faulty batch through real workers, the ledger's spend is what the vendor charged.

The sandbox answers some calls with malformed replies and one too late for
the client; a worker is killed while its call is out. Every image still ends
done, a malformed reply that holds a matte costs one credit and no more, and
the ledger's charged and maybe-charged calls add up to the sandbox's charges.
"""

from collections import Counter

from cutouts.models import ApiCall, Image
from tests.images import product_photo
from tests.ledger import spend
from tests.sandbox_fixtures import mattes_made_beforehand
from tests.uploading import upload
from tests.worker_fixtures import wait_until

PAID = [ApiCall.Charge.CHARGED, ApiCall.Charge.MAYBE]


def settled() -> bool:
    return not Image.objects.filter(
        status__in=[Image.Status.QUEUED, Image.Status.PROCESSING]
    ).exists()


def test_the_ledger_spend_equals_the_vendors_charges_over_a_faulty_batch(workers, sandbox, alice):
    workers.env["WITHOUTBG_TIMEOUT"] = "3"
    # Uploaded before any worker runs, so the sandbox can make their mattes first.
    images = [upload(alice, f"p{seed}.jpg", product_photo(seed, (240, 180))) for seed in range(10)]
    mattes_made_beforehand(sandbox, images)
    # Two replies with a matte in them, two with nothing usable, one too late.
    sandbox.inject(
        malformed=4, malformed_kind="wrong_size,not_json,not_png,truncated", slow=1, slow_seconds=30
    )

    workers.start(2)
    wait_until(settled, timeout=120, message=f"the batch settled\n{workers.logs()[-3000:]}")

    assert Counter(Image.objects.values_list("status", flat=True)) == {Image.Status.DONE: 10}
    state = sandbox.state()
    # Ten images, plus one new call for each reply that held nothing usable or came too late.
    assert state["charges"] == 13
    paid = ApiCall.objects.filter(charge__in=PAID)
    assert paid.count() == spend() == 13
    assert ApiCall.objects.filter(charge=ApiCall.Charge.MAYBE).count() == 1
    salvaged = ApiCall.objects.filter(error__startswith="Salvaged")
    assert salvaged.count() == 2
    # A salvaged reply ends its image: no call is paid for after it. (The
    # image may have paid before it, when the slow reply fell on it first.)
    for call in salvaged:
        assert not call.image.api_calls.filter(charge__in=PAID, id__gt=call.id).exists()
    # Image by image, the ledger charged what the sandbox did.
    per_image = Counter(paid.values_list("image_id", flat=True))
    assert sorted(per_image.values()) == sorted(state["charges_by_sha256"].values())


def test_a_call_whose_worker_was_killed_is_on_the_ledger_as_maybe_charged(workers, sandbox, alice):
    image = upload(alice, "p42.jpg", product_photo(42, (240, 180)))
    mattes_made_beforehand(sandbox, [image])
    # Charged at once, answered a minute later: the worker is killed meanwhile.
    sandbox.inject(slow=1, slow_seconds=60)
    [worker] = workers.start(1, cron=False)
    wait_until(
        lambda: sandbox.state()["charges"] == 1,
        timeout=30,
        message="the call reached the sandbox",
    )

    workers.kill(worker)

    # Seen from here, another connection: the row was committed before the call.
    assert list(image.api_calls.values_list("outcome", "charge")) == [("sent", "maybe")]
    assert spend() == sandbox.state()["charges"] == 1
