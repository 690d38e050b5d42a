"""Ids are ASCII digits within a bigint: anything else is refused or ignored, never a crash.

str.isdigit() accepts "²", "٣" and "１"; int() refuses the first and reads the
others as 3 and 1. Neither may reach a query, a redirect or a stored row.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.lib.inputs import MAX_ID, parse_id
from cutouts.models import Backdrop, Export, Render, UploadBatch
from tests.images import image_bytes
from tests.studio_images import processed
from tests.uploading import stored_files

pytestmark = pytest.mark.django_db

NOT_IDS = ["²", "٣", "１", "1²", "-1", "0", " 1", "1.0", "", "9" * 19, str(MAX_ID + 1), "9" * 400]


@pytest.mark.parametrize("text", NOT_IDS)
def test_only_ascii_digits_in_a_bigints_range_are_ids(text):
    assert parse_id(text) is None


def test_an_id_reads_as_its_number():
    assert [parse_id("7"), parse_id(str(MAX_ID)), parse_id(7)] == [7, MAX_ID, 7]


@pytest.mark.parametrize("image", ["²", "٣", "１", "9" * 400])
def test_a_background_upload_with_a_bad_image_id_goes_back_to_the_library(alice_client, image):
    response = alice_client.post(
        "/backdrops/",
        {"file": SimpleUploadedFile("beach.jpg", image_bytes("JPEG")), "image": image},
    )

    assert (response.status_code, response["Location"]) == (302, "/")
    assert Backdrop.objects.count() == 1
    assert len(stored_files()) == 1


@pytest.mark.parametrize("image", ["²", "9" * 400])
def test_a_refused_background_upload_leaves_no_row_or_file(alice_client, image):
    response = alice_client.post(
        "/backdrops/",
        {"file": SimpleUploadedFile("notes.jpg", b"not a picture"), "image": image},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 400
    assert not Backdrop.objects.exists() and stored_files() == []


@pytest.mark.parametrize("batch", ["²", "٣", "１", "9" * 19, "9" * 400, "x"])
def test_an_export_of_a_batch_that_is_not_an_id_finds_no_batch(alice, alice_client, batch):
    processed(alice, batch=UploadBatch.objects.create(owner=alice))

    response = alice_client.post("/exports/", {"batch": batch, "preset": "amazon-main"})

    assert response.status_code == 404
    assert not Export.objects.exists()


def test_image_ids_that_are_not_ids_tick_nothing(alice, alice_client):
    image = processed(alice)

    response = alice_client.post(
        "/exports/", {"images": ["²", "٣", "9" * 400, str(image.pk)], "preset": "amazon-main"}
    )

    assert response.status_code == 302
    assert list(Render.objects.values_list("image_id", flat=True)) == [image.pk]
    nothing = alice_client.post("/exports/", {"images": ["²", "１"], "preset": "amazon-main"})
    assert nothing.status_code == 302 and nothing["Location"] == "/"


@pytest.mark.parametrize("query", ["ids=²", "ids=1,٣", "ids=１", "batch=²", "ids=" + "9" * 400])
def test_the_status_feed_refuses_ids_that_are_not_ids(alice_client, query):
    response = alice_client.get(f"/images/status/?{query}")

    assert response.status_code == 400
    assert response.json() == {"error": "ids and batch must be image and batch ids."}


@pytest.mark.parametrize("batch", ["²", "٣", "9" * 400])
def test_uploading_into_a_batch_that_is_not_an_id_finds_no_batch(alice_client, batch):
    response = alice_client.post(
        "/upload/",
        {"files": SimpleUploadedFile("a.jpg", image_bytes("JPEG")), "batch": batch},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 404
    assert response.json() == {"error": "This upload batch does not exist.", "name": "a.jpg"}
    assert stored_files() == []


@pytest.mark.parametrize(
    "path", ["/images/{big}/", "/exports/{big}/", "/api/cutouts/v1/images/{big}"]
)
def test_a_path_id_past_a_bigint_is_not_found(alice_client, path):
    response = alice_client.get(path.format(big="9" * 30))

    assert response.status_code in (401, 404)
