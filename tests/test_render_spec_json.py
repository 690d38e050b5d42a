"""Specs are the same JSON on disk and on the wire as before they were typed models.

The expected texts below are what the hand-written checks stored for the same
input (built-in presets, and specs as the studio and team presets send them):
rows written then still read, and rows written now read the same.
"""

import json

import pytest

from cutouts.lib.presets import BUILTIN_PRESETS
from cutouts.lib.render_spec import parse_spec, spec_from_json

DEFAULTS = {
    "shadow": {"type": "none"},
    "edges": {"shift": 0, "feather": 0, "decontaminate": True},
    "framing": {
        "crop": "none",
        "padding": 0.0,
        "canvas": None,
        "aspect": None,
        "fill": 0.9,
        "align": "center",
    },
    "output": {"format": "PNG", "quality": 90, "max_side": None, "linear_light": False},
}
WHITE_SQUARE_JPEG = {
    "background": {"type": "color", "color": "#ffffff"},
    "shadow": {"type": "none"},
    "edges": {"shift": 0, "feather": 0, "decontaminate": True},
    "framing": {
        "crop": "subject",
        "padding": 0.0,
        "canvas": [2000, 2000],
        "aspect": None,
        "fill": 0.85,
        "align": "center",
    },
    "output": {"format": "JPEG", "quality": 90, "max_side": None, "linear_light": False},
}
STORED_PRESETS = {
    "amazon-main": WHITE_SQUARE_JPEG,
    "shopify-square": {
        **WHITE_SQUARE_JPEG,
        "framing": {**WHITE_SQUARE_JPEG["framing"], "canvas": [2048, 2048], "fill": 0.9},
    },
    "transparent-png": {"background": {"type": "transparent"}, **DEFAULTS},
    "webp-web": {
        "background": {"type": "transparent"},
        **DEFAULTS,
        "output": {"format": "WEBP", "quality": 85, "max_side": 1600, "linear_light": False},
    },
}
SENT_AND_STORED = [
    ({}, {"background": {"type": "transparent"}, **DEFAULTS}),
    (
        {"background": {"type": "color", "color": "#ABC"}, "output": {"format": "jpg"}},
        {
            "background": {"type": "color", "color": "#aabbcc"},
            **DEFAULTS,
            "output": {"format": "JPEG", "quality": 90, "max_side": None, "linear_light": False},
        },
    ),
    (
        {
            "background": {"type": "gradient", "from": "fff", "angle": 90},
            "shadow": {"type": "contact"},
        },
        {
            "background": {"type": "gradient", "from": "#ffffff", "to": "#d9dde3", "angle": 90.0},
            **DEFAULTS,
            "shadow": {"type": "contact", "opacity": 0.5, "blur": 30, "spread": 0.5},
        },
    ),
    (
        {
            "background": {"type": "image", "backdrop_id": 7, "fit": "contain"},
            "framing": {"aspect": " 4 : 5 ", "align": "bottom", "padding": 0.1},
        },
        {
            "background": {"type": "image", "backdrop_id": 7, "fit": "contain"},
            **DEFAULTS,
            "framing": {
                "crop": "none",
                "padding": 0.1,
                "canvas": None,
                "aspect": "4:5",
                "fill": 0.9,
                "align": "bottom",
            },
        },
    ),
    (
        {
            "background": {"type": "blur", "strength": 60},
            "shadow": {"type": "drop", "offset_x": -12.0, "opacity": 1},
            "edges": {"shift": 2, "feather": 3, "decontaminate": False},
        },
        {
            "background": {"type": "blur", "strength": 60.0},
            **DEFAULTS,
            "shadow": {
                "type": "drop",
                "offset_x": -12,
                "offset_y": 20,
                "blur": 40,
                "opacity": 1.0,
                "color": "#000000",
            },
            "edges": {"shift": 2, "feather": 3, "decontaminate": False},
        },
    ),
    (
        {
            "framing": {"crop": "subject", "canvas": [1200.0, 1500], "fill": 1},
            "output": {"format": "webp", "quality": 80, "max_side": 1600, "linear_light": True},
        },
        {
            "background": {"type": "transparent"},
            **DEFAULTS,
            "framing": {
                "crop": "subject",
                "padding": 0.0,
                "canvas": [1200, 1500],
                "aspect": None,
                "fill": 1.0,
                "align": "center",
            },
            "output": {"format": "WEBP", "quality": 80, "max_side": 1600, "linear_light": True},
        },
    ),
]


def _text(spec: dict) -> str:
    # Compared as text: the key order and 0.0 against 0 show on pages and in answers.
    return json.dumps(spec)


@pytest.mark.parametrize("slug", STORED_PRESETS)
def test_a_builtin_preset_is_the_json_it_always_was(slug):
    assert _text(BUILTIN_PRESETS[slug].spec.to_json()) == _text(STORED_PRESETS[slug])


@pytest.mark.parametrize(("sent", "stored"), SENT_AND_STORED)
def test_a_spec_sent_is_stored_as_the_json_it_always_was(sent, stored):
    assert _text(spec_from_json(json.dumps(sent)).to_json()) == _text(stored)


@pytest.mark.parametrize(
    "stored", [*STORED_PRESETS.values(), *(stored for _, stored in SENT_AND_STORED)]
)
def test_a_stored_spec_reads_back_unchanged(stored):
    assert _text(parse_spec(stored).to_json()) == _text(stored)
