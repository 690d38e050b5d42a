"""Decompression bombs: files of a few kilobytes that decode to hundreds of megabytes."""

import functools
import io
import struct
import zlib

from PIL import Image

_PNG_COLOUR_TYPES = {"L": (0, 1), "RGB": (2, 3), "RGBA": (6, 4)}


def flat_png(width: int, height: int, mode: str = "RGBA") -> bytes:
    """A one-colour PNG, compressed row by row so making it never holds the picture."""
    colour_type, channels = _PNG_COLOUR_TYPES[mode]
    row = b"\x00" + bytes([200, 30, 30, 255][:channels]) * width
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@functools.cache
def png_7070_rgba() -> bytes:
    """About 200 KB that decodes to 7070 × 7070 RGBA: 200 MB, just under 50 megapixels."""
    return flat_png(7070, 7070)


@functools.cache
def webp_16383_by_3000() -> bytes:
    """About 2 KB of lossless WebP that decodes to 16383 × 3000 RGBA."""
    buffer = io.BytesIO()
    Image.new("RGBA", (16383, 3000), (200, 30, 30, 128)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


@functools.cache
def png_4_000_000_by_1() -> bytes:
    """A 4 MP strip: within the pixel limit, but no preview or proxy of it can be made."""
    return flat_png(4_000_000, 1, "RGB")
