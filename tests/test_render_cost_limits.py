"""A render's cost is bounded before it starts: output pixels, enlargement, effect sizes."""

import io
import json
import time

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image as PILImage

from cutouts.lib.render_spec import SpecError
from cutouts.models import Export, Image, Matte, Preset, Render
from cutouts.studio import services as studio
from cutouts.teamapi.tokens import token_create
from tests.studio_images import ellipse_matte, processed
from tests.uploading import stored_files

pytestmark = pytest.mark.django_db

# The spec: a small edge shift, a 20000 × 5000 canvas, on a 50 px photo.
HUGE_CANVAS = {"edges": {"shift": 5}, "framing": {"canvas": [20000, 5000]}}
HUGE_CANVAS_REFUSED = "The output would be 100,000,000 pixels; the limit is 50,000,000."


def _save(client, image, spec):
    return client.post(
        f"/images/{image.pk}/renders/",
        {"spec": json.dumps(spec)},
        headers={"accept": "application/json"},
    )


def test_the_studio_refuses_a_huge_canvas_on_a_small_photo_with_the_limit(alice, alice_client):
    image = processed(alice, size=(50, 50))

    response = _save(alice_client, image, HUGE_CANVAS)

    assert response.status_code == 400
    assert response.json() == {"error": HUGE_CANVAS_REFUSED}
    assert not Render.objects.exists()


def test_the_studio_refuses_a_photo_enlarged_past_the_limit(alice, alice_client):
    image = processed(alice, size=(50, 50))

    response = _save(alice_client, image, {"framing": {"canvas": [2000, 2000]}})

    assert response.status_code == 400
    assert response.json() == {"error": "The photo would be enlarged 36 times; the limit is 10."}


def test_an_effect_is_measured_in_pixels_of_the_output(alice, alice_client, settings):
    settings.RENDER_MAX_EFFECT_PX = 100
    image = processed(alice, size=(400, 300))
    # The canvas enlarges the photo 4.5 times: a 30 px shift is 135 px there.
    spec = {"edges": {"shift": 30}, "framing": {"canvas": [2000, 1500]}}

    response = _save(alice_client, image, spec)

    assert response.json() == {
        "error": "The edge shift would be 135 pixels at this size; the limit is 100."
    }
    spec["edges"]["shift"] = 20
    assert _save(alice_client, image, spec).status_code == 201


def test_a_shadow_blur_past_the_limit_is_refused(alice, alice_client):
    image = processed(alice, size=(400, 300))
    spec = {"shadow": {"type": "drop", "blur": 300}, "framing": {"canvas": [800, 600]}}

    response = _save(alice_client, image, spec)

    assert response.json() == {
        "error": "The shadow blur would be 540 pixels at this size; the limit is 500."
    }


def test_an_admin_cannot_make_a_team_preset_with_a_huge_canvas(admin_client_):
    response = admin_client_.post("/presets/", {"name": "Banner", "spec": json.dumps(HUGE_CANVAS)})

    assert response.status_code == 200
    assert response.context["form"].errors == {"spec": [HUGE_CANVAS_REFUSED]}
    assert not Preset.objects.exists()


def test_the_api_refuses_a_preset_that_would_enlarge_the_photo_past_the_limit(alice):
    image = processed(alice, size=(50, 50))
    _, raw = token_create(user=alice, name="script")
    # Made before the limits, or under looser ones: the render is judged now.
    Preset.objects.create(name="Banner", slug="banner", spec=HUGE_CANVAS)

    response = _api_render(raw, image, "banner")

    assert response.status_code == 400
    assert response.json() == {"detail": HUGE_CANVAS_REFUSED}
    assert _api_render(raw, image, "amazon-main").json() == {
        "detail": "The photo would be enlarged 34 times; the limit is 10."
    }
    assert not Render.objects.exists()


def _api_render(raw_token, image, preset):
    return Client().post(
        f"/api/cutouts/v1/images/{image.pk}/renders",
        json.dumps({"preset": preset}),
        content_type="application/json",
        headers={"X-API-Key": raw_token},
    )


def test_an_export_is_refused_naming_the_image_the_preset_cannot_render(alice, alice_client):
    processed(alice, name="big.jpg", size=(400, 300))
    processed(alice, name="tiny.jpg", size=(50, 50))

    response = alice_client.post(
        "/exports/",
        {"images": list(Image.objects.values_list("pk", flat=True)), "preset": "amazon-main"},
        follow=True,
    )

    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["tiny.jpg: The photo would be enlarged 34 times; the limit is 10."]
    assert not Export.objects.exists() and not Render.objects.exists()


def test_the_worker_refuses_what_only_the_matte_shows_is_past_the_limit(alice):
    # The subject is half the photo: cropped to it, the canvas enlarges it
    # twice as much as the whole photo would, which is all the web request knows.
    image = processed(alice, size=(400, 300))
    spec = {"framing": {"crop": "subject", "canvas": [4000, 3000], "fill": 1}}
    render = studio.render_create(image=image, spec_or_preset=spec, user=alice)

    studio.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == "The photo would be enlarged 19.9 times; the limit is 10."
    assert not render.file


def test_the_worker_checks_again_with_the_limits_it_runs_under(alice, settings):
    image = processed(alice, size=(400, 300))
    render = studio.render_create(image=image, spec_or_preset="amazon-main", user=alice)
    settings.RENDER_MAX_PIXELS = 1_000_000

    studio.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.status == Render.Status.FAILED
    assert render.error == "The output would be 4,000,000 pixels; the limit is 1,000,000."


def test_the_limit_is_checked_in_the_service_too(alice):
    image = processed(alice, size=(50, 50))

    with pytest.raises(SpecError, match="100,000,000 pixels"):
        studio.render_create(image=image, spec_or_preset=HUGE_CANVAS, user=alice)


def test_a_full_size_render_of_a_50_megapixel_photo_still_works(alice):
    size = (8000, 6250)  # 50,000,000 pixels: the largest upload there is
    image = _stored_photo(alice, size)
    render = studio.render_create(image=image, spec_or_preset="transparent-png", user=alice)
    started = time.monotonic()

    studio.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert (render.status, render.error) == (Render.Status.DONE, "")
    assert (render.width, render.height) == size
    assert time.monotonic() - started < 60
    assert len(stored_files()) == 3  # the original, its matte and the render


def _stored_photo(owner, size) -> Image:
    """A processed 50 MP photo, stored directly: an upload would make thumbnails of it too."""
    photo, matte = io.BytesIO(), io.BytesIO()
    PILImage.new("RGB", size, (200, 120, 40)).save(photo, format="JPEG", quality=80)
    ellipse_matte(size).save(matte, format="PNG")
    image = Image.objects.create(
        owner=owner,
        original=ContentFile(photo.getvalue(), name="large.jpg"),
        original_name="large.jpg",
        sha256="0" * 64,
        format="JPEG",
        width=size[0],
        height=size[1],
        byte_size=len(photo.getvalue()),
        status=Image.Status.DONE,
    )
    Matte.objects.create(
        image=image,
        file=ContentFile(matte.getvalue(), name="matte.png"),
        engine="test",
        width=size[0],
        height=size[1],
        byte_size=len(matte.getvalue()),
    )
    return image
