"""A team preset's name becomes its slug: one that grows past the column is cut, never a 500."""

import json

import pytest

from cutouts.models import Preset

pytestmark = pytest.mark.django_db


def test_a_name_whose_slug_is_longer_than_the_name_is_saved(admin_client_):
    name = "ﬃ" * 80  # 80 characters; its slug, "ffi" * 80, is 240

    response = admin_client_.post("/presets/", {"name": name, "spec": json.dumps({})})

    assert response.status_code == 302
    preset = Preset.objects.get()
    assert (preset.name, preset.slug) == (name, "ffi" * 26 + "ff")


def test_two_names_cut_to_the_same_slug_are_told_apart(admin_client_):
    admin_client_.post("/presets/", {"name": "ﬃ" * 80, "spec": "{}"})

    response = admin_client_.post("/presets/", {"name": "ﬃ" * 79 + "x", "spec": "{}"})

    assert response.status_code == 200
    assert "exists already" in response.context["form"].errors["name"][0]
    assert Preset.objects.count() == 1
