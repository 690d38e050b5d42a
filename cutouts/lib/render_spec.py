"""Render specs: what a member may ask of the compositor, checked, with defaults filled in.

A spec is plain JSON, so it can be kept on a Render, an Export or a team
Preset and sent back to cutouts.lib.compositor.render() unchanged:

    {
      "background": {"type": "transparent"}
                  | {"type": "color", "color": "#rrggbb"}
                  | {"type": "image", "backdrop_id": 7, "fit": "cover" | "contain"}
                  | {"type": "blur", "strength": 0..100}
                  | {"type": "gradient", "from": "#rrggbb", "to": "#rrggbb", "angle": 0..360},
      "shadow": {"type": "none"}
              | {"type": "drop", "offset_x": px, "offset_y": px, "blur": px,
                 "opacity": 0..1, "color": "#rrggbb"}
              | {"type": "contact", "opacity": 0..1, "blur": px, "spread": 0..1},
      "edges": {"shift": -50..50, "feather": 0..50, "decontaminate": true | false},
      "framing": {"crop": "none" | "subject", "padding": 0..0.5, "canvas": null | [w, h],
                  "aspect": null | "4:5", "fill": 0.1..1, "align": "center" | "bottom"},
      "output": {"format": "PNG" | "WEBP" | "JPEG", "quality": 1..100,
                 "max_side": null | 16..20000, "linear_light": true | false}
    }

Meanings the compositor keeps:
- px values are pixels of the full-size original; a render at another scale
  (a preview, a 2000 px canvas) scales them, so every size looks the same.
- blur "strength" is resolution-free: the blur's σ is strength/2000 of the
  original's short side (100 → 5 %).
- shadow "blur" and edge "feather" are radii as in CSS: Gaussian σ = value / 2.
- contact shadow "spread": the ellipse under the subject is (0.5 + spread)
  times as wide as the subject's footprint (0.5 → exactly the footprint).
- gradient "angle" is CSS's: 180 runs from "from" at the top to "to" at the bottom.
- padding is a fraction of the subject box's longer side, added on every side
  (without a canvas), or kept below the subject (a canvas with bottom alignment).
- fill (with a canvas only): the subject box's larger share of the canvas,
  max(box width / canvas width, box height / canvas height).
- aspect (without a canvas): the frame is widened or heightened to it, never cropped.
- crop "subject": the box of pixels with alpha ≥ 32 (faint haze and noise do
  not count); crop "none": the whole photo is the box.
- JPEG has no transparency: a transparent background, or the bars beside a
  contained backdrop, are white there.
- a "blur" background is the photo with its subject taken out, blurred, and
  placed as the subject is (past the photo's edges its border continues).
- decontaminate: edge colours are solved free of the backdrop they were shot
  against (I = a·F + (1−a)·B), so a green screen leaves no green fringe.
- output is sRGB (untagged, as the web assumes); linear_light blends edges,
  shadows, gradients and the blur in linear light instead of sRGB values.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

from cutouts.lib.inputs import InputError, parse_json

MAX_CANVAS_PIXELS = 100_000_000
MAX_SIDE = 20_000
# A spec written out in full is about 600 characters and 3 levels deep
# (spec → framing → canvas): room for whitespace and comments' worth of slack.
SPEC_MAX_LENGTH = 20_000
SPEC_MAX_DEPTH = 4

DEFAULT_SPEC: dict[str, Any] = {
    "background": {"type": "transparent"},
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

# Each background and shadow type with its settings' defaults; "type" alone is a valid choice.
_BACKGROUNDS: dict[str, dict[str, Any]] = {
    "transparent": {},
    "color": {"color": "#ffffff"},
    "image": {"backdrop_id": None, "fit": "cover"},
    "blur": {"strength": 40},
    "gradient": {"from": "#ffffff", "to": "#d9dde3", "angle": 180},
}
_SHADOWS: dict[str, dict[str, Any]] = {
    "none": {},
    "drop": {"offset_x": 0, "offset_y": 20, "blur": 40, "opacity": 0.35, "color": "#000000"},
    "contact": {"opacity": 0.5, "blur": 30, "spread": 0.5},
}
_FORMATS = {"PNG": "png", "WEBP": "webp", "JPEG": "jpg"}
_FORMAT_ALIASES = {"JPG": "JPEG"}
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_ASPECT = re.compile(r"\s*(\d{1,3})\s*:\s*(\d{1,3})\s*")


class SpecError(ValueError):
    """A spec that cannot be rendered; the message is written for the member."""


@dataclass(frozen=True)
class BuiltinPreset:
    slug: str
    name: str
    spec: dict[str, Any]


def spec_from_json(text: str) -> dict[str, Any]:
    """A spec sent as JSON text, checked; SpecError says what is wrong."""
    try:
        return validate_spec(parse_json(text, max_length=SPEC_MAX_LENGTH, max_depth=SPEC_MAX_DEPTH))
    except InputError as error:
        raise SpecError(str(error)) from error


def validate_spec(raw: Any) -> dict[str, Any]:
    """`raw` checked and completed with defaults; SpecError says what is wrong."""
    if not isinstance(raw, dict):
        raise SpecError("A render spec must be a JSON object.")
    _no_unknown_keys(raw, DEFAULT_SPEC, "the spec")
    return {
        "background": _background(_section(raw, "background")),
        "shadow": _shadow(_section(raw, "shadow")),
        "edges": _edges(_section(raw, "edges")),
        "framing": _framing(_section(raw, "framing")),
        "output": _output(_section(raw, "output")),
    }


def file_extension(spec: dict[str, Any]) -> str:
    """ "png", "webp" or "jpg" for a validated spec."""
    return _FORMATS[spec["output"]["format"]]


def aspect_ratio(aspect: str) -> float:
    """Width over height for a validated aspect such as "4:5"."""
    width, height = aspect.split(":")
    return int(width) / int(height)


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise SpecError(f"“{name}” must be an object of settings.")
    return value


def _no_unknown_keys(given: dict[str, Any], known: dict[str, Any], where: str) -> None:
    unknown = sorted(str(key) for key in set(given) - set(known))
    if unknown:
        raise SpecError(f"Unknown setting in {where}: {', '.join(unknown)}.")


def _typed(given: dict[str, Any], kinds: dict[str, dict[str, Any]], what: str) -> dict[str, Any]:
    kind = given.get("type", next(iter(kinds)))
    if not isinstance(kind, str) or kind not in kinds:
        raise SpecError(f"The {what} must be one of: {', '.join(kinds)}.")
    defaults = kinds[kind]
    _no_unknown_keys(given, {"type": None, **defaults}, f"the {kind} {what}")
    return {"type": kind, **defaults, **given}


def _background(given: dict[str, Any]) -> dict[str, Any]:
    spec = _typed(given, _BACKGROUNDS, "background")
    kind = spec["type"]
    if kind == "color":
        spec["color"] = _color(spec["color"], "Background colour")
    elif kind == "image":
        spec["backdrop_id"] = _integer(spec["backdrop_id"], "Background picture", 1, None)
        spec["fit"] = _choice(spec["fit"], ("cover", "contain"), "Background picture fit")
    elif kind == "blur":
        spec["strength"] = _number(spec["strength"], "Blur strength", 0, 100)
    elif kind == "gradient":
        spec["from"] = _color(spec["from"], "Gradient start colour")
        spec["to"] = _color(spec["to"], "Gradient end colour")
        spec["angle"] = _number(spec["angle"], "Gradient angle", 0, 360)
    return spec


def _shadow(given: dict[str, Any]) -> dict[str, Any]:
    spec = _typed(given, _SHADOWS, "shadow")
    kind = spec["type"]
    if kind == "drop":
        spec["offset_x"] = _integer(spec["offset_x"], "Shadow offset (across)", -2000, 2000)
        spec["offset_y"] = _integer(spec["offset_y"], "Shadow offset (down)", -2000, 2000)
        spec["blur"] = _integer(spec["blur"], "Shadow blur", 0, 500)
        spec["opacity"] = _number(spec["opacity"], "Shadow opacity", 0, 1)
        spec["color"] = _color(spec["color"], "Shadow colour")
    elif kind == "contact":
        spec["opacity"] = _number(spec["opacity"], "Shadow opacity", 0, 1)
        spec["blur"] = _integer(spec["blur"], "Shadow blur", 0, 500)
        spec["spread"] = _number(spec["spread"], "Shadow spread", 0, 1)
    return spec


def _edges(given: dict[str, Any]) -> dict[str, Any]:
    defaults = DEFAULT_SPEC["edges"]
    _no_unknown_keys(given, defaults, "edges")
    spec = {**defaults, **given}
    return {
        "shift": _integer(spec["shift"], "Edge shift", -50, 50),
        "feather": _integer(spec["feather"], "Edge feather", 0, 50),
        "decontaminate": _boolean(spec["decontaminate"], "Colour clean-up at edges"),
    }


def _framing(given: dict[str, Any]) -> dict[str, Any]:
    defaults = DEFAULT_SPEC["framing"]
    _no_unknown_keys(given, defaults, "framing")
    spec = {**defaults, **given}
    canvas = spec["canvas"]
    if canvas is not None:
        canvas = _canvas(canvas)
    aspect = spec["aspect"]
    if aspect is not None:
        aspect = _aspect(aspect)
    if canvas is not None and aspect is not None:
        raise SpecError("Choose a canvas size or an aspect ratio, not both.")
    return {
        "crop": _choice(spec["crop"], ("none", "subject"), "Crop"),
        "padding": _number(spec["padding"], "Padding", 0, 0.5),
        "canvas": canvas,
        "aspect": aspect,
        "fill": _number(spec["fill"], "Subject fill", 0.1, 1),
        "align": _choice(spec["align"], ("center", "bottom"), "Alignment"),
    }


def _output(given: dict[str, Any]) -> dict[str, Any]:
    defaults = DEFAULT_SPEC["output"]
    _no_unknown_keys(given, defaults, "output")
    spec = {**defaults, **given}
    fmt = spec["format"]
    if isinstance(fmt, str):
        fmt = _FORMAT_ALIASES.get(fmt.upper(), fmt.upper())
    fmt = _choice(fmt, tuple(_FORMATS), "Format")
    max_side = spec["max_side"]
    if max_side is not None:
        max_side = _integer(max_side, "Largest side", 16, MAX_SIDE)
    return {
        "format": fmt,
        "quality": _integer(spec["quality"], "Quality", 1, 100),
        "max_side": max_side,
        "linear_light": _boolean(spec["linear_light"], "Linear-light blending"),
    }


def _canvas(value: Any) -> list[int]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise SpecError("Canvas size must be [width, height] in pixels.")
    width = _integer(value[0], "Canvas width", 1, MAX_SIDE)
    height = _integer(value[1], "Canvas height", 1, MAX_SIDE)
    if width * height > MAX_CANVAS_PIXELS:
        raise SpecError(
            f"A canvas of {width} × {height} is too large: at most "
            f"{MAX_CANVAS_PIXELS // 1_000_000} megapixels."
        )
    return [width, height]


def _aspect(value: Any) -> str:
    match = _ASPECT.fullmatch(value) if isinstance(value, str) else None
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if width == 0 or height == 0:
        raise SpecError("Aspect ratio must look like 4:5 (two whole numbers from 1 to 999).")
    if not 0.1 <= width / height <= 10:
        raise SpecError("Aspect ratio must be between 1:10 and 10:1.")
    return f"{width}:{height}"


def _color(value: Any, label: str) -> str:
    match = _HEX.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise SpecError(f"{label} must be a hex colour such as #ffffff.")
    digits = match[1].lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return f"#{digits}"


def _choice(value: Any, choices: tuple[str, ...], label: str) -> str:
    # A list or object never equals a word, and is not hashable either.
    if not isinstance(value, str) or value not in choices:
        raise SpecError(f"{label} must be one of: {', '.join(choices)}.")
    return value


def _boolean(value: Any, label: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{label} must be on or off (true or false).")
    return value


def _integer(value: Any, label: str, low: int, high: int | None) -> int:
    # JSON has one number type: 20.0 is accepted as 20, 20.5 is not. The
    # checks compare before converting: a 400-digit int overflows float().
    if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
        raise SpecError(f"{label} must be a whole number{_range(low, high)}.")
    if value < low or (high is not None and value > high):
        raise SpecError(f"{label} must be{_range(low, high)}.")
    return int(value)


def _number(value: Any, label: str, low: float, high: float) -> float:
    if not _is_number(value) or not low <= value <= high:
        raise SpecError(f"{label} must be a number{_range(low, high)}.")
    return float(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _range(low: float, high: float | None) -> str:
    if high is None:
        return f" of at least {low:g}"
    return f" from {low:g} to {high:g}"


# The preset of the cutout every processed image gets (full size, transparent PNG).
CUTOUT_PRESET = "transparent-png"

BUILTIN_PRESETS: dict[str, BuiltinPreset] = {
    preset.slug: preset
    for preset in (
        BuiltinPreset(
            "amazon-main",
            "Amazon main image",
            # Amazon's rules: pure white (255, 255, 255), the product filling 85 %
            # of the frame, JPEG; 2000 px squares enable zoom.
            validate_spec(
                {
                    "background": {"type": "color", "color": "#ffffff"},
                    "framing": {"crop": "subject", "canvas": [2000, 2000], "fill": 0.85},
                    "output": {"format": "JPEG", "quality": 90},
                }
            ),
        ),
        BuiltinPreset(
            "shopify-square",
            "Shopify square",
            validate_spec(
                {
                    "background": {"type": "color", "color": "#ffffff"},
                    "framing": {"crop": "subject", "canvas": [2048, 2048], "fill": 0.9},
                    "output": {"format": "JPEG", "quality": 90},
                }
            ),
        ),
        BuiltinPreset(
            "transparent-png",
            "Transparent PNG (full size)",
            validate_spec({"output": {"format": "PNG"}}),
        ),
        BuiltinPreset(
            "webp-web",
            "WebP for the web",
            validate_spec({"output": {"format": "WEBP", "quality": 85, "max_side": 1600}}),
        ),
    )
}
