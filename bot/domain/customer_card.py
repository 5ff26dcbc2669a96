"""Who the customer of a conversation is, for the analyst who reads it: name,
company, language, their open tickets (in the analyst's queues), their recent
conversations the analyst may open, and the last satisfaction score they gave
(after a chat or a ticket)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, Contact, Conversation, Ticket, utc
from bot.domain import transcripts

RECENT = 5


async def card(session: AsyncSession, agent: Agent, conversation_id: str) -> Dict[str, Any]:
    """The card of the conversation's customer (403/404 as for its transcript).
    An anonymous conversation's card has no contact, tickets or history."""
    conversation = await transcripts.check_visible(session, agent, conversation_id)
    contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    data: Dict[str, Any] = {
        "conversation_id": conversation.id,
        "contact": None,
        "language": (contact and contact.language) or conversation.language,
        "open_tickets": [],
        "conversations": [],
        "satisfaction": None,
    }
    if contact is None:
        return data
    data["contact"] = {"name": contact.name, "email": contact.email, "company": contact.company}
    queues = transcripts.queues_of(agent)
    open_tickets = (
        await session.execute(
            select(Ticket)
            .where(Ticket.contact_id == contact.id, Ticket.status != "closed", Ticket.queue.in_(queues))
            .order_by(Ticket.created_at.desc())
        )
    ).scalars()
    data["open_tickets"] = [
        {
            "number": t.number,
            "summary": t.summary,
            "status": t.status,
            "criticality": t.criticality,
            "conversation_id": t.conversation_id,
            "created_at": utc(t.created_at).isoformat(),
        }
        for t in open_tickets
    ]
    visible = transcripts.visible_ids(agent)
    recent = (
        await session.execute(
            select(Conversation)
            .where(Conversation.contact_id == contact.id, Conversation.id.in_(visible))
            .order_by(Conversation.started_at.desc())
            .limit(RECENT + 1)
        )
    ).scalars()
    data["conversations"] = [
        {
            "conversation_id": c.id,
            "started_at": utc(c.started_at).isoformat(),
            "language": c.language,
            "satisfaction": c.satisfaction,
        }
        for c in recent
        if c.id != conversation.id
    ][:RECENT]
    data["satisfaction"] = await last_score(session, contact.id)
    return data


async def last_score(session: AsyncSession, contact_id: int) -> Optional[Dict[str, Any]]:
    """The newest score the contact gave: {score, at, after: "chat" | "ticket"}."""
    scores: List[Dict[str, Any]] = []
    chat = (
        await session.execute(
            select(Conversation.satisfaction, Conversation.satisfaction_at)
            .where(Conversation.contact_id == contact_id, Conversation.satisfaction.is_not(None))
            .order_by(Conversation.satisfaction_at.desc())
            .limit(1)
        )
    ).first()
    if chat is not None and chat[1] is not None:
        scores.append({"score": chat[0], "at": utc(chat[1]).isoformat(), "after": "chat"})
    ticket = (
        await session.execute(
            select(Ticket.survey_score, Ticket.survey_at)
            .where(Ticket.contact_id == contact_id, Ticket.survey_score.is_not(None))
            .order_by(Ticket.survey_at.desc())
            .limit(1)
        )
    ).first()
    if ticket is not None and ticket[1] is not None:
        scores.append({"score": ticket[0], "at": utc(ticket[1]).isoformat(), "after": "ticket"})
    return max(scores, key=lambda s: s["at"]) if scores else None
