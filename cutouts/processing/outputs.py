"""An image's default outputs, made from its current matte: the cutout, the preview, the thumbnail.

The pipeline makes them when a matte is stored, and the studio when a member
touches the matte up or goes back to an earlier version: the same pixels
either way, and never an API call.
"""

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image as PILImage

from cutouts.lib import compositor
from cutouts.lib.presets import BUILTIN_PRESETS, CUTOUT_PRESET
from cutouts.models import Image, Render
from cutouts.storage import NewFiles

# The Image fields write_outputs sets: the caller saves them with its own.
OUTPUT_FIELDS = ["preview", "cutout_thumbnail"]


def display_size(width: int, height: int) -> tuple[int, int]:
    """The size of the display copies (preview, studio, editor) of a picture of this size."""
    scale = min(1.0, settings.PREVIEW_SIZE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def write_outputs(
    files: NewFiles,
    *,
    image: Image,
    original: PILImage.Image,
    matte: PILImage.Image,
    matte_version: int,
) -> Render:
    """Composite the outputs of `original` under `matte` (both full size) and write their files.

    Sets image.preview and image.cutout_thumbnail (not saved) and returns the
    cutout's Render, not saved either: swap_cutout saves it in the caller's
    transaction, beside its other rows.
    """
    spec = BUILTIN_PRESETS[CUTOUT_PRESET].spec
    cutout = compositor.render(original, matte, spec)
    preview_image = compositor.fit_within(cutout.image, settings.PREVIEW_SIZE)
    preview = compositor.encode(preview_image, "WEBP")
    # From the preview, not the full size: as sharp at thumbnail size, and at
    # 12 MP half a second sooner.
    small = compositor.encode(compositor.fit_within(preview_image, settings.THUMBNAIL_SIZE), "WEBP")
    cutout_row = Render(
        image=image,
        preset=CUTOUT_PRESET,
        spec=spec.to_json(),
        format="PNG",
        width=cutout.width,
        height=cutout.height,
        byte_size=len(cutout.data),
        matte_version=matte_version,
    )
    files.save(cutout_row.file, "cutout.png", ContentFile(cutout.data))
    files.save(image.preview, "preview.webp", ContentFile(preview))
    files.save(image.cutout_thumbnail, "cutout.webp", ContentFile(small))
    return cutout_row


def swap_cutout(image: Image, cutout_row: Render) -> None:
    """Replace the image's default cutout with `cutout_row` (inside the caller's transaction)."""
    Render.objects.filter(image=image, preset=CUTOUT_PRESET, export=None).delete()
    cutout_row.save()
