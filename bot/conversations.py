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
from typing import Any, Dict, List, Optional

import aiohttp
from sqlalchemy.orm import sessionmaker

from bot import clock, handoffs, rasa_client
from bot.db import queries
from bot.db.models import Conversation, Message
from bot.settings import Settings
from bot.texts import text as hub_text
from components.language import normalise_code

logger = logging.getLogger(__name__)


class InputError(ValueError):
    """The customer's message cannot be accepted; `key` names the text in bot/texts.py."""

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
    sessions: sessionmaker,
    http: aiohttp.ClientSession,
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
            customer = await queries.add_message(session, conversation_id, "customer", text, None, client_message_id)
            # Until Carolina has decided, the page's locale says which language to apologise in.
            language = conversation.language or normalise_code((metadata or {}).get("language"))
            destination = route(conversation)
            # The answer to the satisfaction survey after a live chat is the hub's to keep.
            score = None
            if destination == "bot":
                score = await handoffs.record_survey(session, conversation, text, clock.now())
            if score is not None:
                thanks = await queries.add_message(
                    session, conversation_id, "system", hub_text("survey_thanks", language), {"satisfaction": score}
                )
                return Outcome(customer, [thanks])

        if destination == "analyst":
            # bot/live_chat.py passes it on to the analyst; Carolina stays out of it.
            return Outcome(customer, destination="analyst")

        meta = dict(metadata or {})
        if language and "language" not in meta:
            meta["language"] = language
        try:
            reply = await rasa_client.send(
                http, settings.rasa_url, conversation_id, text, meta, str(customer.id), settings.rasa_timeout
            )
        except rasa_client.RasaUnavailable as error:
            logger.warning("Rasa unavailable for conversation %s: %s", conversation_id, error)
            async with sessions.begin() as session:
                apology = await queries.add_message(
                    session, conversation_id, "bot", hub_text("rasa_down", language), {"error": "rasa_unavailable"}
                )
            return Outcome(customer, [apology])

        async with sessions.begin() as session:
            understood = reply.understood
            await queries.record_understanding(
                session, customer.id, understood.intent, understood.confidence, understood.language
            )
            customer.intent, customer.confidence, customer.language = (
                understood.intent,
                understood.confidence,
                understood.language,
            )
            if reply.language:
                conversation = await queries.get_conversation(session, conversation_id)
                conversation.language = reply.language
            replies = [
                await queries.add_message(session, conversation_id, "bot", m.get("text") or "", reply_payload(m))
                for m in reply.messages
            ]
        return Outcome(customer, replies)
