"""A paid answer is never paid for twice, and every paid call is on the ledger as charged.

The processing service runs in this process against the sandbox; the same
batch through real workers is in test_paid_calls.py.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image as PILImage

from cutouts.models import ApiCall, Image
from cutouts.processing import sweeper
from cutouts.processing.pipeline import image_process
from cutouts.processing.retrying import image_retry
from tests.images import product_photo
from tests.ledger import spend
from tests.sandbox_fixtures import charges, mattes_made_beforehand
from tests.uploading import back_off_over, upload

SIZE = (800, 600)


@pytest.fixture
def api(api, settings):
    settings.PROCESS_MAX_ATTEMPTS = 3
    return api


def ledger_of(image: Image) -> list[tuple[str, str]]:
    return list(image.api_calls.order_by("pk").values_list("outcome", "charge"))


def block_matte_storage(settings) -> None:
    # Storing fails after the API answered: a file where the mattes' folder should be.
    (settings.MEDIA_ROOT / "mattes").write_text("in the way")


def unblock_matte_storage(settings) -> None:
    (settings.MEDIA_ROOT / "mattes").unlink()


@pytest.mark.parametrize("kind", ["wrong_size", "not_png", "not_one_channel"])
def test_a_malformed_matte_is_salvaged_for_one_credit(api, alice, kind):
    api.inject(malformed=1, malformed_kind=kind)
    image = upload(alice, "p.jpg", product_photo(1, SIZE))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert PILImage.open(image.matte.file).size == SIZE
    assert charges(api) == 1
    assert ledger_of(image) == [(ApiCall.Outcome.SUCCESS, ApiCall.Charge.CHARGED)]
    assert image.api_calls.get().error.startswith("Salvaged from a malformed reply")
    assert spend() == 1


@pytest.mark.parametrize("kind", ["not_json", "bad_base64", "truncated"])
def test_a_paid_reply_with_nothing_usable_is_kept_and_the_new_call_is_a_second_charge(
    api, alice, queue_redis, kind
):
    api.inject(malformed=1, malformed_kind=kind)
    image = upload(alice, "p.jpg", product_photo(2, SIZE))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    [first] = image.api_calls.all()
    assert (first.outcome, first.charge, first.http_status) == ("error", "charged", 200)
    kept = queue_redis.hgetall(f"cutouts:reply:{first.pk}")
    assert kept[b"body"] and kept[b"status"] == b"200"

    back_off_over(image)
    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert ledger_of(image) == [
        (ApiCall.Outcome.ERROR, ApiCall.Charge.CHARGED),
        (ApiCall.Outcome.SUCCESS, ApiCall.Charge.CHARGED),
    ]
    assert charges(api) == spend() == 2


def test_an_answer_past_the_time_out_is_on_the_ledger_as_maybe_charged(api, alice, settings):
    image = upload(alice, "p.jpg", product_photo(3, SIZE))
    mattes_made_beforehand(api, [image])
    settings.WITHOUTBG_TIMEOUT = 2
    api.inject(slow=1, slow_seconds=30)

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    [late] = image.api_calls.all()
    assert (late.outcome, late.charge, late.http_status) == ("error", "maybe", None)

    back_off_over(image)
    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert ledger_of(image)[-1] == (ApiCall.Outcome.SUCCESS, ApiCall.Charge.CHARGED)
    # The vendor charged the answer nobody heard: spend says so.
    assert charges(api) == spend() == 2


def test_an_admin_retry_after_a_failure_past_the_answer_uses_the_kept_answer(
    api, alice, settings, queue_redis, django_capture_on_commit_callbacks
):
    image = upload(alice, "p.jpg", product_photo(4, SIZE))
    block_matte_storage(settings)
    with pytest.raises(OSError):
        image_process(image_id=image.pk)
    image.refresh_from_db()
    assert image.status == Image.Status.FAILED
    # Kept for as long as an admin may take to retry.
    assert queue_redis.ttl(f"cutouts:answer:{image.sha256}") > 29 * 24 * 3600

    unblock_matte_storage(settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert image_retry(image=image)
    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert charges(api) == spend() == 1
    assert ledger_of(image) == [(ApiCall.Outcome.SUCCESS, ApiCall.Charge.CHARGED)]


def test_the_sweepers_rerun_after_a_worker_died_past_the_answer_uses_the_kept_answer(
    api, alice, settings
):
    image = upload(alice, "p.jpg", product_photo(5, SIZE))
    block_matte_storage(settings)
    with pytest.raises(OSError):
        image_process(image_id=image.pk)
    # As a worker killed while storing would leave it: claimed long ago.
    long_ago = timezone.now() - timedelta(seconds=settings.PROCESSING_STALE_SECONDS + 1)
    Image.objects.filter(pk=image.pk).update(status=Image.Status.PROCESSING, claimed_at=long_ago)
    unblock_matte_storage(settings)

    assert sweeper.sweep() == 1
    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert charges(api) == spend() == 1


def test_the_offline_model_is_free(api, alice, settings):
    settings.MATTING_ENGINE = "local"
    image = upload(alice, "p.jpg", product_photo(6, SIZE))

    image_process(image_id=image.pk)

    assert ledger_of(image) == [(ApiCall.Outcome.SUCCESS, ApiCall.Charge.FREE)]
    assert spend() == 0
