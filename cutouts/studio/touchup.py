"""Fixing a matte by hand, and going back to an earlier version of it: never an API call.

The editor (static/cutouts/touchup.js) paints on a display-size copy and
posts its strokes; touchup_save paints them on the full-size matte
(cutouts.lib.strokes) and keeps the result as a new version, which becomes the
image's matte: the cutout, preview and thumbnail are made again from it
(cutouts.processing.outputs) and every later render uses it. A member who
fixed the matte has reviewed it, so the needs-review flag goes.

Both actions lock the image's row while they read the current matte and
number the new version, so two saves at once on one image are both kept, the
second painted over the first, in the order they were made.
"""

import io

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from PIL import Image as PILImage

from cutouts.lib import compositor, proxy
from cutouts.lib.strokes import apply_strokes, parse_strokes
from cutouts.models import Image, Matte, MatteVersion
from cutouts.processing.matte_versions import keep_engine_version, lock_image, next_version_number
from cutouts.processing.outputs import OUTPUT_FIELDS, swap_cutout, write_outputs
from cutouts.storage import NewFiles, new_files
from cutouts.studio.services import StudioError

NOT_PROCESSED = "This image is not processed yet: there is no matte to touch up."


def touchup_save(
    *, image: Image, strokes_json: str | bytes, user: AbstractBaseUser
) -> MatteVersion:
    """Paint the posted strokes on the image's full-size matte and make the result current.

    Raises StrokeError (the strokes) or StudioError (the image) with a
    message for the member, before anything is stored.
    """
    matte = Matte.objects.filter(image=image).first()
    if matte is None or image.status != Image.Status.DONE:
        raise StudioError(NOT_PROCESSED)
    strokes = parse_strokes(strokes_json, size=(matte.width, matte.height))
    original = _original(image)
    with new_files() as files, transaction.atomic():
        locked = lock_image(image.pk)
        # Read again under the lock: a save that committed meanwhile is painted over.
        current = Matte.objects.filter(image=locked).first()
        if current is None or locked.status != Image.Status.DONE:
            raise StudioError(NOT_PROCESSED)
        before = _read(current.file)
        keep_engine_version(files, image=locked, matte=current, data=before)
        painted = apply_strokes(_full_size(before, original), strokes, photo=original)
        data = compositor.encode(painted, "PNG")
        version = MatteVersion(
            image=locked,
            number=next_version_number(locked),
            source=MatteVersion.Source.TOUCH_UP,
            engine=current.engine,
            byte_size=len(data),
            created_by=user,
        )
        files.save(version.file, "matte.png", ContentFile(data))
        version.save()
        _make_current(
            files, locked, original, painted, data, engine=version.engine, number=version.number
        )
        locked.needs_review = False
        locked.reviewed_by, locked.reviewed_at = user, timezone.now()
        locked.save(
            update_fields=[
                *OUTPUT_FIELDS,
                "needs_review",
                "reviewed_by",
                "reviewed_at",
                "updated_at",
            ]
        )
    return version


def matte_version_revert(*, image: Image, version: MatteVersion) -> None:
    """Make `version` (one of the image's, looked up by the caller) the image's matte again."""
    if image.status != Image.Status.DONE:
        raise StudioError(
            "This image is being processed again: go back to a version once it is done."
        )
    original = _original(image)
    data = _read(version.file)
    with new_files() as files, transaction.atomic():
        locked = lock_image(image.pk)
        matte = _full_size(data, original)
        _make_current(
            files, locked, original, matte, data, engine=version.engine, number=version.number
        )
        locked.save(update_fields=[*OUTPUT_FIELDS, "updated_at"])


def _make_current(
    files: NewFiles,
    image: Image,
    original: PILImage.Image,
    matte: PILImage.Image,
    data: bytes,
    *,
    engine: str,
    number: int,
) -> None:
    """The image's matte becomes `matte` (version `number`), with its outputs made again."""
    matte_row = Matte(
        image=image,
        engine=engine,
        version=number,
        width=matte.width,
        height=matte.height,
        byte_size=len(data),
    )
    files.save(matte_row.file, "matte.png", ContentFile(data))
    cutout_row = write_outputs(
        files, image=image, original=original, matte=matte, matte_version=number
    )
    # A new row rather than a new file: pages ask for the matte by its id, so
    # browsers never show a cached old one.
    Matte.objects.filter(image=image).delete()
    matte_row.save()
    swap_cutout(image, cutout_row)


def _original(image: Image) -> PILImage.Image:
    try:
        with image.original.open("rb") as stored:
            return proxy.open_upright(stored.read())
    except (OSError, ValueError) as error:
        raise StudioError("The original could not be read.") from error


def _read(stored: FieldFile) -> bytes:
    try:
        with stored.open("rb") as handle:
            return handle.read()
    except OSError as error:
        raise StudioError("The stored matte could not be read.") from error


def _full_size(data: bytes, original: PILImage.Image) -> PILImage.Image:
    with PILImage.open(io.BytesIO(data)) as picture:
        matte = picture.convert("L")
    return proxy.upscale_matte(matte, original.size)
