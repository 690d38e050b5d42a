import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def test_it_shows_the_sign_in_page_to_anonymous_visitors(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert b"Cutouts" in response.content
    assert b"Forgot your password?" in response.content
    assert reverse("password_reset").encode() in response.content
    assert b"Sign up" not in response.content


def test_it_links_to_sign_up_when_signup_is_open(client, settings):
    settings.SIGNUP_OPEN = True
    response = client.get(LOGIN_URL)
    assert reverse("signup").encode() in response.content


def test_it_signs_in_with_the_right_password(client, alice):
    response = client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("library")
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_goes_to_next_after_sign_in(client, alice):
    response = client.post(
        f"{LOGIN_URL}?next=/accounts/password_change/",
        {"username": "alice", "password": PASSWORD, "next": "/accounts/password_change/"},
    )
    assert response.url == "/accounts/password_change/"


def test_it_ignores_a_next_on_another_site(client, alice):
    response = client.post(
        LOGIN_URL, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == reverse("library")


def test_it_refuses_a_wrong_password(client, alice):
    response = client.post(LOGIN_URL, {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_it_refuses_inactive_accounts(client, alice):
    alice.is_active = False
    alice.save()
    response = client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_sends_signed_in_members_on_from_the_sign_in_page(alice_client):
    response = alice_client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response.url == reverse("library")
