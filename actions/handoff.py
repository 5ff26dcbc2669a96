"""Asking for a person. Carolina asks the minimum (what it is about, hence the
queue), offers to note the incident first so the analyst starts with it, or
takes a line saying why; then the hub decides between live chat and a ticket
(bot/escalation.py). Plain functions first, for tests; then the actions."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Mapping, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import hub_client, incident, options
from actions.hub_client import HubError
from actions.intake import attempts, form_turn, language
from actions.replies import say_queued, say_ticket_created, say_why
from common.answers import Option, Question, resolve
from common.text import words

logger = logging.getLogger(__name__)

SLOTS = ("handoff_topic", "handoff_gather", "handoff_reason")
QUEUES = {"technical": "technical_support", "administrative": "administrative", "communication": "communication"}
REASON_MIN_WORDS = 2


def topic_from(
    text: str, entities: List[Dict[str, Any]], question: Optional[Question] = None, lang: str = "pt"
) -> Optional[str]:
    """The queue a typed answer to "what is it about?" names (None: not clear)."""
    for entity in entities:
        if entity.get("entity") == "handoff_topic" and entity.get("value") in QUEUES:
            return str(entity["value"])
    question = question or Question("handoff_topic", tuple(Option(t, (t,)) for t in QUEUES))
    found = resolve(question, text, lang)
    return found.value if found.answered else None


def intake_in_progress(tracker: Tracker) -> bool:
    """Whether the customer was telling Carolina about a problem (the intake's
    own answers, not the installation facts kept between tickets)."""
    return any(tracker.get_slot(slot) for slot in ("incident_category", "incident_summary", "incident_description"))


def next_slot(state: Mapping[str, Any]) -> Optional[str]:
    """What to ask next: the topic; for a technical one, whether to note the
    incident first; unless noting it, a line saying why."""
    if not state.get("handoff_topic"):
        return "handoff_topic"
    if state["handoff_topic"] == "technical" and state.get("handoff_gather") is None:
        return "handoff_gather"
    if state.get("handoff_gather") != incident.YES and not state.get("handoff_reason"):
        return "handoff_reason"
    return None


def ticket_for(reason: str, lang: str) -> Dict[str, Any]:
    """The ticket to open if nobody can take a billing or communication chat:
    the customer's words are its summary (the intake's fields are about software)."""
    return {
        "fields": {"summary": reason[:200], "description": reason},
        "impact": "medium",
        "urgency": "medium",
        "language": lang,
    }


def reset() -> List[EventType]:
    return [SlotSet(slot, None) for slot in SLOTS]


class ValidateHandoffForm(FormValidationAction):
    def name(self) -> str:
        return "validate_handoff_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        intent = (message.get("intent") or {}).get("name")
        lang = language(tracker)
        state = {slot: tracker.get_slot(slot) for slot in SLOTS}
        attempt = attempts(tracker.events, requested)
        question = options.asked(domain, requested, lang) if requested in ("handoff_topic", "handoff_gather") else None
        found = resolve(question, text, lang, intent=intent) if question and text else None
        if intent == "stop" and not (found and found.answered):
            return []  # Rasa's rule stops the handoff
        updates: Dict[str, Any] = {}
        if requested is None and not state.get("handoff_topic") and intake_in_progress(tracker):
            # "I need a person" in the middle of the intake: a person now, about
            # that problem, with what was gathered (the summary says why).
            updates.update(handoff_topic="technical", handoff_gather=incident.NO)
            updates["handoff_reason"] = tracker.get_slot("incident_summary") or text
        elif requested is None and not state.get("handoff_topic"):
            # "Quero falar com o financeiro": the request names its queue; no need to ask.
            topic = options.asked(domain, "handoff_topic", lang)
            named = resolve(topic, text, lang, strict=True) if topic and text and not text.startswith("/") else None
            if named is not None and named.answered:
                updates["handoff_topic"] = named.value
        if question is not None:
            entity = topic_from("", message.get("entities") or []) if requested == "handoff_topic" else None
            value = entity or (found.value if found and found.answered else None)
            if value is None and attempt >= incident.MAX_ATTEMPTS:
                # Never a fourth time: technical support takes it (and passes it on), or connect now.
                value = "technical" if requested == "handoff_topic" else incident.NO
                if requested == "handoff_topic":
                    dispatcher.utter_message(response="utter_handoff_topic_default")
            elif value is None and found is not None and found.kind == "ambiguous":
                first, second = found.candidates
                dispatcher.utter_message(
                    response="utter_option_which", first=question.title(first), second=question.title(second)
                )
            elif value is None:
                dispatcher.utter_message(
                    response="utter_handoff_topic_unclear" if requested == "handoff_topic" else "utter_intake_choose"
                )
                if attempt == incident.MAX_ATTEMPTS - 1:
                    dispatcher.utter_message(response="utter_intake_rephrase", example=question.options[0].titles[0])
            updates[requested] = value
        elif requested == "handoff_reason" and not text.startswith("/"):
            if len(words(text)) >= REASON_MIN_WORDS or (attempt >= incident.MAX_ATTEMPTS and text):
                updates["handoff_reason"] = text
            elif attempt >= incident.MAX_ATTEMPTS:
                updates["handoff_reason"] = "—"
        following = next_slot({**state, **updates})
        return [SlotSet(k, v) for k, v in updates.items()] + [SlotSet("requested_slot", following)]


class ActionEscalate(Action):
    """After the handoff form: note the incident first, or ask the hub now."""

    def name(self) -> str:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lang = language(tracker)
        topic, gather = tracker.get_slot("handoff_topic"), tracker.get_slot("handoff_gather")
        reason = tracker.get_slot("handoff_reason") or ""
        if topic == "technical" and gather == incident.YES:
            dispatcher.utter_message(response="utter_handoff_gather_first")
            return reset() + [FollowupAction("incident_form")]
        queue = QUEUES.get(str(topic), "technical_support")
        # A technical chat that cannot happen now becomes the intake's ticket; the others, a ticket of their own.
        ticket = None if topic == "technical" else ticket_for(reason, lang)
        try:
            result = await hub_client.escalate(tracker.sender_id, queue, reason, lang, form_turn(tracker), ticket)
        except HubError as error:
            logger.warning("Escalation of %s failed: %s", tracker.sender_id, error)
            if error.code == "anonymous":
                dispatcher.utter_message(response="utter_intake_login")
            elif error.code == "blocked":
                dispatcher.utter_message(response="utter_intake_financial_block")
            else:
                dispatcher.utter_message(response="utter_handoff_failed")
            return reset()
        if result["outcome"] == "handoff":
            say_queued(dispatcher, result)
            return reset()
        say_why(dispatcher, result.get("decision") or {})
        if result["outcome"] == "ticket":
            return reset() + say_ticket_created(dispatcher, domain, result["ticket"], lang)
        dispatcher.utter_message(response="utter_handoff_ticket_instead")
        return reset() + [FollowupAction("incident_form")]
