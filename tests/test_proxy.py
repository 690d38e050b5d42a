"""The proxy JPEG sent for matting, and the matte scaled back to the original."""

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from cutouts.lib.proxy import JPEG_QUALITY, build_proxy, check_matte, upscale_matte
from tests.images import encoded, gradient, image_bytes


def _open(proxy_jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(proxy_jpeg))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    return image


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)).mean())


@pytest.mark.parametrize(
    ("size", "expected"),
    [((3000, 2000), (1024, 683)), ((2000, 3000), (683, 1024)), ((1024, 10), (1024, 10))],
)
def test_large_images_shrink_to_1024_on_the_long_side(size, expected):
    proxy = build_proxy(image_bytes("PNG", size))

    assert proxy.size == expected
    assert proxy.original_size == size
    assert _open(proxy.jpeg).size == expected


def test_small_images_are_not_enlarged():
    proxy = build_proxy(image_bytes("PNG", (640, 480)))

    assert proxy.size == proxy.original_size == (640, 480)


def test_a_large_jpeg_shrinks_like_a_full_decode_would():
    original = gradient((4000, 3000))
    proxy = build_proxy(encoded(original, "JPEG", quality=95))

    full_decode = original.resize((1024, 768), Image.Resampling.LANCZOS)
    assert proxy.size == (1024, 768)
    assert _mean_difference(_open(proxy.jpeg), full_decode) < 3


def test_the_jpeg_is_encoded_at_quality_90_or_more():
    proxy = build_proxy(image_bytes("PNG", (300, 200)))
    reference = Image.open(io.BytesIO(image_bytes("JPEG", (300, 200), quality=JPEG_QUALITY)))

    assert JPEG_QUALITY >= 90
    assert _open(proxy.jpeg).quantization == reference.quantization


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation):
    stored = gradient((2000, 1000))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(stored, "JPEG", quality=95, exif=exif)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))

    proxy = build_proxy(data)

    assert proxy.original_size == upright.size
    assert proxy.size == ((1024, 512) if upright.width > upright.height else (512, 1024))
    expected = upright.resize(proxy.size, Image.Resampling.LANCZOS)
    assert _mean_difference(_open(proxy.jpeg), expected) < 3


def test_cmyk_becomes_rgb():
    cmyk = Image.new("CMYK", (200, 100), (0, 255, 255, 0))  # pure red ink

    red = _open(build_proxy(encoded(cmyk, "JPEG", quality=95)).jpeg).getpixel((100, 50))

    assert red[0] > 200 and red[1] < 60 and red[2] < 60


def test_a_palette_image_with_transparency_becomes_rgb_over_white():
    palette = Image.new("P", (100, 100), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0])
    palette.paste(1, (50, 0, 100, 100))
    data = encoded(palette, "PNG", transparency=0)

    proxy = _open(build_proxy(data).jpeg)

    assert min(proxy.getpixel((10, 50))) > 245  # transparent black shows as white
    assert proxy.getpixel((90, 50))[0] > 240


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_alpha_is_flattened_over_white(mode):
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (50, 0, 100, 100))

    proxy = _open(build_proxy(encoded(image.convert(mode), "PNG")).jpeg)

    assert min(proxy.getpixel((10, 50))) > 245
    assert max(proxy.getpixel((90, 50))) < 10


def test_16_bit_grey_is_scaled_not_clipped():
    values = np.full((50, 80), 32768, dtype=np.uint16)
    sixteen = Image.fromarray(values)
    assert sixteen.mode == "I;16"

    grey = _open(build_proxy(encoded(sixteen, "PNG")).jpeg).getpixel((40, 25))

    assert all(abs(channel - 128) <= 2 for channel in grey)


def test_a_non_srgb_profile_is_converted_to_srgb():
    red = Image.new("RGB", (64, 64), (255, 0, 0))
    # In this profile the first channel is green: the pixels are green.
    data = encoded(red, "PNG", icc_profile=_swapped_red_green_profile())

    colour = _open(build_proxy(data).jpeg).getpixel((32, 32))

    assert colour[1] > 200 and colour[0] < 60


def test_an_srgb_profile_leaves_colours_alone():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(Image.new("RGB", (64, 64), (200, 40, 90)), "PNG", icc_profile=srgb)

    colour = _open(build_proxy(data).jpeg).getpixel((32, 32))

    assert all(abs(a - b) <= 3 for a, b in zip(colour, (200, 40, 90), strict=True))


def test_a_broken_profile_is_ignored():
    data = encoded(Image.new("RGB", (64, 64), (200, 40, 90)), "PNG", icc_profile=b"junk" * 40)

    assert _open(build_proxy(data).jpeg).size == (64, 64)


def test_data_that_is_no_image_raises():
    with pytest.raises(OSError):
        build_proxy(b"not an image")


def test_upscale_matte_returns_the_original_size():
    matte = Image.new("L", (1024, 768), 0)
    matte.paste(255, (256, 192, 768, 576))

    full = upscale_matte(matte, (4000, 3000))

    assert full.mode == "L"
    assert full.size == (4000, 3000)
    assert full.getpixel((2000, 1500)) == 255
    assert full.getpixel((10, 10)) == 0


def test_upscale_matte_copies_a_matte_already_at_size():
    matte = Image.new("L", (64, 48), 7)

    assert upscale_matte(matte, (64, 48)) is not matte


def test_check_matte_refuses_the_wrong_size():
    with pytest.raises(ValueError, match="32×24, the image sent 64×48"):
        check_matte(Image.new("L", (32, 24)), (64, 48))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P"])
def test_check_matte_refuses_more_than_one_grey_channel(mode):
    with pytest.raises(ValueError, match=f"mode {mode}"):
        check_matte(Image.new(mode, (64, 48)), (64, 48))


def test_check_matte_accepts_1_and_16_bit_grey():
    bilevel = check_matte(Image.new("1", (4, 4), 1), (4, 4))
    sixteen = check_matte(Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16)), (4, 4))

    assert bilevel.mode == sixteen.mode == "L"
    assert bilevel.getpixel((0, 0)) == sixteen.getpixel((0, 0)) == 255


def _swapped_red_green_profile() -> bytes:
    """A minimal ICC v2 RGB display profile with sRGB's red and green primaries swapped."""

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in (x, y, z))

    gamma = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    text = b"Swapped red and green\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 12 + b"\0" * 67
    desc += b"\0" * (-len(desc) % 4)
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)),  # sRGB's green
        (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),  # sRGB's red
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, content in tags:
        table += signature + struct.pack(">II", offset + len(data), len(content))
        data += content
    size = offset + len(data)
    header = struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000)
    header += b"mntrRGB XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 24
    header += struct.pack(">I", 0) + xyz(0.9642, 1.0, 0.8249)[8:]
    header += b"\0" * (128 - len(header))
    return header + table + data
