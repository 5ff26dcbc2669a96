"""A customer message's way through the hub: check it, store it, route it, store
the replies. The routing decision (Carolina or an analyst) lives here only.

Order matters: the customer's message is committed before it is forwarded, and
each reply is committed before it is sent, so a crash or an outage anywhere
loses nothing and the transcript is exactly what both sides saw. No failure
ends in silence: a message the database refuses, Rasa down or too busy, replies
that cannot be stored each end in an apology (stored when it can be) and a log
line with the cause; a resent message whose answer was lost is asked again.
While Rasa is starting, a message gets "Carolina is starting" instead, and is
answered as soon as she is ready (answer_unanswered), without being resent.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.adapters.locks import ConversationLocks, LockUnavailable
from bot.adapters.rasa_client import RasaBusy, RasaClient, RasaReply, RasaStarting, RasaUnavailable, Understood
from bot.db import queries
from bot.db.models import Contact, Conversation, Message, utc
from bot.db.session import session_clock
from bot.domain import handoffs, redaction, report_events
from bot.domain.identity import Identity
from bot.domain.masking import mask
from bot.domain.texts import text as hub_text
from bot.settings import Settings
from common.ids import short_id
from common.languages import normalise_code

logger = logging.getLogger(__name__)


class InputError(ValueError):
    """The customer's message cannot be accepted; `key` names the text in bot/domain/texts.py."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass
class Outcome:
    customer: Message
    replies: List[Message] = field(default_factory=list)
    duplicate: bool = False  # the same client message id was already handled
    destination: str = "bot"  # who the message went to: bot | analyst


# Message.client_message_id is String(100): a longer id is a broken or hostile client.
MAX_CLIENT_MESSAGE_ID = 100
# The apologies a resent message is answered again after: Carolina never saw it
# (busy, starting), or her answer was lost (Rasa failed or timed out, the replies
# could not be stored). Not after action_failed or no_answer: Rasa did answer those.
RETRIED_FAILURES = frozenset({"busy", "starting", "rasa_unavailable", "reply_not_stored"})
# The notice of a message kept while Rasa was starting: the one failure the hub
# answers again by itself, once Rasa is ready (answer_unanswered).
STARTING = "starting"


def clean_message_id(raw: Any) -> Optional[str]:
    if raw is None or raw == "":
        return None
    message_id = str(raw)
    if len(message_id) > MAX_CLIENT_MESSAGE_ID:
        logger.warning("Refused a message whose client message id has %d characters", len(message_id))
        raise InputError("bad_request")
    return message_id


def clean_text(raw: Any, limit: int) -> str:
    if not isinstance(raw, str):
        raise InputError("bad_request")
    # Lone surrogates are what invalid UTF-8 becomes on the way in; they cannot be stored.
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError("bad_request") from error
    text = raw.strip()
    if not text:
        raise InputError("empty")
    if len(text) > limit:
        raise InputError("too_long", limit=limit)
    return text


def route(conversation: Conversation) -> str:
    """Who answers the next customer message: "bot" (Carolina) or "analyst"."""
    return "bot" if conversation.mode == "bot" else "analyst"


def reply_payload(rasa_message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    payload = {
        k: rasa_message[k] for k in ("buttons", "quick_replies", "attachment", "image", "custom") if rasa_message.get(k)
    }
    return payload or None


# A question kept in a report event is at most this long (masked like the message it came from).
REPORT_TEXT_LIMIT = 2000
# At most this many suggested articles are kept with a suggestions event.
REPORT_ARTICLES_LIMIT = 10


def report_of(rasa_message: Dict[str, Any]) -> Any:
    """What the action server reported on this reply (actions/knowledge.py), if anything."""
    custom = rasa_message.get("custom")
    return custom.get("report") if isinstance(custom, dict) else None


def without_report(rasa_message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The reply as it is stored and shown, without the report: None when the
    report was all it carried (Rasa sends an utterance's `custom` as a message
    of its own, after its text)."""
    custom = rasa_message.get("custom")
    if not isinstance(custom, dict) or "report" not in custom:
        return rasa_message
    rest = {k: v for k, v in custom.items() if k != "report"}
    shown = {k: v for k, v in rasa_message.items() if k != "custom"}
    if rest:
        shown["custom"] = rest
    return shown if shown.get("text") or reply_payload(shown) else None


def _article(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and 0 < len(value) <= 100 else None


def report_event(report: Any, language: Optional[str]) -> Optional[Dict[str, Any]]:
    """The fields of the report event a reply's report describes (answer,
    suggestions, no_answer, helpful), checked one by one; None for anything else."""
    if not isinstance(report, dict) or report.get("kind") not in report_events.KB_KINDS:
        return None
    kind = report["kind"]
    language = normalise_code(report.get("language")) or language
    question = report.get("question")
    event: Dict[str, Any] = {"language": language}
    if isinstance(question, str) and question.strip():
        # The action server sends back what the hub gave Rasa, already masked; masked again all the same.
        event["text"] = redaction.mask_text(question.strip(), language)[:REPORT_TEXT_LIMIT]
    if kind in ("answer", "helpful"):
        event["article_id"] = _article(report.get("article_id"))
        if event["article_id"] is None:
            return None
    if kind == "answer":
        confidence = report.get("confidence")
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool) and math.isfinite(confidence):
            event["confidence"] = round(float(confidence), 4)
    if kind == "helpful":
        if not isinstance(report.get("helpful"), bool):
            return None
        event["helpful"] = report["helpful"]
    if kind == "suggestions":
        articles = report.get("articles")
        if not isinstance(articles, list):
            return None
        event["articles"] = [a for a in map(_article, articles) if a][:REPORT_ARTICLES_LIMIT]
    return {"kind": kind, **event}


async def note_report(
    session: Any, conversation_id: str, rasa_message: Dict[str, Any], language: Optional[str]
) -> None:
    """The reply's report as an event, when it is a well-formed one; a bad one
    is logged and dropped, and never costs the customer the reply."""
    report = report_of(rasa_message)
    if report is None:
        return
    fields = report_event(report, language)
    if fields is None:
        logger.warning("Ignored a malformed report on a reply in conversation %s", short_id(conversation_id))
        return
    await report_events.record(session, fields.pop("kind"), conversation_id=conversation_id, **fields)


# A conversation's turns go one at a time (bot/adapters/locks.py). The hub passes
# its own locks (in Redis too in cluster mode): a parameter, not a module setting,
# so two hubs in one process (the tests') keep theirs apart and the domain never
# knows which backend holds them. A caller that is the only hub (a test, a tool)
# may leave them out: these in-process ones are then shared by all such calls.
_process_locks = ConversationLocks()


async def handle_customer_message(
    sessions: async_sessionmaker,
    rasa: RasaClient,
    settings: Settings,
    conversation_id: str,
    raw_text: Any,
    client_message_id: Any = None,
    metadata: Optional[Dict[str, Any]] = None,
    title: Any = None,
    *,
    locks: ConversationLocks = _process_locks,
) -> Outcome:
    """`title`: the button the widget says the customer clicked (bot/static/widget.js)."""
    text = clean_text(raw_text, settings.max_message_chars)
    client_message_id = clean_message_id(client_message_id)
    try:
        async with locks.hold(conversation_id):
            return await take_turn(sessions, rasa, conversation_id, text, client_message_id, metadata, title)
    except LockUnavailable as error:
        # Not stored yet: the customer is asked to send it again (the widget resends it by itself).
        logger.warning("Conversation %s stayed locked too long: a message was refused", short_id(conversation_id))
        raise InputError("not_stored") from error


async def take_turn(
    sessions: async_sessionmaker,
    rasa: RasaClient,
    conversation_id: str,
    text: str,
    client_message_id: Optional[str],
    metadata: Optional[Dict[str, Any]],
    title: Any,
) -> Outcome:
    """A customer message's turn, with the conversation's lock held."""
    try:
        stored = await store_customer_message(sessions, conversation_id, text, client_message_id, metadata, title)
    except SQLAlchemyError as error:
        logger.error("Could not store a customer message of conversation %s: %s", short_id(conversation_id), error)
        raise InputError("not_stored") from error
    if isinstance(stored, Outcome):
        return stored
    customer, language, destination, notices = stored

    if destination == "analyst":
        # bot/realtime/live_chat.py passes it on to the analyst; Carolina stays out of it.
        return Outcome(customer, notices, destination="analyst")

    meta = dict(metadata or {})
    if language and "language" not in meta:
        meta["language"] = language
    return Outcome(customer, notices + await ask_carolina(sessions, rasa, customer, language, meta))


async def store_customer_message(
    sessions: async_sessionmaker,
    conversation_id: str,
    text: str,
    client_message_id: Optional[str],
    metadata: Optional[Dict[str, Any]],
    title: Any = None,
) -> Outcome | tuple[Message, Optional[str], str, List[Message]]:
    """Commits the customer's message, its personal data masked: (it, the
    language to apologise in, who answers it, the notices about what was
    masked), or the whole Outcome when the hub answers it itself (a resent
    message, the satisfaction score)."""
    async with sessions.begin() as session:
        conversation = await queries.get_conversation(session, conversation_id)
        if conversation is None:
            raise InputError("bad_request")
        # Until Carolina has decided, the page's locale says which language to apologise in.
        language = conversation.language or normalise_code((metadata or {}).get("language"))
        if client_message_id:
            existing = await queries.find_customer_message(session, conversation_id, client_message_id)
            if existing is not None:
                replies = await queries.replies_after(session, existing)
                if not await answer_again(session, conversation, existing, replies):
                    return Outcome(existing, replies, duplicate=True)
                logger.info(
                    "Resent message %d of conversation %s was never answered: asking Carolina now",
                    existing.id,
                    short_id(conversation_id),
                )
                return existing, language, "bot", []
        destination = route(conversation)
        # Kept with the message: the catch-up after a crash must not hand Carolina a line meant for a person.
        addressed = {"to": "analyst"} if destination == "analyst" else None
        masked = mask(text, language)
        clicked = await clicked_title(session, conversation_id, text, title, language)
        customer = await queries.add_message(
            session, conversation_id, "customer", masked.text, addressed, client_message_id, clicked
        )
        notices = await redaction.notices_for(session, conversation_id, masked, language)
        # The answer to the satisfaction survey after a live chat is the hub's to keep.
        score = None
        if destination == "bot":
            score = await handoffs.record_survey(session, conversation, text, session_clock(session).now())
        if score is not None:
            thanks = await queries.add_message(
                session, conversation_id, "system", hub_text("survey_thanks", language), {"satisfaction": score}
            )
            return Outcome(customer, [*notices, thanks])
    return customer, language, destination, notices


TITLE_LIMIT = 200


async def clicked_title(
    session: Any, conversation_id: str, text: str, offered: Any, language: Optional[str]
) -> Optional[str]:
    """The title of the button a customer's payload ("/inform{...}") came from,
    which is what people read in transcripts: the title of one of Carolina's
    recent buttons with that payload, else the one the widget says it showed
    (customer input: capped and masked). A typed line has none."""
    if not text.startswith("/"):
        return None
    for button in await queries.recent_buttons(session, conversation_id):
        if button.get("payload") == text and isinstance(button.get("title"), str):
            offered = button["title"]
            break
    if not isinstance(offered, str) or not offered.strip():
        return None
    return mask(" ".join(offered.split())[:TITLE_LIMIT], language).text[:TITLE_LIMIT]


def for_carolina(customer: Message) -> bool:
    """A customer message Rasa is to answer: not one addressed to an analyst,
    not a file the customer sent (its name is no question)."""
    payload = customer.payload or {}
    return payload.get("to") != "analyst" and not payload.get("attachment")


async def answer_again(session: Any, conversation: Conversation, customer: Message, replies: List[Message]) -> bool:
    """Whether a resent message is asked of Carolina again rather than its replies
    replayed: it was hers, it is still the customer's last message, and what it
    got was nothing or only an apology for an answer that never came."""
    if route(conversation) != "bot" or not for_carolina(customer):
        return False
    if any((reply.payload or {}).get("error") not in RETRIED_FAILURES for reply in replies):
        return False
    later = await queries.transcript(session, conversation.id, customer.id)
    return not any(message.sender == "customer" for message in later)


async def ask_carolina(
    sessions: async_sessionmaker,
    rasa: RasaClient,
    customer: Message,
    language: Optional[str],
    metadata: Dict[str, Any],
    told_starting: bool = False,
) -> List[Message]:
    """Forwards a stored customer message to Rasa and stores what Carolina says:
    her replies, the notice that she is starting (nothing when the customer
    was `told_starting` already), or the apology when Rasa (or the action
    server behind it) fails."""
    conversation_id = customer.conversation_id
    try:
        reply = await rasa.send(conversation_id, customer.text, metadata, str(customer.id))
    except RasaStarting as error:
        if told_starting:
            return []
        logger.info("Rasa starting: conversation %s waits for it (%s)", short_id(conversation_id), error)
        return [await apology(sessions, conversation_id, language, STARTING, key="rasa_starting")]
    except RasaBusy as error:
        logger.warning("Carolina busy for conversation %s: %s", short_id(conversation_id), error)
        return [await apology(sessions, conversation_id, language, "busy", key="busy")]
    except RasaUnavailable as error:
        logger.warning("Rasa unavailable for conversation %s: %s", short_id(conversation_id), error)
        return [await apology(sessions, conversation_id, language, "rasa_unavailable")]
    try:
        return await store_replies(sessions, customer, reply, language)
    except Exception as error:  # whatever it was, the customer hears of it and the log says what
        logger.error(
            "Could not store Carolina's replies in conversation %s: %s", short_id(conversation_id), error, exc_info=True
        )
        return [await apology(sessions, conversation_id, language, "reply_not_stored")]


async def store_replies(
    sessions: async_sessionmaker, customer: Message, reply: RasaReply, language: Optional[str]
) -> List[Message]:
    conversation_id = customer.conversation_id
    async with sessions.begin() as session:
        await record_understood(session, customer, reply.understood)
        shown = [m for m in map(without_report, reply.messages) if m is not None]
        # An action failed (the action server is down): what Rasa said next, without
        # it, would mislead. And Carolina always says something: silence is a failure too.
        if reply.failed_actions or not shown:
            logger.warning(
                "Rasa could not answer conversation %s (failed actions: %s)",
                short_id(conversation_id),
                reply.failed_actions,
            )
            failure = "action_failed" if reply.failed_actions else "no_answer"
            return [await store_apology(session, conversation_id, language, failure)]
        # Only a language the hub knows goes into the record (and its five characters).
        decided = normalise_code(reply.language)
        if decided:
            conversation = await session.get_one(Conversation, conversation_id)
            conversation.language = decided
        for m in reply.messages:
            await note_report(session, conversation_id, m, decided or language)
        return [
            await queries.add_message(session, conversation_id, "bot", m.get("text") or "", reply_payload(m))
            for m in shown
        ]


async def store_apology(
    session: Any, conversation_id: str, language: Optional[str], failure: str, key: str = "rasa_down"
) -> Message:
    """Carolina could not answer: the customer is told their message is kept and offered a ticket."""
    return await queries.add_message(session, conversation_id, "bot", hub_text(key, language), {"error": failure})


async def apology(
    sessions: async_sessionmaker, conversation_id: str, language: Optional[str], failure: str, key: str = "rasa_down"
) -> Message:
    """The apology, stored in a transaction of its own; when even that fails, said
    all the same without a record: the customer is never left in silence."""
    try:
        async with sessions.begin() as session:
            return await store_apology(session, conversation_id, language, failure, key)
    except Exception as error:
        logger.error(
            "Could not store the apology (%s) in conversation %s: %s", failure, short_id(conversation_id), error
        )
        return Message(
            conversation_id=conversation_id, sender="bot", text=hub_text(key, language), payload={"error": failure}
        )


async def record_understood(session: Any, customer: Message, understood: Understood) -> None:
    # The columns' widths (String(100), String(5)): a model's odd label must not lose the turn.
    intent = understood.intent[:100] if understood.intent else None
    language = understood.language[:5] if understood.language else None
    payload = None
    if understood.form_slot:
        # Kept beside the message: transcripts show the field it answered instead of an intent.
        payload = {**(customer.payload or {}), "form_slot": understood.form_slot[:60]}
        customer.payload = payload
    await queries.record_understanding(session, customer.id, intent, understood.confidence, language, payload)
    customer.intent, customer.confidence, customer.language = intent, understood.confidence, language


def identity_of(contact: Contact) -> Identity:
    """The identity the portal last signed for a stored contact."""
    return Identity(
        contact.external_id,
        contact.name,
        contact.email,
        contact.company,
        contact.company_code,
        contact.language,
        contact.can_open_tickets,
    )


# A message older than this that nobody answered belongs to a customer long gone.
UNANSWERED_WINDOW = timedelta(minutes=15)


async def answer_unanswered(
    sessions: async_sessionmaker,
    rasa: RasaClient,
    *,
    locks: ConversationLocks = _process_locks,
    min_age: timedelta = timedelta(0),
) -> Dict[str, List[Message]]:
    """The customer messages Carolina still owes an answer (the last message of a
    conversation still with her) are asked again, so every customer gets an
    answer or the apology: after a crash, those a hub stored but stopped before
    storing her answer to; once Rasa is ready, those kept with the notice that
    she was starting (only a conversation's last: as with a resent message,
    the ones before it are left). Rasa may so see a message twice; a reply
    that never arrives is the worse fault. Returns the new replies by
    conversation, for the caller to send.

    Each message is claimed under its conversation's lock, and looked at again
    once it is held: a hub still answering it holds the lock until its reply is
    stored, so the message is skipped as answered; a dead hub's lock lapses with
    its lease (bot/adapters/locks.py), and then the message is this caller's.
    `min_age` leaves alone the messages too recent to be anyone's leftover (the
    periodic pass of cluster mode: a live hub is most likely still on them)."""
    async with sessions() as session:
        now = session_clock(session).now()
        since = now - UNANSWERED_WINDOW
        unanswered = await queries.unanswered_customer_messages(session, since)
        waiting = sorted({*unanswered, *await waiting_after_starting(session, since)})
    answered: Dict[str, List[Message]] = {}
    for message_id, conversation_id in waiting:
        try:
            async with locks.hold(conversation_id):
                stored_before = now - min_age if min_age else None
                replies = await answer_if_unanswered(sessions, rasa, message_id, conversation_id, stored_before)
        except LockUnavailable:
            logger.info("Conversation %s stayed locked: its message is left for later", short_id(conversation_id))
            continue
        if replies is not None:
            answered[conversation_id] = replies
    return answered


async def answer_if_unanswered(
    sessions: async_sessionmaker,
    rasa: RasaClient,
    message_id: int,
    conversation_id: str,
    stored_before: Optional[datetime],
) -> Optional[List[Message]]:
    """Carolina's answer to a customer message still without one (the caller
    holds the conversation's lock); None when it needs none from her now.
    `stored_before`: None for any age (at start, every leftover is a dead run's,
    whatever the clock of the run that stored it said)."""
    async with sessions() as session:
        customer = await session.get_one(Message, message_id)
        conversation = await session.get_one(Conversation, conversation_id)
        contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
        replies = await queries.replies_after(session, customer)
        if (
            (stored_before is not None and utc(customer.created_at) > utc(stored_before))
            or not still_owed(replies)
            or await later_customer_message(session, customer)
            or route(conversation) != "bot"
            or not for_carolina(customer)
        ):
            return None  # too recent, answered meanwhile, or it was (or is now) an analyst's
    language = conversation.language or (contact.language if contact else None)
    metadata = identity_of(contact).as_metadata() if contact else {}
    if language:
        metadata["language"] = language
    # Rasa still starting: the customer has been told so once, which is enough.
    return await ask_carolina(sessions, rasa, customer, language, metadata, told_starting=bool(replies)) or None


def still_owed(replies: List[Message]) -> bool:
    """Whether a customer message with these replies still waits for Carolina's
    answer: nothing answered it (a crash), or she only said she was starting
    (beside the hub's notices about masked data, which answer nothing)."""
    if not replies:
        return True
    said = [(reply.payload or {}).get("error") for reply in replies if reply.sender == "bot"]
    return bool(said) and all(error == STARTING for error in said)


async def later_customer_message(session: Any, customer: Message) -> bool:
    later = await session.execute(
        select(Message.id)
        .where(Message.conversation_id == customer.conversation_id, Message.sender == "customer")
        .where(Message.id > customer.id)
        .limit(1)
    )
    return later.first() is not None


async def waiting_after_starting(session: Any, since: datetime) -> List[Tuple[int, str]]:
    """(message id, conversation id) of the last customer message of each
    conversation with Carolina whose last message, since `since`, is her notice
    that she was starting."""
    last = (
        select(Message.conversation_id, func.max(Message.id).label("id"))
        .where(Message.created_at >= utc(since))
        .group_by(Message.conversation_id)
        .subquery()
    )
    notices = await session.execute(
        select(Message)
        .join(last, Message.id == last.c.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.sender == "bot", Conversation.mode == "bot")
    )
    # The payload is read here rather than in SQL: JSON paths differ between SQLite and PostgreSQL.
    waiting = [m.conversation_id for m in notices.scalars() if (m.payload or {}).get("error") == STARTING]
    if not waiting:
        return []
    rows = await session.execute(
        select(func.max(Message.id), Message.conversation_id)
        .where(Message.conversation_id.in_(waiting), Message.sender == "customer")
        .group_by(Message.conversation_id)
    )
    return [(row[0], row[1]) for row in rows]
