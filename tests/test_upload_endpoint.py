"""The upload page, and the endpoints the upload widget and the plain form post to."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import Image, UploadBatch
from tests.images import image_bytes
from tests.uploading import stored_files

pytestmark = pytest.mark.django_db

JSON = {"accept": "application/json"}


def _jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("JPEG"))


def test_the_upload_page_shows_a_drop_zone_that_takes_many_files(alice_client):
    response = alice_client.get("/upload/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Drop photos here" in body
    assert 'name="files" multiple' in body
    assert "up to 10 MB each" in body
    assert "cutouts/upload.js" in body


def test_it_makes_a_batch_for_the_uploader(alice_client, alice):
    response = alice_client.post("/upload/batch/", headers=JSON)

    assert response.status_code == 201
    batch = UploadBatch.objects.get(pk=response.json()["batch"])
    assert batch.owner == alice
    assert response.json()["url"] == f"/batches/{batch.pk}/"


def test_the_batch_endpoint_only_takes_posts(alice_client):
    assert alice_client.get("/upload/batch/").status_code == 405


def test_a_script_upload_answers_with_the_image_as_json(alice_client, alice):
    batch = UploadBatch.objects.create(owner=alice)

    response = alice_client.post("/upload/", {"files": _jpeg(), "batch": batch.pk}, headers=JSON)

    assert response.status_code == 201
    image = Image.objects.get()
    assert response.json() == {
        "image": {
            "id": image.pk,
            "name": "photo.jpg",
            "status": "queued",
            "status_label": "Queued",
            "status_reason": "Waiting to be processed.",
            # First in line with every slot free.
            "eta": "Done in under a minute",
            "url": f"/images/{image.pk}/",
            "thumbnail_url": f"/images/{image.pk}/thumbnail/",
        }
    }
    assert image.batch == batch
    assert image.owner == alice


def test_a_script_upload_without_a_batch_makes_one(alice_client, alice):
    alice_client.post("/upload/", {"files": _jpeg()}, headers=JSON)

    assert Image.objects.get().batch.owner == alice


def test_it_refuses_to_add_to_another_members_batch(alice_client, bob):
    batch = UploadBatch.objects.create(owner=bob)

    response = alice_client.post("/upload/", {"files": _jpeg(), "batch": batch.pk}, headers=JSON)

    assert response.status_code == 404
    assert response.json() == {"error": "This upload batch does not exist.", "name": "photo.jpg"}
    assert not Image.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("batch", ["nonsense", "99999999999999999999999"])
def test_it_refuses_a_batch_id_that_is_not_one(alice_client, batch):
    response = alice_client.post("/upload/", {"files": _jpeg(), "batch": batch}, headers=JSON)

    assert response.status_code == 404
    assert not Image.objects.exists()


def test_a_script_upload_takes_exactly_one_file(alice_client):
    response = alice_client.post(
        "/upload/", {"files": [_jpeg("a.jpg"), _jpeg("b.jpg")]}, headers=JSON
    )

    assert response.status_code == 400
    assert response.json() == {"error": "Send exactly one file per request."}
    assert not Image.objects.exists()


def test_a_form_post_uploads_every_file_into_one_batch(alice_client, alice):
    files = [_jpeg(f"photo-{number}.jpg") for number in range(3)]

    response = alice_client.post("/upload/", {"files": files}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert [str(message) for message in response.context["messages"]] == ["Uploaded 3 images."]
    assert UploadBatch.objects.get().images.count() == 3


def test_a_form_post_without_files_asks_for_some(alice_client):
    response = alice_client.post("/upload/", {}, follow=True)

    assert response.redirect_chain == [("/upload/", 302)]
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["Choose at least one image to upload."]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post("/upload/", {"files": _jpeg()}, headers=JSON)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Image.objects.exists()
