"""Team presets: admins add them (a name and a spec), everyone uses them."""

import json

import pytest

from cutouts.lib.render_spec import RenderSpec, SpecError
from cutouts.models import Preset
from cutouts.studio import services as studio

pytestmark = pytest.mark.django_db


def _add(client, name: str, spec) -> object:
    text = spec if isinstance(spec, str) else json.dumps(spec)
    return client.post("/presets/", {"name": name, "spec": text}, follow=True)


def test_an_admin_adds_a_team_preset_with_defaults_filled_in(admin_client_, admin_user):
    response = _add(
        admin_client_, "Catalogue grey", {"background": {"type": "color", "color": "#EEE"}}
    )

    assert b"Added the team preset" in response.content
    preset = Preset.objects.get()
    assert (preset.name, preset.slug, preset.created_by) == (
        "Catalogue grey",
        "catalogue-grey",
        admin_user,
    )
    assert preset.spec["background"] == {"type": "color", "color": "#eeeeee"}
    assert preset.spec["output"]["format"] == "PNG"
    assert "catalogue-grey" in [choice.slug for choice in studio.preset_list()]


def test_the_form_starts_from_the_default_spec(admin_client_):
    form = admin_client_.get("/presets/").context["form"]

    assert json.loads(form["spec"].initial) == RenderSpec().to_json()


def test_json_that_does_not_parse_is_shown_where_it_went_wrong(admin_client_):
    response = _add(admin_client_, "Broken", '{"output": {"format": "PNG",}}')

    assert response.context["form"].errors["spec"] == [
        "This is not valid JSON: Expecting property name enclosed in double quotes "
        "(line 1, column 29)."
    ]
    assert not Preset.objects.exists()


def test_a_spec_the_compositor_cannot_render_is_refused_with_its_reason(admin_client_):
    response = _add(admin_client_, "Too soft", {"edges": {"feather": 99}})

    assert response.context["form"].errors["spec"] == ["Edge feather must be from 0 to 50."]
    assert not Preset.objects.exists()


@pytest.mark.parametrize("name", ["Catalogue", "catalogue", "Amazon main", "amazon-main", "!!!"])
def test_a_name_must_be_new_and_make_a_slug(admin_client_, name):
    Preset.objects.create(name="Catalogue", slug="catalogue", spec=RenderSpec().to_json())

    response = _add(admin_client_, name, {})

    assert response.context["form"].errors["name"]
    assert Preset.objects.count() == 1


def test_a_team_preset_cannot_use_one_members_background_picture(admin_user):
    with pytest.raises(SpecError, match="cannot use a background picture"):
        studio.preset_create(
            name="Beach",
            spec={"background": {"type": "image", "backdrop_id": 1}},
            created_by=admin_user,
        )


def test_an_admin_deletes_a_team_preset(admin_client_):
    Preset.objects.create(name="Old", slug="old", spec=RenderSpec().to_json())

    response = admin_client_.post("/presets/old/delete/", follow=True)

    assert b"Preset deleted" in response.content
    assert not Preset.objects.exists()


def test_built_in_presets_cannot_be_deleted(admin_client_):
    assert admin_client_.post("/presets/amazon-main/delete/").status_code == 404
