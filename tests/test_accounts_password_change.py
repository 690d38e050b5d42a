import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/accounts/password_change/"
NEW_PASSWORD = "a much newer horse staple"


def test_it_changes_the_password_and_keeps_the_member_signed_in(alice_client, alice):
    response = alice_client.post(
        URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice_client.get("/accounts/password_change/done/").status_code == 200


def test_it_requires_the_old_password(alice_client, alice):
    response = alice_client.post(
        URL, {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_refuses_a_weak_new_password(alice_client, alice):
    response = alice_client.post(
        URL, {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"}
    )
    assert response.status_code == 200
    assert b"too common" in response.content
