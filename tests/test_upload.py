"""The upload service stores accepted images exactly and makes their thumbnails."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from PIL import Image as PILImage
from rq import Queue

from cutouts.models import Image, UploadBatch
from cutouts.processing.uploads import batch_start, image_upload
from tests.images import gradient, image_bytes
from tests.uploading import stored_files, upload

pytestmark = pytest.mark.django_db

SIZE = (120, 90)


def _open(field) -> PILImage.Image:
    with field.open("rb") as handle:
        picture = PILImage.open(io.BytesIO(handle.read()))
        picture.load()
    return picture


@pytest.mark.parametrize(
    ("fmt", "name", "mode", "save"),
    [
        ("JPEG", "photo.jpg", "RGB", {"quality": 90}),
        ("PNG", "logo.png", "RGBA", {}),
        ("WEBP", "shot.webp", "RGB", {}),
        ("TIFF", "scan.tiff", "RGB", {"compression": "tiff_lzw"}),
        ("BMP", "paint.bmp", "RGB", {}),
        ("GIF", "icon.gif", "P", {}),
    ],
)
def test_it_stores_each_accepted_format_byte_for_byte(alice, fmt, name, mode, save):
    data = image_bytes(fmt, size=SIZE, mode=mode, **save)

    image = upload(alice, name, data)

    image.refresh_from_db()
    assert image.format == fmt
    assert (image.width, image.height) == SIZE
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    assert image.byte_size == len(data)
    assert image.original_name == name
    with image.original.open("rb") as handle:
        assert handle.read() == data


def test_it_queues_a_new_image_with_a_reason(alice):
    image = upload(alice)

    assert image.status == Image.Status.QUEUED
    assert image.status_reason == "Waiting to be processed."
    assert image.owner == alice


def test_it_judges_the_format_by_content_not_name(alice):
    image = upload(alice, "holiday.png", image_bytes("JPEG"))

    assert image.format == "JPEG"
    assert image.original_name == "holiday.png"
    assert image.original.name.startswith("originals/")
    assert image.original.name.endswith(".jpg")


def test_it_takes_a_multi_picture_jpeg_from_a_phone_as_jpeg(alice):
    buffer = io.BytesIO()
    gradient(SIZE).save(buffer, "MPO", save_all=True, append_images=[gradient(SIZE)])

    image = upload(alice, "IMG_0001.JPG", buffer.getvalue())

    assert image.format == "JPEG"


def test_it_makes_a_webp_thumbnail_within_the_thumbnail_size(alice, settings):
    settings.THUMBNAIL_SIZE = 100
    image = upload(alice, data=image_bytes("JPEG", size=(1000, 500)))

    thumbnail = _open(image.thumbnail)

    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (100, 50)
    assert image.thumbnail.name.startswith("thumbnails/")


def test_it_keeps_transparency_in_the_thumbnail(alice):
    picture = gradient(SIZE, "RGBA")
    picture.putalpha(0)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")

    image = upload(alice, "cutout.png", buffer.getvalue())

    assert _open(image.thumbnail).getpixel((5, 5))[3] == 0


def test_it_records_and_thumbnails_an_exif_rotated_jpeg_upright(alice):
    # Stored sideways: red on the left. Orientation 6 means "turn 90° clockwise
    # to view", which brings the left edge to the top.
    picture = PILImage.new("RGB", (200, 100), "blue")
    picture.paste("red", (0, 0, 100, 100))
    exif = PILImage.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)

    image = upload(alice, "sideways.jpg", buffer.getvalue())

    thumbnail = _open(image.thumbnail)
    assert (image.width, image.height) == (100, 200)
    assert thumbnail.size == (100, 200)
    red, _, blue = thumbnail.getpixel((50, 20))
    assert red > 200 and blue < 60


def test_it_accepts_a_jpeg_whose_exif_block_is_broken(alice):
    data = image_bytes("JPEG", exif=b"Exif\x00\x00this is not a TIFF header")

    image = upload(alice, "odd.jpg", data)

    assert image.format == "JPEG"
    assert _open(image.thumbnail).size == (64, 48)


def test_it_shows_16_bit_greyscale_in_the_thumbnail_without_clipping(alice):
    buffer = io.BytesIO()
    PILImage.new("I;16", SIZE, 32768).save(buffer, "PNG")

    image = upload(alice, "scan.png", buffer.getvalue())

    assert _open(image.thumbnail).convert("L").getpixel((5, 5)) in range(120, 136)


def test_it_queues_the_image_once_committed(alice, queue_redis, django_capture_on_commit_callbacks):
    queue = Queue("default", connection=queue_redis)
    with django_capture_on_commit_callbacks(execute=True):
        image = upload(alice)
        assert queue.job_ids == []

    image.refresh_from_db()
    assert image.job_id
    assert queue.job_ids == [image.job_id]
    assert queue.fetch_job(image.job_id).args[0] == image.pk


def test_it_leaves_no_file_when_storing_the_thumbnail_fails(alice, settings):
    # The original is written, then the thumbnail's folder cannot be made.
    settings.MEDIA_ROOT.mkdir(parents=True)
    in_the_way = settings.MEDIA_ROOT / "thumbnails"
    in_the_way.write_text("in the way")
    uploaded_file = SimpleUploadedFile("photo.jpg", image_bytes("JPEG"))

    with pytest.raises(OSError):
        image_upload(owner=alice, batch=None, uploaded_file=uploaded_file)

    assert not Image.objects.exists()
    assert stored_files() == [in_the_way]


@pytest.mark.django_db(transaction=True)
def test_it_removes_written_files_when_saving_the_row_fails(alice):
    # The batch is deleted (by an admin) after the upload looked it up: the database
    # refuses the row when it is committed, after both files are written.
    batch = batch_start(owner=alice)
    UploadBatch.objects.filter(pk=batch.pk).delete()
    uploaded_file = SimpleUploadedFile("photo.jpg", image_bytes("JPEG"))

    with pytest.raises(IntegrityError):
        image_upload(owner=alice, batch=batch, uploaded_file=uploaded_file)

    assert not Image.objects.exists()
    assert stored_files() == []


def test_it_keeps_a_printable_name_within_the_column(alice):
    image = upload(alice, "a\x07b" + "x" * 300 + ".jpeg")

    assert len(image.original_name) <= 255
    assert image.original_name.startswith("abx")
    assert image.original_name.endswith("x.jpeg")
