"""A credit check takes one of the API's rate-limit slots when it asks, and none when it skips.

Every credit check (the dashboard's refresh and the periodic job, the pause's
recheck, the team API's balance) counts against the team's per-minute limit,
and processing comes first. These read the real limiter in the test Redis.
"""

from collections.abc import Callable

import pytest

from cutouts.lib.ratelimit import RateLimiter
from cutouts.models import CreditSnapshot, ProcessingState
from cutouts.processing import pausing
from cutouts.processing.credits import credits_refresh
from cutouts.processing.queueing import get_limiter
from cutouts.teamapi.services import ApiError, team_credit

pytestmark = pytest.mark.django_db

LIMIT = 3


def refresh() -> bool:
    """The dashboard's button and the periodic job; True if the API was asked."""
    return credits_refresh() is not None


def recheck_pause() -> bool:
    ProcessingState.objects.update_or_create(
        pk=1, defaults={"pause": ProcessingState.Pause.NO_CREDIT}
    )
    return pausing.resume_if_possible()


def team_balance() -> bool:
    try:
        team_credit()
    except ApiError as error:
        assert error.status == 429  # no slot, and no balance known to answer with
        return False
    return True


CHECKS = [
    pytest.param(refresh, id="refresh"),
    pytest.param(recheck_pause, id="pause-recheck"),
    pytest.param(team_balance, id="team-api"),
]


@pytest.fixture
def limiter(api, settings) -> RateLimiter:
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = LIMIT
    return get_limiter()


def held(limiter: RateLimiter) -> set[str]:
    """The tickets of every slot the limiter holds."""
    return {ticket.decode() for ticket in limiter.connection.zrange(limiter.key, 0, -1)}


def credit_checks(sandbox) -> int:
    return sum(sandbox.state()["calls"].get("/available-credit", {}).values())


@pytest.mark.parametrize("check", CHECKS)
def test_a_skipped_check_takes_no_slot(limiter, api, check: Callable[[], bool]):
    processing = {limiter.reserve().ticket for _ in range(LIMIT)}

    assert check() is False

    assert held(limiter) == processing
    assert credit_checks(api) == 0
    assert not CreditSnapshot.objects.exists()


@pytest.mark.parametrize("check", CHECKS)
def test_after_a_skipped_check_every_slot_frees_when_processing_gives_its_back(
    limiter, check: Callable[[], bool]
):
    processing = [limiter.reserve() for _ in range(LIMIT)]
    assert check() is False

    for reservation in processing:
        limiter.release(reservation.ticket)

    assert held(limiter) == set()
    assert [limiter.try_acquire(paced=False) for _ in range(LIMIT)] == [0.0] * LIMIT


@pytest.mark.parametrize("check", CHECKS)
def test_a_check_that_asks_takes_exactly_one_slot(limiter, api, check: Callable[[], bool]):
    processing = {limiter.reserve().ticket for _ in range(LIMIT - 1)}

    assert check() is True

    after = held(limiter)
    assert len(after) == LIMIT
    assert processing < after
    assert credit_checks(api) == 1


@pytest.mark.parametrize("check", CHECKS)
def test_the_offline_model_is_checked_without_a_slot(limiter, settings, check: Callable[[], bool]):
    settings.MATTING_ENGINE = "local"
    processing = {limiter.reserve().ticket for _ in range(LIMIT)}

    assert check() is True

    assert held(limiter) == processing
