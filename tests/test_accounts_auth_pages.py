import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/not-a-token/",
        "/accounts/reset/done/",
    ],
)
def test_anonymous_visitors_can_open_the_sign_in_pages(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"Cutouts" in response.content


@pytest.mark.parametrize("path", ["/accounts/password_change/", "/accounts/password_change/done/"])
def test_members_can_open_their_password_pages(alice_client, path):
    assert alice_client.get(path).status_code == 200


def test_it_signs_out_on_post(alice_client):
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert "_auth_user_id" not in alice_client.session


def test_it_does_not_sign_out_on_get(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405


def test_a_password_sign_in_opens_member_pages(client, alice):
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.get("/accounts/password_change/").status_code == 200
