"""A token's webhook secret: shown once with the token, replaced on demand, its member's alone."""

import pytest

from cutouts.models import ApiToken
from cutouts.teamapi.tokens import token_create

pytestmark = pytest.mark.django_db


def test_a_new_token_comes_with_its_webhook_secret_shown_once(alice_client, alice):
    response = alice_client.post("/accounts/tokens/", {"name": "Shop sync"})

    secret = ApiToken.objects.get(user=alice).webhook_secret
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret in response.content.decode()
    assert secret not in alice_client.get("/accounts/tokens/").content.decode()


def test_each_token_has_its_own_secret(alice):
    first, _ = token_create(user=alice, name="One")
    second, _ = token_create(user=alice, name="Two")

    assert first.webhook_secret != second.webhook_secret


def test_a_member_replaces_a_secret_and_sees_the_new_one_once(alice_client, alice):
    token, _ = token_create(user=alice, name="Shop sync")
    old = token.webhook_secret

    response = alice_client.post(f"/accounts/tokens/{token.pk}/webhook-secret/")

    token.refresh_from_db()
    assert token.webhook_secret != old
    page = response.content.decode()
    assert token.webhook_secret in page and old not in page
    assert "no-store" in response["Cache-Control"]
    assert token.webhook_secret not in alice_client.get("/accounts/tokens/").content.decode()


def test_nobody_else_can_replace_or_see_a_members_secret(bob_client, admin_client_, alice):
    token, _ = token_create(user=alice, name="Shop sync")

    for client in (bob_client, admin_client_):
        response = client.post(f"/accounts/tokens/{token.pk}/webhook-secret/")
        assert response.status_code == 404
        assert token.webhook_secret not in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).webhook_secret == token.webhook_secret


def test_a_revoked_tokens_secret_is_not_replaced(alice_client, alice):
    token, _ = token_create(user=alice, name="Old")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")

    assert alice_client.post(f"/accounts/tokens/{token.pk}/webhook-secret/").status_code == 404
