"""Growing delays after wrong passwords: in this process's memory, or in Redis
when several hubs share the work (cluster mode: a guesser sent to another hub
must not start afresh). Three counters, each keyed on what the request says,
never on whether the account exists:

- the client address, over every account: 20 failures free, then 1 s, 2 s,
  4 s ... up to 60 s between attempts;
- the (e-mail, address) pair: 5 failures free, then 1 s, 2 s ... up to 5 minutes;
- the e-mail, over every address: 10 failures free, then a gentle 1 s, 2 s,
  3 s at most, so that nobody elsewhere can keep an analyst out.

An attempt is counted when it is let through (before its password is checked,
so a burst sent at once is counted as it arrives); a success takes its count
back from the address and the e-mail and clears the pair. A counter forgets
after an hour (the e-mail's after 15 minutes) without failures.

`limits` (bot/adapters/ratelimit.py) counts events in windows; these counters
grow delays with the failures and take a success back, which it does not do,
so in Redis they are a hash per key (count, time of the last failure) that
expires when the rule forgets."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Hashable, List, Optional, Tuple

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass(frozen=True)
class Rule:
    free: int  # failures before any delay
    cap: float  # the longest delay, in seconds
    forget: float  # seconds without a failure after which the count starts again

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return float(min(self.cap, 2 ** (failures - self.free)))


ADDRESS = Rule(free=20, cap=60.0, forget=3600.0)
PAIR = Rule(free=5, cap=300.0, forget=3600.0)
ACCOUNT = Rule(free=10, cap=3.0, forget=900.0)
# Beyond this many counters, the forgotten ones are dropped (then the oldest).
MAX_KEYS = 50_000


class Counter:
    """One rule's failures, in this process's memory."""

    def __init__(self, rule: Rule, now: Callable[[], float]) -> None:
        self.rule, self.now = rule, now
        self.failures: Dict[Hashable, Tuple[int, float]] = {}  # key -> (count, when the last one came)

    def _count(self, key: Hashable, moment: float) -> Tuple[int, float]:
        count, last = self.failures.get(key, (0, 0.0))
        if count and moment - last >= self.rule.forget:
            del self.failures[key]
            return 0, 0.0
        return count, last

    async def wait(self, key: Hashable) -> float:
        moment = self.now()
        count, last = self._count(key, moment)
        return max(0.0, last + self.rule.delay(count) - moment) if count else 0.0

    async def add(self, key: Hashable) -> None:
        moment = self.now()
        count, _ = self._count(key, moment)
        self.failures[key] = (count + 1, moment)
        if len(self.failures) > MAX_KEYS:
            self._prune(moment)

    async def take_back(self, key: Hashable) -> None:
        count, last = self.failures.get(key, (0, 0.0))
        if count > 1:
            self.failures[key] = (count - 1, last)
        else:
            self.failures.pop(key, None)

    async def clear(self, key: Hashable) -> None:
        self.failures.pop(key, None)

    def _prune(self, moment: float) -> None:
        for key, (_, last) in list(self.failures.items()):
            if moment - last >= self.rule.forget:
                del self.failures[key]
        if len(self.failures) > MAX_KEYS:
            oldest: List[Hashable] = sorted(self.failures, key=lambda k: self.failures[k][1])
            for key in oldest[: len(self.failures) - MAX_KEYS]:
                del self.failures[key]


class SharedCounter(Counter):
    """One rule's failures in Redis, for every hub: wall-clock times (the hubs'
    monotonic clocks do not agree), and Redis's expiry does the forgetting."""

    def __init__(self, rule: Rule, redis: Redis, prefix: str, now: Callable[[], float] = time.time) -> None:
        super().__init__(rule, now)
        self.redis, self.prefix = redis, prefix

    def _key(self, key: Hashable) -> str:
        return self.prefix + ("|".join(key) if isinstance(key, tuple) else str(key))

    async def wait(self, key: Hashable) -> float:
        count, last = await self.redis.hmget(self._key(key), ["count", "last"])
        if not count:
            return 0.0
        return max(0.0, float(last or 0) + self.rule.delay(int(count)) - self.now())

    async def add(self, key: Hashable) -> None:
        name = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "count", 1)
            pipe.hset(name, "last", str(self.now()))
            pipe.expire(name, math.ceil(self.rule.forget))
            await pipe.execute()

    async def take_back(self, key: Hashable) -> None:
        name = self._key(key)
        if await self.redis.hincrby(name, "count", -1) <= 0:
            await self.redis.delete(name)

    async def clear(self, key: Hashable) -> None:
        await self.redis.delete(self._key(key))


class LoginThrottle:
    def __init__(
        self, now: Callable[[], float] = time.monotonic, redis: Optional[Redis] = None, prefix: str = ""
    ) -> None:
        """In memory; in Redis with `redis`, under `prefix` (bot/adapters/redis_store.py)."""
        if redis is None:
            self.address, self.pair, self.account = Counter(ADDRESS, now), Counter(PAIR, now), Counter(ACCOUNT, now)
        else:
            self.address = SharedCounter(ADDRESS, redis, f"{prefix}login:address:")
            self.pair = SharedCounter(PAIR, redis, f"{prefix}login:pair:")
            self.account = SharedCounter(ACCOUNT, redis, f"{prefix}login:account:")

    async def attempt(self, email: str, address: str) -> int:
        """0: go ahead (the attempt now counts as a failure until `succeeded`);
        otherwise the whole seconds to wait, and the attempt does not count."""
        wait = max(
            await self.address.wait(address), await self.pair.wait((email, address)), await self.account.wait(email)
        )
        if wait > 0:
            return max(1, math.ceil(wait))
        await self.address.add(address)
        await self.pair.add((email, address))
        await self.account.add(email)
        return 0

    async def succeeded(self, email: str, address: str) -> None:
        await self.address.take_back(address)
        await self.account.take_back(email)
        await self.pair.clear((email, address))
