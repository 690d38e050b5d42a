"""The API tokens pages: make a token and see it once, list, revoke; admins see everyone's."""

import pytest

from cutouts.models import ApiToken
from cutouts.teamapi.tokens import token_authenticate, token_create
from tests.api_calls import ApiClient

pytestmark = pytest.mark.django_db


def test_it_shows_a_new_token_once(alice_client, alice):
    response = alice_client.post("/accounts/tokens/", {"name": "Shop sync"}, follow=True)

    token = ApiToken.objects.get(user=alice)
    raw = response.context["new_token"]
    assert raw.startswith("cut_")
    assert raw in response.content.decode()
    assert token_authenticate(raw).pk == token.pk

    again = alice_client.get("/accounts/tokens/")
    assert raw not in again.content.decode()
    assert "Shop sync" in again.content.decode()
    assert f"cut_{token.prefix}" in again.content.decode()


def test_it_requires_a_name(alice_client, alice):
    response = alice_client.post("/accounts/tokens/", {"name": ""})

    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_it_lists_only_the_members_own_tokens(alice_client, alice, bob):
    token_create(user=alice, name="Alice's laptop")
    token_create(user=bob, name="Bob's laptop")

    page = alice_client.get("/accounts/tokens/").content.decode()

    assert "Alice&#x27;s laptop" in page
    assert "Bob" not in page


def test_a_member_revokes_their_token_and_it_gets_401(alice_client, alice):
    token, raw = token_create(user=alice, name="Script")

    response = alice_client.post(f"/accounts/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    answer = ApiClient(raw).get("/api/available-credit")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Invalid API Key"}
    assert "Revoked" in alice_client.get("/accounts/tokens/").content.decode()


def test_a_member_cannot_revoke_another_members_token(bob_client, alice):
    token, raw = token_create(user=alice, name="Script")

    response = bob_client.post(f"/accounts/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    assert token_authenticate(raw) is not None


def test_revoking_needs_a_post(alice_client, alice):
    token, raw = token_create(user=alice, name="Script")

    assert alice_client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    assert token_authenticate(raw) is not None


def test_admins_see_and_revoke_everyones_tokens(admin_client_, alice, bob):
    token_create(user=alice, name="Alice script")
    token, raw = token_create(user=bob, name="Bob script")

    page = admin_client_.get("/accounts/tokens/all/").content.decode()
    assert "Alice script" in page and "Bob script" in page

    response = admin_client_.post(f"/accounts/tokens/{token.pk}/revoke/", {"next": "all"})

    assert response.url == "/accounts/tokens/all/"
    assert token_authenticate(raw) is None


def test_members_cannot_see_everyones_tokens(alice_client):
    assert alice_client.get("/accounts/tokens/all/").status_code == 403


def test_the_admin_site_never_shows_a_token_hash(admin_client_, alice):
    token, _ = token_create(user=alice, name="Script")

    listing = admin_client_.get("/admin/cutouts/apitoken/").content.decode()
    detail = admin_client_.get(f"/admin/cutouts/apitoken/{token.pk}/change/").content.decode()

    assert token.token_hash not in listing + detail
    assert "Script" in listing


def test_the_admin_site_revokes_tokens(admin_client_, alice):
    token, raw = token_create(user=alice, name="Script")

    admin_client_.post(
        "/admin/cutouts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert token_authenticate(raw) is None
