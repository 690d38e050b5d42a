"""Numbering an image's kept matte versions (cutouts.models.MatteVersion).

Versions are kept from a member's first touch-up on: the engine's matte then
becomes version 1, and every touch-up, and every new matte from the engine,
one more. Numbers are taken with the image's row locked, so two saves at once
on one image get one number each, in the order they commit.
"""

from django.core.files.base import ContentFile
from django.db.models import Max

from cutouts.models import Image, Matte, MatteVersion
from cutouts.storage import NewFiles


def lock_image(image_id: int) -> Image:
    """The image's row, locked until the caller's transaction ends."""
    return Image.objects.select_for_update().get(pk=image_id)


def next_version_number(image: Image) -> int:
    """The number the image's next version takes; call it with the image's row locked."""
    lock_image(image.pk)
    highest = MatteVersion.objects.filter(image=image).aggregate(highest=Max("number"))["highest"]
    return (highest or 0) + 1


def keep_engine_version(files: NewFiles, *, image: Image, matte: Matte, data: bytes) -> None:
    """Keep the current matte (`data`, the engine's) as version 1 if the image has no versions.

    Call it with the image's row locked, before numbering the next version.
    """
    if MatteVersion.objects.filter(image=image).exists():
        return
    first = MatteVersion(
        image=image,
        number=matte.version,
        source=MatteVersion.Source.ENGINE,
        engine=matte.engine,
        byte_size=len(data),
    )
    files.save(first.file, "matte.png", ContentFile(data))
    first.save()
