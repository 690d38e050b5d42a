import uuid

import pytest
from django.conf import settings
from redis import Redis

from cutouts.lib.ratelimit import RateLimiter


@pytest.fixture
def limiter():
    connection = Redis.from_url(settings.REDIS_URL)
    limiter = RateLimiter(connection, limit=7, window=60, tolerance=1.5, name=uuid.uuid4().hex)
    yield limiter
    connection.delete(limiter.key, limiter.cooldown_key, limiter.strikes_key)


def test_it_lets_the_first_calls_of_a_window_go_at_once(limiter):
    delays = [limiter.reserve().delay for _ in range(7)]
    assert delays == [0.0] * 7


def test_it_schedules_the_next_call_for_when_the_window_frees(limiter):
    first = [limiter.reserve() for _ in range(7)]
    eighth = limiter.reserve()
    assert eighth.slot == pytest.approx(first[0].slot + 61.5, abs=0.01)
    assert eighth.delay > 60


def test_no_window_ever_holds_more_than_the_limit(limiter):
    slots = sorted(limiter.reserve().slot for _ in range(50))
    for start in slots:
        in_window = [s for s in slots if start <= s < start + 60 + 1.5]
        assert len(in_window) <= 7


def test_reservations_are_spread_at_the_limits_pace(limiter):
    slots = sorted(limiter.reserve().slot for _ in range(70))
    minutes = (slots[-1] - slots[0]) / 61.5
    assert 9 <= minutes < 10


def test_a_cool_down_holds_every_call_back(limiter):
    limiter.cool_down(30)
    assert limiter.reserve().delay == pytest.approx(30, abs=0.5)


def test_a_call_is_due_only_around_its_slot(limiter):
    now = limiter.now()
    assert limiter.is_due(now)
    assert not limiter.is_due(now + 10)
    assert not limiter.is_due(now - 10)


def test_each_429_in_a_row_backs_off_longer(limiter):
    delays = [limiter.back_off(base=4, cap=300) for _ in range(4)]
    assert 2 <= delays[0] <= 4
    assert 16 <= delays[3] <= 32
    assert limiter.reserve().delay >= delays[3] - 0.5


def test_a_success_clears_the_back_off(limiter):
    limiter.back_off(base=4, cap=300)
    limiter.back_off(base=4, cap=300)
    limiter.clear_back_off()
    assert limiter.back_off(base=4, cap=300) <= 4


def test_try_acquire_takes_free_slots_and_refuses_without_reserving(limiter):
    assert [limiter.try_acquire() for _ in range(7)] == [0.0] * 7

    refused = [limiter.try_acquire() for _ in range(5)]

    assert all(59 < wait <= 61.5 for wait in refused)
    # The refused tries took nothing: the next reservation waits for the
    # first window to free, not behind five phantom calls.
    assert limiter.reserve().delay == pytest.approx(refused[0], abs=0.5)


def test_try_acquire_respects_a_cool_down(limiter):
    limiter.cool_down(30)
    assert limiter.try_acquire() == pytest.approx(30, abs=0.5)
    assert limiter.reserve().delay == pytest.approx(30, abs=0.5)


def test_a_slot_given_back_unused_frees_its_place(limiter):
    taken = [limiter.reserve() for _ in range(7)]
    limiter.release(taken[3].ticket)

    assert limiter.reserve().delay == 0.0
    assert limiter.reserve().delay > 60
