"""The cutout, the matte and the preview leave only through views that check who is asking."""

import pytest

from cutouts.models import Render
from tests.outputs import finish
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def test_it_downloads_the_cutout_png_under_the_images_name(alice_client, alice):
    image = upload(alice, "red chair.jpg")
    render = finish(image)

    response = alice_client.get(f"/renders/{render.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        'attachment; filename="red chair-transparent-png.png"'
    )
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response.getvalue() == render.file.open("rb").read()


def test_a_render_names_its_file_after_its_preset_and_format(alice_client, alice):
    image = upload(alice, "chair.jpg")
    render = finish(image)
    Render.objects.filter(pk=render.pk).update(preset="white-jpeg", format="JPEG")

    response = alice_client.get(f"/renders/{render.pk}/download/")

    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="chair-white-jpeg.jpg"'


def test_it_downloads_the_matte_png(alice_client, alice):
    image = upload(alice, "chair.jpg")
    finish(image)

    response = alice_client.get(f"/images/{image.pk}/matte/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="chair-matte.png"'
    assert response.getvalue().startswith(b"\x89PNG")


def test_it_shows_the_transparent_preview_inline(alice_client, alice):
    image = upload(alice, "chair.jpg")
    finish(image)

    response = alice_client.get(f"/images/{image.pk}/preview/")

    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == 'inline; filename="chair-preview.webp"'
    assert response.getvalue()[8:12] == b"WEBP"


def test_nothing_is_there_before_processing_is_done(alice_client, alice):
    image = upload(alice)

    assert alice_client.get(f"/images/{image.pk}/matte/").status_code == 404
    assert alice_client.get(f"/images/{image.pk}/preview/").status_code == 404


def test_a_render_still_queued_is_not_found(alice_client, alice):
    render = finish(upload(alice))
    Render.objects.filter(pk=render.pk).update(status=Render.Status.QUEUED)

    assert alice_client.get(f"/renders/{render.pk}/download/").status_code == 404


def test_other_members_get_not_found_and_admins_get_the_files(bob_client, admin_client_, alice):
    image = upload(alice)
    render = finish(image)
    urls = [
        f"/renders/{render.pk}/download/",
        f"/images/{image.pk}/matte/",
        f"/images/{image.pk}/preview/",
    ]

    for url in urls:
        assert bob_client.get(url).status_code == 404
        assert admin_client_.get(url).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, alice):
    render = finish(upload(alice))

    response = client.get(f"/renders/{render.pk}/download/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
