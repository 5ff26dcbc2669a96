"""A ticket's life in the widget, after it was opened: "my tickets" (the
company's open tickets, each a button to its latest messages), an answer on a
ticket, the customer's verdict on a proposed solution, and the survey of a
closed one. The hub owns the tickets and their thread (bot/web/tickets_api.py);
these actions ask it and say what it answered. The hub's news messages carry
buttons with the same intents (`/ticket_reply{"ticket_number": "2026-000123"}`),
so a button and a typed "answer ticket 2026-000123: ..." meet here.

The number is never asked: it comes with the message or the button, or is the
ticket last talked about; without one the customer picks from their open
tickets (a prompt that only a well-formed number leaves is a trap)."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import hub_client
from actions.hub_client import HubError
from actions.incident import MAX_ATTEMPTS
from actions.intake import TICKET_LIFE_SLOTS, attempts, eligibility, form_turn, language
from actions.replies import label, pick_title
from common import answers
from common.clock import ZONE
from common.ids import short_id
from common.text import words
from common.vocabulary import STATUSES, vocabulary
from components.catalog import TICKET_NUMBER_PATTERN

logger = logging.getLogger(__name__)

NUMBER = re.compile(TICKET_NUMBER_PATTERN.strip("^$"))
# Written after the number, this much is an answer even without a colon
# ("responder o chamado 2026-000123 já testei e continua"); shorter, it may be
# the rest of the request ("answer ticket 2026-000123 please").
INLINE_MIN_WORDS = 3
# Words between the number and what it carries that are not part of it.
LEADING = re.compile(
    r"^[\s;,.>]*(?:(?:dizendo|falando|com o texto|que|saying|with|that|diciendo|con)\b[\s;,.]*)?",
    re.IGNORECASE,
)
# A stop or a request for a person this short leaves a free-text question;
# longer, it is the answer itself ("desisto de usar essa rotina, continua travando").
LEAVE_MAX_WORDS = 6
# The thread's latest public messages shown, and how much of each.
THREAD_SHOWN = 3
THREAD_CHARS = 280
# The hub's limits on what the customer writes (bot/web/bodies.py): longer is cut, not refused.
TEXT_MAX, COMMENT_MAX = 4000, 2000
SKIPPED = "skipped"
CLOSED = "closed"
VALIDATION = "customer_validation"


def reset() -> List[EventType]:
    return [SlotSet(slot, None) for slot in TICKET_LIFE_SLOTS]


def message_of(tracker: Tracker) -> Dict[str, Any]:
    return tracker.latest_message or {}


def intent_of(tracker: Tracker) -> Optional[str]:
    return (message_of(tracker).get("intent") or {}).get("name")


def number_in_message(tracker: Tracker) -> Optional[str]:
    for entity in message_of(tracker).get("entities") or []:
        if entity.get("entity") == "ticket_number":
            return str(entity.get("value"))
    return None


def ticket_named(tracker: Tracker) -> Optional[str]:
    """The number in the latest message (or its button), else the last one talked about."""
    return number_in_message(tracker) or tracker.get_slot("ticket_number")


def text_after_number(text: str) -> Optional[str]:
    """What "answer ticket 2026-000123: já testei e continua" carries after
    the number: after a colon anything, otherwise a few words at least."""
    found = NUMBER.search(text or "")
    if found is None or text.startswith("/"):
        return None
    rest = text[found.end() :]
    colon = bool(re.match(r"^\s*[:\-–—]", rest))
    # After a colon every word is the answer ("that's it"); without one, a joining word is not ("que ...").
    said = (rest.lstrip(" \t:;,.-–—>") if colon else LEADING.sub("", rest, count=1)).strip()
    if not words(said) or (not colon and len(words(said)) < INLINE_MIN_WORDS):
        return None
    return said[:TEXT_MAX]


def wants_out(tracker: Tracker) -> bool:
    """A short stop or request for a person while free text is asked: Rasa's
    rules do what it says; a longer one is the text itself."""
    text = message_of(tracker).get("text") or ""
    if text.startswith("/"):
        return intent_of(tracker) in ("stop", "request_human")
    return intent_of(tracker) in ("stop", "request_human") and len(words(text)) <= LEAVE_MAX_WORDS


def status_label(status: str, lang: str) -> str:
    labels = vocabulary().statuses.get(status if status in STATUSES else "in_progress") or {}
    return labels.get(lang) or status


def when(moment: Optional[str], lang: str) -> Optional[str]:
    """An ISO date-time from the hub as the customer reads it, in Brasília's time."""
    if not moment:
        return None
    try:
        local = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return None
    if local.tzinfo is not None:
        local = local.astimezone(ZONE)
    return local.strftime("%b %d, %H:%M" if lang == "en" else "%d/%m %H:%M")


def payload(intent: str, number: str) -> str:
    return f"/{intent}" + json.dumps({"ticket_number": number})


def button(domain: Dict[str, Any], key: str, intent: str, number: str, lang: str) -> Dict[str, str]:
    return {"title": label(domain, f"button_{key}", lang), "payload": payload(intent, number)}


def buttons_for(domain: Dict[str, Any], number: str, status: str, lang: str) -> List[Dict[str, str]]:
    """What the customer can do on a ticket in `status`."""
    if status == CLOSED:
        return [
            button(domain, "follow_up", "ticket_follow_up", number, lang),
            button(domain, "survey", "ticket_survey", number, lang),
        ]
    found = [button(domain, "answer", "ticket_reply", number, lang)]
    if status == VALIDATION:
        found += [
            button(domain, "accept", "ticket_accept", number, lang),
            button(domain, "reject", "ticket_reject", number, lang),
        ]
    return found


def thread_lines(domain: Dict[str, Any], messages: Sequence[Mapping[str, Any]], lang: str) -> str:
    """The latest public messages, one line each: who, when, what."""
    lines = []
    for message in list(messages)[-THREAD_SHOWN:]:
        author = str(message.get("author") or "system")
        who = message.get("author_name") if author == "agent" and message.get("author_name") else None
        who = who or label(domain, f"author_{author}", lang)
        text = " ".join(str(message.get("text") or "").split())
        if message.get("status_to") and not text:
            text = status_label(str(message["status_to"]), lang)
        if len(text) > THREAD_CHARS:
            text = text[: THREAD_CHARS - 1].rstrip() + "…"
        stamp = when(message.get("created_at"), lang)
        lines.append(f"• {who}" + (f" ({stamp})" if stamp else "") + f": {text}" + files(message))
    return "\n".join(lines)


def files(message: Mapping[str, Any]) -> str:
    """The message's files: a link while the hub gives one (short-lived), else the name."""
    shown = []
    for attachment in message.get("attachments") or []:
        name = str(attachment.get("filename") or "")
        url = attachment.get("url")
        shown.append(f"[{name}]({url})" if url and not attachment.get("purged") else name)
    return "".join(f" 📎 {name}" for name in shown if name)


async def anonymous(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Whether the customer is not logged in (then they are told to log in)."""
    if await eligibility(hub_client.about(tracker)) != "anonymous":
        return False
    dispatcher.utter_message(response="utter_ticket_life_login")
    return True


async def offer_pick(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> None:
    """No number: the company's open tickets as buttons that do `intent` on the one picked."""
    conversation = hub_client.about(tracker)
    try:
        found = await hub_client.open_tickets(conversation)
    except HubError as error:
        logger.warning("Open tickets of %s unavailable: %s", short_id(conversation), error)
        found = []
    if intent in ("ticket_accept", "ticket_reject"):
        found = [t for t in found if t.get("status") == VALIDATION] or found
    if not found:
        dispatcher.utter_message(response="utter_ticket_which")
        return
    buttons = [
        {
            "title": pick_title(t),
            "payload": payload(intent, t["number"]),
        }
        for t in found
    ]
    dispatcher.utter_message(response="utter_ticket_pick", buttons=buttons)


async def fetch(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> Optional[Dict[str, Any]]:
    """The ticket as the customer may see it, or None after saying why not."""
    try:
        found = await hub_client.ticket(hub_client.about(tracker), number)
    except HubError as error:
        logger.warning("Ticket %s unavailable: %s", number, error)
        dispatcher.utter_message(response="utter_ticket_life_failed")
        return None
    if found is None:
        dispatcher.utter_message(response="utter_ticket_not_found", number=number)
    return found


def offer_follow_up(
    dispatcher: CollectingDispatcher, domain: Dict[str, Any], number: str, lang: str, text: Optional[str]
) -> List[EventType]:
    """A closed ticket takes no answer: a follow-up linked to it, with what was written if anything."""
    follow_up = [button(domain, "follow_up", "ticket_follow_up", number, lang)]
    if text:
        dispatcher.utter_message(response="utter_ticket_reply_closed", number=number, buttons=follow_up)
        # actions/tickets.py opens the follow-up with it when the customer takes the offer.
        return [SlotSet("ticket_number", number), SlotSet("followup_description", text)]
    dispatcher.utter_message(response="utter_ticket_closed_offer", number=number, buttons=follow_up)
    return [SlotSet("ticket_number", number)]


def end_form(*events: EventType) -> List[EventType]:
    return [*events, *reset(), SlotSet("requested_slot", None)]


class ActionMyTickets(Action):
    """ "Meus chamados": the company's open tickets, status and last activity, each a button."""

    def name(self) -> str:
        return "action_my_tickets"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if await anonymous(dispatcher, tracker):
            return []
        lang = language(tracker)
        try:
            found = await hub_client.my_tickets(hub_client.about(tracker))
        except HubError as error:
            logger.warning("Tickets of %s unavailable: %s", short_id(hub_client.about(tracker)), error)
            dispatcher.utter_message(response="utter_ticket_life_failed")
            return []
        if not found:
            dispatcher.utter_message(response="utter_my_tickets_none")
            return []
        last = label(domain, "last_interaction", lang)
        lines, buttons = [], []
        for t in found:
            stamp = when(t.get("last_interaction_at") or t.get("updated_at"), lang)
            summary = t.get("summary") or ""
            line = f"• {t['number']} · {status_label(str(t.get('status')), lang)}"
            line += f" · {last} {stamp}" if stamp else ""
            lines.append(line + (f"\n  {summary}" if summary else ""))
            title = pick_title(t)
            buttons.append({"title": title, "payload": payload("ticket_status", t["number"])})
        dispatcher.utter_message(response="utter_my_tickets", tickets="\n".join(lines), buttons=buttons)
        return []


async def say_ticket(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any], ticket: Mapping[str, Any]
) -> None:
    """A ticket's status, its latest public messages, and buttons for what the
    customer can do on it (answer; validate; a follow-up or the survey)."""
    lang, number = language(tracker), str(ticket["number"])
    status = str(ticket.get("status")) if ticket.get("status") in STATUSES else "in_progress"
    buttons = buttons_for(domain, number, status, lang)
    try:
        thread = await hub_client.thread(hub_client.about(tracker), number)
    except HubError as error:
        logger.warning("Thread of %s unavailable: %s", number, error)
        thread = None
    messages = [m for m in (thread or {}).get("messages") or [] if m.get("visibility", "public") == "public"]
    said = {"number": number, "summary": ticket.get("summary") or ""}
    if not messages:
        dispatcher.utter_message(response=f"utter_ticket_status_{status}", buttons=buttons, **said)
        return
    dispatcher.utter_message(response=f"utter_ticket_status_{status}", **said)
    lines = thread_lines(domain, messages, lang)
    dispatcher.utter_message(response="utter_ticket_thread", number=number, messages=lines, buttons=buttons)


class ValidateTicketReplyForm(FormValidationAction):
    """Which ticket, and what to say on it: the text after the number, or asked for."""

    def name(self) -> str:
        return "validate_ticket_reply_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        text = (message_of(tracker).get("text") or "").strip()
        if requested == "ticket_reply_text" and not number_in_message(tracker):
            if wants_out(tracker):
                return []  # not an answer: Rasa's rules do what was asked (stop, a person)
            if not words(text) or text.startswith("/"):
                return [SlotSet("requested_slot", "ticket_reply_text")]
            return [SlotSet("ticket_reply_text", text[:TEXT_MAX]), SlotSet("requested_slot", None)]
        number = ticket_named(tracker)
        if not number:
            await offer_pick(dispatcher, tracker, "ticket_reply")
            return end_form()
        if await anonymous(dispatcher, tracker):
            return end_form()
        ticket = await fetch(dispatcher, tracker, number)
        if ticket is None:
            return end_form(SlotSet("ticket_number", None))
        said = text_after_number(text)
        if ticket.get("status") == CLOSED:
            return end_form(*offer_follow_up(dispatcher, domain, number, language(tracker), said))
        if said:
            return [
                SlotSet("ticket_number", number),
                SlotSet("ticket_reply_text", said),
                SlotSet("requested_slot", None),
            ]
        return [
            SlotSet("ticket_number", number),
            SlotSet("ticket_reply_text", None),
            SlotSet("requested_slot", "ticket_reply_text"),
        ]


class ActionTicketReply(Action):
    """Sends the answer to the hub (the analyst sees it in the thread) and says so."""

    def name(self) -> str:
        return "action_ticket_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        number, text = tracker.get_slot("ticket_number"), tracker.get_slot("ticket_reply_text")
        if not number or not text:
            return reset()  # the form ended without one and said why
        lang = language(tracker)
        try:
            sent = await hub_client.reply(hub_client.about(tracker), number, text, form_turn(tracker))
        except HubError as error:
            if error.status == 409 and error.code == CLOSED:
                return [*reset(), *offer_follow_up(dispatcher, domain, number, lang, text)]
            logger.warning("Answer on %s failed: %s", number, error)
            dispatcher.utter_message(response="utter_ticket_life_failed")
            return reset()
        status = str(sent.get("status") or "in_progress")
        dispatcher.utter_message(response="utter_ticket_reply_sent", number=number, status=status_label(status, lang))
        return reset()


async def in_validation(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any], number: str
) -> Optional[bool]:
    """Whether the ticket waits for the customer's verdict; when not, says what
    they can do instead. None when it could not be read (already said why)."""
    ticket = await fetch(dispatcher, tracker, number)
    if ticket is None:
        return None
    status, lang = str(ticket.get("status")), language(tracker)
    if status == VALIDATION:
        return True
    if status == CLOSED:
        offer_follow_up(dispatcher, domain, number, lang, None)
    else:
        dispatcher.utter_message(
            response="utter_ticket_not_in_validation",
            number=number,
            status=status_label(status, lang),
            buttons=buttons_for(domain, number, status, lang),
        )
    return False


class ActionTicketAccept(Action):
    """ "It's solved": the hub closes the ticket; the survey is offered."""

    def name(self) -> str:
        return "action_ticket_accept"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        number = ticket_named(tracker)
        if not number:
            await offer_pick(dispatcher, tracker, "ticket_accept")
            return []
        if await anonymous(dispatcher, tracker) or not await in_validation(dispatcher, tracker, domain, number):
            return [SlotSet("ticket_number", number)]
        try:
            await hub_client.validation(hub_client.about(tracker), number, True, None, form_turn(tracker))
        except HubError as error:
            if error.status == 409:
                # It left validation meanwhile (the analyst, or the deadline): say where it is now.
                await in_validation(dispatcher, tracker, domain, number)
                return [SlotSet("ticket_number", number)]
            logger.warning("Validation of %s failed: %s", number, error)
            dispatcher.utter_message(response="utter_ticket_life_failed")
            return [SlotSet("ticket_number", number)]
        survey = [button(domain, "survey", "ticket_survey", number, language(tracker))]
        dispatcher.utter_message(response="utter_ticket_accepted", number=number, buttons=survey)
        return [SlotSet("ticket_number", number)]


class ValidateTicketRejectForm(FormValidationAction):
    """ "Not solved": which ticket (in validation), and why (the reason goes to the analyst)."""

    def name(self) -> str:
        return "validate_ticket_reject_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        text = (message_of(tracker).get("text") or "").strip()
        if requested == "ticket_reject_reason" and not number_in_message(tracker):
            if wants_out(tracker):
                return []
            if not words(text) or text.startswith("/"):
                return [SlotSet("requested_slot", "ticket_reject_reason")]
            return [SlotSet("ticket_reject_reason", text[:TEXT_MAX]), SlotSet("requested_slot", None)]
        number = ticket_named(tracker)
        if not number:
            await offer_pick(dispatcher, tracker, "ticket_reject")
            return end_form()
        if await anonymous(dispatcher, tracker) or not await in_validation(dispatcher, tracker, domain, number):
            return end_form(SlotSet("ticket_number", number))
        said = text_after_number(text)
        if said:
            return [
                SlotSet("ticket_number", number),
                SlotSet("ticket_reject_reason", said),
                SlotSet("requested_slot", None),
            ]
        return [
            SlotSet("ticket_number", number),
            SlotSet("ticket_reject_reason", None),
            SlotSet("requested_slot", "ticket_reject_reason"),
        ]


class ActionTicketReject(Action):
    def name(self) -> str:
        return "action_ticket_reject"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        number, reason = tracker.get_slot("ticket_number"), tracker.get_slot("ticket_reject_reason")
        if not number or not reason:
            return reset()
        try:
            await hub_client.validation(hub_client.about(tracker), number, False, reason, form_turn(tracker))
        except HubError as error:
            if error.status == 409:
                await in_validation(dispatcher, tracker, domain, number)
                return reset()
            logger.warning("Validation of %s failed: %s", number, error)
            dispatcher.utter_message(response="utter_ticket_life_failed")
            return reset()
        dispatcher.utter_message(response="utter_ticket_rejected", number=number)
        return reset()


def score_in(tracker: Tracker) -> Optional[int]:
    for entity in message_of(tracker).get("entities") or []:
        if entity.get("entity") == "ticket_score":
            try:
                value = int(str(entity.get("value")))
            except ValueError:
                return None
            return value if 0 <= value <= 10 else None
    text = message_of(tracker).get("text") or ""
    return None if text.startswith("/") else answers.score(text)


def skips(tracker: Tracker) -> bool:
    """ "Pular", "no thanks", the Skip button: no comment."""
    text = message_of(tracker).get("text") or ""
    return intent_of(tracker) in ("deny", "stop") and len(words(text)) <= LEAVE_MAX_WORDS


class ValidateTicketSurveyForm(FormValidationAction):
    """The survey of a closed ticket: a 0–10 score, then an optional comment."""

    def name(self) -> str:
        return "validate_ticket_survey_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        text = (message_of(tracker).get("text") or "").strip()
        if requested == "ticket_survey_score":
            value = score_in(tracker)
            if value is not None:
                return [SlotSet("ticket_survey_score", str(value)), SlotSet("requested_slot", "ticket_survey_comment")]
            if wants_out(tracker):
                return []
            if attempts(tracker.events, requested) >= MAX_ATTEMPTS:
                # Never asked a fourth time: the e-mailed link stays for later.
                dispatcher.utter_message(response="utter_ticket_life_cancelled")
                return end_form()
            dispatcher.utter_message(response="utter_ticket_survey_score_again")
            return [SlotSet("ticket_survey_score", None), SlotSet("requested_slot", "ticket_survey_score")]
        if requested == "ticket_survey_comment":
            if intent_of(tracker) == "request_human" and wants_out(tracker):
                return []  # a person: Rasa's rule hands over
            if skips(tracker) or not words(text) or text.startswith("/"):
                return [SlotSet("ticket_survey_comment", SKIPPED), SlotSet("requested_slot", None)]
            return [SlotSet("ticket_survey_comment", text[:COMMENT_MAX]), SlotSet("requested_slot", None)]
        number = ticket_named(tracker)
        if not number:
            dispatcher.utter_message(response="utter_ticket_which")
            return end_form()
        if await anonymous(dispatcher, tracker):
            return end_form()
        ticket = await fetch(dispatcher, tracker, number)
        if ticket is None:
            return end_form()
        if ticket.get("status") != CLOSED:
            status = status_label(str(ticket.get("status")), language(tracker))
            dispatcher.utter_message(response="utter_ticket_survey_not_closed", number=number, status=status)
            return end_form(SlotSet("ticket_number", number))
        return [
            SlotSet("ticket_number", number),
            SlotSet("ticket_survey_score", None),
            SlotSet("ticket_survey_comment", None),
            SlotSet("requested_slot", "ticket_survey_score"),
        ]


class ActionTicketSurvey(Action):
    def name(self) -> str:
        return "action_ticket_survey"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        number, score = tracker.get_slot("ticket_number"), tracker.get_slot("ticket_survey_score")
        if not number or score is None:
            return reset()
        comment = tracker.get_slot("ticket_survey_comment")
        comment = None if comment in (None, SKIPPED) else comment
        try:
            await hub_client.survey(hub_client.about(tracker), number, int(score), comment, form_turn(tracker))
        except HubError as error:
            if error.status == 409 and error.code == "answered":
                dispatcher.utter_message(response="utter_ticket_survey_answered", number=number)
                return reset()
            logger.warning("Survey of %s failed: %s", number, error)
            dispatcher.utter_message(response="utter_ticket_life_failed")
            return reset()
        dispatcher.utter_message(response="utter_ticket_survey_thanks", number=number)
        return reset()
