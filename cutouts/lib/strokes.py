"""Touch-up strokes: erase and restore brush strokes, checked, and painted onto a matte.

The editor (static/cutouts/touchup.js) paints on a display-size copy of the
matte and posts the strokes it painted, in display pixels, with the display
size; `apply_strokes` paints the same strokes on the full-size matte. Both
sides share one brush:

- a stroke covers a pixel fully within radius × hardness of its path, fading
  linearly to nothing at the radius; a stroke crossing itself covers no more
  (the maximum of its dabs, not their sum);
- restore raises alpha toward opaque by the cover, a + c·(1 − a); erase lowers
  it, a·(1 − c); strokes apply in order;
- an edge-aware stroke has its cover refined by a guided filter on the photo
  (He et al., as cutouts.lib.matting refines the offline engine's matte): in a
  window about the brush's size, the cover becomes a linear function of the
  photo's brightness, so each tone under the brush is painted as much as the
  stroke covered it there. A contrast curve then paints the tones the stroke
  mostly covered and spares those it mostly missed, and nothing is painted
  outside the brush. A rough stroke along hair follows the hair instead of
  cutting a round hole in it.

No Django here: the studio's touch-up service calls parse_strokes and
apply_strokes, and bench/touchup.py times them alone.
"""

from typing import Annotated, Literal

import cv2
import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

from cutouts.lib.guided_filter import fast_guided_filter
from cutouts.lib.inputs import InputError, parse_json

# Far above what a member paints in one session (a few dozen strokes of a few
# hundred points), far below what would make Save slow or the JSON large.
MAX_STROKES = 500
MAX_POINTS_PER_STROKE = 5_000
MAX_POINTS = 50_000
MAX_RADIUS = 400  # display pixels
MAX_DISPLAY_SIDE = 4096
STROKES_MAX_LENGTH = 2_000_000  # characters of JSON
STROKES_MAX_DEPTH = 5
# The guided filter's window reaches this share of the brush radius around
# each pixel: wider than the brush, so a tone the stroke only grazed counts as
# mostly missed. eps sets how faint an edge of the photo may be and still be
# followed (brightness 0..1). Tried on a dark subject on a light ground
# (tests/test_touchup_strokes.py): an erase along its edge biting 12 px in
# takes 9 times less of the subject than a plain stroke; a wide restore
# spills nothing onto the ground and brings back three quarters of the lost
# part in one stroke. A window of twice the radius spared more and restored half.
EDGE_WINDOW_SHARE = 1.5
EDGE_EPS = 1e-2
# Filtered cover below LOW is a tone the stroke mostly missed, above HIGH one it
# mostly covered.
EDGE_LOW, EDGE_HIGH = 0.35, 0.65
EDGE_WINDOW_MIN = 8  # px: wider windows are filtered on a reduced copy


class StrokeError(ValueError):
    """A stroke list that cannot be applied; the message is for the member, as it is."""


Number = Annotated[float, Strict()]
Point = tuple[Number, Number]


class Stroke(BaseModel):
    """One brush stroke, in display pixels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["erase", "restore"]
    radius: Number = Field(ge=0.5, le=MAX_RADIUS)
    hardness: Number = Field(0.8, ge=0, le=1)
    edge_aware: Annotated[bool, Strict()] = False
    points: list[Point] = Field(min_length=1, max_length=MAX_POINTS_PER_STROKE)


class StrokeList(BaseModel):
    """What the editor posts: the display size it painted at, and its strokes in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: Annotated[int, Strict()] = Field(ge=1, le=MAX_DISPLAY_SIDE)
    height: Annotated[int, Strict()] = Field(ge=1, le=MAX_DISPLAY_SIDE)
    strokes: list[Stroke] = Field(min_length=1, max_length=MAX_STROKES)


def parse_strokes(text: str | bytes, *, size: tuple[int, int]) -> StrokeList:
    """The posted JSON checked against the full-size matte's `size`; StrokeError says why not."""
    try:
        raw = parse_json(text, max_length=STROKES_MAX_LENGTH, max_depth=STROKES_MAX_DEPTH)
    except InputError as error:
        raise StrokeError(str(error)) from error
    try:
        strokes = StrokeList.model_validate(raw)
    except ValidationError as invalid:
        raise StrokeError(_message(invalid)) from None
    _check_bounds(strokes, size)
    return strokes


def _message(invalid: ValidationError) -> str:
    first = invalid.errors()[0]
    if not first["loc"]:
        return "The strokes must be a JSON object with width, height and strokes."
    where = _place(first["loc"])
    limits = {"strokes": MAX_STROKES, "points": MAX_POINTS_PER_STROKE}
    field = first["loc"][-1]
    if first["type"] == "too_long" and field in limits:
        return f"Too many {field}: at most {limits[str(field)]} ({where})."
    if first["type"] in ("too_long", "too_short") and isinstance(field, int):
        return f"{where}: a point is [x, y]."
    return f"{where}: {first['msg']}."


def _place(loc: tuple[int | str, ...]) -> str:
    # ("strokes", 2, "radius") → "stroke 3, radius"
    parts = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            continue
        number = loc[index + 1] if index + 1 < len(loc) else None
        if part in ("strokes", "points") and isinstance(number, int):
            parts.append(f"{part[:-1]} {number + 1}")
        else:
            parts.append(str(part))
    return ", ".join(parts).capitalize()


def _check_bounds(strokes: StrokeList, size: tuple[int, int]) -> None:
    total = sum(len(stroke.points) for stroke in strokes.strokes)
    if total > MAX_POINTS:
        raise StrokeError(f"Too many points: {total:,}, at most {MAX_POINTS:,} in one save.")
    full_width, full_height = size
    # The display copy is the matte scaled down and rounded to whole pixels.
    if abs(strokes.width * full_height - strokes.height * full_width) > max(size):
        raise StrokeError(
            f"The strokes were painted on a {strokes.width} × {strokes.height} copy; "
            f"this matte is {full_width} × {full_height}. Reload the editor."
        )
    for number, stroke in enumerate(strokes.strokes, start=1):
        reach = stroke.radius
        for x, y in stroke.points:
            if not (-reach <= x <= strokes.width + reach and -reach <= y <= strokes.height + reach):
                raise StrokeError(
                    f"Stroke {number} goes outside the picture: point ({x:g}, {y:g}) "
                    f"is off the {strokes.width} × {strokes.height} copy."
                )


def apply_strokes(
    matte: Image.Image, strokes: StrokeList, *, photo: Image.Image | None = None
) -> Image.Image:
    """`matte` (mode "L", full size) with the strokes painted on it, in order.

    `photo` (the upright original, the matte's size) guides edge-aware strokes;
    without it they are painted as plain ones.
    """
    alpha = np.array(matte.convert("L"), dtype=np.uint8)
    guide = np.asarray(photo.convert("L")) if photo is not None else None
    height, width = alpha.shape
    scale = (width / strokes.width, height / strokes.height)
    for stroke in strokes.strokes:
        _paint(alpha, stroke, scale, guide if stroke.edge_aware else None)
    return Image.fromarray(alpha)


def _paint(
    alpha: np.ndarray, stroke: Stroke, scale: tuple[float, float], guide: np.ndarray | None
) -> None:
    radius = max(0.5, stroke.radius * (scale[0] + scale[1]) / 2)
    # Pixel (i, j) covers [i, i + 1) × [j, j + 1): distances are measured from its centre.
    points = np.array(stroke.points, dtype=np.float64) * scale - 0.5
    height, width = alpha.shape
    # The box the brush reaches: nothing outside it is painted.
    left, top = (max(0, int(np.floor(points[:, i].min() - radius - 2))) for i in (0, 1))
    right = min(width, int(np.ceil(points[:, 0].max() + radius + 2)))
    bottom = min(height, int(np.ceil(points[:, 1].max() + radius + 2)))
    if right <= left or bottom <= top:
        return
    cover = stroke_cover(
        points - (left, top), (right - left, bottom - top), radius, stroke.hardness
    )
    if guide is not None:
        cover = _refined(cover, guide, (left, top, right, bottom), radius)
    region = alpha[top:bottom, left:right].astype(np.float32) / 255
    if stroke.mode == "restore":
        region += cover * (1 - region)
    else:
        region *= 1 - cover
    alpha[top:bottom, left:right] = np.rint(region * 255).astype(np.uint8)


def _refined(
    cover: np.ndarray, guide: np.ndarray, box: tuple[int, int, int, int], radius: float
) -> np.ndarray:
    """The cover of the brush's `box`, refined with the photo around it (a window's width)."""
    window = max(1, round(radius * EDGE_WINDOW_SHARE))
    left, top, right, bottom = box
    height, width = guide.shape
    outer_left, outer_top = max(0, left - window), max(0, top - window)
    outer_right, outer_bottom = min(width, right + window), min(height, bottom + window)
    padded = np.zeros((outer_bottom - outer_top, outer_right - outer_left), dtype=np.float32)
    inside = (
        slice(top - outer_top, bottom - outer_top),
        slice(left - outer_left, right - outer_left),
    )
    padded[inside] = cover
    refined = _follow_edges(padded, guide[outer_top:outer_bottom, outer_left:outer_right], window)
    return refined[inside]


def stroke_cover(
    points: np.ndarray, size: tuple[int, int], radius: float, hardness: float
) -> np.ndarray:
    """How much a brush of `radius` along `points` covers each pixel of a `size` box, 0..1."""
    width, height = size
    # The stroke's path drawn as zeros in ones: the distance transform then
    # gives every pixel its distance to the path (sub-pixel points, 4 bits).
    path = np.full((height, width), 255, dtype=np.uint8)
    fixed = np.rint(points * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(path, [fixed], isClosed=False, color=0, thickness=1, shift=4)
    # A dab (one point) draws no line: its pixel is the path.
    x, y = np.clip(np.rint(points[0]).astype(int), 0, (width - 1, height - 1))
    path[y, x] = 0
    distance = cv2.distanceTransform(path, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    # A hardness of 1 still keeps one pixel of fade, so edges are not jagged.
    fade = max(1.0, radius * (1 - hardness))
    return np.clip((radius - distance) / fade, 0, 1)


def _follow_edges(cover: np.ndarray, guide: np.ndarray, window: int) -> np.ndarray:
    """The cover refined by a guided filter on the photo's brightness, within the brush.

    A wide window's coefficients are fitted on a copy reduced to a window of
    about EDGE_WINDOW_MIN px (cutouts.lib.guided_filter), so a large brush at
    12 MP costs a few milliseconds, not a few hundred.
    """
    brightness = guide.astype(np.float32) / 255
    source = cover.astype(np.float32)
    height, width = source.shape
    step = max(1, window // EDGE_WINDOW_MIN)
    filtered = fast_guided_filter(
        brightness,
        source,
        small_size=(max(1, width // step), max(1, height // step)),
        radius=max(1, round(window / step)),
        eps=EDGE_EPS,
    )
    sharpened = np.clip((filtered - EDGE_LOW) / (EDGE_HIGH - EDGE_LOW), 0, 1)
    return np.where(source > 0, sharpened, 0).astype(np.float32)
