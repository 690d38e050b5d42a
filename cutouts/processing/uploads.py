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
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageMode, UnidentifiedImageError

from cutouts.lib import proxy
from cutouts.models import ApiSubmission, Image, UploadBatch
from cutouts.processing import scheduling
from cutouts.processing.queueing import enqueue_uploaded
from cutouts.storage import new_files

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
# The longest side every later step can write: JPEG's limit, and the studio
# exports JPEG at the original's full size.
MAX_SIDE = 65_535
# Decoding a WebP holds the picture four times over: libwebp's animation
# decoder, which Pillow uses for every WebP, keeps two canvases (the frame and
# the one before it), Pillow copies the frame out, then into the image.
# Measured: a 7000 × 2330 RGBA WebP (65 MB) takes 258 MB.
_WEBP_DECODE_COPIES = 4
# Room for the multipart envelope (boundary, part headers, a batch id) around a file.
_ENVELOPE_BYTES = 64 * 1024
# Shrink in bands of about this many bytes, so no full-size copy is ever made.
_BAND_BYTES = 2 * 1024 * 1024


class UploadRejected(Exception):
    """A file we will not store; `message` is shown to the member as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileTooLarge(UploadRejected):
    """Over the byte or pixel limit."""


class NotAnAcceptedImage(UploadRejected):
    """Not an image in an accepted format at all, as opposed to a damaged one."""


class UploadBusy(UploadRejected):
    """Every decoding slot stayed taken: nothing is wrong with the file, try again soon."""


class BadContentLength(UploadRejected):
    """A Content-Length header that is not a number of bytes."""


@dataclass(frozen=True)
class CheckedImage:
    format: str
    width: int
    height: int
    thumbnail: bytes


def batch_start(*, owner: AbstractBaseUser) -> UploadBatch:
    return UploadBatch.objects.create(owner=owner)


def image_upload(
    *,
    owner: AbstractBaseUser,
    batch: UploadBatch | None,
    uploaded_file: UploadedFile,
    urgent: bool = False,
    submission: ApiSubmission | None = None,
) -> Image:
    """Check and store an upload and queue it; `urgent` puts it ahead of large batches.

    `submission`, unsaved, is saved with the image, or neither is: its
    unique idempotency key may refuse it (IntegrityError), and then no row
    or file stays.
    """
    data = _read_within_limit(uploaded_file)
    checked = check_image(data=data)
    fair_seq, urgent = scheduling.place_in_line(owner_id=owner.pk, urgent=urgent)
    image = Image(
        fair_seq=fair_seq,
        urgent=urgent,
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
    with new_files() as files:
        files.save(image.original, f"original{EXTENSIONS[checked.format]}", ContentFile(data))
        files.save(image.thumbnail, "thumbnail.webp", ContentFile(checked.thumbnail))
        with transaction.atomic():
            image.save()
            if submission is not None:
                submission.image = image
                submission.save()
            transaction.on_commit(lambda: _after_upload(image))
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
    webp_size = _webp_canvas_size(data)
    if webp_size:
        # Pillow's WebP decoder allocates its canvas when the file is opened.
        _check_dimensions(*webp_size, mode="RGBA", image_format="WEBP")
    with _open(data) as picture:
        image_format = _FORMAT_ALIASES.get(picture.format or "", picture.format or "")
        # The header is all Pillow has read so far: refuse before decoding pixels.
        _check_dimensions(*picture.size, mode=picture.mode, image_format=image_format)
        try:
            # For PNG this checks every chunk's CRC, which decoding skips.
            picture.verify()
        except Exception as error:
            raise _damaged() from error

    # verify() leaves the file unusable; decoding needs a fresh one.
    with decode_slot(), _open(data) as picture:
        width, height = picture.size
        orientation = _orientation(picture)
        if orientation in (5, 6, 7, 8):
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
        thumbnail = _thumbnail(picture, orientation)
    return CheckedImage(format=image_format, width=width, height=height, thumbnail=thumbnail)


def _check_dimensions(width: int, height: int, *, mode: str, image_format: str) -> None:
    """Refuse, from the header alone, a picture too costly to decode or impossible to write."""
    if width * height > settings.UPLOAD_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    copies = _WEBP_DECODE_COPIES if image_format == "WEBP" else 1
    decoded = width * height * _bytes_per_pixel(mode) * copies
    if decoded > settings.UPLOAD_MAX_DECODED_BYTES:
        raise FileTooLarge(
            f"This image is {width} × {height} pixels and needs {format_bytes(decoded)} "
            f"of memory to open; the limit is {format_bytes(settings.UPLOAD_MAX_DECODED_BYTES)}."
        )
    if max(width, height) > MAX_SIDE:
        raise FileTooLarge(
            f"This image is {width} × {height} pixels; "
            f"the longest side Cutouts can store is {MAX_SIDE:,} pixels."
        )
    if max(width, height) > min(width, height) * settings.UPLOAD_MAX_ASPECT:
        raise FileTooLarge(
            f"This image is {width} × {height} pixels; one side may be at most "
            f"{settings.UPLOAD_MAX_ASPECT:g} times the other."
        )


def _bytes_per_pixel(mode: str) -> int:
    try:
        description = ImageMode.getmode(mode)
    except KeyError:
        return 4  # a raw mode no accepted format opens as; the widest there is
    if len(description.bands) > 1:
        # Pillow keeps every mode of two to four 8-bit bands in four bytes, RGB too.
        return 4
    return int(description.typestr[-1])


def _webp_canvas_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP file's header declares, read without Pillow."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return (
            int.from_bytes(data[24:27], "little") + 1,
            int.from_bytes(data[27:30], "little") + 1,
        )
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30:
        return (
            int.from_bytes(data[26:28], "little") & 0x3FFF,
            int.from_bytes(data[28:30], "little") & 0x3FFF,
        )
    # Pillow refuses what is not one of these; its message follows.
    return None


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


@contextlib.contextmanager
def decode_slot() -> Iterator[None]:
    """One of UPLOAD_MAX_CONCURRENT_DECODES decoding slots of this process, or UploadBusy.

    Each decode may take up to UPLOAD_MAX_DECODED_BYTES, so the slots bound
    what uploads can take of a web process's memory at once.
    """
    count = settings.UPLOAD_MAX_CONCURRENT_DECODES
    with _slots_lock:
        slots = _slots.setdefault(count, threading.BoundedSemaphore(count))
    if not slots.acquire(timeout=settings.UPLOAD_DECODE_WAIT_SECONDS):
        raise UploadBusy("Cutouts is busy checking other uploads. Try again in a few seconds.")
    try:
        yield
    finally:
        slots.release()


def _orientation(picture: PILImage.Image) -> int:
    # EXIF orientations 5 to 8 turn the picture a quarter; a broken EXIF block
    # only loses the orientation, in the measurements and the thumbnail alike.
    try:
        return picture.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1


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


def check_declared_body(*, content_length: str | None, files: int = 1) -> None:
    """Refuse, from its Content-Length alone, a body longer than `files` files at the limit.

    Called before anything reads the body, so an upload far over the limit
    is never spooled to memory or disk.
    """
    try:
        length = int(content_length or 0)
    except ValueError:
        raise BadContentLength("The request's Content-Length is not a number of bytes.") from None
    limit = settings.UPLOAD_MAX_BYTES
    if length <= files * limit + _ENVELOPE_BYTES:
        return
    together = f", {format_bytes(files * limit)} for the files sent at once" if files > 1 else ""
    raise FileTooLarge(
        f"This upload is {format_bytes(length)}; "
        f"the limit is {format_bytes(limit)} a file{together}."
    )


def _read_within_limit(uploaded_file: UploadedFile) -> bytes:
    limit = settings.UPLOAD_MAX_BYTES
    size = uploaded_file.size or 0
    if size > limit:
        raise FileTooLarge(
            f"This file is {format_bytes(size)}; the limit is {format_bytes(limit)}."
        )
    uploaded_file.seek(0)
    return uploaded_file.read()


def _thumbnail(picture: PILImage.Image, orientation: int) -> bytes:
    small = proxy.turn_upright(_shrunk(picture), orientation)
    size = settings.THUMBNAIL_SIZE
    small.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format=THUMBNAIL_FORMAT, quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def _shrunk(picture: PILImage.Image) -> PILImage.Image:
    """`picture` in RGB, RGBA or L, box-averaged down to about twice the thumbnail size.

    Converted and reduced a band of rows at a time: the decoded picture is the
    only full-size image this ever holds.
    """
    width, height = picture.size
    factor = max(1, max(width, height) // (2 * settings.THUMBNAIL_SIZE))
    rows = max(1, _BAND_BYTES // (width * 4 * factor)) * factor
    bands = (
        _displayable(picture.crop((0, top, width, min(top + rows, height))))
        for top in range(0, height, rows)
    )
    first = next(bands).reduce(factor)
    small = PILImage.new(first.mode, (math.ceil(width / factor), math.ceil(height / factor)))
    small.paste(first, (0, 0))
    for index, band in enumerate(bands, start=1):
        small.paste(band.reduce(factor), (0, index * rows // factor))
    return small


def _displayable(band: PILImage.Image) -> PILImage.Image:
    if band.mode.startswith("I"):
        # 16-bit greyscale would clip to white if converted directly.
        return band.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = band.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in band.info
    # Convert before shrinking: Pillow resizes palette images by nearest neighbour.
    return band.convert("RGBA" if has_alpha else "RGB")


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
