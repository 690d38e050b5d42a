"""Background pictures: checked like uploads, kept private to the member who added them."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from cutouts.models import Backdrop
from tests.images import image_bytes
from tests.studio_images import processed
from tests.uploading import post_file

pytestmark = pytest.mark.django_db


def test_a_member_adds_a_background_picture(alice, alice_client):
    response = post_file(
        alice_client, "beach.jpg", image_bytes("JPEG", size=(640, 480)), "/backdrops/"
    )

    assert response.status_code == 201
    backdrop = Backdrop.objects.get()
    assert response.json() == {
        "backdrop": {"id": backdrop.pk, "name": "beach.jpg", "url": f"/backdrops/{backdrop.pk}/"}
    }
    assert (backdrop.owner, backdrop.width, backdrop.height) == (alice, 640, 480)


def test_a_sideways_photo_is_measured_as_it_is_shown(alice_client):
    exif = PILImage.Exif()
    exif[0x0112] = 6
    data = image_bytes("JPEG", size=(600, 400), exif=exif)

    post_file(alice_client, "sideways.jpg", data, "/backdrops/")

    backdrop = Backdrop.objects.get()
    assert (backdrop.width, backdrop.height) == (400, 600)


def test_a_file_that_is_not_a_picture_is_refused_with_the_upload_message(alice_client):
    response = post_file(alice_client, "notes.jpg", b"not a picture at all\n", "/backdrops/")

    assert response.status_code == 400
    assert response.json()["error"].startswith("This file is a text file")
    assert not Backdrop.objects.exists()


def test_a_file_over_the_limit_is_refused(alice_client, settings):
    settings.UPLOAD_MAX_BYTES = 1024

    response = post_file(
        alice_client, "big.bmp", image_bytes("BMP", size=(100, 100)), "/backdrops/"
    )

    assert response.status_code == 400
    assert "the limit is 1 KB" in response.json()["error"]


def test_without_javascript_the_member_is_sent_back_to_the_studio(alice_client):
    response = alice_client.post(
        "/backdrops/", {"file": SimpleUploadedFile("bg.png", image_bytes("PNG")), "image": "7"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/images/7/studio/"


def test_the_picture_is_served_at_display_size_to_its_owner_only(
    alice, alice_client, bob_client, settings
):
    settings.PREVIEW_SIZE = 300
    post_file(alice_client, "wide.png", image_bytes("PNG", size=(900, 600)), "/backdrops/")
    backdrop = Backdrop.objects.get()

    response = alice_client.get(f"/backdrops/{backdrop.pk}/")

    assert response["Content-Type"] == "image/jpeg"
    assert PILImage.open(io.BytesIO(response.content)).size == (300, 200)
    assert bob_client.get(f"/backdrops/{backdrop.pk}/").status_code == 404


def test_the_studio_lists_only_the_members_own_pictures(alice, bob, alice_client):
    image = processed(alice)
    mine = Backdrop.objects.create(owner=alice, original_name="mine.jpg", width=1, height=1)
    Backdrop.objects.create(owner=bob, original_name="theirs.jpg", width=1, height=1)

    response = alice_client.get(f"/images/{image.pk}/studio/")

    assert list(response.context["backdrops"]) == [mine]
