"""Token buckets per key (a widget session): floods are refused, not queued."""

from __future__ import annotations

import time
from typing import Callable, Dict, Tuple


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: Dict[str, Tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > 100_000:  # forget idle sessions rather than grow forever
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}
        return allowed
