"""When each support queue is staffed: weekly periods in local time (Brasília),
closed on national holidays unless the queue says otherwise. The one place that
answers "is the queue open now?"; the configuration is config/queues.yml."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo

import holidays
import yaml

CONFIG = Path(__file__).resolve().parents[2] / "config" / "queues.yml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIDNIGHT = time(0, 0)


class HoursError(ValueError):
    """config/queues.yml says something that cannot be a schedule."""


@dataclass(frozen=True)
class Queue:
    name: str
    # weekday (0 = Monday) -> [(start, end)] in local time; end None means midnight.
    periods: Mapping[int, Tuple[Tuple[time, Optional[time]], ...]]
    open_on_holidays: bool = False


@dataclass(frozen=True)
class Calendar:
    zone: ZoneInfo
    holiday_country: str
    max_wait_minutes: int
    minutes_per_chat: int = 10
    queues: Mapping[str, Queue] = field(default_factory=dict)

    def holiday(self, day: date) -> Optional[str]:
        return _holidays(self.holiday_country, day.year).get(day)

    def is_open(self, queue: str, moment: datetime) -> bool:
        if moment.tzinfo is None:
            raise ValueError("moment needs a time zone")
        spec = self.queues[queue]
        local = moment.astimezone(self.zone)
        if not spec.open_on_holidays and self.holiday(local.date()):
            return False
        now = local.time()
        return any(start <= now and (end is None or now < end) for start, end in spec.periods.get(local.weekday(), ()))

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.holiday(day)

    def add_business_days(self, moment: datetime, days: int) -> datetime:
        """The same local time `days` business days later (weekends and national
        holidays skipped): the guides' deadlines ("7 dias úteis"). A moment on a
        day off counts from the next business day, as a message sent on a
        Saturday is read on Monday. Negative `days` counts back (a warning the
        business day before)."""
        if moment.tzinfo is None:
            raise ValueError("moment needs a time zone")
        local = moment.astimezone(self.zone)
        day, step = local.date(), 1 if days >= 0 else -1
        remaining = abs(days)
        if days > 0:
            while not self.is_business_day(day):
                day += timedelta(days=1)
        while remaining:
            day += timedelta(days=step)
            if self.is_business_day(day):
                remaining -= 1
        return datetime.combine(day, local.time(), tzinfo=self.zone)

    def next_opening(self, queue: str, moment: datetime, horizon_days: int = 14) -> Optional[datetime]:
        """The first moment at or after `moment` when the queue is open (None: not within the horizon)."""
        if self.is_open(queue, moment):
            return moment
        spec = self.queues[queue]
        local = moment.astimezone(self.zone)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            if not spec.open_on_holidays and self.holiday(day):
                continue
            for start, _ in sorted(spec.periods.get(day.weekday(), ())):
                candidate = datetime.combine(day, start, tzinfo=self.zone)
                if candidate >= local:
                    return candidate
        return None


@lru_cache(maxsize=32)
def _holidays(country: str, year: int) -> Mapping[date, str]:
    return holidays.country_holidays(country, years=[year])


def _day_range(spec: str) -> List[int]:
    first, _, last = spec.partition("-")
    try:
        start, end = DAYS.index(first.strip()), DAYS.index((last or first).strip())
    except ValueError as error:
        raise HoursError(f"{spec!r} is not a day or a day range like mon-fri") from error
    return list(range(start, end + 1))


def _period(spec: str) -> Tuple[time, Optional[time]]:
    try:
        start, end = (part.strip() for part in spec.split("-"))
        opening = time.fromisoformat(start)
        closing = None if end == "24:00" else time.fromisoformat(end)
    except ValueError as error:
        raise HoursError(f"{spec!r} is not a period like 08:00-12:00") from error
    if closing is not None and closing <= opening:
        raise HoursError(f"{spec!r} ends before it starts")
    return opening, closing


def parse_calendar(raw: Mapping) -> Calendar:
    queues: Dict[str, Queue] = {}
    for name, spec in (raw.get("queues") or {}).items():
        periods: Dict[int, List[Tuple[time, Optional[time]]]] = {}
        for days, ranges in (spec.get("hours") or {}).items():
            for weekday in _day_range(days):
                periods.setdefault(weekday, []).extend(_period(r) for r in ranges)
        queues[name] = Queue(
            name, {d: tuple(p) for d, p in periods.items()}, open_on_holidays=spec.get("holidays") == "open"
        )
    return Calendar(
        ZoneInfo(raw.get("timezone", "America/Sao_Paulo")),
        raw.get("holiday_country", "BR"),
        int(raw.get("max_wait_minutes", 15)),
        int(raw.get("minutes_per_chat", 10)),
        queues,
    )


@lru_cache(maxsize=4)
def load_calendar(path: Path = CONFIG) -> Calendar:
    return parse_calendar(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
