"""What an analyst's workspace shows beside a handoff's record: the chat's last
line and when the customer last wrote (the console's rail and queue), and, for a
transfer, each queue's state right now (open, analysts online, customers waiting)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Handoff, Message, utc
from bot.domain import handoffs
from bot.domain.hours import Calendar

# A line in a list, not the message: the rail and the queue cut it here.
LINE_CHARS = 140


def _line(message: Optional[Message]) -> Optional[Dict[str, Any]]:
    if message is None:
        return None
    # A clicked button reads as its title, not the payload it sent ("/affirm").
    text = (message.title or message.text or "").strip()
    if len(text) > LINE_CHARS:
        text = text[: LINE_CHARS - 1] + "…"
    return {"id": message.id, "sender": message.sender, "text": text, "at": utc(message.created_at).isoformat()}


async def _last(session: AsyncSession, conversation_ids: Sequence[str], sender: Optional[str]) -> Dict[str, Message]:
    if not conversation_ids:
        return {}
    latest = select(func.max(Message.id)).where(Message.conversation_id.in_(list(conversation_ids)))
    if sender:
        latest = latest.where(Message.sender == sender)
    rows = await session.execute(select(Message).where(Message.id.in_(latest.group_by(Message.conversation_id))))
    return {m.conversation_id: m for m in rows.scalars()}


async def chat_facts(session: AsyncSession, listed: Sequence[Handoff]) -> Dict[int, Dict[str, Any]]:
    """Per handoff: when it last entered its queue, the chat's last line, and the customer's."""
    ids = [h.conversation_id for h in listed]
    last, said = await _last(session, ids, None), await _last(session, ids, "customer")
    return {
        h.id: {
            "queued_since": (await handoffs.queued_since(session, h)).isoformat(),
            "last_line": _line(last.get(h.conversation_id)),
            "customer_line": _line(said.get(h.conversation_id)),
        }
        for h in listed
    }


async def queue_states(session: AsyncSession, calendar: Calendar, when: datetime) -> List[Dict[str, Any]]:
    """Every queue as a transfer menu shows it: open now, analysts online, customers waiting."""
    return [
        {
            "queue": queue,
            "open": calendar.is_open(queue, when),
            "online": await handoffs.online_count(session, queue),
            "waiting": await handoffs.waiting_count(session, queue),
        }
        for queue in calendar.queues
    ]
