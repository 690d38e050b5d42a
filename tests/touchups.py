"""A photo whose cutout lost part of its subject, and the strokes that touch it up.

The photo is a dark disc on a light ground; its stored matte lost the disc's
left third, as a matte that kept only part of a subject does. The outputs are
made from that matte as processing makes them (cutouts.processing.outputs).
"""

import io
import json

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw

from cutouts.models import Image, Matte
from cutouts.processing.outputs import OUTPUT_FIELDS, swap_cutout, write_outputs
from cutouts.storage import new_files
from tests.images import encoded
from tests.uploading import upload

SIZE = (480, 360)
DISC = (120, 60, 360, 300)  # the subject's box in the photo
LOST = (0, 0, 200, 360)  # the part of the picture the broken matte lost
SUBJECT, GROUND = (60, 40, 30), (230, 230, 225)


def disc_photo(size: tuple[int, int] = SIZE) -> PILImage.Image:
    photo = PILImage.new("RGB", size, GROUND)
    ImageDraw.Draw(photo).ellipse(_scaled(DISC, size), fill=SUBJECT)
    return photo


def true_matte(size: tuple[int, int] = SIZE) -> PILImage.Image:
    matte = PILImage.new("L", size, 0)
    ImageDraw.Draw(matte).ellipse(_scaled(DISC, size), fill=255)
    return matte


def broken_matte(size: tuple[int, int] = SIZE) -> PILImage.Image:
    matte = true_matte(size)
    ImageDraw.Draw(matte).rectangle(_scaled(LOST, size), fill=0)
    return matte


def _scaled(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, ...]:
    sx, sy = size[0] / SIZE[0], size[1] / SIZE[1]
    return (round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy))


def broken_cutout(owner, size: tuple[int, int] = SIZE, name: str = "disc.png") -> Image:
    """An image, done, whose matte lost the subject's left third; with its outputs."""
    image = upload(owner, name, encoded(disc_photo(size), "PNG"))
    matte = broken_matte(size)
    data = encoded(matte, "PNG")
    row = Matte(image=image, engine="test", width=size[0], height=size[1], byte_size=len(data))
    with new_files() as files:
        files.save(row.file, "matte.png", ContentFile(data))
        cutout = write_outputs(
            files, image=image, original=disc_photo(size), matte=matte, matte_version=1
        )
        with transaction.atomic():
            row.save()
            swap_cutout(image, cutout)
            image.status, image.status_reason = Image.Status.DONE, ""
            image.needs_review = True
            image.review_reasons = "Almost no subject was kept."
            image.save(
                update_fields=[
                    *OUTPUT_FIELDS,
                    "status",
                    "status_reason",
                    "needs_review",
                    "review_reasons",
                ]
            )
    return image


def restore_lost_part(display: tuple[int, int] = (240, 180), *, edge_aware: bool = False) -> str:
    """Strokes, at `display` size, that paint back the disc's lost part, grazing the ground.

    Three arcs about the disc's centre, as a member would go round a rim: the
    outer one runs 10 px inside the edge with a 30 px brush, so it spills 20 px
    onto the ground all along.
    """
    sx, sy = display[0] / SIZE[0], display[1] / SIZE[1]
    centre_x, centre_y = (DISC[0] + DISC[2]) / 2, (DISC[1] + DISC[3]) / 2
    strokes = []
    for distance in (110, 70, 30):
        angles = np.linspace(np.pi / 2, 3 * np.pi / 2, 60)
        points = [
            [(centre_x + distance * np.cos(t)) * sx, (centre_y + distance * np.sin(t)) * sy]
            for t in angles
        ]
        strokes.append(
            {
                "mode": "restore",
                "radius": 30 * sx,
                "hardness": 0.9,
                "edge_aware": edge_aware,
                "points": points,
            }
        )
    return strokes_json(display, strokes)


def strokes_json(display: tuple[int, int], strokes: list[dict]) -> str:
    return json.dumps({"width": display[0], "height": display[1], "strokes": strokes})


def alpha(picture: PILImage.Image | bytes) -> np.ndarray:
    """The alpha of an RGBA picture or the values of a matte, as floats 0..1."""
    if isinstance(picture, bytes):
        picture = PILImage.open(io.BytesIO(picture))
    band = picture.getchannel("A") if "A" in picture.getbands() else picture.convert("L")
    return np.asarray(band, dtype=np.float64) / 255


def lost_part_share(matte: np.ndarray) -> float:
    """How much of the subject's lost part `matte` has (1: all of it back)."""
    height, width = matte.shape
    truth = alpha(true_matte((width, height)))
    broken = alpha(broken_matte((width, height)))
    lost = truth - broken
    return float((np.minimum(matte, truth) * lost).sum() / lost.sum())
