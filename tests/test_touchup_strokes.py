"""Touch-up strokes (cutouts.lib.strokes): checked, scaled from display to full size, painted."""

import json

import numpy as np
import pytest

from cutouts.lib.strokes import MAX_POINTS, MAX_STROKES, StrokeError, apply_strokes, parse_strokes
from tests.touchups import (
    SIZE,
    alpha,
    broken_matte,
    disc_photo,
    lost_part_share,
    restore_lost_part,
    strokes_json,
    true_matte,
)

DISPLAY = (240, 180)


def _apply(matte, text, size=SIZE, photo=None):
    return alpha(apply_strokes(matte, parse_strokes(text, size=size), photo=photo))


def _stroke(**fields) -> dict:
    return {"mode": "restore", "radius": 10, "hardness": 1, "points": [[120, 90]], **fields}


def test_restore_brings_alpha_up_where_painted_and_nowhere_else():
    before = alpha(broken_matte())
    after = _apply(broken_matte(), restore_lost_part(DISPLAY))
    assert lost_part_share(after) > 0.97
    painted = after != before
    assert not painted[:, 271:].any()  # the arcs stay left of the centre (240) + the brush (30)
    assert (after >= before).all()


def test_erase_brings_alpha_down_under_the_brush():
    text = strokes_json(DISPLAY, [_stroke(mode="erase", points=[[120, 90], [130, 90]])])
    after = _apply(true_matte(), text)
    assert after[180, 240:260].max() == 0  # the path, at full size (× 2)
    assert after[180, 290] == 1  # 25 full-size px right of the path's end: outside the brush


def test_display_points_land_scaled_on_the_full_size_matte():
    full = (960, 720)  # four times the display copy
    text = strokes_json(DISPLAY, [_stroke(points=[[60, 45]], radius=2)])
    after = _apply(broken_matte(full), text, size=full)
    assert after[180, 240] == 1
    assert after[180, 260] == 0


def test_hardness_sets_how_far_the_brush_covers_fully():
    hard = _apply(broken_matte(), strokes_json(DISPLAY, [_stroke(points=[[40, 90]])]))
    soft = _apply(broken_matte(), strokes_json(DISPLAY, [_stroke(points=[[40, 90]], hardness=0)]))
    # 14 full-size px from the centre of a 20 px brush.
    assert hard[180, 94] == 1
    assert 0.2 < soft[180, 94] < 0.4
    assert hard[180, 80] == 1
    assert soft[180, 80] > 0.9  # hardness 0: full cover at the centre only
    assert hard[180, 101] == soft[180, 101] == 0


def test_an_edge_aware_restore_stays_inside_the_photos_edge_better_than_a_plain_one():
    truth = alpha(true_matte())
    spilled = {}
    restored = {}
    for edge_aware in (False, True):
        text = restore_lost_part(DISPLAY, edge_aware=edge_aware)
        after = _apply(broken_matte(), text, photo=disc_photo())
        spilled[edge_aware] = float((after * (truth == 0)).sum())
        restored[edge_aware] = lost_part_share(after)
    assert spilled[False] > 1000
    assert spilled[True] < spilled[False] / 5
    assert restored[False] == 1
    assert restored[True] > 0.9


def test_an_edge_aware_erase_along_the_subject_takes_less_of_it_than_a_plain_one():
    # An erase along the disc's right edge, 4 px outside it, biting 6 display px in.
    centre, radius = np.array([120.0, 90.0]), 60 + 4
    points = [
        (centre + radius * np.array([np.cos(t), np.sin(t)])).tolist()
        for t in np.linspace(-0.8, 0.8, 40)
    ]
    truth = alpha(true_matte())
    lost = {}
    for edge_aware in (False, True):
        stroke = _stroke(
            mode="erase", radius=10, hardness=0.8, points=points, edge_aware=edge_aware
        )
        after = _apply(true_matte(), strokes_json(DISPLAY, [stroke]), photo=disc_photo())
        lost[edge_aware] = float(((truth - after) * (truth > 0)).sum())
    assert lost[False] > 1000
    assert lost[True] < lost[False] / 3


def test_strokes_apply_in_order():
    erase_then_restore = [_stroke(mode="erase"), _stroke(mode="restore")]
    after = _apply(true_matte(), strokes_json(DISPLAY, erase_then_restore))
    assert after[180, 240] == 1
    after = _apply(true_matte(), strokes_json(DISPLAY, erase_then_restore[::-1]))
    assert after[180, 240] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "This is not valid JSON"),
        ("[]", "must be a JSON object"),
        (strokes_json(DISPLAY, []), "Strokes: List should have at least 1 item"),
        (strokes_json(DISPLAY, [_stroke(mode="blur")]), "Stroke 1, mode"),
        (strokes_json(DISPLAY, [_stroke(radius=0)]), "Stroke 1, radius"),
        (strokes_json(DISPLAY, [_stroke(radius=401)]), "Stroke 1, radius"),
        (strokes_json(DISPLAY, [_stroke(hardness=2)]), "Stroke 1, hardness"),
        (strokes_json(DISPLAY, [_stroke(radius="10")]), "Stroke 1, radius"),
        (strokes_json(DISPLAY, [_stroke(points=[])]), "Stroke 1, points"),
        (strokes_json(DISPLAY, [_stroke(points=[[1, 2, 3]])]), "Stroke 1, point 1"),
        (strokes_json(DISPLAY, [_stroke(color="red")]), "Stroke 1, color"),
        (strokes_json(DISPLAY, [_stroke(points=[[300, 90]])]), "Stroke 1 goes outside"),
        (strokes_json(DISPLAY, [_stroke(points=[[120, -11]])]), "Stroke 1 goes outside"),
        (strokes_json((240, 240), [_stroke()]), "painted on a 240 × 240 copy"),
        (strokes_json(DISPLAY, [_stroke()] * (MAX_STROKES + 1)), "Too many strokes"),
        (
            strokes_json(DISPLAY, [_stroke(points=[[1, 1]] * 5000)] * (MAX_POINTS // 5000 + 1)),
            "Too many points",
        ),
        ("x" * 2_000_001, "The JSON is too long"),
    ],
)
def test_bad_stroke_lists_are_refused_with_a_message(text, message):
    with pytest.raises(StrokeError) as refused:
        parse_strokes(text, size=SIZE)
    assert message in str(refused.value)


def test_a_stroke_may_reach_past_the_edge_by_its_radius():
    text = strokes_json(DISPLAY, [_stroke(points=[[-10, 90], [250, 190]])])
    assert parse_strokes(text, size=SIZE).strokes[0].points[0] == (-10, 90)
    assert json.loads(text)["width"] == 240
