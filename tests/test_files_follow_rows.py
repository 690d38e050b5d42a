"""Stored files follow their rows: a deleted row leaves no file, a rolled-back one no new file.

Transactions here commit for real, since files are deleted once a delete
commits: the test's media folder is counted before and after.
"""

import io
import threading
from contextlib import suppress
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from PIL import Image as PILImage

from cutouts.models import ApiCall, Backdrop, Export, Image, UploadBatch
from cutouts.processing.pipeline import image_process
from cutouts.processing.uploads import batch_start, image_upload
from cutouts.studio import services as studio
from tests.images import image_bytes
from tests.outputs import finish
from tests.studio_images import processed, work_off
from tests.uploading import stored_files, upload
from tests.worker_fixtures import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def background(owner) -> Backdrop:
    buffer = io.BytesIO()
    PILImage.new("RGB", (300, 200), (0, 200, 0)).save(buffer, format="PNG")
    return studio.backdrop_upload(
        owner=owner, uploaded_file=SimpleUploadedFile("bg.png", buffer.getvalue())
    )


def exported(owner, queue_redis) -> Export:
    processed(owner, "one.jpg")
    processed(owner, "two.jpg")
    created = studio.export_create(
        user=owner, images=Image.objects.filter(owner=owner), preset="webp-web"
    )
    work_off(queue_redis)
    export = Export.objects.get(pk=created.export.pk)
    assert export.status == Export.Status.DONE
    return export


def admin_delete(client, model: str, pk: int) -> None:
    response = client.post(f"/admin/{model}/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302


def test_an_image_deleted_in_the_admin_leaves_no_file_behind(admin_client_, alice):
    image = upload(alice)
    finish(image)  # original, thumbnail, matte, cutout, preview, cutout thumbnail
    assert len(stored_files()) == 6

    admin_delete(admin_client_, "cutouts/image", image.pk)

    assert stored_files() == []


def test_a_member_deleted_takes_their_files_along(admin_client_, alice, bob, queue_redis):
    exported(alice, queue_redis)
    background(alice)
    kept = stored_files()
    bobs = upload(bob)
    bobs_files = sorted(set(stored_files()) - set(kept))
    assert len(kept) == 10  # 2 × (original, thumbnail, matte, render), the ZIP, a background
    assert len(bobs_files) == 2

    admin_delete(admin_client_, "auth/user", alice.pk)

    assert stored_files() == bobs_files
    assert Image.objects.get() == bobs


def test_a_background_picture_deleted_leaves_no_file_behind(admin_client_, alice):
    backdrop = background(alice)
    assert len(stored_files()) == 1

    admin_delete(admin_client_, "cutouts/backdrop", backdrop.pk)

    assert stored_files() == []


def test_an_export_deleted_takes_its_zip_and_leaves_the_renders_it_kept(
    admin_client_, alice, queue_redis
):
    export = exported(alice, queue_redis)
    before = stored_files()

    admin_delete(admin_client_, "cutouts/export", export.pk)

    assert sorted(set(before) - set(stored_files())) == [Path(export.archive.path)]
    for render in alice.images.get(original_name="one.jpg").renders.all():
        assert render.file.storage.exists(render.file.name)


def test_processing_an_image_again_replaces_its_files(api, alice):
    image = upload(alice)
    image_process(image_id=image.pk)
    first = stored_files()
    assert len(first) == 6

    # Queued again (a job run twice, say): a new matte, cutout and preview.
    Image.objects.filter(pk=image.pk).update(status=Image.Status.QUEUED)
    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    now = stored_files()
    assert len(now) == 6
    replaced = [image.matte.file, image.renders.get().file, image.preview, image.cutout_thumbnail]
    assert {Path(file.path) for file in replaced} <= set(now) - set(first)
    assert Path(image.original.path) in now


def test_a_delete_that_rolls_back_keeps_every_file(alice):
    image = upload(alice)
    finish(image)
    before = stored_files()

    with pytest.raises(RuntimeError), transaction.atomic():
        Image.objects.filter(pk=image.pk).delete()
        raise RuntimeError("changed our mind")

    assert stored_files() == before
    assert Image.objects.filter(pk=image.pk).exists()


def test_an_upload_whose_row_cannot_be_saved_leaves_no_file_behind(alice):
    batch = batch_start(owner=alice)
    UploadBatch.objects.filter(pk=batch.pk).delete()  # the batch went while the file came

    with pytest.raises(IntegrityError):
        image_upload(
            owner=alice,
            batch=batch,
            uploaded_file=SimpleUploadedFile("photo.jpg", image_bytes("JPEG")),
        )

    assert not Image.objects.exists()
    assert stored_files() == []


def test_a_background_picture_of_a_member_just_deleted_leaves_no_file_behind(alice, bob):
    type(alice).objects.filter(pk=alice.pk).delete()  # alice went while her upload came

    with pytest.raises(IntegrityError):
        background(alice)

    assert stored_files() == []


def test_an_image_deleted_while_its_matte_is_on_the_way_leaves_no_file_behind(
    api, admin_client_, alice
):
    image = upload(alice)
    api.inject(delay_seconds=2)

    def process() -> None:
        try:
            with suppress(Exception):  # the image is gone: nothing to finish
                image_process(image_id=image.pk)
        finally:
            connection.close()  # this thread's own

    worker = threading.Thread(target=process)
    worker.start()
    wait_until(
        lambda: ApiCall.objects.filter(image=image).exists(),
        timeout=10,
        message="the matte was never asked for",
    )
    admin_delete(admin_client_, "cutouts/image", image.pk)
    worker.join(timeout=30)

    assert not worker.is_alive()
    assert stored_files() == []
    # The call was paid for all the same, and the ledger says so.
    assert ApiCall.objects.get().charge == ApiCall.Charge.CHARGED
