"""Personal API tokens: made once, shown once, stored as a SHA-256, revocable.

A token is "cut_" and 43 URL-safe characters. Only its SHA-256 is kept, so a
database leak yields no usable token; looking a request's token up by that
hash takes the same time whatever the token says, with no string compared
character by character. A member holds at most API_TOKENS_PER_MEMBER live
tokens. Each token has its own per-minute limit and each member one for all
their tokens together, on top of the team's limit towards the vendor that
every call to it shares.
"""

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import RedisError

from cutouts.lib.ratelimit import RateLimiter
from cutouts.models import ApiToken
from cutouts.processing.queueing import redis_connection

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "cut_"  # noqa: S105 (a prefix, not a secret)
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# last_used_at is for people ("used 3 minutes ago"): one write a minute is plenty.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenLimitReached(Exception):
    """The member already holds as many live tokens as API_TOKENS_PER_MEMBER allows."""

    def __init__(self) -> None:
        super().__init__(
            f"You have {settings.API_TOKENS_PER_MEMBER} live tokens, the most a member may"
            " hold. Revoke one you no longer use to make another."
        )


@transaction.atomic
def token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw token is returned here and never again.

    Its webhook secret (token.webhook_secret) is shown with it, once.

    Raises TokenLimitReached when `user` already holds API_TOKENS_PER_MEMBER live tokens.
    """
    # Locking the member's row makes tokens made at the same moment count each other.
    get_user_model().objects.select_for_update().only("pk").get(pk=user.pk)
    live = ApiToken.objects.filter(user=user, revoked_at=None).count()
    if live >= settings.API_TOKENS_PER_MEMBER:
        raise TokenLimitReached
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        token_hash=token_hash(raw),
        prefix=raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        webhook_secret=_new_webhook_secret(),
    )
    logger.info("API token %s (%s) created for %s", token.pk, token.prefix, user)
    return token, raw


def webhook_secret_roll(*, token: ApiToken) -> str:
    """A new secret for the token's webhooks, returned to be shown once; the old one stops."""
    token.webhook_secret = _new_webhook_secret()
    token.save(update_fields=["webhook_secret"])
    logger.info("Webhook secret of API token %s (%s) replaced", token.pk, token.prefix)
    return token.webhook_secret


def _new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` names, user loaded; None if unknown, revoked or the user inactive."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        ApiToken.objects.filter(
            Q(last_used_at=None) | Q(last_used_at__lt=now - LAST_USED_PRECISION), pk=token.pk
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: ApiToken, by: AbstractBaseUser) -> None:
    """Revoke `token` for good (the view has checked `by` may). Revoking twice changes nothing."""
    now = timezone.now()
    if ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now):
        token.revoked_at = now
        logger.info("API token %s (%s) of %s revoked by %s", token.pk, token.prefix, token.user, by)


@dataclass(frozen=True)
class Throttled:
    """A request refused by a rate limit."""

    retry_after: float  # seconds until the limit lets a request through
    limit: int  # requests a minute, of the limit that refused


def _limiter(*, limit: int, name: str) -> RateLimiter:
    return RateLimiter(redis_connection(), limit=limit, tolerance=0, name=name)


def token_throttle(*, token: ApiToken) -> Throttled | None:
    """Count one request against the token's limit and its member's: None if allowed.

    The member's limit counts every token of theirs together, so making more
    tokens does not buy more requests.
    """
    user = token.user
    # Named by hash, and by the moment the account was made: ids can come back
    # (tests, a restored database), hashes and that moment do not.
    limits = [
        (settings.API_TOKEN_RATE_LIMIT_PER_MINUTE, f"token:{token.token_hash}"),
        (
            settings.API_MEMBER_RATE_LIMIT_PER_MINUTE,
            f"member:{user.pk}:{user.date_joined.timestamp()}",
        ),
    ]
    limiters = [_limiter(limit=limit, name=name) for limit, name in limits if limit > 0]
    ticket, taken = uuid.uuid4().hex, []
    try:
        for limiter in limiters:
            wait = limiter.try_acquire(ticket=ticket)
            if wait > 0:
                # A refused request holds no place in any window, so a script
                # hammering the API is not refused for longer than a minute.
                for earlier in taken:
                    earlier.release(ticket)
                return Throttled(retry_after=wait, limit=limiter.limit)
            taken.append(limiter)
    except RedisError:
        # The limits protect the team; a Redis outage should not also take the
        # API down. Calls to the vendor stay limited by the pipeline, which
        # cannot run without Redis anyway.
        logger.warning("Redis is unavailable; API token %s is not rate limited", token.pk)
    return None
