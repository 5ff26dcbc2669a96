"""The one place that decides who takes a conversation that needs a person:
an analyst now (live chat) or a ticket. A plain function of the calendar, the
moment and the queue's state, so every case is a unit test.

Live chat needs all three: the queue is open now (hours and national holidays,
bot/domain/hours.py), at least one of its analysts is online, and the expected wait is
within the configured limit. Anything else is a ticket, with the reason, so
Carolina can say why and when the queue opens again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional

from bot.domain.hours import Calendar


@dataclass(frozen=True)
class Decision:
    live: bool
    queue: str
    # Why not live: closed | holiday | nobody_online | busy
    why: Optional[str] = None
    position: int = 0  # the customer's place in line, when live
    wait_minutes: int = 0
    opens_at: Optional[datetime] = None
    holiday: Optional[str] = None

    def as_json(self) -> Dict[str, Any]:
        return {
            "live": self.live,
            "queue": self.queue,
            "why": self.why,
            "position": self.position,
            "wait_minutes": self.wait_minutes,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "holiday": self.holiday,
        }


class UnknownQueue(ValueError):
    pass


def expected_wait(ahead: int, online: int, minutes_per_chat: int) -> int:
    """Minutes until an analyst is free for the next customer in line: the chats
    ahead are shared among the online analysts, one at a time each."""
    if online <= 0:
        raise ValueError("nobody online: there is no wait, there is no chat")
    return math.ceil(ahead / online) * minutes_per_chat


def decide(calendar: Calendar, queue: str, moment: datetime, online: int, waiting: int) -> Decision:
    """`online`: the queue's analysts online now; `waiting`: handoffs already queued there."""
    if queue not in calendar.queues:
        raise UnknownQueue(queue)
    if not calendar.is_open(queue, moment):
        local_day = moment.astimezone(calendar.zone).date()
        holiday = None if calendar.queues[queue].open_on_holidays else calendar.holiday(local_day)
        return Decision(
            False,
            queue,
            "holiday" if holiday else "closed",
            opens_at=calendar.next_opening(queue, moment),
            holiday=holiday,
        )
    if online <= 0:
        return Decision(False, queue, "nobody_online")
    wait = expected_wait(waiting, online, calendar.minutes_per_chat)
    if wait > calendar.max_wait_minutes:
        return Decision(False, queue, "busy", wait_minutes=wait)
    return Decision(True, queue, position=waiting + 1, wait_minutes=wait)
