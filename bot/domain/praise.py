"""Praise for the team, recorded in the conversation (not ticketed): a system
line the console and the reports show. The action server may record only what
the customer said in that conversation, so its key cannot write free notes
into anyone's record (issue 17: the actions' key opens no notes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Message
from bot.domain.errors import DomainError
from common.text import fold

PREFIX = "Praise from the customer: "


async def record_praise(session: AsyncSession, conversation_id: str, text: str) -> tuple[Message, bool]:
    """(the praise line, whether it is new): the same praise recorded twice is one line."""
    said = " ".join(text.split())
    if not said:
        raise DomainError(422, "invalid", "text is required")
    if await queries.get_conversation(session, conversation_id) is None:
        raise DomainError(404, "not_found", "no such conversation")
    messages = (
        (await session.execute(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)))
        .scalars()
        .all()
    )
    wanted = fold(said)
    if not any(m.sender == "customer" and wanted in fold(" ".join(m.text.split())) for m in messages):
        raise DomainError(422, "not_said", "only what the customer wrote in this conversation is recorded as praise")
    line = PREFIX + said
    for message in messages:
        if message.sender == "system" and (message.payload or {}).get("praise") and message.text == line:
            return message, False
    return await queries.add_message(session, conversation_id, "system", line, {"praise": True}), True
