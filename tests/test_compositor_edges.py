"""Edges: shrink or grow the matte, feather it, and clean the backdrop's colour out of it.

The halo tests build I = a·F + (1−a)·B with a known foreground F, a soft alpha a
and a saturated green backdrop B, render the subject onto new backgrounds and
compare with the exact composite a·F + (1−a)·N over the edge band. The bounds
are what was measured, with room for rounding: 0.3 levels mean and under 1.6
at worst with the clean-up, against 15 mean and 61 at worst without it.
"""

import time
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from cutouts.lib import compositor
from cutouts.lib.compositor import _LINEAR_TO_SRGB, _SRGB_TO_LINEAR
from cutouts.lib.render_spec import parse_spec
from tests.images import DATA_DIR
from tests.scenes import disc_alpha, render, scene, textured_foreground

SIZE = (240, 180)
GREEN_SCREEN = (0, 200, 0)


@pytest.fixture(scope="module")
def green_screen():
    alpha = disc_alpha(SIZE, 60, softness=3)
    return scene(alpha, textured_foreground(SIZE), GREEN_SCREEN)


def _edge_band(alpha: np.ndarray) -> np.ndarray:
    return (alpha > 0.02) & (alpha < 0.98)


def _exact(shot, background: tuple[int, int, int]) -> np.ndarray:
    a = shot.alpha[..., np.newaxis]
    return a * shot.foreground + (1 - a) * np.asarray(background, np.float32)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


@pytest.mark.parametrize("background", [(255, 255, 255), (0, 0, 0), (255, 0, 0), (30, 30, 200)])
def test_a_subject_shot_on_green_keeps_no_fringe_on_a_new_background(green_screen, background):
    spec = {"background": {"type": "color", "color": _hex(background)}}
    band = _edge_band(green_screen.alpha)

    _, cleaned = render(green_screen, spec)
    _, as_shot = render(green_screen, {**spec, "edges": {"decontaminate": False}})

    exact = _exact(green_screen, background)
    error = np.abs(cleaned.astype(np.float32) - exact)[band]
    fringe = np.abs(as_shot.astype(np.float32) - exact)[band]
    assert error.mean() < 0.6
    assert error.max() < 3
    assert fringe.mean() > 10 * error.mean()


def test_the_transparent_cutout_carries_the_cleaned_colour(green_screen):
    _, rgba = render(green_screen, {})

    a = rgba[..., 3:].astype(np.float32) / 255
    on_black = a * rgba[..., :3]
    error = np.abs(on_black - _exact(green_screen, (0, 0, 0)))[_edge_band(green_screen.alpha)]
    assert error.mean() < 0.6
    assert error.max() < 3
    assert (rgba[..., 1][green_screen.alpha > 0.5] < 180).all()


@pytest.mark.parametrize("backdrop", ["brick", "coffee", "graygrad"])
def test_the_eval_lemur_moved_onto_white_is_closer_to_the_real_shot_on_white(backdrop):
    # The eval set shot the same lemur (same F, same alpha) on each backdrop;
    # its white studio is a flat 250, so lemur_white.png is the exact composite.
    truth = np.asarray(Image.open(DATA_DIR / "lemur_white.png").convert("RGB"), np.float32)
    photo = Image.open(DATA_DIR / f"lemur_{backdrop}.png").convert("RGB")
    matte = Image.open(DATA_DIR / "lemur_alpha.png")
    alpha = np.asarray(matte)
    band = (alpha > 5) & (alpha < 250)
    errors = []
    for decontaminate in (True, False):
        spec = parse_spec(
            {
                "background": {"type": "color", "color": "#fafafa"},
                "edges": {"decontaminate": decontaminate},
            }
        )
        out = np.asarray(compositor.render(photo, matte, spec).image, np.float32)
        errors.append(np.abs(out - truth)[band].mean())

    cleaned, as_shot = errors
    # Measured: brick 6.4 vs 11.2, coffee 6.0 vs 14.4, grey gradient 0.5 vs 4.8.
    assert cleaned < 0.7 * as_shot
    assert cleaned < 7


def test_linear_light_blends_as_light_does(green_screen):
    band = _edge_band(green_screen.alpha)
    a = green_screen.alpha[..., np.newaxis]

    _, out = render(
        green_screen,
        {"background": {"type": "color", "color": "#000000"}, "output": {"linear_light": True}},
    )

    foreground = _SRGB_TO_LINEAR[np.round(green_screen.foreground).astype(np.uint8)]
    exact = _LINEAR_TO_SRGB[np.round(a * foreground * 65535).astype(np.uint16)]
    error = np.abs(out.astype(np.float32) - exact)[band]
    assert error.mean() < 1.5
    # Not the same as blending sRGB values: linear light keeps edges brighter on black.
    srgb = _exact(green_screen, (0, 0, 0))
    assert (out.astype(np.float32) - srgb)[band].mean() > 10


def _area(alpha: np.ndarray) -> int:
    return int((alpha >= 128).sum())


def test_shift_grows_and_shrinks_the_matte_by_that_many_pixels():
    shot = scene(disc_alpha(SIZE, 40))
    radius = {}
    for shift in (-5, 0, 5):
        _, rgba = render(shot, {"edges": {"shift": shift}})
        radius[shift] = np.sqrt(_area(rgba[..., 3]) / np.pi)

    assert radius[0] == pytest.approx(40, abs=0.5)
    assert radius[5] == pytest.approx(45, abs=0.7)
    assert radius[-5] == pytest.approx(35, abs=0.7)


def test_a_large_shift_is_still_round():
    shot = scene(disc_alpha(SIZE, 40))

    _, grown = render(shot, {"edges": {"shift": 30}})
    _, shrunk = render(shot, {"edges": {"shift": -30}})

    assert np.sqrt(_area(grown[..., 3]) / np.pi) == pytest.approx(70, abs=1.5)
    assert np.sqrt(_area(shrunk[..., 3]) / np.pi) == pytest.approx(10, abs=1.5)
    # Round, not square: as wide along the diagonal as along the axes.
    row = np.flatnonzero(grown[SIZE[1] // 2, :, 3] >= 128)
    diagonal = np.flatnonzero(np.diagonal(grown[..., 3], offset=(SIZE[0] - SIZE[1]) // 2) >= 128)
    assert len(diagonal) * np.sqrt(2) == pytest.approx(len(row), rel=0.06)


def test_settings_scaled_up_for_a_tiny_original_stay_quick():
    shot = scene(disc_alpha((4, 4), 1.5))
    spec = {
        "edges": {"shift": 50, "feather": 50},
        "shadow": {"type": "drop", "blur": 500, "offset_x": 2000},
        "framing": {"crop": "subject", "canvas": [1200, 1200]},
    }

    started = time.perf_counter()
    rendered, _ = render(shot, spec)

    assert (rendered.width, rendered.height) == (1200, 1200)
    assert time.perf_counter() - started < 5


def test_grown_edges_take_the_subjects_colour_not_the_backdrops():
    shot = scene(disc_alpha(SIZE, 40, softness=1.5), (200, 40, 40), GREEN_SCREEN)

    _, rgba = render(shot, {"edges": {"shift": 4}})

    grown = (rgba[..., 3] > 0) & (np.asarray(shot.matte) == 0)
    assert grown.sum() > 500
    assert (rgba[..., 1][grown] < 80).all()


def test_feather_softens_a_hard_edge_over_about_that_width():
    shot = scene(disc_alpha(SIZE, 50))
    soft_widths = {}
    for feather in (0, 8):
        _, rgba = render(shot, {"edges": {"feather": feather}})
        row = rgba[SIZE[1] // 2, :, 3].astype(int)
        soft_widths[feather] = int(((row > 12) & (row < 243)).sum()) / 2  # two edges per row

    assert soft_widths[0] <= 1
    # σ = feather / 2: 5 % to 95 % spans 3.3 σ, about 13 px.
    assert 10 <= soft_widths[8] <= 16


def test_shift_and_feather_scale_with_the_output(green_screen):
    spec = parse_spec({"edges": {"shift": 6, "feather": 4}})
    full = compositor.render(green_screen.original, green_screen.matte, spec)
    small_original = green_screen.original.resize((120, 90), Image.Resampling.BOX)
    small_matte = green_screen.matte.resize((120, 90), Image.Resampling.BOX)

    preview = compositor.render(small_original, small_matte, spec, full_size=SIZE)

    shrunk = np.asarray(full.image.resize((120, 90), Image.Resampling.BOX))[..., 3]
    difference = np.abs(np.asarray(preview.image)[..., 3].astype(int) - shrunk)
    assert difference.mean() < 3


def test_grown_edges_on_a_noisy_photo_stay_the_subjects_colour():
    # A real photo's faint edge pixels carry sensor or JPEG noise, which the
    # colour clean-up divides by a tiny alpha; growing the edge must not show it.
    shot = scene(disc_alpha(SIZE, 50, softness=3), (200, 40, 40), GREEN_SCREEN)
    noise = np.random.default_rng(1).normal(0, 3, (SIZE[1], SIZE[0], 3))
    noisy = np.clip(np.asarray(shot.original) + noise, 0, 255).astype(np.uint8)
    shot = replace(shot, original=Image.fromarray(noisy))

    _, rgb = render(
        shot, {"background": {"type": "color", "color": "#ffffff"}, "edges": {"shift": 4}}
    )

    # Every pixel should be a blend of the subject's red and the white behind it.
    red, white = np.array([200, 40, 40], np.float32), np.array([255, 255, 255], np.float32)
    along = np.clip(((rgb - red) @ (white - red)) / ((white - red) @ (white - red)), 0, 1)
    off_the_blend = np.linalg.norm(rgb - (red + along[..., None] * (white - red)), axis=-1)
    assert off_the_blend.max() < 30
