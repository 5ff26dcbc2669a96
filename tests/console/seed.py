"""Rows the records' tests start from, written straight to the hub's database
(the hub's own functions where they exist): a contact with conversations and
messages, tickets of every criticality and age."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, List, Optional

from bot.db import queries
from bot.db.models import Agent, Contact, Conversation, Ticket, utc
from bot.domain.agents import create_agent
from bot.domain.identity import Identity

CRITICALITIES = ("low", "medium", "high", "critical")


async def contact(session: Any, key: str = "c-1", name: str = "Marta Lima", language: str = "es") -> Contact:
    identity = Identity(
        key, name=name, email=f"{key}@acme.example", company="ACME", company_code="ACME", language=language
    )
    return await queries.upsert_contact(session, identity)


async def conversation(session: Any, who: Optional[Contact], language: str = "es") -> Conversation:
    return await queries.create_conversation(session, who.id if who else None, language)


async def analyst(session: Any, email: str, queues: Iterable[str], role: str = "agent") -> Agent:
    return await create_agent(session, email, email.split("@")[0].title(), "a long enough password 1", queues, role)


async def tickets(
    session: Any,
    count: int,
    start: datetime,
    who: Optional[Contact] = None,
    queue: str = "technical_support",
    status: str = "open",
    first: int = 1,
) -> List[Ticket]:
    """`count` tickets, one an hour from `start`, criticalities in turn (low, medium, high, critical, low...)."""
    made = []
    for i in range(count):
        sequence = first + i
        moment = utc(start + timedelta(hours=i))
        ticket = Ticket(
            number=f"2026-{sequence:06d}",
            year=2026,
            sequence=sequence,
            contact_id=who.id if who else None,
            company=who.company if who else None,
            queue=queue,
            category="bug",
            summary=f"Problema número {sequence}",
            criticality=CRITICALITIES[i % len(CRITICALITIES)],
            status=status,
            language="pt",
            created_at=moment,
            updated_at=moment,
        )
        session.add(ticket)
        made.append(ticket)
    await session.flush()
    return made
