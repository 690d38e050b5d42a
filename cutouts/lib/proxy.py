"""The proxy sent for matting, and the matte brought back to the original's size.

The vendor's advice, followed here: the model works at 1024 px on the long
side, so send a Lanczos-downscaled sRGB JPEG (quality ≥ 90) rather than the
original, and scale the matte that comes back up to the original's size.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms

MAX_SIDE = 1024
JPEG_QUALITY = 90

_ORIENTATION_TAG = 0x0112
# EXIF orientation → the transpose that shows the image upright, the table
# PIL.ImageOps.exif_transpose uses; we apply it ourselves, after shrinking.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Proxy:
    jpeg: bytes
    size: tuple[int, int]  # of the JPEG, upright
    original_size: tuple[int, int]  # of the original as displayed, after EXIF orientation


def build_proxy(data: bytes, *, max_side: int = MAX_SIDE) -> Proxy:
    """Make the JPEG to send for `data`, any format Pillow reads.

    Raises Pillow's errors (PIL.UnidentifiedImageError, OSError) for data that
    is not a readable image.
    """
    with Image.open(io.BytesIO(data)) as image:
        orientation = image.getexif().get(_ORIENTATION_TAG, 1)
        icc_profile = image.info.get("icc_profile")
        stored_size = image.size
        target = _fit(stored_size, max_side)
        if image.format == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, never below the
            # target: a 12 MP photo is then never decoded in full.
            image.draft(None, target)
        picture = _flatten(image)
    if picture.size != target:
        picture = picture.resize(target, Image.Resampling.LANCZOS)
    picture = _to_srgb(picture, icc_profile)
    # Turned upright last, so the transpose moves the small image, not the big one.
    picture = turn_upright(picture, orientation)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    sides_swapped = orientation in (5, 6, 7, 8)
    original_size = (stored_size[1], stored_size[0]) if sides_swapped else stored_size
    return Proxy(jpeg=buffer.getvalue(), size=picture.size, original_size=original_size)


def open_upright(data: bytes) -> Image.Image:
    """The original at full size as it is displayed: EXIF orientation applied, RGB in sRGB."""
    with Image.open(io.BytesIO(data)) as image:
        orientation = image.getexif().get(_ORIENTATION_TAG, 1)
        icc_profile = image.info.get("icc_profile")
        picture = _to_srgb(_flatten(image), icc_profile)
    return turn_upright(picture, orientation)


def turn_upright(picture: Image.Image, orientation: int) -> Image.Image:
    """`picture` as it is displayed, given the EXIF orientation (1 to 8) of its file."""
    if orientation in _TRANSPOSE:
        return picture.transpose(_TRANSPOSE[orientation])
    return picture


def upscale_matte(matte: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale a matte made from the proxy to the original's `size` (bicubic, clamped)."""
    if matte.size == size:
        return matte.copy()
    # Resampling an "L" image clamps to 0–255, so bicubic overshoot at edges is safe.
    return matte.resize(size, Image.Resampling.BICUBIC)


def check_matte(matte: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Return `matte` as an 8-bit "L" image of `size`; ValueError if it is not a matte.

    One channel of 1, 8 or 16 bits is a matte; colour or alpha channels are not.
    """
    if matte.size != size:
        raise ValueError(
            f"The matte is {matte.size[0]}×{matte.size[1]}, the image sent {size[0]}×{size[1]}"
        )
    if matte.mode == "L":
        return matte
    if matte.mode == "1":
        return matte.convert("L")
    if _is_16_bit_grey(matte):
        return _grey_16_to_8(matte)
    raise ValueError(f"The matte has mode {matte.mode}, not one grey channel")


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """Bring any mode to RGB, L or CMYK, the modes that resize and colour-convert."""
    if image.mode in ("RGB", "L", "CMYK"):
        return image.copy()
    if _is_16_bit_grey(image):
        return _grey_16_to_8(image)
    if image.mode == "1":
        return image.convert("L")
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    # Pixels under full transparency hold arbitrary colour (often black) that
    # the model would read as content; over white they read as plain background.
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _is_16_bit_grey(image: Image.Image) -> bool:
    return image.mode == "I" or image.mode.startswith("I;16")


def _grey_16_to_8(image: Image.Image) -> Image.Image:
    # Pillow's own conversion clips 16-bit values at 255 instead of scaling them.
    values = np.clip(np.asarray(image, dtype=np.int64), 0, 65535) >> 8
    return Image.fromarray(values.astype(np.uint8))


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            # Most embedded profiles are sRGB already; converting would only cost time.
            if not ImageCms.getProfileDescription(source).strip().startswith("sRGB"):
                return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            # A broken profile, or one that does not fit the pixels (an RGB
            # profile on a grey image): the plain conversion is the best guess.
            pass
    return image.convert("RGB")
