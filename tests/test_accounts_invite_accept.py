from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cutouts.accounts import services as accounts
from cutouts.models import Invite

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh horse battery"


def form(username: str = "carol", email: str = "carol@example.com") -> dict:
    return {
        "username": username,
        "email": email,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }


@pytest.fixture
def invite(admin_user) -> tuple[Invite, str]:
    return accounts.invite_create(created_by=admin_user, email="carol@example.com")


def test_it_shows_the_form_with_the_invited_address(client, invite):
    _, token = invite
    response = client.get(f"/accounts/invite/{token}/")
    assert response.status_code == 200
    assert b'value="carol@example.com"' in response.content
    assert b"root invited you" in response.content


def test_it_creates_a_member_and_signs_them_in(client, invite):
    record, token = invite
    response = client.post(f"/accounts/invite/{token}/", form())
    assert response.status_code == 302
    assert response.url == reverse("library")

    carol = get_user_model().objects.get(username="carol")
    assert carol.email == "carol@example.com"
    assert carol.check_password(NEW_PASSWORD)
    assert not carol.is_staff
    assert client.session["_auth_user_id"] == str(carol.pk)
    record.refresh_from_db()
    assert record.used_by == carol
    assert record.used_at is not None


def test_the_link_works_once(client, invite):
    _, token = invite
    client.post(f"/accounts/invite/{token}/", form())
    other = client.__class__()
    assert other.get(f"/accounts/invite/{token}/").status_code == 404
    response = other.post(f"/accounts/invite/{token}/", form("dave", "dave@example.com"))
    assert response.status_code == 404
    assert b"This invite link does not work" in response.content
    assert not get_user_model().objects.filter(username="dave").exists()


def test_it_refuses_an_expired_invite(client, invite):
    record, token = invite
    record.expires_at = timezone.now() - timedelta(seconds=1)
    record.save()
    assert client.get(f"/accounts/invite/{token}/").status_code == 404
    assert client.post(f"/accounts/invite/{token}/", form()).status_code == 404
    assert not get_user_model().objects.filter(username="carol").exists()


def test_it_refuses_an_unknown_token(client, invite):
    assert client.get("/accounts/invite/not-a-real-token/").status_code == 404


def test_an_admin_invite_makes_an_admin(client, admin_user):
    _, token = accounts.invite_create(created_by=admin_user, make_staff=True)
    client.post(f"/accounts/invite/{token}/", form())
    carol = get_user_model().objects.get(username="carol")
    assert carol.is_staff


def test_it_refuses_a_weak_password_and_keeps_the_invite(client, invite):
    _, token = invite
    data = {**form(), "password1": "carol123", "password2": "carol123"}
    response = client.post(f"/accounts/invite/{token}/", data)
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="carol").exists()
    assert accounts.invite_lookup(token) is not None


def test_it_refuses_a_taken_username(client, invite, alice):
    _, token = invite
    response = client.post(f"/accounts/invite/{token}/", form(username="Alice"))
    assert response.status_code == 200
    assert b"already exists" in response.content
    assert accounts.invite_lookup(token) is not None


def test_the_service_spends_the_invite_once(invite):
    _, token = invite
    accounts.invite_accept(token=token, username="carol", password=NEW_PASSWORD, email="")
    with pytest.raises(accounts.InviteUnusable):
        accounts.invite_accept(token=token, username="dave", password=NEW_PASSWORD, email="")
    assert not get_user_model().objects.filter(username="dave").exists()
