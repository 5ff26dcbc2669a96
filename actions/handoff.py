"""Asking for a person. Carolina asks the minimum (what it is about, hence the
queue), then asks the hub at once whether an analyst could take the chat: if
not, she says so before any other question and asks whether to open a ticket
instead (never one without a yes). If so, she offers to note the incident
first so the analyst starts with it, or takes a line saying why; then the hub
queues the chat (bot/domain/escalation.py). Praise is thanked and noted, not ticketed;
a complaint gets an apology first. Plain functions first, for tests; then the
actions."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Mapping, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import hub_client, incident, options
from actions.hub_client import HubError
from actions.intake import HANDOFF_SLOTS, attempts, eligibility, form_turn, intake_in_progress, language
from actions.replies import say_queued, say_ticket_created, say_why
from common.answers import Option, Question, asks_for_person, requests_person, resolve, speaks_to_the_team
from common.ids import short_id
from common.text import words
from common.vocabulary import vocabulary

logger = logging.getLogger(__name__)

SLOTS = HANDOFF_SLOTS
# handoff_ticket when no ticket can be offered (anonymous, blocked): Carolina said why.
UNABLE = "unable"
ASKED_WITH_BUTTONS = ("handoff_topic", "handoff_gather", "handoff_ticket")
FEEDBACK = Question("handoff_feedback", (Option("praise", ()), Option("complaint", ())))
# The queue each topic goes to (common/vocabulary.yml).
QUEUES = vocabulary().handoff_topics
# Topics about the software: the analyst starts better with the incident noted,
# and a chat that cannot happen becomes the intake's ticket.
SOFTWARE = ("technical", "cloud")
REASON_MIN_WORDS = 2
# A request for a person this long also says what happened.
FIRST_REASON_MIN_WORDS = 12


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


def hosted_in_cloud(tracker: Tracker, domain: Dict[str, Any], lang: str) -> bool:
    """Whether the customer said their system is in TOTVS Cloud: answered in
    an intake, or said outright in the conversation ("somos clientes de totvs
    cloud"; phrases of two words or more, as a first message is read)."""
    if tracker.get_slot("incident_cloud") == incident.YES:
        return True
    question = options.asked(domain, "incident_cloud", lang)
    if question is None:
        return False
    said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return any(
        resolve(question, text, lang, strict=True, min_words=2).value == incident.YES
        for text in said
        if text and not text.startswith("/")
    )


def feedback(text: Optional[str]) -> Optional[str]:
    """praise | complaint | None: what a message for the communication channel is."""
    found = resolve(FEEDBACK, text or "", "pt", strict=True) if text else None
    return found.value if found is not None and found.answered else None


def next_slot(state: Mapping[str, Any]) -> Optional[str]:
    """What to ask next: the topic (for praise or a complaint, what happened);
    when nobody can chat now, whether to open a ticket instead, and for a
    billing one, what it is about; otherwise, for a software topic, whether to
    note the incident first, and unless noting it, a line saying why."""
    topic = state.get("handoff_topic")
    if not topic:
        return "handoff_topic"
    if topic == "communication" and not state.get("handoff_reason"):
        return "handoff_reason"
    if topic == "communication" and feedback(state["handoff_reason"]) == "praise":
        return None
    if state.get("handoff_live") == incident.NO:
        if state.get("handoff_ticket") is None:
            return "handoff_ticket"
        if state["handoff_ticket"] != incident.YES or topic in SOFTWARE:
            return None
        return None if state.get("handoff_reason") else "handoff_reason"
    if topic in SOFTWARE and state.get("handoff_gather") is None:
        return "handoff_gather"
    if state.get("handoff_gather") != incident.YES and not state.get("handoff_reason"):
        return "handoff_reason"
    return None


def needs_decision(state: Mapping[str, Any]) -> bool:
    """Whether to ask the hub now if anyone can chat: as soon as the queue is
    known (for the communication channel, once it is known not to be praise)."""
    topic = state.get("handoff_topic")
    if not topic or state.get("handoff_live") is not None:
        return False
    if topic != "communication":
        return True
    return bool(state.get("handoff_reason")) and feedback(state["handoff_reason"]) != "praise"


async def decide(
    dispatcher: CollectingDispatcher, tracker: Tracker, state: Mapping[str, Any], lang: str
) -> Dict[str, Any]:
    """The hub's word on a chat now, told to the customer when it is no: the
    slots to set (handoff_live, and handoff_ticket when no ticket can be offered)."""
    queue = QUEUES.get(str(state["handoff_topic"]), "technical_support")
    try:
        decision = await hub_client.decision(hub_client.about(tracker), queue, lang)
    except HubError as error:
        logger.warning("Could not ask the hub about %s for %s: %s", queue, short_id(tracker.sender_id), error)
        return {"handoff_live": "unknown"}  # the escalation decides, as before
    if decision.get("live"):
        return {"handoff_live": incident.YES}
    say_why(dispatcher, decision)
    who = await eligibility(hub_client.about(tracker))
    if who == "anonymous":
        dispatcher.utter_message(response="utter_intake_login")
        return {"handoff_live": incident.NO, "handoff_ticket": UNABLE}
    if who == "blocked" and queue != "administrative":
        dispatcher.utter_message(response="utter_intake_financial_block")
        return {"handoff_live": incident.NO, "handoff_ticket": UNABLE}
    return {"handoff_live": incident.NO}


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
        question = options.asked(domain, requested, lang) if requested in ASKED_WITH_BUTTONS else None
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
            if text and not text.startswith("/") and speaks_to_the_team(text):
                # "Quero elogiar a analista...": the message is what the channel
                # gets; "quiero hablar con alguien para poner una queja" says
                # what it is about, not what happened: that is asked.
                updates["handoff_topic"] = "communication"
                if not requests_person(text) or len(words(text)) >= FIRST_REASON_MIN_WORDS:
                    updates["handoff_reason"] = text
        if question is not None:
            entity = topic_from("", message.get("entities") or []) if requested == "handoff_topic" else None
            value = entity or (found.value if found and found.answered else None)
            if value is None and requested == "handoff_topic" and (requests_person(text) or asks_for_person(text)):
                # "I just want someone": technical support takes it (and passes it on) rather than ask again.
                value = "technical"
                dispatcher.utter_message(response="utter_handoff_topic_default")
            elif value is None and attempt >= incident.MAX_ATTEMPTS:
                # Never a fourth time: technical support takes it (and passes it on), connect now,
                # or (a ticket nobody said yes to) none.
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
        if updates.get("handoff_topic") == "technical" and hosted_in_cloud(tracker, domain, lang):
            # A Cloud customer's system is the Cloud team's, round the clock.
            updates["handoff_topic"] = "cloud"
        merged = {**state, **updates}
        said = updates.get("handoff_reason") if requested in ("handoff_reason", None) else None
        if said and merged.get("handoff_topic") == "communication" and feedback(said) != "praise":
            dispatcher.utter_message(response="utter_handoff_complaint_sorry")
        if needs_decision(merged):
            updates.update(await decide(dispatcher, tracker, merged, lang))
        following = next_slot({**state, **updates})
        return [SlotSet(k, v) for k, v in updates.items()] + [SlotSet("requested_slot", following)]


class ActionEscalate(Action):
    """After the handoff form: note the incident first, or ask the hub now."""

    def name(self) -> str:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lang = language(tracker)
        topic, gather = tracker.get_slot("handoff_topic"), tracker.get_slot("handoff_gather")
        consent = tracker.get_slot("handoff_ticket")
        reason = tracker.get_slot("handoff_reason") or ""
        if topic == "communication" and feedback(reason) == "praise":
            try:  # recorded for the team; the thanks does not depend on it
                await hub_client.record_praise(hub_client.about(tracker), reason)
            except HubError as error:
                logger.warning("Could not record the praise in %s: %s", short_id(tracker.sender_id), error)
            dispatcher.utter_message(response="utter_handoff_praise_thanks")
            return reset()
        if consent == UNABLE:
            return reset()  # Carolina already said why there is neither a chat nor a ticket
        queue = QUEUES.get(str(topic), "technical_support")
        if consent == incident.NO:
            await say_no_ticket(dispatcher, hub_client.about(tracker), queue, lang)
            return reset()
        # A Cloud customer's incident goes to the Cloud queue (24x7) when it becomes a ticket.
        hosted = [SlotSet("incident_cloud", incident.YES)] if topic == "cloud" else []
        if topic in SOFTWARE and (gather == incident.YES or consent == incident.YES):
            noted = "utter_handoff_ticket_instead" if consent == incident.YES else "utter_handoff_gather_first"
            dispatcher.utter_message(response=noted)
            return reset() + hosted + [FollowupAction("incident_form")]
        # A billing or communication ticket only with the customer's yes; the customer's words are its summary.
        ticket = ticket_for(reason, lang) if consent == incident.YES else None
        try:
            about = hub_client.about(tracker)
            result = await hub_client.escalate(about, queue, reason, lang, form_turn(tracker), ticket)
        except HubError as error:
            logger.warning("Escalation of %s failed: %s", short_id(tracker.sender_id), error)
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
        if result["outcome"] == "ticket":
            return reset() + say_ticket_created(dispatcher, domain, result["ticket"], lang)
        # Nobody could take it after all (the last analyst just went offline): say so, and ask about a ticket.
        say_why(dispatcher, result.get("decision") or {})
        return [SlotSet("handoff_live", incident.NO), SlotSet("handoff_ticket", None), FollowupAction("handoff_form")]


async def say_no_ticket(dispatcher: CollectingDispatcher, conversation_id: str, queue: str, lang: str) -> None:
    """No ticket, as the customer said: when the queue opens again, if it is closed."""
    try:
        decision = await hub_client.decision(conversation_id, queue, lang)
    except HubError:
        decision = {}
    if decision.get("opens"):
        values = {"queue": decision.get("queue_name"), "opens": decision["opens"]}
        dispatcher.utter_message(response="utter_handoff_no_ticket", **values)
    else:
        dispatcher.utter_message(response="utter_handoff_no_ticket_now")
