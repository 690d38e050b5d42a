"""Render specs: what a member may ask of the compositor, checked, with defaults filled in.

A spec is a typed RenderSpec (pydantic) in code and plain JSON on disk and on
the wire: Render, Export and Preset rows keep RenderSpec.to_json(), and
parse_spec() reads it back. Its JSON Schema is the OpenAPI document's RenderSpec.

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

import re
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from cutouts.lib.inputs import InputError, parse_json

MAX_CANVAS_PIXELS = 100_000_000
MAX_SIDE = 20_000
# A spec written out in full is about 600 characters and 3 levels deep
# (spec → framing → canvas): room for whitespace and comments' worth of slack.
SPEC_MAX_LENGTH = 20_000
SPEC_MAX_DEPTH = 4

_HEX = r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$"
_ASPECT = re.compile(r"\s*(\d{1,3})\s*:\s*(\d{1,3})\s*")
# Judged before the settings above them, as the checks written by hand before
# pydantic were: a spec with several faults still names the one it did.
_JUDGED_FIRST = ("canvas", "aspect", "format", "max_side")
_EXTENSIONS = {"PNG": "png", "WEBP": "webp", "JPEG": "jpg"}
_FORMAT_ALIASES = {"JPG": "JPEG"}


class SpecError(ValueError):
    """A spec that cannot be rendered; the message is written for the member."""


def _refusal(message: str) -> PydanticCustomError:
    """An error whose message is already written for the member (see _message)."""
    return PydanticCustomError("spec", message)


def _whole(value: Any) -> Any:
    # JSON has one number type: 20.0 is accepted as 20, 20.5 is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _six_digits(color: str) -> str:
    digits = color.removeprefix("#").lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return f"#{digits}"


def _format_name(value: Any) -> Any:
    if isinstance(value, str):
        return _FORMAT_ALIASES.get(value.upper(), value.upper())
    return value


def _aspect(value: Any) -> str:
    match = _ASPECT.fullmatch(value) if isinstance(value, str) else None
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if width == 0 or height == 0:
        raise _refusal("Aspect ratio must look like 4:5 (two whole numbers from 1 to 999).")
    if not 0.1 <= width / height <= 10:
        raise _refusal("Aspect ratio must be between 1:10 and 10:1.")
    return f"{width}:{height}"


def _pair(value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _refusal("Canvas size must be [width, height] in pixels.")
    return value


def _not_too_large(canvas: tuple[int, int]) -> tuple[int, int]:
    width, height = canvas
    if width * height > MAX_CANVAS_PIXELS:
        raise _refusal(
            f"A canvas of {width} × {height} is too large: at most "
            f"{MAX_CANVAS_PIXELS // 1_000_000} megapixels."
        )
    return canvas


def _type_or(first: str) -> BeforeValidator:
    """A background or shadow without a "type" is the first kind ("transparent", "none")."""

    def fill_in(value: Any) -> Any:
        if isinstance(value, dict) and "type" not in value:
            return {"type": first, **value}
        return value

    return BeforeValidator(fill_in)


# Strict: "20" and true are not numbers, as JSON has it.
WholeNumber = Annotated[int, Strict(), BeforeValidator(_whole)]
Number = Annotated[float, Strict()]
Switch = Annotated[bool, Strict()]
Color = Annotated[str, Strict(), Field(pattern=_HEX), AfterValidator(_six_digits)]
Aspect = Annotated[str, Field(pattern=r"^\d{1,3}:\d{1,3}$"), BeforeValidator(_aspect)]
# Bounds of a number in an optional setting go before its validator: after it,
# pydantic's JSON Schema would write them as "ge" and "le", not "minimum" and "maximum".
CanvasSide = Annotated[int, Strict(), Field(ge=1, le=MAX_SIDE), BeforeValidator(_whole)]
LargestSide = Annotated[int, Strict(), Field(ge=16, le=MAX_SIDE), BeforeValidator(_whole)]
Canvas = Annotated[
    tuple[
        Annotated[CanvasSide, Field(title="Canvas width")],
        Annotated[CanvasSide, Field(title="Canvas height")],
    ],
    BeforeValidator(_pair),
    AfterValidator(_not_too_large),
]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)


class TransparentBackground(_Settings):
    type: Literal["transparent"]


class ColorBackground(_Settings):
    type: Literal["color"]
    color: Color = Field("#ffffff", title="Background colour")


class ImageBackground(_Settings):
    type: Literal["image"]
    backdrop_id: WholeNumber = Field(ge=1, title="Background picture")
    fit: Literal["cover", "contain"] = Field("cover", title="Background picture fit")


class BlurBackground(_Settings):
    type: Literal["blur"]
    strength: Number = Field(40.0, ge=0, le=100, title="Blur strength")


class GradientBackground(_Settings):
    type: Literal["gradient"]
    start: Color = Field("#ffffff", alias="from", title="Gradient start colour")
    end: Color = Field("#d9dde3", alias="to", title="Gradient end colour")
    angle: Number = Field(180.0, ge=0, le=360, title="Gradient angle")


Background = Annotated[
    TransparentBackground | ColorBackground | ImageBackground | BlurBackground | GradientBackground,
    Field(discriminator="type"),
    _type_or("transparent"),
]


class NoShadow(_Settings):
    type: Literal["none"]


class DropShadow(_Settings):
    type: Literal["drop"]
    offset_x: WholeNumber = Field(0, ge=-2000, le=2000, title="Shadow offset (across)")
    offset_y: WholeNumber = Field(20, ge=-2000, le=2000, title="Shadow offset (down)")
    blur: WholeNumber = Field(40, ge=0, le=500, title="Shadow blur")
    opacity: Number = Field(0.35, ge=0, le=1, title="Shadow opacity")
    color: Color = Field("#000000", title="Shadow colour")


class ContactShadow(_Settings):
    type: Literal["contact"]
    opacity: Number = Field(0.5, ge=0, le=1, title="Shadow opacity")
    blur: WholeNumber = Field(30, ge=0, le=500, title="Shadow blur")
    spread: Number = Field(0.5, ge=0, le=1, title="Shadow spread")


Shadow = Annotated[
    NoShadow | DropShadow | ContactShadow, Field(discriminator="type"), _type_or("none")
]


class Edges(_Settings):
    shift: WholeNumber = Field(0, ge=-50, le=50, title="Edge shift")
    feather: WholeNumber = Field(0, ge=0, le=50, title="Edge feather")
    decontaminate: Switch = Field(True, title="Colour clean-up at edges")


class Framing(_Settings):
    crop: Literal["none", "subject"] = Field("none", title="Crop")
    padding: Number = Field(0.0, ge=0, le=0.5, title="Padding")
    canvas: Canvas | None = Field(
        None,
        title="Canvas size",
        description=f"At most {MAX_CANVAS_PIXELS // 1_000_000} megapixels; not with an aspect.",
    )
    aspect: Aspect | None = Field(
        None, title="Aspect ratio", description="From 1:10 to 10:1; not with a canvas."
    )
    fill: Number = Field(0.9, ge=0.1, le=1, title="Subject fill")
    align: Literal["center", "bottom"] = Field("center", title="Alignment")

    @field_validator("aspect")
    @classmethod
    def _not_with_a_canvas(cls, aspect: str | None, info: ValidationInfo) -> str | None:
        # info.data holds the settings above that were valid: a canvas, if it was.
        if aspect is not None and info.data.get("canvas") is not None:
            raise _refusal("Choose a canvas size or an aspect ratio, not both.")
        return aspect

    @property
    def aspect_ratio(self) -> float | None:
        """Width over height of the aspect, such as 0.8 for "4:5"; None without one."""
        if self.aspect is None:
            return None
        width, height = self.aspect.split(":")
        return int(width) / int(height)


class Output(_Settings):
    format: Annotated[Literal["PNG", "WEBP", "JPEG"], BeforeValidator(_format_name)] = Field(
        "PNG", title="Format"
    )
    quality: WholeNumber = Field(90, ge=1, le=100, title="Quality")
    max_side: LargestSide | None = Field(None, title="Largest side")
    linear_light: Switch = Field(False, title="Linear-light blending")

    @property
    def extension(self) -> str:
        """ "png", "webp" or "jpg"."""
        return _EXTENSIONS[self.format]


class RenderSpec(_Settings):
    """Everything a render is made with; any part left out takes its defaults."""

    background: Background = TransparentBackground(type="transparent")
    shadow: Shadow = NoShadow(type="none")
    edges: Edges = Edges()
    framing: Framing = Framing()
    output: Output = Output()

    def to_json(self) -> dict[str, Any]:
        """The spec as kept on rows and sent to studio.js: every setting written out."""
        return self.model_dump(mode="json")


def parse_spec(raw: Any) -> RenderSpec:
    """`raw` (JSON as Python values, or a RenderSpec) checked; SpecError says what is wrong."""
    try:
        return RenderSpec.model_validate(raw)
    except ValidationError as invalid:
        raise SpecError(_message(invalid.errors())) from None


def spec_from_json(text: str | bytes) -> RenderSpec:
    """A spec sent as JSON text, checked; SpecError says what is wrong."""
    try:
        raw = parse_json(text, max_length=SPEC_MAX_LENGTH, max_depth=SPEC_MAX_DEPTH)
    except InputError as error:
        raise SpecError(str(error)) from error
    return parse_spec(raw)


def _message(errors: list[ErrorDetails]) -> str:
    """The member's message for the first thing wrong, worded from the JSON Schema's titles.

    A setting's unknown keys come before its values are judged, as they read
    top to bottom; pydantic lists them after, so they are looked for first.
    """
    first = errors[0]
    if not first["loc"]:
        return "A render spec must be a JSON object."
    unknown = [
        error
        for error in errors
        if error["type"] == "extra_forbidden"
        and first["loc"][: len(error["loc"]) - 1] == error["loc"][:-1]
    ]
    if unknown:
        where = min((error["loc"][:-1] for error in unknown), key=len)
        names = sorted(str(e["loc"][-1]) for e in unknown if e["loc"][:-1] == where)
        return f"Unknown setting in {_place(where)}: {', '.join(names)}."
    first = _judged_first(errors)
    kind, loc = first["type"], first["loc"]
    if kind == "spec":
        return first["msg"]
    if kind in ("model_type", "model_attributes_type"):
        return f"“{loc[0]}” must be an object of settings."
    setting = _schema_at(loc)
    if kind == "union_tag_invalid":
        kinds = [_resolved(option)["properties"]["type"]["const"] for option in setting["oneOf"]]
        return f"The {loc[0]} must be one of: {', '.join(kinds)}."
    title = setting["title"]
    if "enum" in setting:
        return f"{title} must be one of: {', '.join(setting['enum'])}."
    if setting.get("pattern") == _HEX:
        return f"{title} must be a hex colour such as #ffffff."
    if setting.get("type") == "boolean":
        return f"{title} must be on or off (true or false)."
    bounds = _range(setting["minimum"], setting.get("maximum"))
    if setting.get("type") == "number":
        return f"{title} must be a number{bounds}."
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{title} must be{bounds}."
    return f"{title} must be a whole number{bounds}."


def _judged_first(errors: list[ErrorDetails]) -> ErrorDetails:
    """The first error, or one on a _JUDGED_FIRST setting of the same section."""
    depth = len(errors[0]["loc"]) - 1
    section = errors[0]["loc"][:depth]
    for error in errors:
        loc = error["loc"]
        if loc[:depth] == section and len(loc) > depth and loc[depth] in _JUDGED_FIRST:
            return error
    return errors[0]


def _place(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "the spec"
    if len(loc) == 1:
        return str(loc[0])
    return f"the {loc[1]} {loc[0]}"  # "the color background"


@cache
def _schema() -> dict[str, Any]:
    return RenderSpec.model_json_schema()


def _schema_at(loc: tuple[int | str, ...]) -> dict[str, Any]:
    """The JSON Schema of the setting at pydantic's `loc`: ("background", "color", "color")."""
    node = _resolved(_schema())
    for part in loc:
        if isinstance(part, int):
            node = node["prefixItems"][part]
        elif "discriminator" in node:
            node = {"$ref": node["discriminator"]["mapping"][part]}
        else:
            node = node["properties"][part]
        node = _resolved(node)
    return node


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    # An optional setting is anyOf [the setting, null]; its title stays outside.
    if "anyOf" in node:
        node = {**node["anyOf"][0], "title": node.get("title")}
    if "$ref" in node:
        node = {**_schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]], **node}
    return node


def _range(low: float, high: float | None) -> str:
    if high is None:
        return f" of at least {low:g}"
    return f" from {low:g} to {high:g}"
