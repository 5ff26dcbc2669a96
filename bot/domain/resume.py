"""The widget's resume token: what it gets as its "session id" (Rasa's
`session_confirm`) and presents to carry on a conversation after a reload or
a reconnect. A random secret of its own, never the conversation id (Rasa's
sender id, which the analysts' console and the API know): the hub keeps only
its SHA-256 (Conversation.resume_hash), and it stops working `resume_days`
after its last use.

Who may resume: the same customer (the same portal identity, or anonymous
with anonymous). A conversation another customer owns, or an anonymous one
presented with an identity, is not resumed; for the latter (someone logged in
on the page where it was started) the customer is asked whether to carry it
on, and only a yes attaches it to them (on a shared computer B must not be
handed A's chat silently)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Optional

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Contact, Conversation, utc

TOKEN_BYTES = 24


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue(conversation: Conversation, now: datetime, days: float) -> str:
    """A new token for `conversation` (any earlier one stops working)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    conversation.resume_hash = digest(token)
    conversation.resume_expires_at = utc(now + timedelta(days=days))
    return token


async def find(session: AsyncSession, token: str, now: datetime) -> Optional[Conversation]:
    """The conversation `token` resumes, if it is good; an expired one is forgotten."""
    conversation = await queries.conversation_by_resume_hash(session, digest(token))
    if conversation is None:
        return None
    expires = conversation.resume_expires_at
    if expires is None or utc(expires) <= utc(now):
        conversation.resume_hash = conversation.resume_expires_at = None
        return None
    return conversation


@dataclass(frozen=True)
class Start:
    conversation_id: str
    token: str
    resumed: bool
    # An anonymous conversation with this token, to ask the customer about attaching.
    offer: Optional[str] = None


async def start(
    session: AsyncSession,
    token: Optional[str],
    contact: Optional[Contact],
    language: Optional[str],
    now: datetime,
    days: float,
    may_create: Callable[[], Awaitable[bool]],
) -> Optional[Start]:
    """The conversation a `session_request` gets: the one its token resumes, or
    a new one; None when a new one is needed and `may_create` says no."""
    contact_id = contact.id if contact else None
    found = await find(session, token, now) if token else None
    if found is not None and token and found.contact_id == contact_id:
        found.resume_expires_at = utc(now + timedelta(days=days))
        return Start(found.id, token, resumed=True)
    offer = None
    if found is not None and found.contact_id is None and contact_id is not None:
        # Logged in on the page of an anonymous conversation: ask, if there is anything to carry on.
        offer = found.id if await queries.has_messages(session, found.id) else None
    if not await may_create():
        return None
    conversation = await queries.create_conversation(session, contact_id, language)
    return Start(conversation.id, issue(conversation, now, days), resumed=False, offer=offer)


async def accept(
    session: AsyncSession, conversation_id: str, contact_id: int, now: datetime, days: float
) -> Optional[str]:
    """The customer said yes: the anonymous conversation becomes theirs, with a
    new token (the one it was offered with, which an anonymous page may still
    hold, stops working). None if it is no longer anonymous."""
    conversation = await queries.get_conversation(session, conversation_id)
    if conversation is None or conversation.contact_id is not None:
        return None
    conversation.contact_id = contact_id
    return issue(conversation, now, days)


async def decline(session: AsyncSession, conversation_id: str) -> None:
    """The customer said no: the anonymous conversation is left alone, and its
    token (replaced in the widget by the fresh conversation's) no longer resumes it."""
    conversation = await queries.get_conversation(session, conversation_id)
    if conversation is not None and conversation.contact_id is None:
        conversation.resume_hash = conversation.resume_expires_at = None
