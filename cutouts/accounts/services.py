"""Accounts: invite links, open sign-up and the failed sign-in throttle.

Accounts come from the Django admin, from a one-time invite link, or from open
sign-up when SIGNUP_OPEN is on.

Failed sign-ins are counted within LOGIN_FAILURE_WINDOW_SECONDS. A username is
locked for one client address after LOGIN_FAILURE_LIMIT failures from that
address, and an address for every username after LOGIN_FAILURE_ADDRESS_LIMIT;
either lock lasts until the oldest of those failures leaves the window. Nobody
can lock a username for everyone: past LOGIN_FAILURE_NAME_LIMIT failures from
all addresses together, tries at it are only slowed, address by address.
Password reset requests are limited per address and per e-mail address.
"""

import hashlib
import ipaddress
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from redis.exceptions import RedisError

from cutouts.lib.ratelimit import RateLimiter
from cutouts.models import Invite, LoginFailure
from cutouts.processing.queueing import redis_connection

logger = logging.getLogger(__name__)

PENDING = "pending"
USED = "used"
EXPIRED = "expired"
# The longest wait between one address's tries at a username under attack
# (login_slowed_for): a person who mistyped should not wait long.
SLOWED_MAX_SECONDS = 8


class InviteUnusable(Exception):
    """The invite link is unknown, already used or expired."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_create(
    *, username: str, email: str, password: str, is_admin: bool = False
) -> AbstractUser:
    # There are two roles, and an admin must be able to make accounts in the
    # Django admin, so the admin role gets every permission.
    return get_user_model().objects.create_user(
        username=username,
        email=email,
        password=password,
        is_staff=is_admin,
        is_superuser=is_admin,
    )


def invite_create(
    *, created_by: AbstractUser, email: str = "", make_staff: bool = False
) -> tuple[Invite, str]:
    """Make an invite; the raw token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    invite = Invite.objects.create(
        token_hash=_token_hash(token),
        email=email,
        make_staff=make_staff,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITE_TTL_DAYS),
    )
    return invite, token


def _usable_invites() -> QuerySet[Invite]:
    return Invite.objects.filter(used_at=None, expires_at__gt=timezone.now())


def invite_lookup(token: str) -> Invite | None:
    """The unused, unexpired invite for this token, or None."""
    return _usable_invites().filter(token_hash=_token_hash(token)).first()


@transaction.atomic
def invite_accept(*, token: str, username: str, password: str, email: str) -> AbstractUser:
    """Create the invited account and spend the invite, or raise InviteUnusable."""
    invite = _usable_invites().select_for_update().filter(token_hash=_token_hash(token)).first()
    if invite is None:
        raise InviteUnusable
    user = user_create(
        username=username, email=email, password=password, is_admin=invite.make_staff
    )
    # SQLite ignores select_for_update, so spend the invite only if nobody
    # else has; losing that race rolls back the new account too.
    spent = Invite.objects.filter(pk=invite.pk, used_at=None).update(
        used_at=timezone.now(), used_by=user
    )
    if not spent:
        raise InviteUnusable
    return user


def invite_status(invite: Invite, *, now: datetime) -> str:
    if invite.used_at is not None:
        return USED
    return PENDING if invite.expires_at > now else EXPIRED


def invite_revoke(*, invite_id: int) -> bool:
    """Delete an invite nobody has used; False if there was none."""
    deleted, _ = Invite.objects.filter(pk=invite_id, used_at=None).delete()
    return deleted > 0


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: forwarded-for headers are set by the client unless a
    # trusted proxy overwrites them, so trusting them would void the throttle.
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _username_key(username: str) -> str:
    # Case-folded so "Alice" and "alice" share one counter.
    return username.strip().lower()[: LoginFailure._meta.get_field("username").max_length]


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_failure_record(*, username: str, ip_address: str | None) -> None:
    now = timezone.now()
    LoginFailure.objects.filter(created_at__lt=now - _window()).delete()
    LoginFailure.objects.create(username=_username_key(username), ip_address=ip_address)


def _blocked_until(
    failures: QuerySet[LoginFailure], *, limit: int, now: datetime
) -> datetime | None:
    # Blocked while `limit` failures are inside the window, that is until the
    # limit-th most recent one leaves it.
    recent = failures.filter(created_at__gt=now - _window()).order_by("-created_at")
    nth = list(recent.values_list("created_at", flat=True)[limit - 1 : limit])
    return nth[0] + _window() if nth else None


def login_blocked_for(*, username: str, ip_address: str | None) -> timedelta:
    """How long sign-in stays refused for this username from this address; zero if allowed.

    The username is locked only for the address that failed with it (filter on
    None is IS NULL, so clients without a usable address share one lock):
    failing for "alice" from one address never locks alice out elsewhere.
    """
    now = timezone.now()
    pair = LoginFailure.objects.filter(username=_username_key(username), ip_address=ip_address)
    until = [_blocked_until(pair, limit=settings.LOGIN_FAILURE_LIMIT, now=now)]
    if ip_address is not None:
        address = LoginFailure.objects.filter(ip_address=ip_address)
        until.append(_blocked_until(address, limit=settings.LOGIN_FAILURE_ADDRESS_LIMIT, now=now))
    latest = max((moment for moment in until if moment is not None), default=now)
    return max(latest - now, timedelta(0))


def login_slowed_for(*, username: str, ip_address: str | None) -> timedelta:
    """How long this address waits before its next try at a username under attack; zero if none.

    Past LOGIN_FAILURE_NAME_LIMIT failures for a username from anywhere, each
    address waits after each of its own failures for it: 1 s after the first,
    doubling up to SLOWED_MAX_SECONDS. The wait is never shared between
    addresses, so an address that has not failed for the username tries at
    once: however many addresses an attacker uses, the account's owner is held
    up by seconds at most, never locked out.
    """
    now = timezone.now()
    name_failures = LoginFailure.objects.filter(
        username=_username_key(username), created_at__gt=now - _window()
    )
    if name_failures.count() < settings.LOGIN_FAILURE_NAME_LIMIT:
        return timedelta(0)
    own = name_failures.filter(ip_address=ip_address)
    count = own.count()
    if not count:
        return timedelta(0)
    delay = timedelta(seconds=min(2 ** (count - 1), SLOWED_MAX_SECONDS))
    return max(own.latest("created_at").created_at + delay - now, timedelta(0))


def login_failures_clear(*, username: str, ip_address: str | None) -> None:
    # Only this address's failures: a sign-in by the account's owner must not
    # also lift the lock on an attacker's address.
    LoginFailure.objects.filter(username=_username_key(username), ip_address=ip_address).delete()


def _reset_limiter(*, name: str, limit: int) -> RateLimiter:
    return RateLimiter(
        redis_connection(),
        limit=limit,
        window=settings.PASSWORD_RESET_WINDOW_SECONDS,
        tolerance=0,
        name=f"password-reset:{name}",
    )


def password_reset_allowed(*, email: str, ip_address: str | None) -> bool:
    """Count a password reset request: False when it is over a limit and must send nothing.

    Limited per client address (PASSWORD_RESET_ADDRESS_LIMIT, whatever the
    e-mail addresses, so the form cannot send mail in bulk) and per e-mail
    address (PASSWORD_RESET_ACCOUNT_LIMIT, so nobody's inbox can be flooded).
    A request refused by the address's limit counts for neither.
    """
    # Hashed: Redis need not hold the e-mail addresses people typed.
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    limiters = []
    if ip_address is not None:
        limit = settings.PASSWORD_RESET_ADDRESS_LIMIT
        limiters.append(_reset_limiter(name=f"address:{ip_address}", limit=limit))
    limit = settings.PASSWORD_RESET_ACCOUNT_LIMIT
    limiters.append(_reset_limiter(name=f"account:{account}", limit=limit))
    try:
        return all(limiter.try_acquire() == 0 for limiter in limiters)
    except RedisError:
        # A Redis outage should not also stop people resetting their passwords.
        logger.warning("Redis is unavailable; password reset requests are not limited")
        return True
