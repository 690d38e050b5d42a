"""The one credit check: the engine's credits left, asked only when the rate limit has a slot.

The API counts a credit check against the team's per-minute limit like a
processing call, and processing comes first. So a check takes a slot only if
one is free now (RateLimiter.try_acquire) and is skipped otherwise, taking
nothing: a skipped check never pushes a processing call back. The dashboard's
refresh and the periodic job (processing.credits), the pause's recheck
(processing.pausing) and the team API's balance (teamapi.services) all ask
through here.
"""

from redis.exceptions import RedisError

from cutouts.lib.withoutbg.client import Credits
from cutouts.processing.engines import MattingEngine
from cutouts.processing.queueing import get_limiter


class NoFreeSlot(Exception):
    """The rate limit has no slot free now: nothing was taken and nothing was asked."""


def credit_check(*, engine: MattingEngine, check_without_redis: bool = False) -> Credits | None:
    """Ask `engine` for the credits left; None where calls cost nothing.

    Raises NoFreeSlot when the check is skipped, and the engine's
    WithoutbgError when it answers with one. With `check_without_redis`, a
    Redis that cannot be reached means no queue and so no worker calling the
    API either: the check goes ahead. Without it, the RedisError is raised.
    """
    if engine.metered and not _slot_taken(check_without_redis=check_without_redis):
        raise NoFreeSlot
    return engine.credits()


def _slot_taken(*, check_without_redis: bool) -> bool:
    try:
        # A check is rare: it needs a free place in the window, not the pace's turn.
        return get_limiter().try_acquire(paced=False) == 0
    except RedisError:
        if check_without_redis:
            return True
        raise
