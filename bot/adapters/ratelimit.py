"""Token buckets per key (a client address, a socket, a conversation): floods are
refused, not queued.

Memory stays bounded: a bucket that has refilled is the same as no bucket, so
the least recently used ones are forgotten as soon as they are full again, and
beyond `max_keys` the oldest go even if not (a key forgotten early only gets a
fresh burst, never a refusal it did not earn)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Tuple


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        # How long an emptied bucket takes to be full again.
        self.refill_seconds = self.burst / self.rate if self.rate > 0 else float("inf")
        self._buckets: OrderedDict[str, Tuple[float, float]] = OrderedDict()  # key -> (tokens, last use)

    def __len__(self) -> int:
        return len(self._buckets)

    def tokens(self, key: str) -> float:
        """What `key` may spend now."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def take(self, key: str) -> None:
        """Spends one token of `key` (callers check `tokens` first)."""
        now = self.clock()
        self._buckets[key] = (self.tokens(key) - 1.0, now)
        self._buckets.move_to_end(key)
        self._forget(now)

    def allow(self, key: str) -> bool:
        if self.tokens(key) < 1.0:
            return False
        self.take(key)
        return True

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _forget(self, now: float) -> None:
        # In order of last use: the first ones are the likeliest to be full again.
        while self._buckets:
            key, (_, last) = next(iter(self._buckets.items()))
            if now - last < self.refill_seconds and len(self._buckets) <= self.max_keys:
                break
            del self._buckets[key]


def allow_all(*checks: Tuple[RateLimiter, str]) -> bool:
    """Whether every (limiter, key) has a token; only then is one taken from each,
    so what one limit refuses costs nothing against the others."""
    if any(limiter.tokens(key) < 1.0 for limiter, key in checks):
        return False
    for limiter, key in checks:
        limiter.take(key)
    return True


class SocketGate:
    """New sockets per client address: a token bucket, and a pause after one of
    the address's sockets was closed for flooding, so a flooder does not come
    straight back for fresh allowances. The pause bars only new sockets: those
    already open (other customers behind the same office address) carry on."""

    def __init__(
        self, per_minute: int, burst: int, pause_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bucket = RateLimiter(per_minute, burst, clock)
        self.pause_seconds, self.clock = pause_seconds, clock
        self._paused: OrderedDict[str, float] = OrderedDict()  # address -> until when

    def allow(self, address: str) -> bool:
        until = self._paused.get(address)
        if until is not None:
            if self.clock() < until:
                return False
            del self._paused[address]
        return self.bucket.allow(address)

    def pause(self, address: str) -> None:
        self._paused[address] = self.clock() + self.pause_seconds
        self._paused.move_to_end(address)
        while len(self._paused) > self.bucket.max_keys:
            self._paused.popitem(last=False)
