"""The conversation's language: decided here, after every customer message.

`decide_language` is the one place that picks the `language` slot; the action
only gathers its inputs from the tracker. Order of precedence:

1. the customer asked for a language ("can we speak English?"), not about
   someone who speaks it ("do you have analysts who speak English?" is a
   question about the team, answered by action_language_request);
2. the portal's locale changed (the customer switched the portal's language);
3. the customer clearly wrote in another language: a confident identification
   of a message of at least MIN_WORDS words. Short messages ("ok", "no", "sim")
   are ambiguous between the three languages and never switch; nor does an
   answer to a form's question shorter than FORM_MIN_WORDS: such answers are
   names and terms ("nota fiscal de salida", "pedido de venda") that read the
   same in Portuguese and Spanish;
4. nothing decided yet: the locale, else a moderately confident identification;
5. otherwise the language stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from common.answers import asks_for_person
from common.languages import normalise_code

SWITCH_CONFIDENCE = 0.85
FIRST_GUESS_CONFIDENCE = 0.5
MIN_WORDS = 3
FORM_MIN_WORDS = 8


@dataclass(frozen=True)
class LanguageEvidence:
    current: str | None = None
    requested: str | None = None
    locale_before: str | None = None
    locale_now: str | None = None
    detected: str | None = None
    confidence: float = 0.0
    word_count: int = 0
    about_someone: bool = False
    # The message answers a form's question.
    answering: bool = False


def decide_language(e: LanguageEvidence) -> str | None:
    if e.requested and not e.about_someone:
        return e.requested
    if e.locale_now and e.locale_now != e.locale_before:
        return e.locale_now
    needed = FORM_MIN_WORDS if e.answering else MIN_WORDS
    if e.detected and e.confidence >= SWITCH_CONFIDENCE and e.word_count >= needed:
        return e.detected
    if e.current is None:
        if e.locale_now:
            return e.locale_now
        if e.detected and e.confidence >= FIRST_GUESS_CONFIDENCE:
            return e.detected
    return e.current


def evidence_from_tracker(tracker: Tracker) -> LanguageEvidence:
    message: Dict[str, Any] = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    identified = message.get("language") or {}
    requested = next(
        (
            normalise_code(entity.get("value"))
            for entity in message.get("entities") or []
            if entity.get("entity") == "requested_language"
        ),
        None,
    )
    return LanguageEvidence(
        current=normalise_code(tracker.get_slot("language")),
        requested=requested,
        locale_before=normalise_code(tracker.get_slot("locale")),
        locale_now=normalise_code(metadata.get("language")) if isinstance(metadata, dict) else None,
        detected=normalise_code(identified.get("name")) if isinstance(identified, dict) else None,
        confidence=float(identified.get("confidence") or 0.0) if isinstance(identified, dict) else 0.0,
        # An e-mail address is in no language ("copia a ana@acme.example" is two words of Spanish).
        word_count=len([w for w in (message.get("text") or "").split() if "@" not in w]),
        about_someone=asks_for_person(message.get("text") or ""),
        answering=bool(tracker.active_loop.get("name")) and tracker.get_slot("requested_slot") is not None,
    )


class ActionSetLanguage(Action):
    """Custom slot mapping of `language` and `locale`, run after every message."""

    def name(self) -> str:
        return "action_set_language"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        evidence = evidence_from_tracker(tracker)
        events: List[EventType] = []
        language = decide_language(evidence)
        if language != evidence.current:
            events.append(SlotSet("language", language))
        if evidence.locale_now and evidence.locale_now != evidence.locale_before:
            events.append(SlotSet("locale", evidence.locale_now))
        return events


class ActionLanguageRequest(Action):
    """A language named: the switch is done (action_set_language); say so, or,
    asked whether someone speaks it, answer that instead."""

    def name(self) -> str:
        return "action_language_request"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        about_someone = evidence_from_tracker(tracker).about_someone
        dispatcher.utter_message(response="utter_team_languages" if about_someone else "utter_language_changed")
        return []
