"""Handed-off and ticketed conversations as the analysts see them: who may see
which (their queues; admins all), search, one transcript with its handoffs and
tickets, exports, and the audit log every view is written to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Agent, Contact, Conversation, Handoff, Message, Ticket, utc
from bot.domain.agents import serves
from bot.domain.errors import DomainError
from bot.domain.handoffs import handoff_summary
from bot.domain.hours import load_calendar
from bot.domain.messages import shown
from common.text import fold

LIMIT = 100


@dataclass(frozen=True)
class Filters:
    number: str = ""  # ticket number
    contact: str = ""  # name or e-mail, any part
    company: str = ""
    words: str = ""  # in any message
    language: str = ""
    since: Optional[date] = None
    until: Optional[date] = None

    @classmethod
    def parse(cls, query: Dict[str, str]) -> Filters:
        def day(key: str) -> Optional[date]:
            value = (query.get(key) or "").strip()
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError as error:
                raise DomainError(422, "invalid", f"{key} must be a date like 2026-12-01") from error

        return cls(
            number=(query.get("number") or "").strip(),
            contact=(query.get("contact") or "").strip(),
            company=(query.get("company") or "").strip(),
            words=(query.get("q") or "").strip(),
            language=(query.get("language") or "").strip(),
            since=day("since"),
            until=day("until"),
        )


def queues_of(agent: Agent) -> List[str]:
    return list(load_calendar().queues) if agent.role == "admin" else list(agent.queues or [])


def visible_ids(agent: Agent) -> Any:
    """Conversations with a handoff or a ticket in one of the analyst's queues."""
    queues = queues_of(agent)
    return union(
        select(Handoff.conversation_id).where(Handoff.queue.in_(queues)),
        select(Ticket.conversation_id).where(Ticket.queue.in_(queues), Ticket.conversation_id.is_not(None)),
    )


def _like(column: Any, text: str) -> Any:
    return func.lower(column).contains(text.lower(), autoescape=True)


async def search(session: AsyncSession, agent: Agent, filters: Filters) -> List[Dict[str, Any]]:
    query = (
        select(Conversation, Contact)
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.id.in_(visible_ids(agent)))
    )
    if filters.number:
        query = query.where(Conversation.id.in_(select(Ticket.conversation_id).where(Ticket.number == filters.number)))
    if filters.contact:
        query = query.where(_like(Contact.name, filters.contact) | _like(Contact.email, filters.contact))
    if filters.company:
        query = query.where(_like(Contact.company, filters.company))
    if filters.language:
        query = query.where(Conversation.language == filters.language)
    if filters.since:
        query = query.where(Conversation.started_at >= datetime.combine(filters.since, time.min))
    if filters.until:
        query = query.where(Conversation.started_at < datetime.combine(filters.until + timedelta(days=1), time.min))
    snippets: Dict[str, str] = {}
    if filters.words:
        snippets = await _matches(session, query, filters.words)
        query = query.where(Conversation.id.in_(list(snippets)))
    rows = (await session.execute(query.order_by(Conversation.started_at.desc()).limit(LIMIT))).all()
    found = []
    for conversation, contact in rows:
        numbers = (
            await session.execute(select(Ticket.number).where(Ticket.conversation_id == conversation.id))
        ).scalars()
        queues = (
            await session.execute(select(Handoff.queue).where(Handoff.conversation_id == conversation.id))
        ).scalars()
        found.append(
            {
                "conversation_id": conversation.id,
                "started_at": utc(conversation.started_at).isoformat(),
                "language": conversation.language,
                "contact": contact and {"name": contact.name, "email": contact.email, "company": contact.company},
                "tickets": list(numbers),
                "queues": sorted(set(queues)),
                "satisfaction": conversation.satisfaction,
                "snippet": snippets.get(conversation.id),
            }
        )
    return found


SNIPPET = 60  # characters of context either side of the words found


def snippet(text: str, words: str) -> Optional[str]:
    """The part of `text` around `words`, compared without case or accents
    ("rejeicao" finds "rejeição"), or None when they are not in it."""
    wanted = fold(" ".join(words.split()))
    # fold() keeps one character per character of these languages' text, so a
    # place in the folded text is the same place in the original.
    folded = fold(text)
    if len(folded) != len(text) or not wanted:
        folded, text = fold(text), fold(text)
    at = folded.find(wanted)
    if at < 0:
        return None
    start, end = max(0, at - SNIPPET), min(len(text), at + len(wanted) + SNIPPET)
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


async def _matches(session: AsyncSession, query: Any, words: str) -> Dict[str, str]:
    """Per conversation the search may show, the first message with the words
    (its title for a click): folded in Python, as SQLite cannot fold accents."""
    candidates = query.with_only_columns(Conversation.id).subquery()
    rows = await session.execute(
        select(Message.conversation_id, Message.text, Message.title)
        .where(Message.conversation_id.in_(select(candidates.c.id)))
        .order_by(Message.id)
    )
    found: Dict[str, str] = {}
    for conversation_id, text, title in rows.all():
        if conversation_id in found:
            continue
        hit = snippet(title or text or "", words)
        if hit is not None:
            found[conversation_id] = hit
    return found


async def check_visible(session: AsyncSession, agent: Agent, conversation_id: str) -> Conversation:
    conversation = await queries.get_conversation(session, conversation_id)
    if conversation is None:
        raise DomainError(404, "no_conversation", "no such conversation")
    visible = visible_ids(agent).subquery()
    allowed = (
        await session.execute(
            select(func.count()).select_from(visible).where(visible.c.conversation_id == conversation_id)
        )
    ).scalar()
    if not allowed:
        raise DomainError(403, "forbidden", "this conversation is not in your queues")
    return conversation


async def transcript(session: AsyncSession, agent: Agent, conversation_id: str) -> Dict[str, Any]:
    conversation = await check_visible(session, agent, conversation_id)
    contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    handoffs = (
        await session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id))
    ).scalars()
    numbers = (
        await session.execute(
            select(Ticket.number).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)
        )
    ).scalars()
    return {
        "conversation_id": conversation.id,
        "language": conversation.language,
        "started_at": utc(conversation.started_at).isoformat(),
        "satisfaction": conversation.satisfaction,
        "contact": contact and {"name": contact.name, "email": contact.email, "company": contact.company},
        "handoffs": [handoff_summary(h) for h in handoffs],
        "tickets": list(numbers),
        "messages": [shown(m) for m in await queries.transcript(session, conversation_id)],
    }


SENDER = {"customer": "Customer", "bot": "Carolina", "agent": "Analyst", "system": "System"}


def as_text(record: Dict[str, Any], zone: str = "") -> str:
    """The plain-text export: a header, then one line per message, at its time
    in `zone` (the analyst's, an IANA name; UTC when unknown). A click reads as
    its title and the field it answered, never as the command it sent."""
    tz = time_zone(zone)
    contact = record.get("contact") or {}
    lines = [
        f"Conversation {record['conversation_id']}",
        f"Customer: {contact.get('name') or '-'} <{contact.get('email') or '-'}>, {contact.get('company') or '-'}",
        f"Started: {local(record['started_at'], tz)}   Language: {record.get('language') or '-'}",
        f"Tickets: {', '.join(record.get('tickets') or []) or '-'}",
        "",
    ]
    for message in record["messages"]:
        who = (message.get("payload") or {}).get("agent_name") or SENDER.get(message["sender"], message["sender"])
        understood = ""
        if message.get("answered"):
            understood = "  [" + ", ".join(f"{k}: {v}" for k, v in message["answered"].items()) + "]"
        elif message.get("form_field"):
            understood = f"  [answers {message['form_field']}]"
        elif message.get("intent"):
            low = " low" if message.get("low_confidence") else ""
            understood = f"  [{message['intent']} {message['confidence'] or 0:.2f}{low}]"
        lines.append(f"{local(message['created_at'], tz)}  {who}: {message['text']}{understood}")
    return "\n".join(lines) + "\n"


def time_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def local(moment: Optional[str], tz: tzinfo) -> str:
    if not moment:
        return "-"
    return utc(datetime.fromisoformat(moment)).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def as_json(record: Dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2)


async def ticket_for(session: AsyncSession, agent: Agent, number: str) -> Ticket:
    found = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one_or_none()
    if found is None:
        raise DomainError(404, "no_ticket", "no such ticket")
    if not serves(agent, found.queue):
        raise DomainError(403, "forbidden", "this ticket is not in your queues")
    return found
