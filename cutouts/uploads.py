"""Upload: check a member's file, store its bytes exactly, make its thumbnail once.

The first step of the pipeline (upload → proxy → engine → matte → render).
Every way a file can be bad ends in UploadRejected with a sentence for the
member; nothing is written until the file has passed every check, and if
storing fails half-way the files already written are removed again.
"""

import codecs
import contextlib
import hashlib
import io
import logging
import math
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from cutouts.models import Image, UploadBatch
from cutouts.queueing import enqueue_uploaded

logger = logging.getLogger(__name__)

# Pillow's names for the formats we accept, and how members know them.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF")
ACCEPTED_LIST = "JPEG, PNG, WebP, TIFF, BMP or GIF"
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
    "GIF": "image/gif",
}
EXTENSIONS = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "TIFF": ".tif",
    "BMP": ".bmp",
    "GIF": ".gif",
}
# Phones write multi-picture JPEGs, which Pillow calls MPO; the file is a JPEG.
_FORMAT_ALIASES = {"MPO": "JPEG"}

# Leading bytes of the accepted formats, to tell a damaged image from a
# file that was never one.
_IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
)

_ORIENTATION_TAG = 0x0112
QUEUED_REASON = "Waiting to be processed."
QUEUE_AWAY_REASON = "Saved. Processing will start shortly: the job queue is unavailable right now."
THUMBNAIL_FORMAT = "WEBP"
THUMBNAIL_QUALITY = 80


class UploadRejected(Exception):
    """A file we will not store; `message` is shown to the member as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileTooLarge(UploadRejected):
    """Over the byte or pixel limit."""


class NotAnAcceptedImage(UploadRejected):
    """Not an image in an accepted format at all, as opposed to a damaged one."""


@dataclass(frozen=True)
class CheckedImage:
    format: str
    width: int
    height: int
    thumbnail: bytes


def batch_start(*, owner: AbstractBaseUser) -> UploadBatch:
    return UploadBatch.objects.create(owner=owner)


def image_upload(
    *, owner: AbstractBaseUser, batch: UploadBatch | None, uploaded_file: UploadedFile
) -> Image:
    data = _read_within_limit(uploaded_file)
    checked = check_image(data=data)
    image = Image(
        owner=owner,
        batch=batch,
        original_name=clean_file_name(uploaded_file.name or ""),
        sha256=hashlib.sha256(data).hexdigest(),
        format=checked.format,
        width=checked.width,
        height=checked.height,
        byte_size=len(data),
        status=Image.Status.QUEUED,
        status_reason=QUEUED_REASON,
    )
    try:
        image.original.save(f"original{EXTENSIONS[checked.format]}", ContentFile(data), save=False)
        image.thumbnail.save("thumbnail.webp", ContentFile(checked.thumbnail), save=False)
        with transaction.atomic():
            image.save()
            transaction.on_commit(lambda: _after_upload(image))
    except Exception:
        image.original.delete(save=False)
        image.thumbnail.delete(save=False)
        raise
    return image


def _after_upload(image: Image) -> None:
    # Runs once the row is committed, so a job never looks for a missing row.
    if not enqueue_uploaded(image.pk):
        image.status_reason = QUEUE_AWAY_REASON
        Image.objects.filter(pk=image.pk).update(status_reason=QUEUE_AWAY_REASON)


def check_image(*, data: bytes) -> CheckedImage:
    """Decode `data` as one of the accepted formats, or raise UploadRejected."""
    if not data:
        raise UploadRejected("This file is empty.")
    with _open(data) as picture:
        image_format = _FORMAT_ALIASES.get(picture.format or "", picture.format or "")
        width, height = picture.size
        # The header is all Pillow has read so far: refuse before decoding pixels.
        if width * height > settings.UPLOAD_MAX_PIXELS:
            raise _too_many_pixels(width, height)
        try:
            # For PNG this checks every chunk's CRC, which decoding skips.
            picture.verify()
        except Exception as error:
            raise _damaged() from error

    # verify() leaves the file unusable; decoding needs a fresh one.
    with _open(data) as picture:
        if _shown_sideways(picture):
            # Members, the matte and every render see the picture upright.
            width, height = height, width
        if image_format == "JPEG":
            # Decode at a fraction of the size: the whole stream is still read,
            # so truncation is still caught, at a fraction of the time.
            picture.draft("RGB", (settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
        try:
            picture.load()
        except PILImage.DecompressionBombError as error:
            raise _too_many_pixels(width, height) from error
        except Exception as error:
            raise _damaged() from error
        thumbnail = _thumbnail(picture)
    return CheckedImage(format=image_format, width=width, height=height, thumbnail=thumbnail)


def _shown_sideways(picture: PILImage.Image) -> bool:
    # EXIF orientations 5 to 8 turn the picture a quarter; a broken EXIF block
    # only loses the orientation, as in the thumbnail.
    try:
        return picture.getexif().get(_ORIENTATION_TAG, 1) in (5, 6, 7, 8)
    except Exception:
        return False


def _open(data: bytes) -> PILImage.Image:
    """Read the header only, with Pillow limited to the accepted formats."""
    try:
        # Pillow warns between its own pixel limit and twice that, and raises
        # above; either way the image has too many pixels for us.
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            return PILImage.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except UnidentifiedImageError as error:
        raise _not_an_accepted_image(data) from error
    except Exception as error:
        # Pillow's plugins raise all sorts of exceptions on malformed headers.
        raise _damaged() from error


def _read_within_limit(uploaded_file: UploadedFile) -> bytes:
    limit = settings.UPLOAD_MAX_BYTES
    size = uploaded_file.size or 0
    if size > limit:
        raise FileTooLarge(
            f"This file is {format_bytes(size)}; the limit is {format_bytes(limit)}."
        )
    uploaded_file.seek(0)
    return uploaded_file.read()


def _thumbnail(picture: PILImage.Image) -> bytes:
    # A malformed EXIF block costs the orientation, not the upload.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(picture, in_place=True)
    if picture.mode.startswith("I"):
        # 16-bit greyscale would clip to white if converted directly.
        picture = picture.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = picture.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in picture.info
    # Convert before resizing: Pillow resizes palette images by nearest neighbour.
    small = picture.convert("RGBA" if has_alpha else "RGB")
    size = settings.THUMBNAIL_SIZE
    small.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format=THUMBNAIL_FORMAT, quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def clean_file_name(name: str) -> str:
    # Django has already cut the name to 255 characters (the column's length);
    # drop what no database column or header should carry.
    return "".join(char for char in name if char.isprintable()).strip() or "image"


def format_bytes(size: int) -> str:
    # Rounded up, so a file just over the limit never reads as the limit itself.
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            tenths = math.ceil(size * 10 / scale)
            return f"{tenths / 10:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _too_many_pixels(width: int = 0, height: int = 0) -> UploadRejected:
    limit = f"{settings.UPLOAD_MAX_PIXELS / 1_000_000:g} megapixels"
    if not width:
        return FileTooLarge(f"This image has too many pixels; the limit is {limit}.")
    return FileTooLarge(
        f"This image is {width} × {height} pixels "
        f"({width * height / 1_000_000:.1f} megapixels); the limit is {limit}."
    )


def _damaged() -> UploadRejected:
    return UploadRejected(
        "This image is truncated or corrupt and cannot be read. "
        "Try exporting or downloading it again."
    )


def _not_an_accepted_image(data: bytes) -> UploadRejected:
    if data.startswith(_IMAGE_SIGNATURES) or data[8:12] == b"WEBP":
        return _damaged()
    kind = _describe(data)
    if kind is None:
        return NotAnAcceptedImage(f"This file is not a {ACCEPTED_LIST} image.")
    return NotAnAcceptedImage(f"This file is {kind}, not a {ACCEPTED_LIST} image.")


def _describe(data: bytes) -> str | None:
    head = data[:1024].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "a PDF document"
    if b"<svg" in head:
        return "an SVG drawing"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "an HTML page"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "a HEIC or AVIF photo"
    if b"\x00" in data[:1024]:
        return None
    try:
        # Incremental, so a character cut in half at the end is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(data[:1024])
    except UnicodeDecodeError:
        return None
    return "a text file"
