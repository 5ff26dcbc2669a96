"""Existing tickets: "what's the status of 2026-000123?" and a follow-up of a
closed ticket. The hub answers only about the customer's own company's tickets."""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import hub_client, ticket_life
from actions.hub_client import HubError
from actions.incident import MAX_ATTEMPTS
from actions.intake import attempts, eligibility, form_turn, language
from actions.replies import label, pick_title
from common import answers
from common.ids import short_id
from common.text import words

logger = logging.getLogger(__name__)

FOLLOW_UP_MIN_WORDS = 5

# Intents that, while a ticket number is asked, mean the customer wants something else.
LEAVING = ("stop", "request_human", "faq", "open_ticket", "report_problem", "ask_question", "goodbye", "greet")


def named_ticket(tracker: Tracker) -> str | None:
    """The number in the latest message, else the last one talked about."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "ticket_number":
            return str(entity.get("value"))
    return tracker.get_slot("ticket_number")


async def is_anonymous(conversation_id: str) -> bool:
    return await eligibility(conversation_id) == "anonymous"


class ValidateTicketStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_status_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        number = named_ticket(tracker)
        if number:
            return [SlotSet("ticket_number", number), SlotSet("requested_slot", None)]
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        attempt = attempts(tracker.events, "ticket_number")
        text = (tracker.latest_message or {}).get("text") or ""
        # "Não tenho o número aqui" is an answer whatever NLU guessed for it
        # (open_ticket, a question), unless it also asks to stop or for a person.
        missing = intent in ("dont_know", "my_tickets") or answers.says_missing(text)
        asked = tracker.get_slot("requested_slot") == "ticket_number"
        if asked and leaving(intent, attempt) and not (missing and intent not in ("stop", "request_human")):
            return []  # not an answer: Rasa's rules do what was asked (stop, a person, a new question)
        if missing or attempt >= MAX_ATTEMPTS:
            # Never asked a fourth time: the company's open tickets to pick from, or
            # where the number is and a person to ask; and the form ends.
            await offer_open_tickets(dispatcher, hub_client.about(tracker))
            return [SlotSet("ticket_number", None), SlotSet("requested_slot", None)]
        # Without a number in the message, ask (again) for one.
        return [SlotSet("ticket_number", None), SlotSet("requested_slot", "ticket_number")]


async def offer_open_tickets(dispatcher: CollectingDispatcher, conversation_id: str) -> None:
    """Without the number: the company's open tickets as buttons, else where to find it."""
    try:
        found = await hub_client.open_tickets(conversation_id)
    except HubError as error:
        logger.warning("Open tickets of %s unavailable: %s", short_id(conversation_id), error)
        found = []
    if not found:
        dispatcher.utter_message(response="utter_ticket_number_way_out")
        return
    buttons = [
        {
            "title": pick_title(t),
            "payload": "/ticket_status" + json.dumps({"ticket_number": t["number"]}),
        }
        for t in found
    ]
    dispatcher.utter_message(response="utter_ticket_pick", buttons=buttons)


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        number = tracker.get_slot("ticket_number")
        if not number:
            return []  # the form ended without one and said why
        if await is_anonymous(hub_client.about(tracker)):
            dispatcher.utter_message(response="utter_intake_login")
            return []
        try:
            ticket = await hub_client.ticket(hub_client.about(tracker), number)
        except HubError as error:
            logger.warning("Status of %s unavailable: %s", number, error)
            dispatcher.utter_message(response="utter_ticket_failed")
            return []
        if ticket is None:
            dispatcher.utter_message(response="utter_ticket_not_found", number=number)
            return [SlotSet("ticket_number", None)]
        # Its status, latest public messages, and buttons to answer (or validate, or rate) it.
        await ticket_life.say_ticket(dispatcher, tracker, domain, {**ticket, "number": number})
        return []


def leaving(intent: str | None, attempt: int) -> bool:
    """The customer wants something else than answering; a question (which may
    be NLU's guess for an answer it cannot read) lets the form end at the third try."""
    return intent in LEAVING and not (intent == "faq" and attempt >= MAX_ATTEMPTS)


def named_ticket_in_message(tracker: Tracker) -> bool:
    return any(e.get("entity") == "ticket_number" for e in (tracker.latest_message or {}).get("entities") or [])


class ValidateFollowUpForm(FormValidationAction):
    """The ticket must be the customer's and closed; then what is still wrong."""

    def name(self) -> str:
        return "validate_follow_up_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        attempt = attempts(tracker.events, requested)
        # While the description is asked, a problem described is the answer; only a stop or a person leave.
        if requested == "followup_description":
            wants_out = intent in ("stop", "request_human")
        else:
            wants_out = leaving(intent, attempt)
        if requested and wants_out and not named_ticket_in_message(tracker):
            return []  # not an answer: Rasa's rules do what was asked
        if requested == "followup_description":
            text = (message.get("text") or "").strip()
            if len(words(text)) < FOLLOW_UP_MIN_WORDS and not (attempt >= MAX_ATTEMPTS and words(text)):
                dispatcher.utter_message(response="utter_intake_too_short", minimum=FOLLOW_UP_MIN_WORDS)
                return [SlotSet("followup_description", None), SlotSet("requested_slot", "followup_description")]
            return [SlotSet("followup_description", text), SlotSet("requested_slot", None)]

        number = named_ticket(tracker)
        if not number and (intent == "dont_know" or (requested == "ticket_number" and attempt >= MAX_ATTEMPTS)):
            dispatcher.utter_message(response="utter_ticket_number_way_out")
            return [
                SlotSet("ticket_number", None),
                SlotSet("followup_description", None),
                SlotSet("requested_slot", None),
            ]
        if not number:
            return [SlotSet("ticket_number", None), SlotSet("requested_slot", "ticket_number")]
        if await is_anonymous(hub_client.about(tracker)):
            dispatcher.utter_message(response="utter_intake_login")
            return [SlotSet("requested_slot", None)]
        try:
            ticket = await hub_client.ticket(hub_client.about(tracker), number)
        except HubError as error:
            logger.warning("Ticket %s unavailable for a follow-up: %s", number, error)
            dispatcher.utter_message(response="utter_ticket_failed")
            return [SlotSet("requested_slot", None)]
        if ticket is None:
            dispatcher.utter_message(response="utter_ticket_not_found", number=number)
            return [SlotSet("ticket_number", None), SlotSet("requested_slot", None)]
        if ticket["status"] != "closed":
            answer = ticket_life.buttons_for(domain, number, ticket["status"], language(tracker))
            dispatcher.utter_message(response="utter_followup_not_closed", number=number, buttons=answer)
            return [SlotSet("ticket_number", number), SlotSet("requested_slot", None)]
        written = tracker.get_slot("followup_description")
        if requested is None and written and len(words(written)) >= FOLLOW_UP_MIN_WORDS:
            # An answer written on this closed ticket (actions/ticket_life.py): it is the description.
            return [SlotSet("ticket_number", number), SlotSet("requested_slot", None)]
        return [SlotSet("ticket_number", number), SlotSet("requested_slot", "followup_description")]


class ActionAskFollowupDescription(Action):
    def name(self) -> str:
        return "action_ask_followup_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_followup_description", number=tracker.get_slot("ticket_number"))
        return []


class ActionSubmitFollowUp(Action):
    def name(self) -> str:
        return "action_submit_follow_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        description = tracker.get_slot("followup_description")
        parent = tracker.get_slot("ticket_number")
        if not description or not parent:
            return []  # the validation already said why there is no follow-up
        lang = language(tracker)
        try:
            about = hub_client.about(tracker)
            ticket = await hub_client.follow_up(parent, about, description, lang, form_turn(tracker))
        except HubError as error:
            logger.warning("Follow-up of %s failed: %s", parent, error)
            dispatcher.utter_message(response="utter_ticket_failed")
            return []
        dispatcher.utter_message(
            response="utter_followup_created",
            number=ticket["number"],
            parent=parent,
            criticality=label(domain, f"criticality_{ticket['criticality']}", lang),
        )
        return [SlotSet("followup_description", None), SlotSet("ticket_number", ticket["number"])]
