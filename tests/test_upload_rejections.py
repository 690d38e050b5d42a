"""Bad files are refused with a message that says what is wrong, and leave nothing behind."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import Image
from cutouts.processing.uploads import UploadRejected, image_upload
from tests.images import image_bytes
from tests.uploading import assert_nothing_stored, post_file, stored_files

pytestmark = pytest.mark.django_db

NOT_ACCEPTED = "not a JPEG, PNG, WebP, TIFF, BMP or GIF image."
DAMAGED = (
    "This image is truncated or corrupt and cannot be read. Try exporting or downloading it again."
)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` × `height` pixels."""
    data = bytearray(image_bytes("PNG", size=(8, 8)))
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(data[12:29]))
    return bytes(data)


def corrupt_png() -> bytes:
    data = bytearray(image_bytes("PNG", size=(200, 200)))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = image_bytes("JPEG", size=(800, 600), quality=95)
    return data[: len(data) // 2]


BAD_FILES = {
    "empty": ("empty.jpg", b"", "This file is empty."),
    "bomb": (
        "bomb.png",
        png_claiming(100_000, 100_000),
        "This image has too many pixels; the limit is 50 megapixels.",
    ),
    "bomb_pillow_warns_about": (
        "bomb.png",
        png_claiming(10_000, 10_000),
        "This image has too many pixels; the limit is 50 megapixels.",
    ),
    "header_over_the_pixel_limit": (
        "big.png",
        png_claiming(9_000, 9_000),
        "This image is 9000 × 9000 pixels (81.0 megapixels); the limit is 50 megapixels.",
    ),
    "truncated_jpeg": ("cut.jpg", truncated_jpeg(), DAMAGED),
    "corrupt_png": ("broken.png", corrupt_png(), DAMAGED),
    "png_with_a_broken_header": ("header.png", image_bytes("PNG")[:20] + bytes(40), DAMAGED),
    "svg": (
        "drawing.svg",
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>",
        f"This file is an SVG drawing, {NOT_ACCEPTED}",
    ),
    "svg_named_png": (
        "drawing.png",
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        f"This file is an SVG drawing, {NOT_ACCEPTED}",
    ),
    "html": (
        "page.html",
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        f"This file is an HTML page, {NOT_ACCEPTED}",
    ),
    "pdf": (
        "invoice.pdf",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        f"This file is a PDF document, {NOT_ACCEPTED}",
    ),
    "text_renamed_jpg": (
        "notes.jpg",
        "Shopping list: café, crème fraîche\n".encode(),
        f"This file is a text file, {NOT_ACCEPTED}",
    ),
    "heic": (
        "IMG_0042.HEIC",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
        f"This file is a HEIC or AVIF photo, {NOT_ACCEPTED}",
    ),
    "unknown_binary": ("blob.jpg", bytes(range(256)) * 4, f"This file is {NOT_ACCEPTED}"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_it_rejects_each_kind_of_bad_file_with_its_message(alice_client, kind):
    name, data, message = BAD_FILES[kind]

    response = post_file(alice_client, name, data)

    assert response.status_code == 400
    assert response.json() == {"error": message, "name": name}
    assert_nothing_stored()


def test_it_rejects_a_file_over_the_configured_size_before_reading_it(alice, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    data = image_bytes("PNG")
    data += bytes(3072 - len(data))  # bytes after the end of a PNG do not matter to Pillow
    uploaded_file = SimpleUploadedFile("padded.png", data)

    with pytest.raises(UploadRejected) as rejected:
        image_upload(owner=alice, batch=None, uploaded_file=uploaded_file)

    assert rejected.value.message == "This file is 3 KB; the limit is 1000 bytes."
    assert uploaded_file.tell() == 0
    assert_nothing_stored()


def test_it_rejects_a_real_file_just_over_10_mb(alice_client):
    data = image_bytes("JPEG")
    data += bytes(10 * 1024 * 1024 + 1 - len(data))

    response = post_file(alice_client, "huge.jpg", data)

    assert response.status_code == 400
    assert response.json()["error"] == "This file is 10.1 MB; the limit is 10 MB."
    assert_nothing_stored()


def test_it_rejects_a_real_image_over_a_lowered_pixel_limit(alice_client, settings):
    settings.UPLOAD_MAX_PIXELS = 3_000_000
    data = image_bytes("PNG", size=(2000, 2000))

    response = post_file(alice_client, "wide.png", data)

    assert response.json()["error"] == (
        "This image is 2000 × 2000 pixels (4.0 megapixels); the limit is 3 megapixels."
    )
    assert_nothing_stored()


def test_a_form_post_reports_each_rejected_file_and_keeps_the_good_ones(alice_client):
    _, svg, svg_message = BAD_FILES["svg"]
    files = [
        SimpleUploadedFile("good.jpg", image_bytes("JPEG")),
        SimpleUploadedFile("drawing.svg", svg),
        SimpleUploadedFile("cut.jpg", truncated_jpeg()),
    ]

    response = alice_client.post("/upload/", {"files": files}, follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert f"drawing.svg: {svg_message}" in messages
    assert f"cut.jpg: {DAMAGED}" in messages
    assert "Uploaded 1 image." in messages
    assert list(Image.objects.values_list("original_name", flat=True)) == ["good.jpg"]
    assert len(stored_files()) == 2  # the one original and its thumbnail
