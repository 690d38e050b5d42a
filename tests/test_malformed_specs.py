"""A malformed render spec is a 400 naming what is wrong, wherever sent, and stores nothing."""

import json

import pytest

from cutouts.lib.render_spec import SpecError, parse_spec, spec_from_json
from cutouts.models import Preset, Render
from tests.studio_images import processed

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000

MALFORMED = [
    # (the JSON text, what the member is told)
    ('{"edges": {"shift": ' + "9" * 400 + "}}", "The number 999999999999… is too large."),
    ('{"edges": {"shift": 1' + "0" * 5000 + "}}", "The number 100000000000… is too large."),
    ('{"edges": {"feather": 1e999}}', "The number 1e999 is too large."),
    ('{"edges": {"feather": NaN}}', "NaN is not a number JSON allows."),
    ('{"edges": {"feather": -Infinity}}', "-Infinity is not a number JSON allows."),
    ('{"framing": {"canvas": [[[[[1]]]], 2]}}', "The JSON is nested too deeply: at most 4 levels."),
    (DEEP, "The JSON is nested too deeply: at most 4 levels."),
    ('{"a": "' + "x" * 30_000 + '"}', "The JSON is too long: at most 20,000 characters."),
    ('{"background": {"type": ["color"]}}', "The background must be one of: transparent"),
    ('{"shadow": {"type": {"drop": 1}}}', "The shadow must be one of: none, drop, contact."),
    ('{"output": {"format": ["PNG"]}}', "Format must be one of: PNG, WEBP, JPEG."),
    ('{"framing": {"crop": {"x": 1}}}', "Crop must be one of: none, subject."),
    ('{"framing": {"align": ["bottom"]}}', "Alignment must be one of: center, bottom."),
    ('{"background": {"type": "image", "fit": []}}', "Background picture must be a whole number"),
    ('{"edges": {"shift": 1e15}}', "Edge shift must be from -50 to 50."),
    ('{"edges": {"shift": "٣"}}', "Edge shift must be a whole number from -50 to 50."),
    ('{"shadow": {"type": "drop", "opacity": 1' + "0" * 19 + "}}", "Shadow opacity must be"),
    ("[1, 2]", "A render spec must be a JSON object."),
    ('"amazon-main"', "A render spec must be a JSON object."),
    ('{"edges": {"shift": 1,}}', "This is not valid JSON: Expecting property name"),
]


@pytest.mark.parametrize(("text", "told"), MALFORMED)
def test_a_malformed_spec_is_refused_with_a_message(text, told):
    with pytest.raises(SpecError) as refused:
        spec_from_json(text)
    assert str(refused.value).startswith(told)


@pytest.mark.parametrize(("text", "told"), MALFORMED)
def test_the_studio_answers_a_malformed_spec_with_400_and_saves_nothing(
    alice, alice_client, text, told
):
    image = processed(alice)

    response = alice_client.post(
        f"/images/{image.pk}/renders/", {"spec": text}, headers={"accept": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith(told)
    assert not Render.objects.exists()


@pytest.mark.parametrize(("text", "told"), MALFORMED[:10])
def test_the_preset_form_shows_what_is_wrong_and_saves_nothing(admin_client_, text, told):
    response = admin_client_.post("/presets/", {"name": "Broken", "spec": text})

    assert response.status_code == 200
    assert response.context["form"].errors["spec"][0].startswith(told)
    assert not Preset.objects.exists()


def test_huge_numbers_given_as_python_values_are_refused_without_overflowing():
    with pytest.raises(SpecError, match="Edge shift must be from -50 to 50."):
        parse_spec({"edges": {"shift": 10**400}})
    with pytest.raises(SpecError, match="Padding must be a number from 0 to 0.5."):
        parse_spec({"framing": {"padding": -(10**400)}})


def test_a_good_spec_still_reads_as_before():
    spec = spec_from_json(json.dumps({"edges": {"shift": 20.0}, "output": {"format": "jpg"}}))

    assert spec.edges.shift == 20
    assert spec.output.format == "JPEG"
