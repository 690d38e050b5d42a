import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh horse battery"
FORM = {
    "username": "carol",
    "email": "carol@example.com",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}


def test_it_is_not_found_while_signup_is_closed(client):
    assert client.get("/accounts/signup/").status_code == 404
    assert client.post("/accounts/signup/", FORM).status_code == 404
    assert not get_user_model().objects.filter(username="carol").exists()


def test_it_makes_a_member_and_signs_them_in_when_signup_is_open(client, settings):
    settings.SIGNUP_OPEN = True
    assert client.get("/accounts/signup/").status_code == 200
    response = client.post("/accounts/signup/", {**FORM, "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 302
    assert response.url == reverse("library")
    carol = get_user_model().objects.get(username="carol")
    assert not carol.is_staff
    assert not carol.is_superuser
    assert client.session["_auth_user_id"] == str(carol.pk)


def test_it_validates_the_form(client, settings):
    settings.SIGNUP_OPEN = True
    response = client.post("/accounts/signup/", {**FORM, "password2": "something else"})
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="carol").exists()
