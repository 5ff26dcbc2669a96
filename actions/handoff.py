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

from actions import hub_client, incident
from actions.hub_client import HubError
from actions.intake import form_turn, language
from actions.replies import say_queued, say_ticket_created, say_why
from components.language import words

logger = logging.getLogger(__name__)

SLOTS = ("handoff_topic", "handoff_gather", "handoff_reason")
QUEUES = {"technical": "technical_support", "administrative": "administrative", "communication": "communication"}
# Typed answers to "what is it about?" (folded words, three languages).
TOPIC_WORDS = {
    "technical": (
        "sistema", "erro", "error", "problema", "problem", "software", "bug", "tecnico", "technical", "suporte",
        "soporte", "support", "duvida", "duda", "question", "produto", "producto", "product",
    ),
    "administrative": (
        "financeiro", "financiero", "financial", "billing", "nota", "notas", "fatura", "factura", "invoice",
        "boleto", "contrato", "contract", "pagamento", "pago", "payment", "administrativo", "administrative",
        "cobranca", "cobro", "licenca", "licencia", "license",
    ),
    "communication": (
        "elogio", "elogiar", "reclamacao", "reclamar", "reclamo", "queja", "complaint", "complain", "praise",
        "compliment", "ouvidoria",
    ),
}  # fmt: skip
REASON_MIN_WORDS = 2


def topic_from(text: str, entities: List[Dict[str, Any]]) -> Optional[str]:
    for entity in entities:
        if entity.get("entity") == "handoff_topic" and entity.get("value") in QUEUES:
            return str(entity["value"])
    said = set(words(text))
    found = [topic for topic, vocabulary in TOPIC_WORDS.items() if said & set(vocabulary)]
    return found[0] if len(found) == 1 else None


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
        state = {slot: tracker.get_slot(slot) for slot in SLOTS}
        updates: Dict[str, Any] = {}
        if requested == "handoff_topic":
            topic = topic_from(text, message.get("entities") or [])
            if topic is None:
                dispatcher.utter_message(response="utter_handoff_topic_unclear")
            updates["handoff_topic"] = topic
        elif requested == "handoff_gather":
            answer = incident.yes_no(intent, text)
            updates["handoff_gather"] = answer
        elif requested == "handoff_reason" and not text.startswith("/") and len(words(text)) >= REASON_MIN_WORDS:
            updates["handoff_reason"] = text
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
