"""Shadows: none, a drop shadow (offset, blur, opacity, colour), a soft contact shadow."""

import numpy as np
from PIL import Image

from cutouts.lib import compositor
from cutouts.lib.render_spec import parse_spec
from tests.scenes import rect_alpha, render, scene

SIZE = (200, 160)
BOX = (70, 40, 130, 120)  # a product 60 wide, 80 tall, standing 40 px above the bottom
WHITE = {"type": "color", "color": "#ffffff"}


def _product():
    return scene(rect_alpha(SIZE, BOX), (40, 90, 160), (255, 255, 255))


def test_no_shadow_leaves_the_background_untouched():
    _, rgb = render(_product(), {"background": WHITE})

    outside = rect_alpha(SIZE, BOX) == 0
    assert (rgb[outside] == 255).all()


def test_a_drop_shadow_falls_at_its_offset_with_its_opacity_and_colour():
    shadow = {
        "type": "drop",
        "offset_x": 15,
        "offset_y": 10,
        "blur": 0,
        "opacity": 0.5,
        "color": "#ff0000",
    }

    _, rgb = render(_product(), {"background": WHITE, "shadow": shadow})

    x1, y1 = BOX[2], BOX[3]
    # Beyond the product's bottom-right corner, within the offset: half red over white.
    assert np.abs(rgb[y1 + 5, x1 + 5].astype(int) - (255, 128, 128)).max() <= 1
    # Above and left of the product, away from the offset: untouched.
    assert tuple(rgb[BOX[1] - 5, BOX[0] - 5]) == (255, 255, 255)
    assert tuple(rgb[y1 + 15, x1 + 5]) == (255, 255, 255)
    # The product itself covers its shadow.
    assert tuple(rgb[100, 100]) == (40, 90, 160)


def test_a_blurred_drop_shadow_fades_out():
    shadow = {"type": "drop", "offset_x": 0, "offset_y": 0, "blur": 12, "opacity": 1}

    _, rgb = render(_product(), {"background": WHITE, "shadow": shadow})

    fade = rgb[80, BOX[2] : BOX[2] + 20, 0].astype(int)
    assert fade[0] < 160 and fade[-1] > 240
    assert (np.diff(fade) >= 0).all()


def test_a_drop_shadow_on_transparent_is_in_the_alpha():
    shadow = {"type": "drop", "offset_x": 10, "offset_y": 10, "blur": 0, "opacity": 0.4}

    _, rgba = render(_product(), {"shadow": shadow})

    assert tuple(rgba[BOX[3] + 5, BOX[2] + 5]) == (0, 0, 0, 102)  # 0.4 · 255
    assert rgba[BOX[1] - 5, BOX[0] - 5, 3] == 0


def test_a_contact_shadow_lies_under_the_subject_only():
    shadow = {"type": "contact", "opacity": 0.8, "blur": 4, "spread": 0.5}

    _, rgb = render(_product(), {"background": WHITE, "shadow": shadow})

    bottom, centre = BOX[3], (BOX[0] + BOX[2]) // 2
    assert rgb[bottom + 1, centre, 0] < 200
    assert (rgb[: bottom - 10, : BOX[0] - 2] == 255).all()  # nothing beside it above its feet
    assert (rgb[bottom + 20 :] == 255).all()  # a thin band, not a pool
    # spread 0.5: about as wide as the footprint (60 px), blurred a little.
    shaded = np.flatnonzero(rgb[bottom + 1, :, 0] < 250)
    assert 55 <= shaded[-1] - shaded[0] <= 75


def test_a_wider_spread_makes_a_wider_contact_shadow():
    widths = []
    for spread in (0.2, 1.0):
        shadow = {"type": "contact", "opacity": 0.8, "blur": 0, "spread": spread}
        _, rgb = render(_product(), {"background": WHITE, "shadow": shadow})
        widths.append(len(np.flatnonzero(rgb[BOX[3] + 1, :, 0] < 250)))

    assert widths[1] > 1.5 * widths[0]


def test_shadow_sizes_scale_with_a_preview():
    shot = _product()
    spec = parse_spec(
        {
            "background": WHITE,
            "shadow": {"type": "drop", "offset_x": 20, "offset_y": 20, "blur": 8, "opacity": 0.6},
        }
    )
    full = compositor.render(shot.original, shot.matte, spec)

    preview = compositor.render(
        shot.original.resize((100, 80), Image.Resampling.BOX),
        shot.matte.resize((100, 80), Image.Resampling.BOX),
        spec,
        full_size=SIZE,
    )

    shrunk = np.asarray(full.image.resize((100, 80), Image.Resampling.BOX), np.float32)
    assert np.abs(np.asarray(preview.image, np.float32) - shrunk).mean() < 2
