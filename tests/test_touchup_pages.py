"""The editor's page, its Save, going back to a version, and rendering again: who may, and
what bad input gets."""

import pytest

from cutouts.models import ApiCall, Matte, MatteVersion, Render
from cutouts.studio import services as studio
from cutouts.studio.touchup import touchup_save
from tests.studio_images import work_off
from tests.touchups import alpha, broken_cutout, lost_part_share, restore_lost_part, strokes_json
from tests.uploading import stored_files, upload

pytestmark = pytest.mark.django_db

DISPLAY = (480, 360)


def _save(client, image, body: str | bytes):
    return client.post(f"/images/{image.pk}/touch-up/save/", body, content_type="application/json")


def test_the_editor_page_gives_the_script_the_display_copies_and_limits(alice_client, alice):
    image = broken_cutout(alice)
    body = alice_client.get(f"/images/{image.pk}/touch-up/").content.decode()
    assert f'data-photo-url="/images/{image.pk}/studio/original/"' in body
    assert f'data-matte-url="/images/{image.pk}/studio/matte/?v={image.matte.pk}"' in body
    assert f'data-save-url="/images/{image.pk}/touch-up/save/"' in body
    assert "cutouts/touchup.js" in body
    assert '"width": 480, "height": 360' in body
    assert '"edge": {"windowShare": 1.5' in body


def test_the_editor_waits_for_an_image_to_be_processed(alice_client, alice):
    image = upload(alice)
    response = alice_client.get(f"/images/{image.pk}/touch-up/")
    assert "Not ready for the studio yet" in response.content.decode()


def test_save_makes_a_version_and_answers_where_to_see_it(alice_client, alice):
    image = broken_cutout(alice)
    calls = ApiCall.objects.count()
    response = _save(alice_client, image, restore_lost_part(DISPLAY))
    assert response.status_code == 201
    assert response.json() == {"version": 2, "image_url": f"/images/{image.pk}/"}
    assert Matte.objects.get(image=image).version == 2
    assert ApiCall.objects.count() == calls


def test_an_admin_may_touch_up_a_members_image(admin_client_, alice):
    image = broken_cutout(alice)
    assert _save(admin_client_, image, restore_lost_part(DISPLAY)).status_code == 201


def test_another_members_image_is_not_found_and_nothing_is_saved(bob_client, alice):
    image = broken_cutout(alice)
    files = stored_files()
    assert _save(bob_client, image, restore_lost_part(DISPLAY)).status_code == 404
    assert bob_client.get(f"/images/{image.pk}/touch-up/").status_code == 404
    assert not MatteVersion.objects.exists()
    assert stored_files() == files


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "This is not valid JSON"),
        ('{"width": 480', "This is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (
            strokes_json(DISPLAY, [{"mode": "paint", "radius": 5, "points": [[1, 1]]}]),
            "Stroke 1, mode",
        ),
        (
            strokes_json(DISPLAY, [{"mode": "erase", "radius": 5, "points": [[1, 1]] * 5001}]),
            "Too many points",
        ),
        (
            strokes_json(DISPLAY, [{"mode": "erase", "radius": 5, "points": [[1, 1]]}] * 501),
            "Too many strokes",
        ),
        (
            strokes_json(DISPLAY, [{"mode": "erase", "radius": 5, "points": [[1, 1], [600, 1]]}]),
            "Stroke 1 goes outside the picture",
        ),
        (b"\xff\xfe", "This is not valid JSON"),
        ("9" * 2_000_001, "The JSON is too long"),
    ],
)
def test_bad_stroke_lists_get_400_with_a_message_and_nothing_is_saved(
    alice_client, alice, body, message
):
    image = broken_cutout(alice)
    matte, files = image.matte.pk, stored_files()
    response = _save(alice_client, image, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not MatteVersion.objects.exists()
    assert Matte.objects.get(image=image).pk == matte
    assert stored_files() == files


def test_the_image_page_lists_versions_and_goes_back_to_one(alice_client, alice):
    image = broken_cutout(alice)
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)
    engines = image.matte_versions.get(number=1)

    body = alice_client.get(f"/images/{image.pk}/").content.decode()
    assert "Version 2" in body and "touched up by alice" in body
    assert "Version 1" in body and "from the engine (test)" in body
    assert "Current" in body
    revert = f"/images/{image.pk}/versions/{engines.pk}/revert/"
    assert f'action="{revert}"' in body

    response = alice_client.post(revert)
    assert response.status_code == 302
    assert response["Location"] == f"/images/{image.pk}/"
    image.refresh_from_db()
    assert image.matte.version == 1
    with image.matte.file.open("rb") as stored:
        assert lost_part_share(alpha(stored.read())) < 0.01


def test_a_version_of_another_image_is_not_found(alice_client, alice):
    mine, other = broken_cutout(alice), broken_cutout(alice, name="other.png")
    touchup_save(image=other, strokes_json=restore_lost_part(DISPLAY), user=alice)
    theirs = other.matte_versions.get(number=1)
    response = alice_client.post(f"/images/{mine.pk}/versions/{theirs.pk}/revert/")
    assert response.status_code == 404
    assert Matte.objects.get(image=other).version == 2


def test_another_members_version_is_not_found(bob_client, alice):
    image = broken_cutout(alice)
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)
    version = image.matte_versions.get(number=1)
    response = bob_client.post(f"/images/{image.pk}/versions/{version.pk}/revert/")
    assert response.status_code == 404
    assert Matte.objects.get(image=image).version == 2


def test_renders_from_an_earlier_matte_are_marked_and_made_again_in_one_click(
    alice_client, bob_client, alice, queue_redis, django_capture_on_commit_callbacks
):
    image = broken_cutout(alice)
    with django_capture_on_commit_callbacks(execute=True):
        old = studio.render_create(image=image, spec_or_preset="webp-web", user=alice)
    work_off(queue_redis)
    assert "earlier matte" not in alice_client.get(f"/images/{image.pk}/renders/").content.decode()
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)

    listed = alice_client.get(f"/images/{image.pk}/renders/").content.decode()
    assert "Made from an earlier matte (version 1)" in listed
    assert f'action="/renders/{old.pk}/again/"' in listed
    assert (
        "Made from an earlier matte"
        in alice_client.get(f"/images/{image.pk}/studio/").content.decode()
    )

    assert bob_client.post(f"/renders/{old.pk}/again/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/renders/{old.pk}/again/")
    assert response["Location"] == f"/images/{image.pk}/studio/"
    again = Render.objects.exclude(pk=old.pk).filter(image=image, preset="webp-web").get()
    assert again.matte_version == 2
    assert again.spec == old.spec
