"""Exporting from the library and the batch page: progress, then one ZIP to download."""

import io
import zipfile

import pytest

from cutouts.models import Export, UploadBatch
from tests.studio_images import processed, work_off
from tests.uploading import upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_ticked_library_images_are_exported_and_the_zip_downloaded(
    alice, alice_client, queue_redis
):
    images = [processed(alice, f"photo-{number}.jpg") for number in range(3)]
    left_alone = processed(alice, "not-ticked.jpg")

    response = alice_client.post(
        "/exports/", {"images": [image.pk for image in images], "preset": "webp-web"}
    )

    export = Export.objects.get()
    assert response["Location"] == f"/exports/{export.pk}/"
    running = alice_client.get(f"/exports/{export.pk}/status/").json()
    assert running == {"status": "running", "total": 3, "done": 0, "failed": 0, "percent": 0}
    assert alice_client.get(f"/exports/{export.pk}/download/").status_code == 404

    work_off(queue_redis)

    assert alice_client.get(f"/exports/{export.pk}/status/").json()["status"] == "done"
    page = alice_client.get(f"/exports/{export.pk}/")
    assert b"Download the ZIP" in page.content
    download = alice_client.get(f"/exports/{export.pk}/download/")
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"] == (
        f'attachment; filename="cutouts-webp-web-{export.pk}.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as zipped:
        assert sorted(zipped.namelist()) == [
            "manifest.csv",
            "photo-0-webp-web.webp",
            "photo-1-webp-web.webp",
            "photo-2-webp-web.webp",
        ]
    assert not left_alone.renders.exists()


def test_a_whole_batch_is_exported_and_unprocessed_images_are_reported(alice, alice_client):
    batch = UploadBatch.objects.create(owner=alice)
    processed(alice, "a.jpg", batch=batch)
    processed(alice, "b.jpg", batch=batch)
    upload(alice, "c.jpg", batch=batch)
    processed(alice, "elsewhere.jpg")

    response = alice_client.post(
        "/exports/", {"batch": batch.pk, "preset": "amazon-main"}, follow=True
    )

    export = Export.objects.get()
    assert export.total == 2
    assert b"1 image is not processed yet and will not be in the ZIP." in response.content
    assert b"0</span> of 2 rendered" in response.content


def test_ticking_nothing_says_so(alice_client):
    response = alice_client.post("/exports/", {"preset": "amazon-main"}, follow=True)

    assert b"Tick at least one image to export." in response.content
    assert not Export.objects.exists()


def test_an_unknown_preset_is_reported(alice, alice_client):
    image = processed(alice)

    response = alice_client.post("/exports/", {"images": [image.pk], "preset": "nope"}, follow=True)

    assert b"There is no such preset" in response.content
    assert not Export.objects.exists()


def test_the_library_and_batch_pages_offer_the_export(alice, alice_client):
    batch = UploadBatch.objects.create(owner=alice)
    image = processed(alice, batch=batch)

    library = alice_client.get("/").content.decode()
    batch_page = alice_client.get(f"/batches/{batch.pk}/").content.decode()

    assert 'id="export-selection"' in library
    assert f'name="images" value="{image.pk}" form="export-selection"' in library
    assert f'name="batch" value="{batch.pk}"' in batch_page
