"""Where pixels are composited: the original and its matte in, finished images out.

render() takes the upright sRGB original, its 8-bit matte and a RenderSpec
(cutouts.lib.render_spec) and returns the encoded file. Straight (unpremultiplied)
alpha throughout, blended in sRGB or, on request, in linear light. RGB under
fully transparent pixels is zeroed before encoding: smaller files, faster
encodes, and nothing of the background hides in the "transparent" part.

How it stays fast and lean on 12–50 MP photos:
- only the part of the original the matte touches is read out of Pillow and
  resampled; everywhere else the output is plain background;
- the subject is scaled to the output first, so edge work, shadows and colour
  clean-up run at the output's size, with the spec's pixel values scaled to
  match (so a preview looks like the full render);
- the subject is blended a strip at a time with OpenCV's blendLinear
  (threaded, vectorised), whose normalised weighted sum is exactly the
  straight-alpha "over" operator; the weights are looked up from the 8-bit
  alpha, never computed in Python;
- images are kept in OpenCV's channel order (BGR), so its encoders (several
  times faster than Pillow's for JPEG) take them as they are.

Colour clean-up ("decontaminate"): a photo's edge pixel is I = a·F + (1−a)·B.
The background B behind the edge is estimated by spreading the colours of
nearby pure-background pixels into the band (a push-pull pyramid at ¼ scale),
and the foreground is solved for: F = (I − (1−a)·B) / a. The subject then
keeps no fringe of the backdrop it was shot against.
"""

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
from PIL import Image

from cutouts.lib.render_spec import (
    Background,
    Edges,
    Framing,
    GradientBackground,
    Output,
    RenderSpec,
    Shadow,
    SpecError,
)

# Alpha below this (1/8) is haze or noise, not subject, when cropping to the subject.
SUBJECT_ALPHA = 32
MAX_OUTPUT_PIXELS = 100_000_000
WEBP_MAX_SIDE = 16383  # the format's limit
# Measured on 12 MP cutouts: zlib level 1 with PNG's "up" filter alone gives the
# file libpng's per-row filter choice gives (within 0.2 %) in 40 % of the time;
# higher levels save about 1 % for half as much time again.
PNG_COMPRESSION = 1
# Colour clean-up works on cells of 4×4 output pixels: the background is smooth
# at that scale, and the pyramid then costs 1/16 of the image.
# Below this matte value the colour solved out of I = a·F + (1−a)·B is too
# noisy to show at a higher alpha (see _paint_subject).
UNMIX_TRUSTED_FROM = 128
DECONTAMINATE_CELL = 4
# Shifts up to this radius use an exact disc; larger ones a close, much faster octagon.
EXACT_DISC_RADIUS = 8
DECONTAMINATE_CONTEXT = 4 * DECONTAMINATE_CELL  # output px of backdrop read around the subject
# The subject is worked on in strips of this many pixels, to bound memory at 50 MP.
STRIP_PIXELS = 1 << 22
# A blurred background is worked on at a size of about this many pixels at most.
BLUR_WORK_PIXELS = 2_000_000


def _srgb_to_linear(encoded: np.ndarray) -> np.ndarray:
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


_SRGB_TO_LINEAR = _srgb_to_linear(np.arange(256) / 255).astype(np.float32)
# Indexed by round(linear · 65535): fine enough that every sRGB level survives a round trip.
_LINEAR_TO_SRGB = np.round(255 * _linear_to_srgb(np.arange(65536) / 65535)).astype(np.uint8)
# Per-pixel weights looked up from 8-bit alpha: one threaded pass instead of several.
_LEVELS = np.arange(256, dtype=np.float32)
_UNMIX_OWN = 255 / np.maximum(_LEVELS, 1)  # 1/a
_UNMIX_BEHIND = 1 - _UNMIX_OWN  # 1 − 1/a


@dataclass(frozen=True)
class Rendered:
    """A finished render: its pixels (OpenCV order, BGR or BGRA) and its encoded file."""

    pixels: np.ndarray
    data: bytes
    format: str

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    @cached_property
    def image(self) -> Image.Image:
        """The render as a Pillow image (RGB or RGBA), made on first use."""
        return _pillow_image(self.pixels)


@dataclass(frozen=True)
class RenderLimits:
    """What one render may cost, checked before any pixel work (settings RENDER_MAX_*).

    Sizes are output pixels: a spec's pixel values scale with the output, so a
    small shift on a photo enlarged 90 times is a 90 times wider morphology.
    """

    max_pixels: int
    max_upscale: float
    max_effect_px: int


@dataclass(frozen=True)
class _Layout:
    """Where the original lands on the output: out = scale · source + offset."""

    size: tuple[int, int]
    scale: float
    offset: tuple[float, float]


@dataclass(frozen=True)
class _Canvas:
    bgr: np.ndarray
    alpha: np.ndarray | None  # None: opaque everywhere


@dataclass(frozen=True)
class _Subject:
    """The subject's part of the output, at (x, y): its photo and mattes, resampled."""

    x: int
    y: int
    photo: "_Photo"  # BGR
    matte: np.ndarray  # as the engine made it: what the photo's edge colours were mixed by
    alpha: np.ndarray  # after shift and feather: what is composited


def render(
    original: Image.Image,
    matte: Image.Image,
    spec: RenderSpec,
    *,
    backdrop: Image.Image | None = None,
    full_size: tuple[int, int] | None = None,
    limits: RenderLimits | None = None,
) -> Rendered:
    """Render `spec` for one image.

    `original` is the upright sRGB photo, `matte` its "L" matte at the same
    size or smaller (a proxy's matte, upscaled here). `backdrop` is the upright
    picture of an "image" background. `full_size` is the full original's size
    when `original` is a smaller copy (a preview), so pixel settings shrink to match.
    With `limits`, a render that would pass one raises SpecError before compositing.
    """
    output = spec.output
    pixels = _composite(original, matte, spec, backdrop, full_size, limits)
    return Rendered(pixels, _encode_pixels(pixels, output.format, output.quality), output.format)


def _composite(
    original: Image.Image,
    matte: Image.Image,
    spec: RenderSpec,
    backdrop: Image.Image | None,
    full_size: tuple[int, int] | None,
    limits: RenderLimits | None,
) -> np.ndarray:
    """The finished pixels; every working array is freed on return, before encoding."""
    alpha = _matte_array(matte, original.size)
    output, framing = spec.output, spec.framing
    transparent_ok = output.format != "JPEG"
    linear = output.linear_light
    layout = _layout(original.size, _frame_box(alpha, framing.crop), framing, output)
    if limits is not None:
        _check_pixels(layout.size, limits)
        _check_scale(spec, layout.scale, limits)
    original = original if original.mode == "RGB" else original.convert("RGB")
    detail = original.width / full_size[0] if full_size else 1.0
    px = detail * layout.scale  # output pixels per pixel of the full-size original

    canvas = _background(spec.background, layout, original, alpha, backdrop, transparent_ok, linear)
    subject = _subject(original, alpha, layout, spec.edges, px)
    if subject is not None:
        shadow = _shadow(subject, spec.shadow, px)
        if shadow is not None:
            _paint_shadow(canvas, *shadow, linear=linear)
        _paint_subject(canvas, subject, spec.edges.decontaminate, linear=linear)
    return _finish(canvas)


def check_cost(
    spec: RenderSpec, limits: RenderLimits, *, size: tuple[int, int] | None = None
) -> None:
    """Raise SpecError naming the first of `limits` a render of `spec` would pass.

    `size` is the upright original's; without it (a team preset) only the
    canvas can be judged. Before the matte is read the subject's box is not
    known: the whole photo stands in for it, which gives the smallest
    enlargement, so nothing is refused here that could render; render() checks
    again with the real box.
    """
    framing = spec.framing
    if size is None:
        if framing.canvas:
            _check_pixels(_layout((1, 1), (0, 0, 1, 1), framing, spec.output).size, limits)
        return
    layout = _layout(size, (0, 0, *size), framing, spec.output)
    # Without a canvas the frame follows the box: the whole photo's may be
    # too large when the subject's is not.
    if framing.canvas or framing.crop == "none":
        _check_pixels(layout.size, limits)
    _check_scale(spec, layout.scale, limits)


def _check_pixels(size: tuple[int, int], limits: RenderLimits) -> None:
    pixels = size[0] * size[1]
    if pixels > limits.max_pixels:
        raise SpecError(
            f"The output would be {pixels:,} pixels; the limit is {limits.max_pixels:,}."
        )


def _check_scale(spec: RenderSpec, scale: float, limits: RenderLimits) -> None:
    # Judged as shown, to three figures: "10.04 times; the limit is 10" would read as a mistake.
    enlarged = float(f"{scale:.3g}")
    if enlarged > limits.max_upscale:
        raise SpecError(
            f"The photo would be enlarged {enlarged:g} times; the limit is {limits.max_upscale:g}."
        )
    edges, shadow = spec.edges, spec.shadow
    sizes = [("edge shift", abs(edges.shift)), ("edge feather", edges.feather)]
    if shadow.type != "none":
        sizes.append(("shadow blur", shadow.blur))
    for name, value in sizes:
        scaled = round(value * scale)
        if scaled > limits.max_effect_px:
            raise SpecError(
                f"The {name} would be {scaled:,} pixels at this size; "
                f"the limit is {limits.max_effect_px:,}."
            )


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    if max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def encode(image: Image.Image, fmt: str, *, quality: int = 90) -> bytes:
    """A Pillow image as PNG, WEBP or JPEG bytes, with render()'s encoders.

    Grey images stay grey; alpha is kept where the format has it.
    """
    if image.mode == "L":
        return _encode_pixels(np.asarray(image), fmt, quality)
    keep_alpha = fmt != "JPEG" and "A" in image.getbands()
    mode, raw = ("RGBA", "BGRA") if keep_alpha else ("RGB", "BGR")
    source = image if image.mode == mode else image.convert(mode)
    pixels = np.frombuffer(source.tobytes("raw", raw), np.uint8)
    return _encode_pixels(pixels.reshape(source.height, source.width, len(mode)), fmt, quality)


def _matte_array(matte: Image.Image, size: tuple[int, int]) -> np.ndarray:
    alpha = np.asarray(matte if matte.mode == "L" else matte.convert("L"))
    if matte.size != size:
        # OpenCV's bicubic on 8 bits saturates, so overshoot at hard edges is clipped.
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_CUBIC)
    return alpha


def _frame_box(alpha: np.ndarray, crop: str) -> tuple[int, int, int, int]:
    height, width = alpha.shape
    if crop == "subject":
        _, solid = cv2.threshold(alpha, SUBJECT_ALPHA - 1, 255, cv2.THRESH_BINARY)
        x, y, w, h = cv2.boundingRect(solid)
        if w and h:
            return x, y, x + w, y + h
    return 0, 0, width, height


def _layout(
    size: tuple[int, int],
    box: tuple[int, int, int, int],
    framing: Framing,
    output: Output,
) -> _Layout:
    x0, y0, x1, y1 = box
    box_w, box_h = x1 - x0, y1 - y0
    padding = framing.padding * max(box_w, box_h)
    if framing.canvas:
        width, height = framing.canvas
        scale = framing.fill * min(width / box_w, height / box_h)
        spare_h = height - scale * box_h
        left = (width - scale * box_w) / 2
        top = spare_h - min(scale * padding, spare_h) if framing.align == "bottom" else spare_h / 2
        offset = (left - scale * x0, top - scale * y0)
    else:
        fx0, fy0, fx1, fy1 = x0 - padding, y0 - padding, x1 + padding, y1 + padding
        ratio = framing.aspect_ratio
        if ratio is not None:
            frame_w, frame_h = fx1 - fx0, fy1 - fy0
            if frame_w / frame_h < ratio:
                extra = frame_h * ratio - frame_w
                fx0, fx1 = fx0 - extra / 2, fx1 + extra / 2
            else:
                extra = frame_w / ratio - frame_h
                # Standing products keep their footing: the room goes above them.
                above = extra if framing.align == "bottom" else extra / 2
                fy0, fy1 = fy0 - above, fy1 + extra - above
        width, height = max(1, round(fx1 - fx0)), max(1, round(fy1 - fy0))
        scale, offset = 1.0, (-fx0, -fy0)
    longest = output.max_side or math.inf
    if output.format == "WEBP":
        longest = min(longest, WEBP_MAX_SIDE)
    shrink = min(1.0, longest / max(width, height), math.sqrt(MAX_OUTPUT_PIXELS / (width * height)))
    if shrink < 1:
        width, height = max(1, round(width * shrink)), max(1, round(height * shrink))
        scale, offset = scale * shrink, (offset[0] * shrink, offset[1] * shrink)
    return _Layout((width, height), scale, offset)


def _background(
    background: Background,
    layout: _Layout,
    original: Image.Image,
    alpha: np.ndarray,
    backdrop: Image.Image | None,
    transparent_ok: bool,
    linear: bool,
) -> _Canvas:
    width, height = layout.size
    if background.type == "color":
        return _solid(layout.size, _bgr(background.color))
    if background.type == "gradient":
        return _Canvas(_gradient(layout.size, background, linear), None)
    if background.type == "blur":
        return _Canvas(
            _blurred_original(original, alpha, layout, background.strength, linear), None
        )
    if background.type == "image":
        if backdrop is None:
            raise ValueError("An image background needs its backdrop picture.")
        return _backdrop(backdrop, background.fit, layout.size, transparent_ok)
    if not transparent_ok:
        return _solid(layout.size, (255, 255, 255))
    return _Canvas(np.zeros((height, width, 3), np.uint8), np.zeros((height, width), np.uint8))


def _solid(size: tuple[int, int], bgr: tuple[int, int, int]) -> _Canvas:
    return _Canvas(_filled(size, bgr), None)


def _filled(size: tuple[int, int], bgr: tuple[int, int, int]) -> np.ndarray:
    # One row repeated: many times faster than numpy broadcasting a colour.
    row = np.tile(np.array(bgr, np.uint8), (1, size[0], 1))
    return np.repeat(row, size[1], axis=0)


def _bgr(color: str) -> tuple[int, int, int]:
    value = int(color[1:], 16)
    return value & 0xFF, (value >> 8) & 0xFF, value >> 16


def _gradient(size: tuple[int, int], background: GradientBackground, linear: bool) -> np.ndarray:
    """CSS's linear-gradient(angle, from, to), sampled every 8 px and interpolated.

    Bilinear interpolation of a linear ramp is exact, so the coarse grid costs
    nothing in accuracy and keeps a 50 MP gradient from needing a float image.
    """
    width, height = size
    step = 8
    angle = math.radians(background.angle)
    dx, dy = math.sin(angle), -math.cos(angle)
    length = abs(width * dx) + abs(height * dy)
    xs = np.arange((width - 1) // step + 2, dtype=np.float32) * step + 0.5 - width / 2
    ys = np.arange((height - 1) // step + 2, dtype=np.float32) * step + 0.5 - height / 2
    t = np.clip((xs[np.newaxis, :] * dx + ys[:, np.newaxis] * dy) / length + 0.5, 0, 1)
    start = _to_work(np.array(_bgr(background.start), np.uint8), linear)
    end = _to_work(np.array(_bgr(background.end), np.uint8), linear)
    grid = _from_work(start + t[..., np.newaxis] * (end - start), linear)
    to_grid = np.float32([[1 / step, 0, 0], [0, 1 / step, 0]])
    return cv2.warpAffine(
        grid,
        to_grid,
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _blurred_original(
    original: Image.Image, alpha: np.ndarray, layout: _Layout, strength: float, linear: bool
) -> np.ndarray:
    """The photo without its subject, blurred, placed as the subject is.

    The subject is first replaced by the background around it: blurring it in
    would leave a ghost of its own colours as a halo around it.
    """
    sigma = strength * min(original.size) / 2000
    pixels = original.width * original.height
    step = max(1, int(sigma // 3), math.ceil(math.sqrt(pixels / BLUR_WORK_PIXELS)))
    small = original.reduce(step) if step > 1 else original
    small_alpha = cv2.resize(alpha, small.size, interpolation=cv2.INTER_AREA)
    photo = _to_work(_bgr_array(small), linear)
    background = _spread(photo, small_alpha == 0)
    if background is None:
        background = photo
    if sigma / step > 0.3:
        background = cv2.GaussianBlur(background, (0, 0), sigma / step)
    scale = layout.scale * step  # output pixels per small pixel
    tx, ty = layout.offset
    to_small = np.float32(
        [[1 / scale, 0, (0.5 - tx) / scale - 0.5], [0, 1 / scale, (0.5 - ty) / scale - 0.5]]
    )
    return cv2.warpAffine(
        _from_work(background, linear),
        to_small,
        layout.size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _backdrop(
    backdrop: Image.Image, fit: str, size: tuple[int, int], transparent_ok: bool
) -> _Canvas:
    width, height = size
    if backdrop.mode in ("RGBA", "LA", "PA") or "transparency" in backdrop.info:
        # The picture's own transparent parts show white, not whatever colour hides there.
        white = Image.new("RGBA", backdrop.size, (255, 255, 255, 255))
        backdrop = Image.alpha_composite(white, backdrop.convert("RGBA"))
    if fit == "cover":
        scale = max(width / backdrop.width, height / backdrop.height)
        seen_w, seen_h = width / scale, height / scale
        left, top = (backdrop.width - seen_w) / 2, (backdrop.height - seen_h) / 2
        # Only the part that shows is converted and resampled.
        seen = backdrop.crop(
            (
                math.floor(left),
                math.floor(top),
                math.ceil(left + seen_w),
                math.ceil(top + seen_h),
            )
        )
        return _Canvas(_resized(_bgr_array(seen), size), None)
    scale = min(width / backdrop.width, height / backdrop.height)
    inner = (max(1, round(backdrop.width * scale)), max(1, round(backdrop.height * scale)))
    x, y = (width - inner[0]) // 2, (height - inner[1]) // 2
    picture = _resized(_bgr_array(backdrop), inner)
    if transparent_ok:
        canvas = _Canvas(
            np.zeros((height, width, 3), np.uint8), np.zeros((height, width), np.uint8)
        )
        canvas.alpha[y : y + inner[1], x : x + inner[0]] = 255  # type: ignore[index]
    else:
        canvas = _solid(size, (255, 255, 255))
    canvas.bgr[y : y + inner[1], x : x + inner[0]] = picture
    return canvas


def _subject(
    original: Image.Image,
    alpha: np.ndarray,
    layout: _Layout,
    edges: Edges,
    px: float,
) -> _Subject | None:
    """The photo and matte around everything the matte touches, at output scale."""
    x, y, w, h = cv2.boundingRect(alpha)
    if not (w and h):
        return None
    shift, feather = edges.shift * px, edges.feather * px
    context = DECONTAMINATE_CONTEXT if edges.decontaminate else 0
    margin = math.ceil((max(shift, 0) + 1.5 * feather + context) / layout.scale) + 1
    scale, (tx, ty), (out_w, out_h) = layout.scale, layout.offset, layout.size
    # Read no more of the original than the matte touches and the canvas shows.
    sx0 = max(0, x - margin, math.floor(-tx / scale))
    sy0 = max(0, y - margin, math.floor(-ty / scale))
    sx1 = min(original.width, x + w + margin, math.ceil((out_w - tx) / scale))
    sy1 = min(original.height, y + h + margin, math.ceil((out_h - ty) / scale))
    dx0, dy0 = round(scale * sx0 + tx), round(scale * sy0 + ty)
    dx1, dy1 = round(scale * sx1 + tx), round(scale * sy1 + ty)
    # Rounding can put a pixel's worth outside the canvas: it is cut off.
    cut = (max(0, -dx0), max(0, -dy0), max(0, dx1 - out_w), max(0, dy1 - out_h))
    if dx1 - dx0 - cut[0] - cut[2] <= 0 or dy1 - dy0 - cut[1] - cut[3] <= 0:
        return None
    if abs(scale - 1) < 1e-9:
        box = (sx0 + cut[0], sy0 + cut[1], sx1 - cut[2], sy1 - cut[3])
        photo: _Photo = _PhotoInOriginal(original, box)
        matte = np.ascontiguousarray(alpha[box[1] : box[3], box[0] : box[2]])
    else:
        size = (dx1 - dx0, dy1 - dy0)
        inside = (slice(cut[1], size[1] - cut[3]), slice(cut[0], size[0] - cut[2]))
        pixels = _resized(_bgr_array(original.crop((sx0, sy0, sx1, sy1))), size)
        photo = _PhotoInMemory(np.ascontiguousarray(pixels[inside]))
        matte = np.ascontiguousarray(_resized(alpha[sy0:sy1, sx0:sx1], size)[inside])
    return _Subject(
        dx0 + cut[0], dy0 + cut[1], photo, matte, _shifted_and_feathered(matte, shift, feather)
    )


class _PhotoInOriginal:
    """The original's pixels in `box`, read from Pillow a strip at a time, never all at once."""

    def __init__(self, original: Image.Image, box: tuple[int, int, int, int]) -> None:
        self.original, self.box = original, box

    def rows(self, top: int, bottom: int) -> np.ndarray:
        x0, y0, x1, _ = self.box
        return _bgr_array(self.original.crop((x0, y0 + top, x1, y0 + bottom)))

    def cells(self) -> np.ndarray:
        return _bgr_array(self.original.reduce(DECONTAMINATE_CELL, box=self.box))


class _PhotoInMemory:
    """Pixels already resampled to the output's scale."""

    def __init__(self, pixels: np.ndarray) -> None:
        self.pixels = pixels

    def rows(self, top: int, bottom: int) -> np.ndarray:
        return self.pixels[top:bottom]

    def cells(self) -> np.ndarray:
        return _cell_average(self.pixels)


_Photo = _PhotoInOriginal | _PhotoInMemory


def _cell_average(pixels: np.ndarray) -> np.ndarray:
    """Averages over DECONTAMINATE_CELL-px square cells, the last ones partly edge-repeated."""
    height, width = pixels.shape[:2]
    cells_w, cells_h = -(-width // DECONTAMINATE_CELL), -(-height // DECONTAMINATE_CELL)
    padded = cv2.copyMakeBorder(
        pixels,
        0,
        cells_h * DECONTAMINATE_CELL - height,
        0,
        cells_w * DECONTAMINATE_CELL - width,
        cv2.BORDER_REPLICATE,
    )
    return cv2.resize(padded, (cells_w, cells_h), interpolation=cv2.INTER_AREA)


def _resized(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = pixels.shape[:2]
    if (width, height) == size:
        return pixels
    # Any linear resampling, done alike to photo and matte, keeps I = a·F + (1−a)·B
    # true of the result, which the colour clean-up relies on. Down to half size,
    # bilinear still reads every pixel and is 7–10× faster than OpenCV's area
    # averaging at such ratios; further down only area averaging avoids aliasing.
    scale = size[0] / width
    if scale > 1:
        method = cv2.INTER_CUBIC
    elif scale >= 0.5:
        method = cv2.INTER_LINEAR
    else:
        method = cv2.INTER_AREA
    return cv2.resize(pixels, size, interpolation=method)


def _shifted_and_feathered(matte: np.ndarray, shift: float, feather: float) -> np.ndarray:
    alpha = matte
    # Past the matte's own size, a bigger shift or feather changes nothing more.
    largest = max(matte.shape)
    radius = min(round(abs(shift)), largest)
    if radius:
        alpha = _morphed(alpha, radius, grow=shift > 0)
    if feather >= 0.5:
        alpha = _soften(alpha, min(feather / 2, largest))
    return alpha


def _morphed(alpha: np.ndarray, radius: int, *, grow: bool) -> np.ndarray:
    """Dilate (grow) or erode by a disc of `radius` px."""
    change = cv2.dilate if grow else cv2.erode
    if radius <= EXACT_DISC_RADIUS:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        return change(alpha, disc)
    # A large disc costs O(radius²) per pixel. Squares and diamonds applied in
    # turn build an octagon instead, in O(radius) fast passes: in this ratio a
    # regular one, sized to the disc's area (measured), so within 5 % of it anywhere.
    steps = round(radius * 0.95)
    diamonds = round(steps * (2 - math.sqrt(2)))
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    diamond = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    alpha = change(alpha, square, iterations=steps - diamonds)
    return change(alpha, diamond, iterations=diamonds)


def _soften(mask: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; a wide one runs on a shrunk copy, as it removes what shrinking loses."""
    step = int(sigma // 4)
    if step < 2:
        return cv2.GaussianBlur(mask, (0, 0), sigma)
    height, width = mask.shape
    small = cv2.resize(
        mask, (math.ceil(width / step), math.ceil(height / step)), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), sigma / step)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _shadow(
    subject: _Subject, shadow: Shadow, px: float
) -> tuple[int, int, np.ndarray, tuple[int, int, int]] | None:
    """The shadow's alpha (opacity included) and where it goes, or None for no shadow."""
    if shadow.type == "none" or shadow.opacity <= 0:
        return None
    # A blur wider than a quarter of the subject's patch is a haze either way;
    # the cap keeps a huge blur on a small output from asking for a huge mask.
    sigma = min(shadow.blur * px / 2, max(subject.alpha.shape) / 4)
    margin = math.ceil(3 * sigma) + 1
    if shadow.type == "drop":
        mask = cv2.copyMakeBorder(
            subject.alpha, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0
        )
        x = subject.x - margin + round(shadow.offset_x * px)
        y = subject.y - margin + round(shadow.offset_y * px)
        color = _bgr(shadow.color)
    else:
        found = _contact_ellipse(subject.alpha, shadow.spread)
        if found is None:
            return None
        centre_x, bottom, half_w, half_h = found
        mask = np.zeros((2 * (half_h + margin) + 1, 2 * (half_w + margin) + 1), np.uint8)
        centre = (half_w + margin, half_h + margin)
        cv2.ellipse(mask, centre, (half_w, half_h), 0, 0, 360, 255, -1, cv2.LINE_AA)
        x = subject.x + centre_x - centre[0]
        y = subject.y + bottom - centre[1]
        color = (0, 0, 0)
    if sigma >= 0.5:
        mask = _soften(mask, sigma)
    mask = cv2.convertScaleAbs(mask, alpha=shadow.opacity)
    return x, y, mask, color


def _contact_ellipse(alpha: np.ndarray, spread: float) -> tuple[int, int, int, int] | None:
    """Centre x, bottom y and half-axes of the flat ellipse the subject stands on."""
    rows = np.flatnonzero(alpha.max(axis=1) >= 128)
    if rows.size == 0:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    # The footprint: the columns the lowest 5 % of the subject occupies.
    base_top = bottom - max(1, (bottom - top) // 20)
    columns = np.flatnonzero(alpha[base_top : bottom + 1].max(axis=0) >= 128)
    left, right = int(columns[0]), int(columns[-1])
    half_w = max(1, round((right - left + 1) / 2 * (0.5 + spread)))
    half_h = max(1, round(half_w * 0.12))
    return (left + right) // 2, bottom, half_w, half_h


def _paint_shadow(
    canvas: _Canvas,
    x: int,
    y: int,
    mask: np.ndarray,
    color: tuple[int, int, int],
    *,
    linear: bool,
) -> None:
    height, width = canvas.bgr.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + mask.shape[1]), min(height, y + mask.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    visible = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    for top, bottom in _strips(y1 - y0, x1 - x0):
        shade = _filled((x1 - x0, bottom - top), color)
        _over(canvas, x0, y0 + top, shade, visible[top:bottom], linear)


def _paint_subject(
    canvas: _Canvas, subject: _Subject, decontaminate: bool, *, linear: bool
) -> None:
    height, width = subject.alpha.shape
    behind = in_front = None
    if decontaminate:
        cells = subject.photo.cells()
        matte_cells = _cell_average(subject.matte)
        behind = _spread(cells, matte_cells == 0)
        if behind is not None and (subject.alpha > subject.matte).any():
            # Grown edges cover pixels that were pure background: they take the
            # colour of the subject beside them.
            in_front = _spread(cells, matte_cells >= 250)
    for top, bottom in _strips(height, width):
        photo = subject.photo.rows(top, bottom)
        matte, alpha = subject.matte[top:bottom], subject.alpha[top:bottom]
        if behind is not None:
            photo = _unmix(photo, matte, _cells_to_rows(behind, top, bottom, width))
            if in_front is not None:
                # Where the matte was faint, the solved colour is mostly the
                # photo's noise divided by a small alpha: harmless while the
                # pixel stays faint, speckles once growing makes it solid.
                grown = cv2.bitwise_and(
                    cv2.inRange(matte, 0, UNMIX_TRUSTED_FROM - 1),
                    cv2.compare(alpha, matte, cv2.CMP_GT),
                )
                cv2.copyTo(_cells_to_rows(in_front, top, bottom, width), grown, photo)
        _over(canvas, subject.x, subject.y + top, photo, alpha, linear)


def _strips(height: int, width: int) -> Iterator[tuple[int, int]]:
    """Row ranges of about STRIP_PIXELS pixels: what is worked on at once."""
    rows = max(1, STRIP_PIXELS // max(1, width))
    for top in range(0, height, rows):
        yield top, min(height, top + rows)


def _unmix(mixed: np.ndarray, matte: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The foreground colour F of I = a·F + (1−a)·B; uint8 BGR in and out.

    F = I/a − B·(1−a)/a: a blend with weights 1/a and 1 − 1/a, which OpenCV
    computes in float and saturates to 0–255, clamping F as it should be.
    Opaque pixels (a = 1) come out unchanged. Solved in sRGB values, the space
    matting models are trained in, whether or not the blending after is linear.
    """
    return cv2.blendLinear(
        mixed, background, cv2.LUT(matte, _UNMIX_OWN), cv2.LUT(matte, _UNMIX_BEHIND)
    )


def _over(
    canvas: _Canvas, x: int, y: int, colour: np.ndarray, alpha: np.ndarray, linear: bool
) -> None:
    """Paint `colour` with straight `alpha` over the canvas at (x, y).

    With weights a and (1 − a)·b (b: the canvas's own alpha), OpenCV's
    normalised blend is exactly the "over" operator: (a·F + (1−a)·b·C) / (a + (1−a)·b).
    """
    height, width = alpha.shape
    region = (slice(y, y + height), slice(x, x + width))
    below = canvas.bgr[region]
    top_weight = cv2.LUT(alpha, _LEVELS)
    below_weight = cv2.LUT(alpha, _LEVELS[::-1].copy())
    if canvas.alpha is not None:
        below_weight *= canvas.alpha[region].astype(np.float32) / 255
        covered = top_weight + below_weight
        canvas.alpha[region] = np.clip(covered + 0.5, 0, 255).astype(np.uint8)
    if linear:
        mixed = cv2.blendLinear(
            cv2.LUT(colour, _SRGB_TO_LINEAR),
            cv2.LUT(below, _SRGB_TO_LINEAR),
            top_weight,
            below_weight,
        )
        below[...] = _from_work(mixed, linear=True)
    else:
        cv2.blendLinear(colour, below, top_weight, below_weight, dst=below)


def _spread(colour: np.ndarray, known: np.ndarray) -> np.ndarray | None:
    """Fill the pixels not `known` from the known ones nearest them (a push-pull pyramid).

    Going down, each level averages the known colours of the one above; coming
    back up, a pixel keeps its own known colour and takes the coarser level's
    where it has none. Float32 out; None when nothing is known.
    """
    if not known.any():
        return None
    weight = known.astype(np.float32)
    levels = []
    summed = colour.astype(np.float32) * weight[..., np.newaxis]
    while max(weight.shape) > 1:
        levels.append((summed, weight))
        size = ((weight.shape[1] + 1) // 2, (weight.shape[0] + 1) // 2)
        summed = cv2.resize(summed, size, interpolation=cv2.INTER_AREA)
        weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    filled = summed / max(float(weight.max()), 1e-12)
    for summed, weight in reversed(levels):
        coarse = cv2.resize(
            filled, (weight.shape[1], weight.shape[0]), interpolation=cv2.INTER_LINEAR
        )
        own = summed / np.maximum(weight, 1e-12)[..., np.newaxis]
        # A quarter of a cell known is enough to trust it over the coarser guess.
        trust = np.minimum(weight * 4, 1)[..., np.newaxis]
        filled = trust * own + (1 - trust) * coarse
    return filled


def _cells_to_rows(cells: np.ndarray, top: int, bottom: int, width: int) -> np.ndarray:
    """Rows top–bottom of the full-size image whose DECONTAMINATE_CELL-px cells are `cells`.

    Bilinear, from the cell rows around the strip: an exact-multiple resize
    puts cell centres where they belong, several times faster than a warp.
    """
    step = DECONTAMINATE_CELL
    first = max(0, top // step - 1)
    last = min(cells.shape[0], (bottom - 1) // step + 2)
    around = np.clip(cells[first:last] + 0.5, 0, 255).astype(np.uint8)
    size = (cells.shape[1] * step, (last - first) * step)
    upscaled = cv2.resize(around, size, interpolation=cv2.INTER_LINEAR)
    return upscaled[top - first * step : bottom - first * step, :width]


def _to_work(pixels: np.ndarray, linear: bool) -> np.ndarray:
    """uint8 sRGB → float32 in [0, 1], sRGB-encoded or linear light."""
    if linear:
        return _SRGB_TO_LINEAR[pixels]
    return pixels.astype(np.float32) / 255


def _from_work(values: np.ndarray, linear: bool) -> np.ndarray:
    clipped = np.clip(values, 0, 1)
    if linear:
        return _LINEAR_TO_SRGB[(clipped * 65535 + 0.5).astype(np.uint16)]
    return (clipped * 255 + 0.5).astype(np.uint8)


def _bgr_array(image: Image.Image) -> np.ndarray:
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    pixels = np.frombuffer(rgb.tobytes("raw", "BGR"), np.uint8)
    return pixels.reshape(rgb.height, rgb.width, 3)


def _finish(canvas: _Canvas) -> np.ndarray:
    if canvas.alpha is None:
        return canvas.bgr
    # Nothing of what was behind may hide under full transparency (the mask
    # keeps what is visible and zeroes the rest).
    visible = cv2.bitwise_and(canvas.bgr, canvas.bgr, mask=canvas.alpha)
    return cv2.merge((visible, canvas.alpha))


def _pillow_image(pixels: np.ndarray) -> Image.Image:
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        return Image.frombuffer("L", (width, height), pixels, "raw", "L", 0, 1)
    mode, raw = ("RGBA", "BGRA") if pixels.shape[2] == 4 else ("RGB", "BGR")
    return Image.frombuffer(mode, (width, height), pixels, "raw", raw, 0, 1)


def _encode_pixels(pixels: np.ndarray, fmt: str, quality: int) -> bytes:
    if fmt == "PNG":
        params = [
            cv2.IMWRITE_PNG_COMPRESSION,
            PNG_COMPRESSION,
            cv2.IMWRITE_PNG_FILTER,
            cv2.IMWRITE_PNG_FILTER_UP,
        ]
        extension = ".png"
    elif fmt == "WEBP":
        # Pillow, for libwebp's "exact" flag: without it the encoder paints the
        # transparent part with colours of its own choosing instead of our zeros.
        buffer = io.BytesIO()
        _pillow_image(pixels).save(buffer, format="WEBP", quality=quality, method=4, exact=True)
        return buffer.getvalue()
    else:
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
        extension = ".jpg"
    ok, encoded = cv2.imencode(extension, pixels, params)
    if not ok:
        raise ValueError(f"Could not encode a {pixels.shape[1]}×{pixels.shape[0]} {fmt}")
    return encoded.tobytes()
