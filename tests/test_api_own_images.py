"""Cutouts' own JSON API: a token lists, reads and downloads its member's images only,
and makes renders from presets."""

import pytest

from cutouts.models import Image, Render
from cutouts.studio import services as studio
from tests.api_calls import client_for, opened
from tests.studio_images import processed
from tests.uploading import upload

pytestmark = pytest.mark.django_db

V1 = "/api/cutouts/v1"


def test_it_lists_the_members_own_images_newest_first(alice, bob):
    older = processed(alice, "older.jpg")
    newer = upload(alice, "newer.jpg")
    upload(bob, "bobs.jpg")

    page = client_for(alice).get(f"{V1}/images").json()

    assert page["count"] == 2
    assert [image["id"] for image in page["results"]] == [newer.pk, older.pk]
    first = page["results"][0]
    assert (first["name"], first["status"], first["matte_url"]) == ("newer.jpg", "queued", None)
    assert page["results"][1]["matte_url"].endswith(f"/api/cutouts/v1/images/{older.pk}/matte")


def test_admins_tokens_see_only_their_own_images_too(admin_user, alice):
    upload(alice, "alice.jpg")

    assert client_for(admin_user).get(f"{V1}/images").json()["count"] == 0


def test_it_filters_by_status_and_pages(alice, settings):
    settings.LIBRARY_PAGE_SIZE = 2
    for number in range(3):
        processed(alice, f"done-{number}.jpg")
    upload(alice, "queued.jpg")
    api = client_for(alice)

    first = api.get(f"{V1}/images?status=done").json()
    second = api.get(first["next"]).json()

    assert (first["count"], first["pages"], first["previous"]) == (3, 2, None)
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert second["next"] is None
    assert api.get(f"{V1}/images?status=nope").status_code == 400
    assert api.get(f"{V1}/images?page=9").status_code == 404


def test_it_gives_one_images_status_and_renders(alice):
    image = processed(alice, "shoe.jpg", size=(400, 300))
    Render.objects.create(image=image, preset="amazon-main", spec={}, status="queued")

    body = client_for(alice).get(f"{V1}/images/{image.pk}").json()

    assert (body["id"], body["status"], body["width"], body["height"]) == (
        image.pk,
        "done",
        400,
        300,
    )
    assert [(r["preset"], r["status"], r["file_url"]) for r in body["renders"]] == [
        ("amazon-main", "queued", None)
    ]


@pytest.mark.parametrize("suffix", ["", "/original", "/matte"])
def test_another_members_image_is_not_found(alice, bob, suffix):
    image = processed(alice)

    response = client_for(bob).get(f"{V1}/images/{image.pk}{suffix}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_it_downloads_the_original_byte_for_byte_and_the_matte(alice):
    image = processed(alice, "shoe.jpg", size=(400, 300))
    api = client_for(alice)

    original = api.get(f"{V1}/images/{image.pk}/original")
    matte = api.get(f"{V1}/images/{image.pk}/matte")

    assert original.content_bytes == Image.objects.get().original.read()
    assert original["Content-Disposition"] == 'attachment; filename="shoe.jpg"'
    assert opened(matte.content_bytes).size == (400, 300)
    assert matte["Content-Type"] == "image/png"


def test_an_image_not_processed_yet_has_no_matte(alice):
    image = upload(alice)

    assert client_for(alice).get(f"{V1}/images/{image.pk}/matte").status_code == 404


def test_it_lists_the_presets(alice):
    presets = client_for(alice).get(f"{V1}/presets").json()["results"]

    slugs = [preset["slug"] for preset in presets]
    assert "transparent-png" in slugs and "amazon-main" in slugs
    assert all(preset["builtin"] for preset in presets)


def test_it_makes_a_render_from_a_preset_and_serves_it(alice):
    image = processed(alice, "shoe.jpg", size=(600, 400))
    api = client_for(alice)

    created = api.post_json(f"{V1}/images/{image.pk}/renders", {"preset": "amazon-main"})
    assert created.status_code == 202
    assert created.json()["status"] == "queued"
    assert created["Location"] == created.json()["url"]
    # What the render's job does, here rather than in a worker.
    studio.render_run(render_id=created.json()["id"])

    render = api.get(created.json()["url"]).json()
    assert render["status"] == "done"
    file = api.get(render["file_url"])
    picture = opened(file.content_bytes)
    assert (picture.format, picture.size) == ("JPEG", (2000, 2000))
    assert file["Content-Disposition"] == 'attachment; filename="shoe-amazon-main.jpg"'


@pytest.mark.parametrize(
    "body", [{}, {"preset": ""}, {"preset": 5}, {"preset": "no-such-preset"}, "not json"]
)
def test_a_render_needs_a_known_preset(alice, body):
    image = processed(alice)
    api = client_for(alice)

    if isinstance(body, str):
        response = api.post_raw(f"{V1}/images/{image.pk}/renders", body.encode(), "text/plain")
    else:
        response = api.post_json(f"{V1}/images/{image.pk}/renders", body)

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Render.objects.exists()


def test_an_image_not_processed_yet_cannot_be_rendered(alice):
    image = upload(alice)

    response = client_for(alice).post_json(
        f"{V1}/images/{image.pk}/renders", {"preset": "amazon-main"}
    )

    assert response.status_code == 400
    assert "not processed yet" in response.json()["detail"]


def test_another_members_renders_are_not_found(alice, bob):
    image = processed(alice)
    render = Render.objects.create(image=image, preset="amazon-main", spec={}, status="queued")
    api = client_for(bob)

    assert (
        api.post_json(f"{V1}/images/{image.pk}/renders", {"preset": "amazon-main"}).status_code
        == 404
    )
    assert api.get(f"{V1}/renders/{render.pk}").status_code == 404
    assert api.get(f"{V1}/renders/{render.pk}/file").status_code == 404
