"""Processed images for studio tests (an upload with a stored matte, no engine involved),
a render spec slow enough to time out, and running the studio's queued jobs in the
test's own process."""

from django.core.files.base import ContentFile
from PIL import Image as PILImage
from PIL import ImageDraw
from rq import Queue, SimpleWorker

from cutouts.models import Image, Matte
from cutouts.processing.queueing import QUEUES
from tests.images import encoded, image_bytes
from tests.uploading import upload

# About 3.4 s of compositing at 6000 × 4500 on an idle machine: far past a 1 s time-out.
SLOW_SPEC = {
    "background": {"type": "blur", "strength": 100},
    "shadow": {"type": "drop", "blur": 80, "offset_x": 40, "offset_y": 40, "opacity": 0.6},
    "edges": {"feather": 30, "shift": 5, "decontaminate": True},
    "output": {"format": "PNG", "linear_light": True},
}


def ellipse_matte(size: tuple[int, int]) -> PILImage.Image:
    """An opaque ellipse in the middle half of the picture, on nothing."""
    width, height = size
    matte = PILImage.new("L", size, 0)
    ImageDraw.Draw(matte).ellipse(
        (width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=255
    )
    return matte


def processed(
    owner,
    name: str = "photo.jpg",
    size: tuple[int, int] = (400, 300),
    data: bytes | None = None,
    **fields,
) -> Image:
    """An image as processing leaves it: done, with a full-size matte.

    `data` is the original (a gradient JPEG of `size` unless given; `size` must be its size).
    """
    image = upload(owner, name, data or image_bytes("JPEG", size=size), **fields)
    matte = encoded(ellipse_matte(size), "PNG")
    Matte.objects.create(
        image=image,
        file=ContentFile(matte, name="matte.png"),
        engine="test",
        width=size[0],
        height=size[1],
        byte_size=len(matte),
    )
    Image.objects.filter(pk=image.pk).update(status=Image.Status.DONE, status_reason="")
    image.refresh_from_db()
    return image


def work_off(connection) -> None:
    """Run every job queued so far, here: same process, same test transaction."""
    queues = [Queue(name, connection=connection) for name in QUEUES]
    SimpleWorker(queues, connection=connection).work(burst=True)
