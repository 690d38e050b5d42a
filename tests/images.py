"""Images for tests: made on the fly, or the few real photos committed under tests/data/."""

import io
from pathlib import Path

from PIL import Image

# Real photos with exact mattes; tests/data/README.md says where they come from.
DATA_DIR = Path(__file__).resolve().parent / "data"


def gradient(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    # A gradient, not a flat fill, so encoders and thumbnails have real work.
    across = Image.linear_gradient("L").rotate(90).resize(size)
    down = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (across, down, Image.new("L", size, 128))).convert(mode)


def encoded(picture: Image.Image, fmt: str, **save) -> bytes:
    """`picture` saved as `fmt`, with Pillow's `save` options."""
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save
) -> bytes:
    return encoded(gradient(size, mode), fmt, **save)


def product_photo(seed: int = 0, size: tuple[int, int] = (480, 360)) -> bytes:
    """A JPEG of a bright block on a gradient: something a matting model cuts out.

    Each seed below 128 gives a block of its own colour, so different bytes.
    """
    width, height = size
    picture = gradient(size)
    picture.paste(
        (240, 200, (40 + seed * 30) % 256),
        (width // 4, height // 4, width * 3 // 4, height * 5 // 6),
    )
    return encoded(picture, "JPEG", quality=92)
