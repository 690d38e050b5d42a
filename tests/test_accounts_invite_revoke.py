import pytest
from django.utils import timezone

from cutouts.accounts import services as accounts
from cutouts.models import Invite

pytestmark = pytest.mark.django_db


def revoke_url(invite: Invite) -> str:
    return f"/accounts/invites/{invite.pk}/revoke/"


def test_staff_can_revoke_a_pending_invite(admin_client_, admin_user):
    invite, token = accounts.invite_create(created_by=admin_user)
    response = admin_client_.post(revoke_url(invite))
    assert response.status_code == 302
    assert response.url == "/accounts/invites/"
    assert accounts.invite_lookup(token) is None
    assert admin_client_.get(f"/accounts/invite/{token}/").status_code == 404


def test_it_keeps_used_invites(admin_client_, admin_user, alice):
    invite, _ = accounts.invite_create(created_by=admin_user)
    invite.used_at, invite.used_by = timezone.now(), alice
    invite.save()
    assert admin_client_.post(revoke_url(invite)).status_code == 404
    assert Invite.objects.filter(pk=invite.pk).exists()


def test_members_cannot_revoke(alice_client, admin_user):
    invite, _ = accounts.invite_create(created_by=admin_user)
    assert alice_client.post(revoke_url(invite)).status_code == 403
    assert Invite.objects.filter(pk=invite.pk).exists()


def test_it_needs_a_post(admin_client_, admin_user):
    invite, _ = accounts.invite_create(created_by=admin_user)
    assert admin_client_.get(revoke_url(invite)).status_code == 405
    assert Invite.objects.filter(pk=invite.pk).exists()
