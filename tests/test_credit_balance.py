"""The balance is the last check's figure less the paid calls answered since: exact, and
read without a credit check. Each real check reconciles, and shows what Cutouts' own
spending does not explain."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cutouts.models import ApiCall, CreditSnapshot, Image
from cutouts.processing.credits import balance, credits_refresh
from tests.api_calls import client_for
from tests.images import product_photo
from tests.ledger import ledger_row, snapshot
from tests.sandbox_fixtures import charges, credit_checks
from tests.uploading import upload
from tests.worker_fixtures import wait_until

pytestmark = pytest.mark.django_db

CREDIT = "/api/available-credit"
SIZE = (240, 180)
ON_ITS_WAY = {"outcome": ApiCall.Outcome.SENT, "charge": ApiCall.Charge.MAYBE}


def dashboard_balance(client) -> int:
    page = client.get("/dashboard/").content.decode()
    return int(re.search(r"data-credit-balance>([\d,]+)<", page)[1].replace(",", ""))


def dashboard_difference(client) -> str:
    page = client.get("/dashboard/").content.decode()
    found = re.search(r"data-credit-difference>([^<]*)<", page)
    return found[1] if found else ""


@pytest.fixture
def process(pipeline, alice, django_capture_on_commit_callbacks):
    """Upload a photo as alice; its job runs here once the upload commits, as a worker's would."""

    def _process(name: str, seed: int) -> Image:
        with django_capture_on_commit_callbacks(execute=True):
            image = upload(alice, name, product_photo(seed, SIZE))
        image.refresh_from_db()
        return image

    return _process


def check_now(client) -> None:
    page = client.post("/dashboard/refresh-credits/", follow=True).content.decode()
    assert "Credits checked just now." in page


def test_the_balance_drops_by_one_per_paid_call_with_no_credit_check_between(
    workers, sandbox, alice, admin_client_
):
    sandbox.configure(credits=100, expires_at="2099-09-05 23:59:59")
    # No cron: its credit refresh would be a check at a moment of its choosing.
    workers.start(1, cron=False)
    api = client_for(alice)
    first = api.get(CREDIT).json()
    assert first == {"credit": 100, "expiration_date": "2099-09-05 23:59:59"}

    for paid in range(1, 4):
        image = upload(alice, f"photo-{paid}.jpg", product_photo(paid, SIZE))
        wait_until(
            lambda image=image: Image.objects.get(pk=image.pk).status == Image.Status.DONE,
            timeout=60,
            message=f"image {paid} processed\n{workers.logs()[-3000:]}",
        )

        assert charges(sandbox) == paid
        assert api.get(CREDIT).json() == {**first, "credit": 100 - paid}
        assert dashboard_balance(admin_client_) == 100 - paid

    assert credit_checks(sandbox) == 1
    assert sandbox.state()["credits"] == 97


def test_a_refused_call_does_not_lower_the_balance(process, pipeline, alice, admin_client_):
    check_now(admin_client_)
    pipeline.inject(error_rate=1.0, error_status=422)

    image = process("refused.jpg", 1)

    assert image.status == Image.Status.FAILED
    assert ApiCall.objects.get(image=image).charge == ApiCall.Charge.FREE
    assert client_for(alice).get(CREDIT).json()["credit"] == 100
    assert dashboard_balance(admin_client_) == 100
    assert credit_checks(pipeline) == 1


def test_a_cache_hit_does_not_lower_the_balance(process, pipeline, alice, admin_client_):
    check_now(admin_client_)
    process("first.jpg", 2)

    again = process("again.jpg", 2)

    assert ApiCall.objects.get(image=again).outcome == ApiCall.Outcome.CACHE_HIT
    assert client_for(alice).get(CREDIT).json()["credit"] == 99
    assert dashboard_balance(admin_client_) == 99
    assert credit_checks(pipeline) == 1


def test_a_check_shows_credits_someone_else_spent_on_the_key(
    process, withoutbg, alice, admin_client_
):
    check_now(admin_client_)
    process("ours.jpg", 3)
    # Another program with the team's key, not going through Cutouts.
    withoutbg.alpha_matte_base64(product_photo(4, SIZE))
    withoutbg.alpha_matte_base64(product_photo(5, SIZE))
    assert dashboard_balance(admin_client_) == 99

    check_now(admin_client_)

    assert dashboard_balance(admin_client_) == 97
    assert dashboard_difference(admin_client_) == (
        "The last check found 2 credits more used than Cutouts spent: "
        "someone else may be using this key."
    )
    assert client_for(alice).get(CREDIT).json()["credit"] == 97


def test_a_check_shows_a_top_up_as_more_than_expected(api, admin_client_):
    check_now(admin_client_)
    api.configure(credits=600)

    check_now(admin_client_)

    assert dashboard_balance(admin_client_) == 600
    assert dashboard_difference(admin_client_).startswith(
        "The last check found 500 credits more than Cutouts expected: a top-up"
    )


def test_a_check_that_agrees_with_the_ledger_shows_no_difference(process, admin_client_):
    check_now(admin_client_)
    process("ours.jpg", 7)

    check_now(admin_client_)

    assert CreditSnapshot.objects.order_by("taken_at").last().difference == 0
    assert dashboard_difference(admin_client_) == ""
    assert dashboard_balance(admin_client_) == 99


def test_an_old_check_is_still_answered_without_asking_the_vendor(api, alice):
    snapshot(credit=42, at=timezone.now() - timedelta(days=3))

    assert client_for(alice).get(CREDIT).json() == {"credit": 42, "expiration_date": None}
    assert credit_checks(api) == 0


def test_calls_count_from_the_moment_their_answer_came(alice):
    sent_at = timezone.now() - timedelta(minutes=10)
    snapshot(credit=50, at=sent_at)

    def call(*, sent: timedelta, took_ms: int, **fields) -> None:
        row = ledger_row(user=alice, outcome=ApiCall.Outcome.SUCCESS, at=sent_at + sent)
        ApiCall.objects.filter(pk=row.pk).update(latency_ms=took_ms, **fields)

    # Answered before the check was sent: already in its figure.
    call(sent=timedelta(seconds=-5), took_ms=3000)
    # Sent before, answered after: it may have been charged after the vendor read the balance.
    call(sent=timedelta(seconds=-2), took_ms=3000)
    # Sent after, and one that timed out (maybe charged): both count.
    call(sent=timedelta(seconds=1), took_ms=2000)
    call(sent=timedelta(seconds=2), took_ms=60_000, charge=ApiCall.Charge.MAYBE)
    # Refused: free.
    call(sent=timedelta(seconds=3), took_ms=200, charge=ApiCall.Charge.FREE)
    # Never answered, its worker dead: maybe charged, counted once its job would have ended.
    call(sent=timedelta(seconds=4), took_ms=0, **ON_ITS_WAY)
    # On its way now: not yet charged.
    call(sent=timedelta(minutes=10), took_ms=0, **ON_ITS_WAY)

    now = balance(engine="sandbox")
    assert (now.credit, now.spent_since) == (46, 4)


def test_checks_taken_while_workers_are_charging_find_no_difference(workers, sandbox, alice):
    # Calls on their way during a check may or may not be in its figure: never a difference.
    workers.start(2, cron=False)
    credits_refresh()
    images = [upload(alice, f"busy-{n}.jpg", product_photo(10 + n, SIZE)) for n in range(8)]

    def done() -> bool:
        # A check every round, so some land while calls are answered and charged.
        assert credits_refresh() is not None
        return (
            not Image.objects.filter(pk__in=[i.pk for i in images])
            .exclude(status=Image.Status.DONE)
            .exists()
        )

    wait_until(done, timeout=120, message=f"every image processed\n{workers.logs()[-3000:]}")

    differences = list(
        CreditSnapshot.objects.order_by("taken_at").values_list("difference", flat=True)
    )
    assert len(differences) > 2
    assert differences[1:] == [0] * (len(differences) - 1)
    assert balance().credit == sandbox.state()["credits"] == 92
