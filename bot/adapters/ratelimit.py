"""Rate limits per key (a client address, a socket, a conversation): floods are
refused, not queued.

A limit is a Rate: `burst` at once, refilled at `per_minute`. The hub asks its
Limits, one per hub, whether every limit of an event allows it:

- in one hub (the default), token buckets in memory (RateLimiter). Memory
  stays bounded: a bucket that has refilled is the same as no bucket, so the
  least recently used ones are forgotten as soon as they are full again, and
  beyond `max_keys` the oldest go even if not (a key forgotten early only gets
  a fresh burst, never a refusal it did not earn);
- with several hubs (cluster mode), in Redis with the `limits` library
  (SharedLimits), or a flooder would get a fresh allowance from every hub the
  load balancer sends it to. `limits` has no token bucket; its moving window
  of `burst` events per the time a bucket takes to refill (burst / per_minute
  minutes, in whole seconds) is the closest: the same burst and the same
  long-run rate, but a spent event comes back all at once at the end of its
  window rather than bit by bit (10 a minute with a burst of 10: 10 per 60 s).
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from limits.aio.storage import Storage
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Rate:
    """A limit: at most `burst` at once, refilled at `per_minute`; `name` keeps
    its keys apart from another limit's."""

    name: str
    per_minute: int
    burst: int

    @property
    def window_seconds(self) -> int:
        """SharedLimits' moving window: the time an emptied bucket takes to refill."""
        return max(1, math.ceil(self.burst * 60 / self.per_minute))


class Limits:
    """One hub's limits, in its memory: a token bucket per rate and key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.clock, self.max_keys = clock, max_keys
        self._buckets: Dict[Rate, RateLimiter] = {}
        self._paused: OrderedDict[str, float] = OrderedDict()  # key -> until when

    def _bucket(self, rate: Rate) -> RateLimiter:
        if rate not in self._buckets:
            self._buckets[rate] = RateLimiter(rate.per_minute, rate.burst, self.clock, self.max_keys)
        return self._buckets[rate]

    async def allow(self, *checks: Tuple[Rate, str]) -> bool:
        """Whether every (rate, key) allows one more; only then is each counted,
        so what one limit refuses costs nothing against the others."""
        return allow_all(*((self._bucket(rate), key) for rate, key in checks))

    async def forget(self, rate: Rate, key: str) -> None:
        """A key that will not come back (a closed socket's)."""
        self._bucket(rate).forget(key)

    async def pause(self, key: str, seconds: float) -> None:
        self._paused[key] = self.clock() + seconds
        self._paused.move_to_end(key)
        while len(self._paused) > self.max_keys:
            self._paused.popitem(last=False)

    async def paused(self, key: str) -> bool:
        until = self._paused.get(key)
        if until is not None and self.clock() >= until:
            del self._paused[key]
            return False
        return until is not None


class SharedLimits(Limits):
    """The limits of every hub, in Redis: `limits`' moving windows (see above)
    and the pauses as keys that expire. When Redis cannot be asked, the event
    is allowed and the log says so: a flood is a lesser harm than refusing
    every customer."""

    def __init__(self, storage: Storage, redis: Redis, prefix: str) -> None:
        """`storage` raises StorageError (wrap_exceptions=True); `prefix` names the pauses' keys."""
        super().__init__()
        self.windows = MovingWindowRateLimiter(storage)
        self.redis, self.prefix = redis, prefix

    @staticmethod
    def _item(rate: Rate) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(rate.burst, rate.window_seconds, namespace=rate.name)

    async def allow(self, *checks: Tuple[Rate, str]) -> bool:
        try:
            for rate, key in checks:
                if not await self.windows.test(self._item(rate), key):
                    return False
            # Two hubs between test and hit may let one event too many through: no harm.
            for rate, key in checks:
                await self.windows.hit(self._item(rate), key)
        except StorageError as error:
            logger.warning("Could not check the shared rate limits: %s", error)
        return True

    async def forget(self, rate: Rate, key: str) -> None:
        try:
            await self.windows.clear(self._item(rate), key)
        except StorageError as error:  # it expires by itself in any case
            logger.warning("Could not forget a shared rate limit: %s", error)

    async def pause(self, key: str, seconds: float) -> None:
        try:
            await self.redis.set(f"{self.prefix}pause:{key}", 1, px=max(1, int(seconds * 1000)))
        except RedisError as error:
            logger.warning("Could not pause an address in Redis: %s", error)

    async def paused(self, key: str) -> bool:
        try:
            return bool(await self.redis.exists(f"{self.prefix}pause:{key}"))
        except RedisError as error:
            logger.warning("Could not ask Redis about a pause: %s", error)
            return False


class SocketGate:
    """New sockets per client address: a rate, and a pause after one of the
    address's sockets was closed for flooding, so a flooder does not come
    straight back for fresh allowances. The pause bars only new sockets: those
    already open (other customers behind the same office address) carry on."""

    def __init__(self, limits: Limits, per_minute: int, burst: int, pause_seconds: float) -> None:
        self.limits, self.pause_seconds = limits, pause_seconds
        self.rate = Rate("sockets", per_minute, burst)

    async def allow(self, address: str) -> bool:
        return not await self.limits.paused(address) and await self.limits.allow((self.rate, address))

    async def pause(self, address: str) -> None:
        await self.limits.pause(address, self.pause_seconds)


def hub_limits(redis: Optional[Redis], namespace: str = "") -> Limits:
    """The hub's limits: shared in Redis when there is one (cluster mode), under
    `namespace` (bot/adapters/redis_store.py), over the same connections."""
    if redis is None:
        return Limits()
    storage = RedisStorage(
        "async+redis://",  # the connections are `redis`'s
        implementation="redispy",
        key_prefix=f"{namespace}limits",
        wrap_exceptions=True,
        # Documented (passed to redis-py's client), though typed as if only scalars went through.
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]
    )
    return SharedLimits(storage, redis, f"{namespace}limits:")
