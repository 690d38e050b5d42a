"""An image's default outputs, made from its current matte: the cutout, the preview, the thumbnail.

The pipeline makes them when a matte is stored, and the studio when a member
touches the matte up or goes back to an earlier version: the same pixels
either way, and never an API call.
"""

from concurrent.futures import ThreadPoolExecutor

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
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The preview and the thumbnail are composited from display-size
        # copies, beside the full-size cutout rather than after it: on a
        # second core they add nothing to a touch-up's Save (bench/touchup.py).
        pictures = pool.submit(_display_pictures, original, matte)
        cutout = compositor.render(original, matte, spec)
        preview, small = pictures.result()
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


def _display_pictures(original: PILImage.Image, matte: PILImage.Image) -> tuple[bytes, bytes]:
    """The preview and the thumbnail (WebP) of the cutout of `original` under `matte`."""
    size = display_size(*original.size)
    spec = BUILTIN_PRESETS[CUTOUT_PRESET].spec
    preview = compositor.render(_shrunk(original, size), _shrunk(matte, size), spec).image
    small = compositor.fit_within(preview, settings.THUMBNAIL_SIZE)
    return compositor.encode(preview, "WEBP"), compositor.encode(small, "WEBP")


def _shrunk(picture: PILImage.Image, size: tuple[int, int]) -> PILImage.Image:
    """`picture` at `size`: box-reduced by a whole factor, then Lanczos for the rest.

    At 12 MP a third of the time of Lanczos alone, and within a tenth of a
    grey level of it on average.
    """
    if picture.size == size:
        return picture
    factor = max(1, min(picture.width // size[0], picture.height // size[1]))
    return picture.reduce(factor).resize(size, PILImage.Resampling.LANCZOS)


def swap_cutout(image: Image, cutout_row: Render) -> None:
    """Replace the image's default cutout with `cutout_row` (inside the caller's transaction)."""
    Render.objects.filter(image=image, preset=CUTOUT_PRESET, export=None).delete()
    cutout_row.save()
