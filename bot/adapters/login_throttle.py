"""Growing delays after wrong passwords, in this process's memory (several hub
processes would keep them in Redis). Three counters, each keyed on what the
request says, never on whether the account exists:

- the client address, over every account: 20 failures free, then 1 s, 2 s,
  4 s ... up to 60 s between attempts;
- the (e-mail, address) pair: 5 failures free, then 1 s, 2 s ... up to 5 minutes;
- the e-mail, over every address: 10 failures free, then a gentle 1 s, 2 s,
  3 s at most, so that nobody elsewhere can keep an analyst out.

An attempt is counted when it is let through (before its password is checked,
so a burst sent at once is counted as it arrives); a success takes its count
back from the address and the e-mail and clears the pair. A counter forgets
after an hour (the e-mail's after 15 minutes) without failures."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, Hashable, List, Tuple


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
    def __init__(self, rule: Rule, now: Callable[[], float]) -> None:
        self.rule, self.now = rule, now
        self.failures: Dict[Hashable, Tuple[int, float]] = {}  # key -> (count, when the last one came)

    def _count(self, key: Hashable, moment: float) -> Tuple[int, float]:
        count, last = self.failures.get(key, (0, 0.0))
        if count and moment - last >= self.rule.forget:
            del self.failures[key]
            return 0, 0.0
        return count, last

    def wait(self, key: Hashable) -> float:
        moment = self.now()
        count, last = self._count(key, moment)
        return max(0.0, last + self.rule.delay(count) - moment) if count else 0.0

    def add(self, key: Hashable) -> None:
        moment = self.now()
        count, _ = self._count(key, moment)
        self.failures[key] = (count + 1, moment)
        if len(self.failures) > MAX_KEYS:
            self._prune(moment)

    def take_back(self, key: Hashable) -> None:
        count, last = self.failures.get(key, (0, 0.0))
        if count > 1:
            self.failures[key] = (count - 1, last)
        else:
            self.failures.pop(key, None)

    def clear(self, key: Hashable) -> None:
        self.failures.pop(key, None)

    def _prune(self, moment: float) -> None:
        for key, (_, last) in list(self.failures.items()):
            if moment - last >= self.rule.forget:
                del self.failures[key]
        if len(self.failures) > MAX_KEYS:
            oldest: List[Hashable] = sorted(self.failures, key=lambda k: self.failures[k][1])
            for key in oldest[: len(self.failures) - MAX_KEYS]:
                del self.failures[key]


class LoginThrottle:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.address = Counter(ADDRESS, now)
        self.pair = Counter(PAIR, now)
        self.account = Counter(ACCOUNT, now)

    def attempt(self, email: str, address: str) -> int:
        """0: go ahead (the attempt now counts as a failure until `succeeded`);
        otherwise the whole seconds to wait, and the attempt does not count."""
        wait = max(self.address.wait(address), self.pair.wait((email, address)), self.account.wait(email))
        if wait > 0:
            return max(1, math.ceil(wait))
        self.address.add(address)
        self.pair.add((email, address))
        self.account.add(email)
        return 0

    def succeeded(self, email: str, address: str) -> None:
        self.address.take_back(address)
        self.account.take_back(email)
        self.pair.clear((email, address))
