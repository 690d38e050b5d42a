"""The studio page: what the preview needs, and Save."""

import io
import json

import pytest
from PIL import Image as PILImage

from cutouts.models import Preset, Render
from tests.studio_images import processed
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def _studio_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="studio-data" type="application/json">') + len(
        '<script id="studio-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_it_offers_the_builtin_and_team_presets(alice, alice_client, admin_user):
    Preset.objects.create(
        name="Catalogue grey", slug="catalogue-grey", spec={"output": {"format": "PNG"}}
    )
    image = processed(alice)

    response = alice_client.get(f"/images/{image.pk}/studio/")

    assert response.status_code == 200
    names = [preset.name for preset in response.context["presets"]]
    assert names[:4] == [
        "Amazon main image",
        "Shopify square",
        "Transparent PNG (full size)",
        "WebP for the web",
    ]
    assert names[4:] == ["Catalogue grey"]
    assert set(_studio_data(response)["presets"]) >= {"amazon-main", "catalogue-grey"}


def test_the_preview_gets_the_original_and_matte_at_one_display_size(alice, alice_client, settings):
    settings.PREVIEW_SIZE = 500
    image = processed(alice, size=(1200, 900))

    data = _studio_data(alice_client.get(f"/images/{image.pk}/studio/"))
    original = alice_client.get(f"/images/{image.pk}/studio/original/")
    matte = alice_client.get(f"/images/{image.pk}/studio/matte/")

    assert (data["width"], data["height"]) == (1200, 900)
    assert (data["displayWidth"], data["displayHeight"]) == (500, 375)
    assert original["Content-Type"] == "image/jpeg"
    assert matte["Content-Type"] == "image/png"
    assert "private" in original["Cache-Control"]
    assert PILImage.open(io.BytesIO(original.content)).size == (500, 375)
    with PILImage.open(io.BytesIO(matte.content)) as picture:
        assert (picture.mode, picture.size) == ("L", (500, 375))


def test_save_from_the_script_queues_a_render_and_answers_json(alice, alice_client):
    image = processed(alice)
    spec = {"background": {"type": "color", "color": "#ff0000"}}

    response = alice_client.post(
        f"/images/{image.pk}/renders/",
        {"spec": json.dumps(spec)},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 201
    render = Render.objects.get(pk=response.json()["render"]["id"])
    assert (render.status, render.preset) == (Render.Status.QUEUED, "custom")


def test_save_answers_a_bad_spec_with_its_reason(alice, alice_client):
    image = processed(alice)
    spec = {"framing": {"aspect": "1:1", "canvas": [100, 100]}}

    response = alice_client.post(
        f"/images/{image.pk}/renders/",
        {"spec": json.dumps(spec)},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 400
    assert response.json() == {"error": "Choose a canvas size or an aspect ratio, not both."}
    assert not Render.objects.filter(status=Render.Status.QUEUED).exists()


def test_a_preset_button_saves_the_preset_without_javascript(alice, alice_client):
    image = processed(alice)

    response = alice_client.post(
        f"/images/{image.pk}/renders/", {"preset": "amazon-main"}, follow=True
    )

    assert response.redirect_chain == [(f"/images/{image.pk}/studio/", 302)]
    assert b"Rendering at full size" in response.content
    assert Render.objects.get(status=Render.Status.QUEUED).preset == "amazon-main"


def test_the_render_list_shows_each_renders_status_and_download(alice, alice_client):
    image = processed(alice)
    done = Render.objects.create(
        image=image, preset="webp-web", spec={}, status=Render.Status.DONE, format="WEBP"
    )
    Render.objects.create(image=image, preset="custom", spec={}, status=Render.Status.QUEUED)
    Render.objects.create(
        image=image, preset="custom", spec={}, status=Render.Status.FAILED, error="No luck."
    )

    response = alice_client.get(f"/images/{image.pk}/renders/")

    html = response.content.decode()
    assert html.count('class="render-row"') == 3
    assert 'data-status="queued"' in html
    assert "No luck." in html
    assert f'href="/renders/{done.pk}/download/"' in html


def test_an_image_not_processed_yet_opens_no_studio(alice, alice_client):
    image = upload(alice, "waiting.jpg")

    response = alice_client.get(f"/images/{image.pk}/studio/")

    assert response.status_code == 200
    assert b"Not ready for the studio yet" in response.content
    assert alice_client.get(f"/images/{image.pk}/studio/matte/").status_code == 404
