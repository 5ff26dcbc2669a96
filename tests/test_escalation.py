"""The decision between live chat and a ticket (bot/domain/escalation.py): plain
functions, no servers (what Carolina asks before it: tests/assistant/test_handoff_questions.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.escalation import decide, expected_wait
from bot.domain.hours import load_calendar
from bot.domain.texts import opens_at

BRASILIA = timezone(timedelta(hours=-3))
CALENDAR = load_calendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRASILIA)


def test_open_queue_with_an_analyst_online_is_live_chat():
    decision = decide(CALENDAR, "technical_support", at("2026-12-02T10:00"), online=1, waiting=0)
    assert decision.live and decision.position == 1 and decision.wait_minutes == 0


def test_the_wait_is_the_queue_ahead_shared_among_the_analysts():
    assert expected_wait(0, 1, 10) == 0
    assert expected_wait(1, 1, 10) == 10
    assert expected_wait(3, 2, 10) == 20
    decision = decide(CALENDAR, "technical_support", at("2026-12-02T10:00"), online=2, waiting=1)
    assert decision.live and decision.position == 2 and decision.wait_minutes == 10


def test_a_wait_over_the_limit_is_a_ticket():
    # 2 ahead, 1 analyst: 20 minutes > max_wait_minutes (15).
    decision = decide(CALENDAR, "technical_support", at("2026-12-02T10:00"), online=1, waiting=2)
    assert not decision.live and decision.why == "busy" and decision.wait_minutes == 20


def test_nobody_online_is_a_ticket():
    decision = decide(CALENDAR, "technical_support", at("2026-12-02T10:00"), online=0, waiting=0)
    assert not decision.live and decision.why == "nobody_online"


@pytest.mark.parametrize(
    "moment,live",
    [
        ("2026-12-02T06:59:59", False),
        ("2026-12-02T07:00", True),
        ("2026-12-02T18:59:59", True),
        ("2026-12-02T19:00", False),
    ],
)
def test_technical_support_hours_boundaries(moment, live):
    assert decide(CALENDAR, "technical_support", at(moment), online=1, waiting=0).live is live


def test_outside_hours_says_when_the_queue_opens():
    decision = decide(CALENDAR, "technical_support", at("2026-12-04T19:30"), online=3, waiting=0)  # a Friday
    assert not decision.live and decision.why == "closed"
    assert decision.opens_at == at("2026-12-07T07:00"), "Monday 07:00"


def test_administrative_lunch_break():
    assert not decide(CALENDAR, "administrative", at("2026-12-02T12:30"), online=1, waiting=0).live
    decision = decide(CALENDAR, "administrative", at("2026-12-02T12:30"), online=1, waiting=0)
    assert decision.opens_at == at("2026-12-02T13:30")
    assert decide(CALENDAR, "administrative", at("2026-12-02T13:30"), online=1, waiting=0).live


def test_a_national_holiday_is_a_ticket_but_cloud_is_always_open():
    christmas = at("2026-12-25T10:00")
    decision = decide(CALENDAR, "technical_support", christmas, online=2, waiting=0)
    assert not decision.live and decision.why == "holiday" and decision.holiday
    assert decision.opens_at == at("2026-12-28T07:00")
    assert decide(CALENDAR, "cloud", christmas, online=1, waiting=0).live
    assert decide(CALENDAR, "cloud", at("2026-12-27T03:00"), online=1, waiting=0).live


def test_the_opening_time_in_each_language():
    moment = at("2026-12-07T07:00")
    assert opens_at(moment, "pt") == "segunda-feira, 07/12, às 07:00 (horário de Brasília)"
    assert opens_at(moment, "es") == "el lunes 07/12 a las 07:00 (hora de Brasilia)"
    assert opens_at(moment, "en") == "on Monday 12/07 at 07:00 Brasília time"
