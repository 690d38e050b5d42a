"""Personal API tokens: made once, stored as a hash, revocable, last use kept."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from cutouts.models import ApiToken
from cutouts.teamapi.tokens import token_authenticate, token_create, token_revoke

pytestmark = pytest.mark.django_db


def test_a_new_token_is_stored_only_as_its_hash(alice):
    token, raw = token_create(user=alice, name="Shop sync")

    assert raw.startswith("cut_") and len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(stored.__dict__)
    assert stored.prefix == raw[4:12]
    assert (stored.user, stored.name) == (alice, "Shop sync")


def test_every_token_is_different(alice):
    assert token_create(user=alice, name="a")[1] != token_create(user=alice, name="b")[1]


def test_it_authenticates_a_live_token_as_its_member(alice):
    _, raw = token_create(user=alice, name="Script")

    token = token_authenticate(raw)

    assert token is not None and token.user == alice


@pytest.mark.parametrize("raw", ["", "cut_", "cut_nope", "sk_live_whatever", "x" * 300])
def test_it_refuses_unknown_tokens(alice, raw):
    token_create(user=alice, name="Script")
    assert token_authenticate(raw) is None


def test_a_revoked_token_no_longer_authenticates(alice, admin_user):
    token, raw = token_create(user=alice, name="Script")

    token_revoke(token=token, by=admin_user)

    assert token_authenticate(raw) is None
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_revoking_twice_keeps_the_first_time(alice):
    token, _ = token_create(user=alice, name="Script")
    token_revoke(token=token, by=alice)
    first = ApiToken.objects.get(pk=token.pk).revoked_at

    token_revoke(token=token, by=alice)

    assert ApiToken.objects.get(pk=token.pk).revoked_at == first


def test_a_deactivated_members_token_no_longer_authenticates(alice):
    _, raw = token_create(user=alice, name="Script")
    alice.is_active = False
    alice.save()

    assert token_authenticate(raw) is None


def test_it_records_the_last_use_at_most_once_a_minute(alice):
    token, raw = token_create(user=alice, name="Script")
    assert token.last_used_at is None

    token_authenticate(raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    token_authenticate(raw)

    assert first is not None
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first

    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=an_hour_ago)
    token_authenticate(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > an_hour_ago + timedelta(minutes=59)
