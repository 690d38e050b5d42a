"""The processing service, run in this process against the sandbox: no queue needed."""

import io

import pytest
from django.core import mail
from django.utils import timezone
from PIL import Image as PILImage
from rq.registry import ScheduledJobRegistry

from cutouts.models import ApiCall, Image, ProcessingState, Render
from cutouts.processing import pausing
from cutouts.processing.pipeline import image_process
from cutouts.processing.queueing import get_limiter
from tests.images import gradient, image_bytes, product_photo
from tests.sandbox_fixtures import charges
from tests.uploading import back_off_over, upload


@pytest.fixture
def api(api, settings):
    settings.PROCESS_MAX_ATTEMPTS = 3
    return api


def test_it_stores_a_full_size_matte_and_the_default_outputs(api, alice):
    image = upload(alice, data=product_photo(size=(2000, 1500)))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert image.status_reason == ""
    matte = PILImage.open(image.matte.file)
    assert (matte.mode, matte.size) == ("L", (2000, 1500))
    assert image.matte.engine == "sandbox"
    cutout = image.renders.get(preset="transparent-png")
    with PILImage.open(cutout.file) as picture:
        assert (picture.format, picture.mode, picture.size) == ("PNG", "RGBA", (2000, 1500))
    with PILImage.open(image.preview) as preview:
        assert (preview.format, preview.mode) == ("WEBP", "RGBA")
        assert max(preview.size) <= 1280
    with PILImage.open(image.cutout_thumbnail) as small:
        assert (small.format, small.mode) == ("WEBP", "RGBA")
        assert max(small.size) <= 384
    call = ApiCall.objects.get(image=image)
    assert call.outcome == ApiCall.Outcome.SUCCESS
    assert call.http_status == 200
    assert call.user == alice
    assert call.bytes_sent > 0 and call.bytes_received > 0
    assert charges(api) == 1


def test_the_matte_is_oriented_like_the_original_as_displayed(api, alice):
    picture = gradient((600, 400))
    exif = PILImage.Exif()
    exif[0x0112] = 6  # stored sideways: shown 400 wide, 600 high
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif)
    image = upload(alice, data=buffer.getvalue())

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert PILImage.open(image.matte.file).size == (400, 600)


def test_the_same_bytes_again_cost_no_api_call(api, alice, bob):
    data = product_photo(1)
    first = upload(alice, data=data)
    image_process(image_id=first.pk)
    again = upload(bob, "copy.jpg", data)

    image_process(image_id=again.pk)

    again.refresh_from_db()
    assert again.status == Image.Status.DONE
    assert charges(api) == 1
    hit = ApiCall.objects.get(image=again)
    assert hit.outcome == ApiCall.Outcome.CACHE_HIT
    assert hit.user == bob
    assert again.matte.file.read() == first.matte.file.read()


def test_a_run_after_the_api_answered_does_not_call_again(api, alice, settings):
    image = upload(alice, data=product_photo(2))
    # Storing the matte fails after the API answered: a file where its folder should be.
    (settings.MEDIA_ROOT / "mattes").write_text("in the way")
    with pytest.raises(OSError):
        image_process(image_id=image.pk)
    image.refresh_from_db()
    assert image.status == Image.Status.FAILED
    assert charges(api) == 1

    (settings.MEDIA_ROOT / "mattes").unlink()
    Image.objects.filter(pk=image.pk).update(status=Image.Status.QUEUED)
    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert charges(api) == 1


def test_a_job_for_an_image_already_claimed_does_nothing(api, alice):
    image = upload(alice, data=product_photo(3))
    Image.objects.filter(pk=image.pk).update(status=Image.Status.PROCESSING)

    image_process(image_id=image.pk)

    assert charges(api) == 0


def test_a_server_error_is_retried_later_then_fails_with_the_reason(api, alice, queue_redis):
    api.inject(error_rate=1.0, error_status=503)
    image = upload(alice, data=product_photo(4))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    assert image.attempts == 1
    assert "retry 1 of 2" in image.status_reason
    assert image.job_id in ScheduledJobRegistry("default", connection=queue_redis).get_job_ids()
    assert image.not_before > timezone.now()  # no worker calls for it before its back-off

    for _ in range(2):
        back_off_over(image)
        image_process(image_id=image.pk)
    image.refresh_from_db()
    assert image.status == Image.Status.FAILED
    assert "gave up after 3 attempts" in image.status_reason
    assert ApiCall.objects.filter(image=image, outcome=ApiCall.Outcome.ERROR).count() == 3


@pytest.mark.parametrize("status", [400, 413, 415, 422])
def test_an_image_the_api_refuses_fails_at_once_with_its_message(api, alice, status):
    api.inject(error_rate=1.0, error_status=status)
    image = upload(alice, data=product_photo(5))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.FAILED
    assert image.status_reason.startswith("The API could not process this image: ")
    assert ApiCall.objects.get(image=image).http_status == status


def test_a_429_holds_everyone_back_without_using_up_attempts(api, alice):
    api.inject(storm_429=1)
    image = upload(alice, data=product_photo(6))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    assert image.attempts == 0
    assert get_limiter().reserve().delay > 0


def test_no_free_slot_puts_the_job_back_for_its_slot(api, alice, queue_redis, settings):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 1
    get_limiter().reserve()
    image = upload(alice, data=product_photo(7))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    assert image.status_reason == "Waiting for a free API slot."
    assert image.job_id in ScheduledJobRegistry("default", connection=queue_redis).get_job_ids()
    assert charges(api) == 0


def test_running_out_of_credit_pauses_everything_and_tells_admins_once(
    api, alice, admin_user, django_capture_on_commit_callbacks
):
    api.configure(credits=0)
    first, second = upload(alice, data=product_photo(8)), upload(alice, data=product_photo(9))

    with django_capture_on_commit_callbacks(execute=True):
        image_process(image_id=first.pk)
        image_process(image_id=second.pk)

    for image in (first, second):
        image.refresh_from_db()
        assert image.status == Image.Status.WAITING_CREDITS
        assert "Waiting for credits" in image.status_reason
    assert ProcessingState.load().pause == ProcessingState.Pause.NO_CREDIT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [admin_user.email]
    # The second image never reached the API: processing was already paused.
    assert api.state()["calls"]["/v1.0/alpha-channel-base64"] == {"402": 1}

    assert pausing.resume_if_possible() is False
    api.configure(credits=10)
    assert pausing.resume_if_possible() is True
    assert ProcessingState.load().pause == ""
    assert set(Image.objects.values_list("status", flat=True)) == {Image.Status.QUEUED}


def test_a_refused_key_pauses_everything(api, alice, settings):
    settings.WITHOUTBG_API_KEY = "not-a-key"
    image = upload(alice, data=product_photo(10))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.WAITING_CREDITS
    assert "API key was refused" in image.status_reason
    assert ProcessingState.load().pause == ProcessingState.Pause.INVALID_KEY
    assert pausing.resume_if_possible() is False


def test_the_local_engine_needs_no_api(settings, alice, api):
    settings.MATTING_ENGINE = "local"
    image = upload(alice, "art.png", image_bytes("PNG", (300, 200)))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert image.matte.engine == "local-u2netp"
    assert Render.objects.filter(image=image).count() == 1
    assert charges(api) == 0


def test_the_same_picture_twice_at_once_is_paid_for_once(api, alice, queue_redis):
    data = product_photo(11)
    first, second = upload(alice, "one.jpg", data), upload(alice, "two.jpg", data)
    # The first image's job is asking the API right now.
    held = queue_redis.lock(f"cutouts:bytes:{first.sha256}", timeout=60)
    held.acquire()
    Image.objects.filter(pk=first.pk).update(status=Image.Status.PROCESSING)

    image_process(image_id=second.pk)

    second.refresh_from_db()
    assert second.status == Image.Status.QUEUED
    assert "same picture" in second.status_reason
    held.release()
    # Played here by processing the first image again: its answer comes back.
    Image.objects.filter(pk=first.pk).update(status=Image.Status.QUEUED)
    image_process(image_id=first.pk)
    image_process(image_id=second.pk)
    second.refresh_from_db()
    assert second.status == Image.Status.DONE
    assert charges(api) == 1


def test_a_job_queued_with_a_slot_booked_ahead_gives_it_back(api, alice, settings):
    # Jobs queued before slots went to the fair order carry the one they booked.
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 1
    limiter = get_limiter()
    booked = limiter.reserve()
    image = upload(alice, data=product_photo(12))

    image_process(image_id=image.pk, ticket=booked.ticket)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert charges(api) == 1


def test_a_job_started_a_moment_before_a_slot_frees_still_uses_it(api, alice, settings):
    # RQ's scheduler keeps whole seconds, so jobs start up to a second early.
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 1
    limiter = get_limiter()
    # The minute's only call went a moment less than a window ago.
    limiter.connection.zadd(limiter.key, {"earlier": limiter.now() - limiter.window + 0.5})
    image = upload(alice, data=product_photo(13))

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert charges(api) == 1
