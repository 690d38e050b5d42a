import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cutouts.accounts import services as accounts
from cutouts.models import Invite

pytestmark = pytest.mark.django_db

URL = "/accounts/invites/"


def test_staff_can_create_an_invite_and_see_its_link_once(admin_client_, admin_user):
    response = admin_client_.post(URL, {"email": "new@example.com"})
    assert response.status_code == 200

    page = response.content.decode()
    link = re.search(r"http://testserver/accounts/invite/([\w-]+)/", page)
    assert link is not None
    invite = accounts.invite_lookup(link.group(1))
    assert invite.email == "new@example.com"
    assert invite.created_by == admin_user
    assert not invite.make_staff

    assert link.group(0) not in admin_client_.get(URL).content.decode()


def test_it_stores_only_the_hash_of_the_token(admin_user):
    invite, token = accounts.invite_create(created_by=admin_user)
    assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invite.objects.values().get())


def test_it_expires_invites_after_the_configured_days(admin_user, settings):
    settings.INVITE_TTL_DAYS = 3
    invite, _ = accounts.invite_create(created_by=admin_user)
    assert abs(invite.expires_at - (timezone.now() + timedelta(days=3))) < timedelta(minutes=1)


def test_staff_can_create_an_admin_invite(admin_client_):
    admin_client_.post(URL, {"make_staff": "on"})
    assert Invite.objects.get().make_staff


def test_it_rejects_a_malformed_email(admin_client_):
    response = admin_client_.post(URL, {"email": "not an address"})
    assert response.status_code == 200
    assert not Invite.objects.exists()


def test_it_lists_invites_with_their_status(admin_client_, admin_user, alice):
    accounts.invite_create(created_by=admin_user, email="pending@example.com")
    expired, _ = accounts.invite_create(created_by=admin_user, email="expired@example.com")
    expired.expires_at = timezone.now() - timedelta(minutes=1)
    expired.save()
    used, _ = accounts.invite_create(created_by=admin_user, email="used@example.com")
    used.used_at, used.used_by = timezone.now(), alice
    used.save()

    page = admin_client_.get(URL).content.decode()
    for email, status in [
        ("pending@example.com", "Pending"),
        ("expired@example.com", "Expired"),
        ("used@example.com", "Used"),
    ]:
        assert re.search(rf"{email}</td>.*?{status}</span>", page, re.DOTALL)


def test_members_get_403(alice_client):
    assert alice_client.get(URL).status_code == 403
    assert alice_client.post(URL, {"email": "x@example.com"}).status_code == 403
    assert not Invite.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.post(URL, {"email": "x@example.com"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert not Invite.objects.exists()


def test_it_is_not_cached(admin_client_):
    assert "no-store" in admin_client_.get(URL)["Cache-Control"]
