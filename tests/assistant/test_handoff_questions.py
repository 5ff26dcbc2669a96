"""What Carolina asks before a handoff (actions/handoff.py): plain functions, no servers."""

from __future__ import annotations

import pytest

from actions.handoff import feedback, needs_decision, next_slot, topic_from


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


@pytest.mark.parametrize(
    "said, slot, expected",
    [
        (["somos clientes de totvs cloud, el protheus no levanta", "tecnico"], None, True),
        (["o sistema fica na nuvem de vocês e caiu"], None, True),
        (["protheus is down for everyone"], None, False),
        (["nota fiscal cloud"], None, False),  # one word alone says nothing
        (["protheus parou"], "yes", True),  # answered in an intake
        (["we are on totvs cloud and protheus is down, i need an analyst"], None, True),
    ],
)
def test_a_cloud_customer_is_known_from_what_they_said(said, slot, expected):
    from pathlib import Path

    import yaml

    from actions.handoff import hosted_in_cloud

    class Tracker:
        events = [{"event": "user", "text": text} for text in said]

        def get_slot(self, name):
            return slot if name == "incident_cloud" else None

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
    lang = "es" if "tecnico" in said else "en" if "analyst" in said[0] else "pt"
    assert hosted_in_cloud(Tracker(), domain, lang) is expected
