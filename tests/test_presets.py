"""Render specs: defaults filled in, anything wrong refused with a message a member can act on."""

import pytest

from cutouts.lib.presets import BUILTIN_PRESETS, CUTOUT_PRESET
from cutouts.lib.render_spec import RenderSpec, SpecError, parse_spec


def stored(raw: object) -> dict:
    """The spec as stored: checked, completed with defaults, as JSON."""
    return parse_spec(raw).to_json()


def test_an_empty_spec_is_the_default_spec():
    assert parse_spec({}) == RenderSpec()


def test_a_partial_spec_is_completed_with_defaults():
    spec = stored({"shadow": {"type": "drop", "offset_y": 30}, "edges": {"feather": 2}})

    assert spec["shadow"] == {
        "type": "drop",
        "offset_x": 0,
        "offset_y": 30,
        "blur": 40,
        "opacity": 0.35,
        "color": "#000000",
    }
    assert spec["edges"] == {"shift": 0, "feather": 2, "decontaminate": True}
    assert spec["background"] == {"type": "transparent"}


def test_validating_a_validated_spec_changes_nothing():
    spec = stored({"background": {"type": "gradient"}, "framing": {"canvas": [800, 600]}})

    assert stored(spec) == spec


def test_colours_are_normalised_to_lowercase_six_digit_hex():
    spec = stored({"background": {"type": "color", "color": "#ABC"}})

    assert spec["background"]["color"] == "#aabbcc"


def test_format_names_are_forgiving():
    assert stored({"output": {"format": "jpg"}})["output"]["format"] == "JPEG"
    assert stored({"output": {"format": "webp"}})["output"]["format"] == "WEBP"


def test_a_whole_number_written_as_a_float_is_accepted():
    assert stored({"edges": {"shift": -3.0}})["edges"]["shift"] == -3


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"colour": {}}, "Unknown setting in the spec: colour."),
        ({"edges": {"blur": 2}}, "Unknown setting in edges: blur."),
        ({"background": {"type": "color", "strength": 3}}, "Unknown setting in the color"),
        ({"background": {"type": "video"}}, "The background must be one of: transparent"),
        ({"background": {"type": "color", "color": "red"}}, "Background colour must be a hex"),
        ({"background": {"type": "color", "color": "#12345g"}}, "must be a hex colour"),
        ({"background": {"type": "image"}}, "Background picture must be a whole number"),
        ({"background": {"type": "image", "backdrop_id": 3, "fit": "fill"}}, "cover, contain"),
        ({"background": {"type": "blur", "strength": 101}}, "Blur strength must be a number"),
        ({"shadow": {"type": "drop", "opacity": 1.5}}, "Shadow opacity must be a number from 0"),
        ({"shadow": {"type": "drop", "blur": -1}}, "Shadow blur must be from 0 to 500."),
        ({"shadow": {"type": "contact", "spread": "wide"}}, "Shadow spread must be a number"),
        ({"edges": {"shift": 51}}, "Edge shift must be from -50 to 50."),
        ({"edges": {"feather": 2.5}}, "Edge feather must be a whole number from 0 to 50."),
        ({"edges": {"decontaminate": "yes"}}, "must be on or off"),
        ({"framing": {"crop": "tight"}}, "Crop must be one of: none, subject."),
        ({"framing": {"padding": 0.6}}, "Padding must be a number from 0 to 0.5."),
        ({"framing": {"fill": 0}}, "Subject fill must be a number from 0.1 to 1."),
        ({"framing": {"align": "top"}}, "Alignment must be one of: center, bottom."),
        ({"framing": {"canvas": [2000]}}, "Canvas size must be [width, height]"),
        ({"framing": {"canvas": [12000, 12000]}}, "too large: at most 100 megapixels"),
        ({"framing": {"aspect": "square"}}, "Aspect ratio must look like 4:5"),
        ({"framing": {"aspect": "0:5"}}, "Aspect ratio must look like 4:5"),
        ({"framing": {"aspect": "20:1"}}, "between 1:10 and 10:1"),
        ({"framing": {"canvas": [100, 100], "aspect": "1:1"}}, "not both"),
        ({"output": {"format": "GIF"}}, "Format must be one of: PNG, WEBP, JPEG."),
        ({"output": {"quality": 0}}, "Quality must be from 1 to 100."),
        ({"output": {"max_side": 8}}, "Largest side must be from 16 to 20000."),
        ({"output": {"linear_light": 1}}, "Linear-light blending must be on or off"),
        ({"output": "PNG"}, "“output” must be an object of settings."),
    ],
)
def test_it_refuses_what_cannot_be_rendered_and_says_why(raw, message):
    with pytest.raises(SpecError) as refused:
        parse_spec(raw)

    assert message in str(refused.value)


def test_a_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)


def test_it_refuses_a_spec_that_is_not_an_object():
    with pytest.raises(SpecError, match="must be a JSON object"):
        parse_spec(["PNG"])


def test_the_builtin_presets_are_the_four_the_issue_asks_for():
    assert list(BUILTIN_PRESETS) == ["amazon-main", "shopify-square", "transparent-png", "webp-web"]
    for slug, preset in BUILTIN_PRESETS.items():
        assert preset.slug == slug
        assert preset.name
        assert parse_spec(preset.spec.to_json()) == preset.spec


def test_the_amazon_preset_is_a_white_2000_px_square_jpeg_filled_to_85_percent():
    spec = BUILTIN_PRESETS["amazon-main"].spec.to_json()

    assert spec["background"] == {"type": "color", "color": "#ffffff"}
    assert spec["framing"]["canvas"] == [2000, 2000]
    assert spec["framing"]["fill"] == 0.85
    assert spec["output"]["format"] == "JPEG"


def test_the_web_preset_is_webp_at_most_1600_px():
    assert BUILTIN_PRESETS["webp-web"].spec.output.format == "WEBP"
    assert BUILTIN_PRESETS["webp-web"].spec.output.max_side == 1600
    assert BUILTIN_PRESETS["shopify-square"].spec.framing.canvas == (2048, 2048)


def test_every_cutout_is_a_full_size_transparent_png():
    cutout = BUILTIN_PRESETS[CUTOUT_PRESET].spec

    assert cutout == RenderSpec()
    assert cutout.output.format == "PNG"


def test_file_extensions_follow_the_format():
    assert BUILTIN_PRESETS["amazon-main"].spec.output.extension == "jpg"
    assert BUILTIN_PRESETS["transparent-png"].spec.output.extension == "png"
    assert BUILTIN_PRESETS["webp-web"].spec.output.extension == "webp"
