"""The one clock every time-dependent decision reads (ticket numbers, "since
when" dates, business hours). CAROLINA_CLOCK, an ISO date-time with an offset,
fixes "now" for tests and demos; otherwise it is the real time. With
CAROLINA_CLOCK_RUNNING=1 the clock starts at CAROLINA_CLOCK and runs, so a demo
(or a test) can watch a queue close at 19:00."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Support hours and ticket years are Brasília's (America/Sao_Paulo has had no
# daylight-saving time since 2019).
ZONE = ZoneInfo("America/Sao_Paulo")


# When this process started, for a running fixed clock.
_STARTED = time.monotonic()


class ClockError(ValueError):
    pass


def now() -> datetime:
    fixed = os.environ.get("CAROLINA_CLOCK")
    if fixed:
        try:
            moment = datetime.fromisoformat(fixed)
        except ValueError as error:
            raise ClockError(f"CAROLINA_CLOCK={fixed!r} is not an ISO date-time") from error
        if moment.tzinfo is None:
            raise ClockError(f"CAROLINA_CLOCK={fixed!r} needs an offset, e.g. 2026-11-23T15:00:00-03:00")
        if os.environ.get("CAROLINA_CLOCK_RUNNING") == "1":
            moment += timedelta(seconds=time.monotonic() - _STARTED)
        return moment.astimezone(ZONE)
    return datetime.now(ZONE)
