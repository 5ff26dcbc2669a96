"""The console's list of tickets: the analyst's queues, filtered by status,
queue and criticality, most critical first and, within a criticality, oldest
first (the one that waited longest), a page at a time, with how many tickets
each status holds, who the customer is and which analyst last worked on it."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, Contact, Handoff, Ticket, TicketMessage, utc
from bot.domain.errors import DomainError
from bot.domain.transcripts import queues_of
from common.vocabulary import CRITICALITIES

PER_PAGE = 20
MOST_PER_PAGE = 100
# The vocabulary lists criticalities from the lowest: the last one ranks highest; none, lowest of all.
RANK = case({name: i + 1 for i, name in enumerate(CRITICALITIES)}, value=Ticket.criticality, else_=0)


def _number(query: Dict[str, str], key: str, default: int, most: int) -> int:
    raw = (query.get(key) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise DomainError(422, "invalid", f"{key} must be a whole number from 1 to {most}")
    return int(raw)


async def page_of(session: AsyncSession, agent: Agent, query: Dict[str, str]) -> Dict[str, Any]:
    """{tickets, total, page, per_page, pages, counts}: `counts` per status
    under the other filters (what each status tab would show)."""
    per_page = _number(query, "per_page", PER_PAGE, MOST_PER_PAGE)
    page = _number(query, "page", 1, 10**6)
    scope: List[Any] = [Ticket.queue.in_(queues_of(agent))]
    for column, key in ((Ticket.queue, "queue"), (Ticket.criticality, "criticality")):
        if query.get(key):
            scope.append(column == query[key])
    counts = {
        status: count
        for status, count in (
            await session.execute(select(Ticket.status, func.count()).where(*scope).group_by(Ticket.status))
        ).all()
    }
    if query.get("status"):
        scope.append(Ticket.status == query["status"])
    total = (await session.execute(select(func.count()).select_from(Ticket).where(*scope))).scalar_one()
    rows = (
        await session.execute(
            select(Ticket, Contact.name)
            .outerjoin(Contact, Contact.id == Ticket.contact_id)
            .where(*scope)
            .order_by(RANK.desc(), Ticket.created_at, Ticket.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    ).all()
    tickets = [ticket for ticket, _ in rows]
    analysts = await assignees(session, tickets)
    return {
        "tickets": [
            {**summary(ticket), "customer": name, "assignee": analysts.get(ticket.id)} for ticket, name in rows
        ],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, -(-total // per_page)),
        "counts": counts,
    }


def summary(ticket: Ticket) -> Dict[str, Any]:
    """A ticket in a list: what it is about and where it stands, not its fields,
    transcript or updates (one view of the ticket shows those, and is audited as such)."""
    return {
        "number": ticket.number,
        "status": ticket.status,
        "queue": ticket.queue,
        "category": ticket.category,
        "summary": ticket.summary,
        "criticality": ticket.criticality,
        "company": ticket.company,
        "language": ticket.language,
        "conversation_id": ticket.conversation_id,
        "created_at": utc(ticket.created_at).isoformat(),
        "updated_at": utc(ticket.updated_at).isoformat(),
    }


async def assignees(session: AsyncSession, tickets: Sequence[Ticket]) -> Dict[int, Optional[str]]:
    """Per ticket, the analyst who last wrote on it or moved it, else the one
    whose chat it came from: who to ask about it (tickets have no owner field)."""
    ids = [t.id for t in tickets]
    if not ids:
        return {}
    found: Dict[int, Optional[str]] = {}
    latest = (
        select(TicketMessage.ticket_id, func.max(TicketMessage.id).label("last"))
        .where(TicketMessage.ticket_id.in_(ids), TicketMessage.agent_id.is_not(None))
        .group_by(TicketMessage.ticket_id)
        .subquery()
    )
    for ticket_id, name in (
        await session.execute(
            select(TicketMessage.ticket_id, Agent.name)
            .join(latest, latest.c.last == TicketMessage.id)
            .join(Agent, Agent.id == TicketMessage.agent_id)
        )
    ).all():
        found[ticket_id] = name
    for from_chat, name in (
        await session.execute(
            select(Handoff.ticket_id, Agent.name)
            .join(Agent, Agent.id == Handoff.agent_id)
            .where(Handoff.ticket_id.in_([i for i in ids if i not in found]))
        )
    ).all():
        if from_chat is not None:
            found.setdefault(from_chat, name)
    return found
