"""Carolina's news about tickets in the customer's widget: the thread lines
owed to a contact (bot/domain/ticket_news.py), said in each of their
conversations open now (on any hub), or in the conversation they start at their
next visit. Each news is stored as Carolina's message of that conversation
(the widget's history and sync show it) before it is emitted."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Iterable, List, Optional

import socketio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import queries
from bot.db.models import Message
from bot.domain import connections, ticket_news
from bot.domain.deadlines import real_now

# The module, not its names: the widget's handlers call deliver() in turn.
from bot.realtime import rooms, widget  # isort: skip

logger = logging.getLogger(__name__)


async def connected(sessions: async_sessionmaker[AsyncSession], contact_id: int) -> List[str]:
    """The conversations the contact has open now, on any hub (bot/domain/connections.py)."""
    async with sessions() as session:
        return await connections.open_conversations(session, contact_id, real_now())


async def deliver(
    sio: socketio.AsyncServer,
    sessions: async_sessionmaker[AsyncSession],
    contact_id: Optional[int],
    now: datetime,
    conversation_ids: Optional[Iterable[str]] = None,
) -> List[Message]:
    """Says the contact's owed news in `conversation_ids` (by default, those
    open now); nothing when none is open: the news waits for the next visit."""
    if contact_id is None:
        return []
    where = list(conversation_ids) if conversation_ids is not None else await connected(sessions, contact_id)
    if not where:
        return []
    said: List[Message] = []
    async with sessions.begin() as session:
        for news in await ticket_news.owed(session, contact_id):
            if not await ticket_news.claim(session, news, now):
                continue
            for conversation_id in where:
                conversation = await queries.get_conversation(session, conversation_id)
                if conversation is None:
                    continue
                language = conversation.language or news.ticket.language
                said.append(
                    await queries.add_message(
                        session, conversation_id, "bot", news.text(language), news.payload(language)
                    )
                )
    for message in said:
        await sio.emit("bot_uttered", widget.bot_uttered(message), room=rooms.customer(message.conversation_id))
    return said


async def deliver_quietly(
    sio: socketio.AsyncServer,
    sessions: async_sessionmaker[AsyncSession],
    contact_ids: Iterable[Optional[int]],
    now: datetime,
    conversation_ids: Optional[Iterable[str]] = None,
) -> None:
    """deliver() for each contact, after the change was committed: a failure is
    logged, and the news stays owed for the next visit."""
    where = list(conversation_ids) if conversation_ids is not None else None
    for contact_id in dict.fromkeys(contact_ids):
        try:
            await deliver(sio, sessions, contact_id, now, where)
        except Exception:
            logger.exception("Could not deliver the ticket news of contact %s", contact_id)
