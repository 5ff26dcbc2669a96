"""The shared vocabulary (common/vocabulary.yml) as typed, read-only data:
queues, ticket categories, statuses and their transitions, impact/urgency
levels, criticalities, and the incident fields with their kinds and labels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

import yaml

from common.languages import LANGUAGES

SOURCE = Path(__file__).resolve().parent / "vocabulary.yml"
KINDS = ("choice", "product", "database", "version", "text", "yesno", "date")

Labels = Mapping[str, str]


class VocabularyError(ValueError):
    """vocabulary.yml is malformed or contradicts itself."""


@dataclass(frozen=True)
class Field:
    name: str  # the ticket's key; the form's slot is incident_<name>
    kind: str
    required: bool
    choices: Tuple[str, ...]
    asked: bool
    label: Labels

    @property
    def slot(self) -> str:
        return f"incident_{self.name}"


@dataclass(frozen=True)
class Deadline:
    """A status the ticket leaves by itself: after `business_days` without news
    it becomes `then`; a product line may have its own count (the guides give
    Linha Consinco 5 business days of validation)."""

    business_days: int
    then: str
    by_product_line: Mapping[str, int]

    def days_for(self, product_line: Any) -> int:
        return self.by_product_line.get(str(product_line), self.business_days) if product_line else self.business_days


@dataclass(frozen=True)
class Vocabulary:
    queues: Dict[str, Labels]
    categories: Dict[str, Labels]
    ticket_categories: Tuple[str, ...]
    statuses: Dict[str, Labels]
    transitions: Dict[str, Tuple[str, ...]]
    levels: Tuple[str, ...]
    criticalities: Dict[str, Labels]
    fields: Tuple[Field, ...]
    unknown: str
    handoff_topics: Dict[str, str]
    deadlines: Dict[str, Deadline]
    # Labels of the other values a field holds (choices, levels, unknown).
    values: Dict[str, Labels]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def as_json(self) -> Dict[str, Any]:
        """What the console reads (GET /api/vocabulary)."""
        return {
            "languages": list(LANGUAGES),
            "queues": {q: dict(labels) for q, labels in self.queues.items()},
            "categories": {c: dict(labels) for c, labels in self.categories.items()},
            "ticket_categories": list(self.ticket_categories),
            "statuses": {
                s: {"label": dict(labels), "next": list(self.transitions[s])} for s, labels in self.statuses.items()
            },
            "levels": list(self.levels),
            "criticalities": {c: dict(labels) for c, labels in self.criticalities.items()},
            "unknown": self.unknown,
            "values": {v: dict(labels) for v, labels in self.values.items()},
            "fields": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "required": f.required,
                    "choices": list(f.choices),
                    "label": dict(f.label),
                }
                for f in self.fields
            ],
        }


def _labels(where: str, raw: Any) -> Labels:
    if not isinstance(raw, dict) or any(not isinstance(raw.get(lang), str) for lang in LANGUAGES):
        raise VocabularyError(f"{where}: a label in each of {', '.join(LANGUAGES)} is required")
    return {lang: raw[lang] for lang in LANGUAGES}


def parse(raw: Mapping[str, Any]) -> Vocabulary:
    queues = {name: _labels(f"queues.{name}", labels) for name, labels in raw["queues"].items()}
    categories = {name: _labels(f"categories.{name}", labels) for name, labels in raw["categories"].items()}
    ticketable = tuple(name for name, labels in raw["categories"].items() if labels.get("ticket", True))
    statuses = {name: _labels(f"statuses.{name}", spec.get("label")) for name, spec in raw["statuses"].items()}
    transitions = {name: tuple(spec.get("next") or ()) for name, spec in raw["statuses"].items()}
    for name, targets in transitions.items():
        if set(targets) - set(statuses):
            unknown = sorted(set(targets) - set(statuses))
            raise VocabularyError(f"statuses.{name}.next names unknown statuses: {unknown}")
    deadlines = {}
    for name, spec in raw["statuses"].items():
        if spec.get("deadline"):
            deadline = spec["deadline"]
            if deadline.get("then") not in transitions[name]:
                raise VocabularyError(f"statuses.{name}.deadline.then must be one of its next statuses")
            by_line = {str(line): int(days) for line, days in (deadline.get("by_product_line") or {}).items()}
            deadlines[name] = Deadline(int(deadline["business_days"]), str(deadline["then"]), by_line)
    criticalities = {name: _labels(f"criticalities.{name}", labels) for name, labels in raw["criticalities"].items()}
    topics = {str(topic): str(queue) for topic, queue in raw["handoff_topics"].items()}
    if set(topics.values()) - set(queues):
        raise VocabularyError(f"handoff_topics name unknown queues: {sorted(set(topics.values()) - set(queues))}")
    fields = []
    for name, spec in raw["fields"].items():
        if spec.get("kind") not in KINDS:
            raise VocabularyError(f"fields.{name}.kind must be one of {', '.join(KINDS)}")
        choices = spec.get("choices") or ()
        if choices == "categories":
            choices = tuple(categories)
        if spec["kind"] == "choice" and not choices:
            raise VocabularyError(f"fields.{name}: a choice needs its choices")
        fields.append(
            Field(
                name,
                spec["kind"],
                bool(spec.get("required", True)),
                tuple(str(c) for c in choices),
                bool(spec.get("asked", True)),
                _labels(f"fields.{name}.label", spec.get("label")),
            )
        )
    values = {str(name): _labels(f"values.{name}", labels) for name, labels in raw["values"].items()}
    named = set(queues) | set(categories) | set(statuses) | set(criticalities) | set(values)
    held = {c for f in fields for c in f.choices} | set(raw["levels"]) | {str(raw["unknown"])}
    unlabelled = sorted(held - named)
    if unlabelled:
        raise VocabularyError(f"values: these need labels: {unlabelled}")
    return Vocabulary(
        queues,
        categories,
        ticketable,
        statuses,
        transitions,
        tuple(raw["levels"]),
        criticalities,
        tuple(fields),
        str(raw["unknown"]),
        topics,
        deadlines,
        values,
    )


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    return parse(yaml.safe_load(SOURCE.read_text(encoding="utf-8")))


# The names most code needs, as plain tuples.
STATUSES: Tuple[str, ...] = tuple(vocabulary().statuses)
QUEUES: Tuple[str, ...] = tuple(vocabulary().queues)
LEVELS: Tuple[str, ...] = vocabulary().levels
CRITICALITIES: Tuple[str, ...] = tuple(vocabulary().criticalities)
