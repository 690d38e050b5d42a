"""The API's per-key rate limit, shared by every worker through Redis.

Calls are kept as send times, so that no window of `window` seconds ever holds
more than `limit` of them; a paced limiter (the API's) also keeps them
window/limit apart, so a slot frees every few seconds rather than a minute's
worth at once, and whoever is first in line then gets it.

`try_acquire` takes a slot only if one is free now and otherwise takes
nothing, telling how long until one frees: processing chooses which image
gets a slot at that moment (cutouts.processing.scheduling), and refused
requests never push later ones back. `reserve` books the next free
send time for a caller that will wait for it, and `next_slots` tells when the
next calls could go, for expected finish times. Clocks come from Redis, so
workers on machines whose clocks disagree still share one timeline.

The window is widened by `tolerance`, a margin against the vendor's clock
counting a call a moment later than ours did.
"""

import random
import uuid
from dataclasses import dataclass

from redis import Redis

_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local due = 0
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local kth = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  due = math.max(due, tonumber(kth[2]) + window)
end
local spacing = tonumber(ARGV[5])
if spacing > 0 and count > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  due = math.max(due, tonumber(last[2]) + spacing)
end
local cooldown = tonumber(redis.call('GET', KEYS[2]) or '0')
due = math.max(due, cooldown)
local slot = math.max(now, due)
if ARGV[4] == '1' and slot > now then
  return {tostring(slot), tostring(now)}
end
-- A paced call taken a moment after it was due counts from when it was due,
-- at most a third of `tolerance` back: a worker's lateness must not push every
-- later call back, and the rest of the tolerance covers the moment between
-- taking the slot and the call reaching the API.
local score = slot
if spacing > 0 and slot == now then
  score = math.max(due, now - tonumber(ARGV[6]) / 3)
end
redis.call('ZADD', KEYS[1], score, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(slot - now + window) + 1)
return {tostring(slot), tostring(now)}
"""


@dataclass(frozen=True)
class Reservation:
    slot: float  # Redis time, in seconds, at which the call may be sent
    now: float  # Redis time when the reservation was made
    ticket: str  # names the reservation in Redis, to release it unused

    @property
    def delay(self) -> float:
        return max(0.0, self.slot - self.now)


class RateLimiter:
    def __init__(
        self,
        connection: Redis,
        *,
        limit: int,
        window: float = 60.0,
        tolerance: float = 1.5,
        name: str = "withoutbg",
        paced: bool = False,
    ) -> None:
        self.connection = connection
        self.limit = limit
        self.window = window + tolerance
        self.tolerance = tolerance
        # Paced: calls at least window/limit apart, never a burst, so a slot
        # comes free every few seconds for whoever is first in line then.
        self.spacing = self.window / limit if paced and limit else 0.0
        self.key = f"cutouts:ratelimit:{name}"
        self.cooldown_key = f"cutouts:ratelimit:{name}:cooldown"
        self.strikes_key = f"cutouts:ratelimit:{name}:strikes"
        self._reserve = connection.register_script(_RESERVE)

    def reserve(self) -> Reservation:
        ticket = uuid.uuid4().hex
        slot, now = self._reserve(
            keys=[self.key, self.cooldown_key],
            args=[self.limit, self.window, ticket, 0, self.spacing, self.tolerance],
        )
        return Reservation(slot=float(slot), now=float(now), ticket=ticket)

    def try_acquire(self, *, ticket: str | None = None, paced: bool = True) -> float:
        """Take a slot if one is free now: 0.0 if taken, else the seconds until one frees.

        `ticket` names the slot taken, to give it back with `release`. With
        `paced` off, only the window's count holds it back: for a rare call
        (a credit check) that should not wait for the pace.
        """
        slot, now = self._reserve(
            keys=[self.key, self.cooldown_key],
            args=[
                self.limit,
                self.window,
                ticket or uuid.uuid4().hex,
                1,
                self.spacing if paced else 0,
                self.tolerance,
            ],
        )
        return max(0.0, float(slot) - float(now))

    def next_slots(self, count: int) -> list[float]:
        """When the next `count` calls could go, each at the first moment the limit allows."""
        now = self.now()
        taken = [
            score
            for _, score in self.connection.zrangebyscore(
                self.key, now - self.window, "+inf", withscores=True
            )
        ]
        earliest = max(now, float(self.connection.get(self.cooldown_key) or 0))
        slots: list[float] = []
        for _ in range(count):
            slot = earliest
            if len(taken) >= self.limit:
                slot = max(slot, taken[-self.limit] + self.window)
            if self.spacing and taken:
                slot = max(slot, taken[-1] + self.spacing)
            taken.append(slot)
            slots.append(slot)
        return slots

    def release(self, ticket: str) -> None:
        """Free a slot never used for a call, named by its ticket.

        A reservation whose job came too late, or a slot `try_acquire` took
        for a request another limit refused after all.
        """
        self.connection.zrem(self.key, ticket)

    def is_due(self, slot: float) -> bool:
        """Whether a call reserved for `slot` may be sent now: not early, not too late."""
        now = self.now()
        return slot - 0.05 <= now <= slot + self.tolerance

    def cool_down(self, seconds: float) -> None:
        """Hold every reservation back for `seconds`."""
        until = self.now() + seconds
        self.connection.set(self.cooldown_key, until, ex=int(seconds) + 1)

    def back_off(self, *, base: float, cap: float) -> float:
        """After a 429: hold every caller back, longer for each 429 in a row."""
        strikes = self.connection.incr(self.strikes_key)
        self.connection.expire(self.strikes_key, int(cap) + 60)
        delay = backoff_delay(strikes, base=base, cap=cap)
        self.cool_down(delay)
        return delay

    def clear_back_off(self) -> None:
        self.connection.delete(self.strikes_key)

    def now(self) -> float:
        seconds, micros = self.connection.time()
        return seconds + micros / 1_000_000


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """Exponential back-off with jitter, so the retries of a batch spread out."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)
