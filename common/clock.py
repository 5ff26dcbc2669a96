"""The clock every time-dependent decision reads (ticket numbers, "since when"
dates, business hours, when a message was said). Each process builds one at
start-up from its configuration and hands it down (the hub: app[keys.CLOCK];
the action server: actions/config.py); nothing reads the environment per call.

CAROLINA_CLOCK, an ISO date-time with an offset, fixes "now" for tests and
demos; with CAROLINA_CLOCK_RUNNING=1 the clock starts there and runs, so a demo
(or a test) can watch a queue close at 19:00. Otherwise it is the real time."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

# Support hours and ticket years are Brasília's (America/Sao_Paulo has had no
# daylight-saving time since 2019).
ZONE = ZoneInfo("America/Sao_Paulo")


class ClockError(ValueError):
    pass


@dataclass(frozen=True)
class Clock:
    """The real time, or `fixed` (standing still, or running from when the clock was made)."""

    fixed: Optional[datetime] = None
    running: bool = False
    started: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        if self.fixed is None:
            return datetime.now(ZONE)
        moment = self.fixed
        if self.running:
            moment += timedelta(seconds=time.monotonic() - self.started)
        return moment.astimezone(ZONE)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Clock:
        fixed = env.get("CAROLINA_CLOCK")
        if not fixed:
            return cls()
        try:
            moment = datetime.fromisoformat(fixed)
        except ValueError as error:
            raise ClockError(f"CAROLINA_CLOCK={fixed!r} is not an ISO date-time") from error
        if moment.tzinfo is None:
            raise ClockError(f"CAROLINA_CLOCK={fixed!r} needs an offset, e.g. 2026-11-23T15:00:00-03:00")
        return cls(moment, running=env.get("CAROLINA_CLOCK_RUNNING") == "1")
