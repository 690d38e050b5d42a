"""Framing: crop to the subject, padding, canvas and aspect, how much it fills, alignment."""

import numpy as np
import pytest

from cutouts.lib.presets import BUILTIN_PRESETS
from tests.scenes import box_of, rect_alpha, render, scene

SIZE = (300, 200)
BOX = (100, 50, 160, 130)  # 60 × 80


def _product(noise: float = 0.0):
    alpha = rect_alpha(SIZE, BOX)
    if noise:
        # Faint haze all over, as a matte of a dusty backdrop may have.
        rng = np.random.default_rng(2)
        haze = rng.uniform(0, noise, alpha.shape).astype(np.float32)
        alpha = np.maximum(alpha, haze)
    return scene(alpha, (20, 60, 180), (255, 255, 255))


def _subject_box(rgb: np.ndarray) -> tuple[int, int, int, int]:
    # The product is blue, (20, 60, 180): its red is low where the white background's is not.
    return box_of(rgb[..., 0] < 128) if rgb.shape[2] == 3 else box_of(rgb[..., 3] > 128)


def test_the_whole_photo_is_kept_without_cropping():
    _, rgba = render(_product(), {})

    assert rgba.shape[:2] == (SIZE[1], SIZE[0])
    assert _subject_box(rgba) == BOX


def test_crop_to_subject_adds_padding_of_the_longer_side():
    _, rgba = render(_product(), {"framing": {"crop": "subject", "padding": 0.25}})

    # 20 px (a quarter of 80) on every side of the 60 × 80 box.
    assert rgba.shape[:2] == (120, 100)
    assert _subject_box(rgba) == (20, 20, 80, 100)


def test_crop_to_subject_ignores_faint_noise():
    below_threshold = 31 / 255

    _, rgba = render(_product(noise=below_threshold), {"framing": {"crop": "subject"}})

    assert rgba.shape[:2] == (80, 60)


def test_an_aspect_ratio_widens_the_frame_around_the_subject():
    _, rgba = render(_product(), {"framing": {"crop": "subject", "aspect": "16:9"}})

    height, width = rgba.shape[:2]
    assert height == 80 and width == pytest.approx(80 * 16 / 9, abs=1)
    x0, _, x1, _ = _subject_box(rgba)
    assert abs(x0 - (width - x1)) <= 1


def test_bottom_alignment_keeps_the_subject_standing_when_the_frame_grows_upwards():
    spec = {"framing": {"crop": "subject", "aspect": "1:2", "padding": 0.1, "align": "bottom"}}

    _, rgba = render(_product(), spec)

    # Frame: 76 × 96 with padding, then 1:2 → 76 × 152, all the room above.
    assert rgba.shape[:2] == (152, 76)
    assert _subject_box(rgba)[3] == 152 - 8


def test_a_canvas_with_fill_scales_the_subject_to_that_share():
    spec = {"framing": {"crop": "subject", "canvas": [400, 400], "fill": 0.5}}

    _, rgba = render(_product(), spec)

    x0, y0, x1, y1 = _subject_box(rgba)
    assert rgba.shape[:2] == (400, 400)
    assert y1 - y0 == pytest.approx(200, abs=1)  # the longer side, 80 → half of 400
    assert x1 - x0 == pytest.approx(150, abs=1)
    assert (x0 + x1) / 2 == pytest.approx(200, abs=1) and (y0 + y1) / 2 == pytest.approx(200, abs=1)


def test_bottom_alignment_on_a_canvas_leaves_the_padding_below_the_subject():
    spec = {
        "framing": {
            "crop": "subject",
            "canvas": [400, 400],
            "fill": 0.5,
            "padding": 0.1,
            "align": "bottom",
        }
    }

    _, rgba = render(_product(), spec)

    # Subject 200 px tall: 10 % of that, 20 px, under it.
    assert _subject_box(rgba)[3] == pytest.approx(380, abs=1)


def test_max_side_fits_the_output_within_it():
    _, rgba = render(_product(), {"output": {"max_side": 150}})

    assert rgba.shape[:2] == (100, 150)
    x0, y0, x1, y1 = _subject_box(rgba)
    assert (x0, y0, x1, y1) == pytest.approx((50, 25, 80, 65), abs=1)


def test_the_amazon_preset_is_a_2000_px_white_jpeg_with_the_subject_filling_85_percent():
    rendered, rgb = render(_product(), BUILTIN_PRESETS["amazon-main"].spec)

    assert rendered.format == "JPEG" and rgb.shape == (2000, 2000, 3)
    border = np.concatenate((rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]))
    assert (border == 255).all()
    x0, y0, x1, y1 = _subject_box(rgb)
    assert max(x1 - x0, y1 - y0) == pytest.approx(0.85 * 2000, rel=0.01)


def test_the_shopify_preset_is_a_2048_px_square():
    rendered, rgb = render(_product(), BUILTIN_PRESETS["shopify-square"].spec)

    assert (rendered.width, rendered.height) == (2048, 2048)
    assert rgb.shape == (2048, 2048, 3)


def test_a_matte_with_no_subject_renders_the_background_alone():
    empty = scene(np.zeros((SIZE[1], SIZE[0]), np.float32))

    _, rgb = render(
        empty,
        {"background": {"type": "color", "color": "#102030"}, "framing": {"crop": "subject"}},
    )

    assert rgb.shape[:2] == (SIZE[1], SIZE[0])
    assert (rgb == (0x10, 0x20, 0x30)).all()
