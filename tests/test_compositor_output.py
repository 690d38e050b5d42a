"""Output: PNG, WebP or JPEG with quality, original size or fit within a size, in sRGB."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from cutouts.lib import compositor
from cutouts.lib.presets import BUILTIN_PRESETS
from cutouts.lib.render_spec import parse_spec
from tests.scenes import decoded, disc_alpha, render, scene, textured_foreground

SIZE = (240, 180)


@pytest.fixture(scope="module")
def shot():
    return scene(disc_alpha(SIZE, 60, softness=2), textured_foreground(SIZE), (90, 90, 90))


@pytest.mark.parametrize(("fmt", "mode"), [("PNG", "RGBA"), ("WEBP", "RGBA"), ("JPEG", "RGB")])
def test_each_format_is_written_as_that_format(shot, fmt, mode):
    rendered = compositor.render(shot.original, shot.matte, parse_spec({"output": {"format": fmt}}))

    with Image.open(io.BytesIO(rendered.data)) as picture:
        assert (picture.format, picture.mode, picture.size) == (fmt, mode, SIZE)
    assert (rendered.format, rendered.width, rendered.height) == (fmt, *SIZE)


def test_an_opaque_png_has_no_alpha_channel(shot):
    _, rgb = render(shot, {"background": {"type": "color", "color": "#ffffff"}})

    assert rgb.shape == (SIZE[1], SIZE[0], 3)


def test_lower_quality_makes_a_smaller_jpeg(shot):
    sizes = [
        len(render(shot, {"output": {"format": "JPEG", "quality": quality}})[0].data)
        for quality in (40, 95)
    ]

    assert sizes[0] < 0.6 * sizes[1]


def test_webp_keeps_rgb_zero_under_full_transparency_up_to_its_compression(shot):
    _, rgba = render(shot, {"output": {"format": "WEBP", "quality": 90}})

    hidden = rgba[..., 3] == 0
    visible_nearby = cv2.dilate((~hidden).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert hidden.sum() > 10_000
    # Lossy WebP smears the subject's own colour a few pixels into the hidden
    # part (its colour is kept at half resolution); of the grey backdrop, nothing.
    assert rgba[hidden & ~visible_nearby][:, :3].max() <= 12
    assert rgba[hidden][:, :3].mean() < 3


def test_the_web_preset_fits_a_large_photo_within_1600_px():
    big = scene(disc_alpha((2400, 1800), 500, softness=3), (200, 120, 40), (255, 255, 255))

    rendered, rgba = render(big, BUILTIN_PRESETS["webp-web"].spec)

    assert (rendered.format, rendered.width, rendered.height) == ("WEBP", 1600, 1200)
    assert rgba.shape == (1200, 1600, 4)


def test_the_rendered_image_is_the_file_before_encoding(shot):
    rendered, rgba = render(shot, {})

    assert rendered.image.mode == "RGBA"
    assert (np.asarray(rendered.image) == rgba).all()


def test_the_original_may_come_with_a_proxys_smaller_matte(shot):
    small_matte = shot.matte.resize((120, 90), Image.Resampling.LANCZOS)
    spec = parse_spec({})

    from_small = compositor.render(shot.original, small_matte, spec)

    upscaled = np.asarray(from_small.image)[..., 3].astype(int)
    assert upscaled.shape == (SIZE[1], SIZE[0])
    assert np.abs(upscaled - np.asarray(shot.matte)).mean() < 3


def test_encode_keeps_grey_grey_and_alpha_where_the_format_has_it():
    grey = Image.linear_gradient("L").resize((64, 48))
    rgba = Image.new("RGBA", (64, 48), (10, 20, 30, 128))

    assert decoded(compositor.encode(grey, "PNG")).shape == (48, 64, 3)
    with Image.open(io.BytesIO(compositor.encode(grey, "PNG"))) as picture:
        assert picture.mode == "L"
    assert decoded(compositor.encode(rgba, "WEBP", quality=90)).shape == (48, 64, 4)
    assert decoded(compositor.encode(rgba, "JPEG")).shape == (48, 64, 3)


def test_fit_within_shrinks_only_what_is_larger():
    picture = Image.new("RGB", (400, 100))

    assert compositor.fit_within(picture, 200).size == (200, 50)
    assert compositor.fit_within(picture, 500) is picture
