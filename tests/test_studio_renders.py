"""Renders from the studio: a preset or a spec in, a full-size file out, or a reason why not."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from cutouts.lib.render_spec import SpecError
from cutouts.models import Matte, Render
from cutouts.processing.queueing import QUEUES
from cutouts.studio import services as studio
from tests.studio_images import processed, work_off
from tests.uploading import upload

pytestmark = pytest.mark.django_db

# Redis as seen when it is down: nothing listens there.
CLOSED_PORT = {name: {"URL": "redis://127.0.0.1:1/0"} for name in QUEUES}


@pytest.fixture
def create(queue_redis, django_capture_on_commit_callbacks):
    """render_create, with its after-commit queueing run as a real commit would."""

    def _create(image, spec_or_preset, user) -> Render:
        with django_capture_on_commit_callbacks(execute=True):
            return studio.render_create(image=image, spec_or_preset=spec_or_preset, user=user)

    return _create


@pytest.fixture
def rendered(create, queue_redis):
    def _rendered(image, spec_or_preset, user) -> Render:
        render = create(image, spec_or_preset, user)
        work_off(queue_redis)
        render.refresh_from_db()
        return render

    return _rendered


def _picture(render: Render) -> PILImage.Image:
    with render.file.open("rb") as stored:
        picture = PILImage.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


@pytest.mark.parametrize(
    ("preset", "fmt", "mode", "size"),
    [
        ("amazon-main", "JPEG", "RGB", (2000, 2000)),
        ("shopify-square", "JPEG", "RGB", (2048, 2048)),
        ("transparent-png", "PNG", "RGBA", (1800, 1200)),
        ("webp-web", "WEBP", "RGBA", (1600, 1067)),
    ],
)
def test_each_builtin_preset_renders_in_its_format_and_size(
    alice, rendered, preset, fmt, mode, size
):
    image = processed(alice, size=(1800, 1200))

    render = rendered(image, preset, alice)

    assert (render.status, render.error) == (Render.Status.DONE, "")
    assert (render.preset, render.format, render.width, render.height) == (preset, fmt, *size)
    picture = _picture(render)
    assert (picture.format, picture.mode, picture.size) == (fmt, mode, size)
    assert render.byte_size == render.file.size


def test_a_spec_from_the_controls_is_rendered_as_custom(alice, rendered):
    image = processed(alice, size=(400, 300))
    spec = {"background": {"type": "color", "color": "#00ff00"}, "output": {"format": "JPEG"}}

    render = rendered(image, spec, alice)

    assert (render.status, render.preset, render.format) == (Render.Status.DONE, "custom", "JPEG")
    assert render.spec["background"] == {"type": "color", "color": "#00ff00"}
    assert render.created_by == alice
    corner = _picture(render).getpixel((2, 2))
    assert corner[1] > 240 and corner[0] < 15 and corner[2] < 15


def test_a_bad_spec_is_refused_with_a_clear_message_and_nothing_is_queued(alice, queue_redis):
    image = processed(alice)

    with pytest.raises(SpecError, match="Edge feather must be from 0 to 50"):
        studio.render_create(image=image, spec_or_preset={"edges": {"feather": 90}}, user=alice)

    assert not Render.objects.filter(created_by=alice).exists()
    assert queue_redis.llen("rq:queue:renders") == 0


def test_an_unknown_preset_is_refused(alice):
    image = processed(alice)

    with pytest.raises(studio.StudioError, match="no such preset"):
        studio.render_create(image=image, spec_or_preset="no-such-thing", user=alice)


def test_an_image_not_processed_yet_is_refused(alice):
    image = upload(alice, "waiting.jpg")

    with pytest.raises(studio.StudioError, match="not processed yet"):
        studio.render_create(image=image, spec_or_preset="transparent-png", user=alice)


def test_a_render_whose_matte_is_gone_fails_with_a_reason(alice, create, queue_redis):
    image = processed(alice)
    render = create(image, "transparent-png", alice)
    Matte.objects.filter(image=image).delete()

    work_off(queue_redis)

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == "This image has no cutout any more. Process it again."


@pytest.mark.parametrize("damage", ["deleted", "junk"])
def test_a_render_whose_matte_file_cannot_be_read_fails_with_a_reason(
    alice, create, queue_redis, damage
):
    image = processed(alice)
    render = create(image, "transparent-png", alice)
    matte_file = Path(Matte.objects.get(image=image).file.path)
    if damage == "deleted":
        matte_file.unlink()
    else:
        matte_file.write_bytes(b"these bytes are not a picture")

    work_off(queue_redis)

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == "The original or its cutout could not be read."


def test_a_render_that_crashes_ends_failed_not_queued(alice, queue_redis, settings):
    image = processed(alice)
    render = studio.render_create(image=image, spec_or_preset="transparent-png", user=alice)
    # Storing the finished render fails: a file where its folder should be.
    (settings.MEDIA_ROOT / "renders").write_text("in the way")

    with pytest.raises(OSError):
        studio.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == "Something went wrong while rendering. Try again."


def test_a_render_the_queue_cannot_take_fails_at_once(alice, create, settings):
    image = processed(alice)
    settings.RQ_QUEUES = CLOSED_PORT

    render = create(image, "transparent-png", alice)

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == studio.QUEUE_AWAY


def _backdrop(owner, colour=(0, 200, 0)):
    picture = PILImage.new("RGB", (300, 200), colour)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    data = buffer.getvalue()
    return studio.backdrop_upload(owner=owner, uploaded_file=SimpleUploadedFile("bg.png", data))


def test_a_background_picture_shows_behind_the_subject(alice, rendered):
    image = processed(alice, size=(400, 300))
    backdrop = _backdrop(alice)
    spec = {"background": {"type": "image", "backdrop_id": backdrop.pk, "fit": "cover"}}

    render = rendered(image, spec, alice)

    assert render.status == Render.Status.DONE
    assert _picture(render).convert("RGB").getpixel((3, 3)) == (0, 200, 0)


def test_only_the_members_own_background_pictures_can_be_used(alice, bob):
    image = processed(alice)
    bobs = _backdrop(bob)
    spec = {"background": {"type": "image", "backdrop_id": bobs.pk}}

    with pytest.raises(studio.StudioError, match="your own background pictures"):
        studio.render_create(image=image, spec_or_preset=spec, user=alice)


def test_a_background_picture_deleted_before_the_render_fails_it(alice, create, queue_redis):
    image = processed(alice)
    backdrop = _backdrop(alice)
    spec = {"background": {"type": "image", "backdrop_id": backdrop.pk}}
    render = create(image, spec, alice)
    backdrop.delete()

    work_off(queue_redis)

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == "The background picture is gone. Choose another one."
