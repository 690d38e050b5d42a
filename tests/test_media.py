"""Originals and thumbnails leave only through views that check who is asking."""

import pytest

from tests.images import image_bytes
from tests.uploading import upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("TIFF", "image/tiff"),
        ("BMP", "image/bmp"),
        ("GIF", "image/gif"),
    ],
)
def test_it_serves_the_original_bytes_with_their_content_type(
    alice_client, alice, fmt, content_type
):
    data = image_bytes(fmt)
    image = upload(alice, "picture.bin", data)

    response = alice_client.get(f"/images/{image.pk}/original/")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Length"] == str(len(data))
    assert response.getvalue() == data


def test_it_shows_the_original_inline_under_its_own_name(alice_client, alice):
    image = upload(alice, "cat.jpg")

    response = alice_client.get(f"/images/{image.pk}/original/")

    assert response["Content-Disposition"] == 'inline; filename="cat.jpg"'


def test_it_offers_the_original_as_a_download_on_request(alice_client, alice):
    image = upload(alice, "cat.jpg")

    response = alice_client.get(f"/images/{image.pk}/original/?download=1")

    assert response["Content-Disposition"] == 'attachment; filename="cat.jpg"'


def test_it_encodes_a_non_ascii_download_name(alice_client, alice):
    image = upload(alice, "Café été 夏.jpg")

    response = alice_client.get(f"/images/{image.pk}/original/?download=1")

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Caf%C3%A9%20%C3%A9t%C3%A9%20%E5%A4%8F.jpg"
    )


def test_it_serves_the_thumbnail_as_webp(alice_client, alice):
    image = upload(alice, "cat.jpg")

    response = alice_client.get(f"/images/{image.pk}/thumbnail/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == 'inline; filename="cat-thumbnail.webp"'
    assert response.getvalue()[8:12] == b"WEBP"


@pytest.mark.parametrize("suffix", ["original/", "original/?download=1", "thumbnail/"])
def test_media_is_private_and_not_sniffed(alice_client, alice, suffix):
    image = upload(alice)

    response = alice_client.get(f"/images/{image.pk}/{suffix}")

    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("suffix", ["", "original/", "original/?download=1", "thumbnail/"])
def test_other_members_get_404_for_every_image_url(bob_client, alice, suffix):
    image = upload(alice)

    assert bob_client.get(f"/images/{image.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["original/", "thumbnail/"])
def test_other_members_get_the_same_404_as_for_a_missing_image(bob_client, alice, suffix):
    image = upload(alice)

    theirs = bob_client.get(f"/images/{image.pk}/{suffix}")
    missing = bob_client.get(f"/images/{image.pk + 1000}/{suffix}")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


@pytest.mark.parametrize("suffix", ["original/", "thumbnail/"])
def test_admins_can_fetch_anyones_media(admin_client_, alice, suffix):
    image = upload(alice)

    assert admin_client_.get(f"/images/{image.pk}/{suffix}").status_code == 200


@pytest.mark.parametrize("suffix", ["", "original/", "thumbnail/"])
def test_signed_out_visitors_are_sent_to_sign_in(client, alice, suffix):
    image = upload(alice)

    response = client.get(f"/images/{image.pk}/{suffix}")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_there_is_no_public_media_url(alice_client, alice):
    image = upload(alice)

    assert alice_client.get(f"/media/{image.original.name}").status_code == 404
    assert alice_client.get(f"/{image.original.name}").status_code == 404


def test_a_missing_file_is_a_404_not_an_error(alice_client, alice):
    image = upload(alice)
    image.original.storage.delete(image.original.name)

    assert alice_client.get(f"/images/{image.pk}/original/").status_code == 404


def test_it_answers_head_requests(alice_client, alice):
    image = upload(alice)

    response = alice_client.head(f"/images/{image.pk}/original/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
