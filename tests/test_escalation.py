"""The decision between live chat and a ticket (bot/escalation.py), and what
Carolina asks before it (actions/handoff.py): plain functions, no servers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from actions.handoff import feedback, needs_decision, next_slot, topic_from
from bot.escalation import decide, expected_wait
from bot.hours import load_calendar
from bot.texts import opens_at

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


@pytest.mark.parametrize(
    "text,entities,topic",
    [
        ("", [{"entity": "handoff_topic", "value": "administrative"}], "administrative"),
        ("é sobre uma fatura atrasada", [], "administrative"),
        ("quiero dejar un reclamo", [], "communication"),
        ("the software throws an error", [], "technical"),
        ("hmm", [], None),
        ("erro na fatura", [], None),  # two topics: ask again rather than guess
    ],
)
def test_the_topic_from_a_button_or_typed_words(text, entities, topic):
    assert topic_from(text, entities) == topic


def test_what_is_asked_before_a_handoff():
    assert next_slot({}) == "handoff_topic"
    assert next_slot({"handoff_topic": "technical"}) == "handoff_gather"
    assert next_slot({"handoff_topic": "technical", "handoff_gather": "yes"}) is None, "the intake asks the rest"
    assert next_slot({"handoff_topic": "technical", "handoff_gather": "no"}) == "handoff_reason"
    assert next_slot({"handoff_topic": "administrative"}) == "handoff_reason"
    assert next_slot({"handoff_topic": "administrative", "handoff_reason": "second copy of an invoice"}) is None


def test_when_nobody_can_chat_a_ticket_is_asked_for_before_anything_else():
    closed = {"handoff_topic": "administrative", "handoff_live": "no"}
    assert next_slot(closed) == "handoff_ticket"
    assert next_slot({**closed, "handoff_ticket": "no"}) is None, "no means nothing is opened"
    assert next_slot({**closed, "handoff_ticket": "yes"}) == "handoff_reason", "the ticket's summary"
    software = {"handoff_topic": "cloud", "handoff_live": "no", "handoff_ticket": "yes"}
    assert next_slot(software) is None, "the intake gathers the ticket"
    assert next_slot({"handoff_topic": "cloud", "handoff_live": "yes"}) == "handoff_gather"


def test_praise_and_complaints_are_heard_before_the_queue_is_asked_about():
    assert next_slot({"handoff_topic": "communication"}) == "handoff_reason"
    praise = {"handoff_topic": "communication", "handoff_reason": "parabéns, a Ana foi excelente"}
    assert feedback(praise["handoff_reason"]) == "praise" and next_slot(praise) is None
    assert not needs_decision(praise), "praise is thanked: no queue, no ticket"
    complaint = {"handoff_topic": "communication", "handoff_reason": "ninguém responde meu chamado, um absurdo"}
    assert feedback(complaint["handoff_reason"]) == "complaint" and needs_decision(complaint)
    assert needs_decision({"handoff_topic": "technical"}) and not needs_decision({"handoff_topic": None})
