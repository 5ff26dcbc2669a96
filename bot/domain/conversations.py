"""A customer message's way through the hub: check it, store it, route it, store
the replies. The routing decision (Carolina or an analyst) lives here only.

Order matters: the customer's message is committed before it is forwarded, and
each reply is committed before it is sent, so a crash or an outage anywhere
loses nothing and the transcript is exactly what both sides saw.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.adapters.rasa_client import RasaClient, RasaUnavailable, Understood
from bot.db import queries
from bot.db.models import Contact, Conversation, Message
from bot.db.session import session_clock
from bot.domain import handoffs
from bot.domain.identity import Identity
from bot.domain.texts import text as hub_text
from bot.settings import Settings
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


# One lock per conversation: two messages of one customer are handled in order.
_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _lock(conversation_id: str) -> asyncio.Lock:
    lock = _locks.get(conversation_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[conversation_id] = lock
    return lock


async def handle_customer_message(
    sessions: async_sessionmaker,
    rasa: RasaClient,
    settings: Settings,
    conversation_id: str,
    raw_text: Any,
    client_message_id: Optional[str] = None,
    metadata: Optional[Dict[str, Any]] = None,
) -> Outcome:
    text = clean_text(raw_text, settings.max_message_chars)
    async with _lock(conversation_id):
        async with sessions.begin() as session:
            conversation = await queries.get_conversation(session, conversation_id)
            if conversation is None:
                raise InputError("bad_request")
            if client_message_id:
                existing = await queries.find_customer_message(session, conversation_id, client_message_id)
                if existing is not None:
                    return Outcome(existing, await queries.replies_after(session, existing), duplicate=True)
            destination = route(conversation)
            # Kept with the message: the catch-up after a crash must not hand Carolina a line meant for a person.
            addressed = {"to": "analyst"} if destination == "analyst" else None
            customer = await queries.add_message(
                session, conversation_id, "customer", text, addressed, client_message_id
            )
            # Until Carolina has decided, the page's locale says which language to apologise in.
            language = conversation.language or normalise_code((metadata or {}).get("language"))
            # The answer to the satisfaction survey after a live chat is the hub's to keep.
            score = None
            if destination == "bot":
                score = await handoffs.record_survey(session, conversation, text, session_clock(session).now())
            if score is not None:
                thanks = await queries.add_message(
                    session, conversation_id, "system", hub_text("survey_thanks", language), {"satisfaction": score}
                )
                return Outcome(customer, [thanks])

        if destination == "analyst":
            # bot/realtime/live_chat.py passes it on to the analyst; Carolina stays out of it.
            return Outcome(customer, destination="analyst")

        meta = dict(metadata or {})
        if language and "language" not in meta:
            meta["language"] = language
        return Outcome(customer, await ask_carolina(sessions, rasa, customer, language, meta))


async def ask_carolina(
    sessions: async_sessionmaker,
    rasa: RasaClient,
    customer: Message,
    language: Optional[str],
    metadata: Dict[str, Any],
) -> List[Message]:
    """Forwards a stored customer message to Rasa and stores what Carolina says:
    her replies, or the apology when Rasa (or the action server behind it) fails."""
    conversation_id = customer.conversation_id
    try:
        reply = await rasa.send(conversation_id, customer.text, metadata, str(customer.id))
    except RasaUnavailable as error:
        logger.warning("Rasa unavailable for conversation %s: %s", conversation_id, error)
        async with sessions.begin() as session:
            return [await apology(session, conversation_id, language, "rasa_unavailable")]

    async with sessions.begin() as session:
        await record_understood(session, customer, reply.understood)
        # An action failed (the action server is down): what Rasa said next, without
        # it, would mislead. And Carolina always says something: silence is a failure too.
        if reply.failed_actions or not reply.messages:
            logger.warning(
                "Rasa could not answer conversation %s (failed actions: %s)", conversation_id, reply.failed_actions
            )
            failure = "action_failed" if reply.failed_actions else "no_answer"
            return [await apology(session, conversation_id, language, failure)]
        if reply.language:
            conversation = await session.get_one(Conversation, conversation_id)
            conversation.language = reply.language
        return [
            await queries.add_message(session, conversation_id, "bot", m.get("text") or "", reply_payload(m))
            for m in reply.messages
        ]


async def apology(session: Any, conversation_id: str, language: Optional[str], failure: str) -> Message:
    """Carolina could not answer: the customer is told their message is kept and offered a ticket."""
    return await queries.add_message(
        session, conversation_id, "bot", hub_text("rasa_down", language), {"error": failure}
    )


async def record_understood(session: Any, customer: Message, understood: Understood) -> None:
    await queries.record_understanding(
        session, customer.id, understood.intent, understood.confidence, understood.language
    )
    customer.intent, customer.confidence, customer.language = (
        understood.intent,
        understood.confidence,
        understood.language,
    )


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


async def answer_unanswered(sessions: async_sessionmaker, rasa: RasaClient) -> Dict[str, List[Message]]:
    """After a crash: the customer messages the hub stored but stopped before
    storing Carolina's answer to (the last message of a conversation still with
    her) are asked again, so every customer gets an answer or the apology. Rasa
    may so see a message twice; a reply that never arrives is the worse fault.
    Returns the new replies by conversation, for the caller to send."""
    async with sessions() as session:
        waiting = await queries.unanswered_customer_messages(session, session_clock(session).now() - UNANSWERED_WINDOW)
    answered: Dict[str, List[Message]] = {}
    for message_id, conversation_id in waiting:
        async with _lock(conversation_id):
            async with sessions() as session:
                customer = await session.get_one(Message, message_id)
                conversation = await session.get_one(Conversation, conversation_id)
                contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
                if (
                    await queries.replies_after(session, customer)
                    or route(conversation) != "bot"
                    or (customer.payload or {}).get("to") == "analyst"
                ):
                    continue  # answered meanwhile, or it was (or is now) an analyst's
            language = conversation.language or (contact.language if contact else None)
            metadata = identity_of(contact).as_metadata() if contact else {}
            if language:
                metadata["language"] = language
            answered[conversation_id] = await ask_carolina(sessions, rasa, customer, language, metadata)
    return answered
