"""The one clock every time-dependent decision reads (ticket numbers, "since
when" dates, later business hours). CAROLINA_CLOCK, an ISO date-time with an
offset, fixes "now" for tests and demos; otherwise it is the real time."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

# Support hours and ticket years are Brasília's (America/Sao_Paulo has had no
# daylight-saving time since 2019).
ZONE = ZoneInfo("America/Sao_Paulo")


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
        return moment.astimezone(ZONE)
    return datetime.now(ZONE)
