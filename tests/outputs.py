"""Give an image what processing leaves behind, without calling any API."""

from django.core.files.base import ContentFile
from PIL import Image as PILImage

from cutouts.lib.presets import CUTOUT_PRESET
from cutouts.models import Image, Matte, Render
from tests.images import encoded, gradient


def finish(image: Image) -> Render:
    """Mark `image` done with a matte, the default cutout render, preview and thumbnail."""
    size = (image.width, image.height)
    matte = PILImage.new("L", size, 0)
    matte.paste(255, (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4))
    cutout = gradient(size, "RGBA")
    cutout.putalpha(matte)
    Matte.objects.create(
        image=image,
        file=ContentFile(encoded(matte, "PNG"), name="matte.png"),
        engine="test",
        width=size[0],
        height=size[1],
        byte_size=0,
    )
    render = Render.objects.create(
        image=image,
        preset=CUTOUT_PRESET,
        spec={"preset": CUTOUT_PRESET},
        file=ContentFile(encoded(cutout, "PNG"), name="cutout.png"),
        format="PNG",
        width=size[0],
        height=size[1],
    )
    image.preview.save("preview.webp", ContentFile(encoded(cutout, "WEBP")), save=False)
    small = cutout.copy()
    small.thumbnail((64, 64))
    image.cutout_thumbnail.save("cutout.webp", ContentFile(encoded(small, "WEBP")), save=False)
    image.status = Image.Status.DONE
    image.status_reason = ""
    image.save(
        update_fields=["preview", "cutout_thumbnail", "status", "status_reason", "updated_at"]
    )
    return render
