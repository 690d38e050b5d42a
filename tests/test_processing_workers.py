"""Uploads through real worker processes, real Redis and the sandbox over HTTP."""

from collections import Counter

from PIL import Image as PILImage

from cutouts.models import ApiCall, Image, ProcessingState
from tests.images import product_photo
from tests.uploading import upload
from tests.worker_fixtures import wait_until

ALPHA = "/v1.0/alpha-channel-base64"
SIZE = (240, 180)


def statuses() -> Counter:
    return Counter(Image.objects.values_list("status", flat=True))


def test_a_flaky_api_short_of_credit_still_finishes_every_image_paying_once(
    workers, sandbox, alice
):
    sandbox.configure(credits=30)
    sandbox.inject(error_rate=0.3, error_status=503, storm_429=6)
    workers.start(2)

    images = [upload(alice, f"photo-{seed}.jpg", product_photo(seed, SIZE)) for seed in range(50)]

    wait_until(
        lambda: ProcessingState.load().pause == ProcessingState.Pause.NO_CREDIT,
        timeout=120,
        message="credits ran out and processing paused",
    )
    wait_until(
        lambda: statuses()[Image.Status.PROCESSING] == 0 and statuses()[Image.Status.QUEUED] == 0,
        timeout=60,
        message="the rest of the batch waits for credits",
    )
    assert statuses()[Image.Status.WAITING_CREDITS] == 20
    assert statuses()[Image.Status.FAILED] == 0

    sandbox.configure(credits=100)
    wait_until(
        lambda: statuses()[Image.Status.DONE] == 50,
        timeout=180,
        message=f"every image done: {statuses()}\n{workers.logs()[-3000:]}",
    )

    state = sandbox.state()
    assert state["charges"] == 50
    assert set(state["charges_by_sha256"].values()) == {1}
    calls = state["calls"][ALPHA]
    assert calls["429"] >= 6 and calls["503"] > 0 and calls["402"] >= 1
    assert ProcessingState.load().pause == ""
    for image in images:
        image.refresh_from_db()
        assert PILImage.open(image.matte.file).size == SIZE

    again = upload(alice, "photo-7-again.jpg", product_photo(7, SIZE))
    wait_until(
        lambda: Image.objects.get(pk=again.pk).status == Image.Status.DONE,
        timeout=30,
        message="the re-upload is done",
    )
    assert sandbox.state()["charges"] == 50
    assert ApiCall.objects.get(image=again).outcome == ApiCall.Outcome.CACHE_HIT


def test_a_worker_killed_mid_job_leaves_no_image_stranded(workers, sandbox, alice):
    sandbox.inject(delay_seconds=20)
    [first_worker] = workers.start(1, cron=False)
    image = upload(alice, "slow.jpg", product_photo(99, SIZE))
    wait_until(
        lambda: Image.objects.get(pk=image.pk).status == Image.Status.PROCESSING,
        timeout=30,
        message="the worker claimed the image",
    )

    workers.kill(first_worker)
    sandbox.inject(delay_seconds=0)
    workers.start(1)

    wait_until(
        lambda: Image.objects.get(pk=image.pk).status == Image.Status.DONE,
        timeout=90,
        message=f"the image is done after the sweeper put it back\n{workers.logs()[-3000:]}",
    )
