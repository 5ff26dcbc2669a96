"""One vocabulary (common/vocabulary.yml): the form, the hub's validation, the
console, the OpenAPI document and the queues' hours all agree with it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Dict

import pytest
import yaml

from bot.db.models import Ticket
from bot.domain import tickets
from bot.domain.errors import DomainError
from bot.domain.hours import load_calendar
from bot.domain.texts import queue_name
from bot.web.openapi import document
from common.languages import LANGUAGES
from common.vocabulary import VocabularyError, parse, vocabulary

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
WORDS = vocabulary()


def variations(response: str) -> Dict[str, str]:
    """A domain.yml response's text per language (the first one is Portuguese)."""
    found = {}
    for variation in DOMAIN["responses"][response]:
        language = next((c["value"] for c in variation.get("condition") or [] if c["name"] == "language"), "pt")
        found[language] = variation["text"]
    return found


def test_the_form_has_a_slot_for_every_field_it_asks():
    for field in WORDS.fields:
        assert field.slot in DOMAIN["slots"] or not field.asked, field.name


def test_the_domain_labels_are_the_vocabulary_labels():
    # The fields' own names are the vocabulary's only (actions/intake.py reads them there).
    assert not [r for r in DOMAIN["responses"] if r.startswith("utter_label_field_")]
    for category, labels in WORDS.categories.items():
        assert variations(f"utter_label_category_{category}") == dict(labels)
    for level, labels in WORDS.criticalities.items():
        assert variations(f"utter_label_criticality_{level}") == dict(labels)
    for field in WORDS.fields:
        if field.kind == "choice" and field.name != "category":
            for choice in field.choices:
                assert f"utter_label_{field.name}_{choice}" in DOMAIN["responses"], (field.name, choice)


def test_the_topic_buttons_are_the_vocabularys_topics():
    buttons = DOMAIN["responses"]["utter_ask_handoff_topic"][0]["buttons"]
    topics = [re.search(r'"handoff_topic": "(\w+)"', b["payload"]).group(1) for b in buttons]
    assert topics == list(WORDS.handoff_topics)


def test_every_queue_has_hours_and_a_name_in_each_language():
    assert list(load_calendar().queues) == list(WORDS.queues)
    for queue in WORDS.queues:
        assert all(queue_name(queue, lang) != queue for lang in LANGUAGES)


def test_the_hub_validates_with_the_vocabulary():
    assert tickets.FIELDS == tuple(f.name for f in WORDS.fields)
    assert set(tickets.CRITICALITY) == set(WORDS.levels)
    assert {c for row in tickets.CRITICALITY.values() for c in row.values()} == set(WORDS.criticalities)
    assert "suggestion" in WORDS.categories and "suggestion" not in tickets.CATEGORIES
    for name in ("origin", "system_environment"):
        body = {"fields": {"summary": "x", name: "somewhere"}, "impact": "low", "urgency": "low"}
        with pytest.raises(DomainError) as refused:
            tickets.TicketRequest.parse(body)
        assert refused.value.status == 422 and name in refused.value.message
        body["fields"][name] = WORDS.unknown
        assert tickets.TicketRequest.parse(body).fields[name] == "unknown"
    # The field's name before it was the guides' ORIGEM: a new ticket no longer takes it.
    with pytest.raises(DomainError):
        tickets.TicketRequest.parse(
            {"fields": {"summary": "x", "environment": "production"}, "impact": "low", "urgency": "low"}
        )


class Flushing:
    """Enough of a session for set_status: it flushes, and takes the report event of a change."""

    def __init__(self) -> None:
        self.added: list = []

    def add(self, row: object) -> None:
        self.added.append(row)

    async def flush(self) -> None:
        pass


@pytest.mark.parametrize(
    "before,after,allowed",
    [
        ("open", "in_progress", True),
        ("customer_validation", "in_progress", True),
        ("in_progress", "in_progress", True),
        ("closed", "open", False),
        ("closed", "in_progress", False),
        ("customer_validation", "awaiting_customer", False),
    ],
)
def test_a_status_moves_only_where_the_vocabulary_lets_it(before, after, allowed):
    ticket = Ticket(number="2026-000001", status=before)
    if allowed:
        assert asyncio.run(tickets.set_status(Flushing(), ticket, after)).status == after
        return
    with pytest.raises(DomainError) as refused:
        asyncio.run(tickets.set_status(Flushing(), ticket, after))
    assert refused.value.status == 409 and ticket.status == before


def test_the_console_hard_codes_none_of_it():
    console = (ROOT / "bot" / "static" / "console.js").read_text(encoding="utf-8")
    # The names no other word of the console's is spelled like ("open" is also its button's key).
    names = [*WORDS.queues, *WORDS.statuses, *WORDS.criticalities, *(f.name for f in WORDS.fields)]
    quoted = [name for name in names if ("_" in name or name in WORDS.queues) and f'"{name}"' in console]
    assert quoted == [], "console.js reads these from GET /api/vocabulary"


def test_the_openapi_document_takes_its_enums_and_fields_from_the_vocabulary():
    spec = document()
    expected = {"impact": list(WORDS.levels), "urgency": list(WORDS.levels), "queue": list(WORDS.queues)}
    named = {"levels": list(WORDS.levels), "queues": list(WORDS.queues), "languages": list(LANGUAGES)}
    seen = set()

    def walk(node, key=""):
        if isinstance(node, dict):
            if "x-vocabulary" in node:
                assert node.get("enum") == named.get(node["x-vocabulary"], node.get("enum")), node
            if key in expected and "enum" in node:
                assert node["enum"] == expected[key], key
                seen.add(key)
            for name, value in node.items():
                walk(value, name if name not in ("properties", "schema") else key)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)

    walk(spec)
    assert seen == set(expected)
    assert spec["components"]["schemas"]["ConsoleStatusChange"]["properties"]["status"]["enum"] == list(WORDS.statuses)
    incident = spec["components"]["schemas"]["IncidentFields"]["properties"]
    assert list(incident) == [f.name for f in WORDS.fields]
    assert incident["origin"]["anyOf"][0]["enum"] == [*WORDS.field("origin").choices, "unknown"]
    assert incident["system_environment"]["anyOf"][0]["enum"] == ["production", "staging", "development", "unknown"]


def test_a_malformed_vocabulary_is_refused():
    raw = yaml.safe_load((ROOT / "common" / "vocabulary.yml").read_text(encoding="utf-8"))
    raw["statuses"]["open"]["next"] = ["reopened"]
    with pytest.raises(VocabularyError):
        parse(raw)
    raw = yaml.safe_load((ROOT / "common" / "vocabulary.yml").read_text(encoding="utf-8"))
    del raw["queues"]["cloud"]["es"]
    with pytest.raises(VocabularyError):
        parse(raw)
