"""A ticket's thread after its opening transcript (which stays as it was):
public replies the customer sees, analysts' internal notes, the customer's
answers (widget, e-mail, links) and the status changes, each with its author
and time. Adding to it is where the ticket's life reacts: a customer's answer
brings a ticket that waited for them back to analysis; an analyst's public
reply (or status change) is news for the customer (bot/domain/ticket_news.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, Attachment, Ticket, TicketMessage, utc
from bot.db.session import session_clock
from bot.domain import attachments, ticket_news, ticket_status
from bot.domain.errors import DomainError
from bot.domain.redaction import mask_text
from bot.settings import Settings

AUTHORS = ("customer", "agent", "carolina", "system")
VISIBILITIES = ("public", "internal")
VIAS = ("console", "api", "widget", "email", "link", "auto")
TEXT_LIMIT = 4000
# A customer's answer here means the ticket no longer waits for them.
WAITING = ("awaiting_customer", "customer_validation")


def _checked(author: str, visibility: str, via: str, text: Optional[str], status: Optional[str]) -> str:
    if author not in AUTHORS:
        raise ValueError(f"author must be one of {AUTHORS}")
    if via not in VIAS:
        raise ValueError(f"via must be one of {VIAS}")
    if visibility not in VISIBILITIES:
        raise DomainError(422, "invalid", f"visibility must be one of {', '.join(VISIBILITIES)}")
    if visibility == "internal" and author != "agent":
        raise DomainError(422, "invalid", "only analysts write internal notes")
    if status is not None and author != "agent":
        raise DomainError(422, "invalid", "only analysts change a ticket's status with a message")
    if text is not None and not isinstance(text, str):
        raise DomainError(422, "invalid", "text must be a string")
    clean = (text or "").strip()
    if len(clean) > TEXT_LIMIT:
        raise DomainError(422, "too_long", f"the text is longer than {TEXT_LIMIT} characters")
    return clean


async def add_message(
    session: AsyncSession,
    ticket: Ticket,
    *,
    author: str,
    text: Optional[str],
    via: str,
    visibility: str = "public",
    agent: Optional[Agent] = None,
    author_name: Optional[str] = None,
    attachment_ids: Sequence[str] = (),
    settings: Optional[Settings] = None,
    status: Optional[str] = None,
    conversation_id: Optional[str] = None,
    email_id: Optional[str] = None,
) -> TicketMessage:
    """A new line of the thread, masked (personal data hidden, as in chats).
    422 for empty text without attachments, an internal note or a status change
    not by an analyst; 409 "closed" for a customer's message on a closed ticket
    (they open a follow-up instead). `status` (analysts) moves the ticket in the
    same call: the usual solution proposal + customer validation. With
    `settings`, the customer's e-mail is queued. `conversation_id`: the
    conversation a customer writes from (its files may be attached);
    `email_id`: an e-mail reply's Message-ID (a second delivery is refused by
    the unique constraint). Returns the message (or the status line, when an
    analyst only changes the status)."""
    clean = _checked(author, visibility, via, text, status)
    if not clean and not attachment_ids and status is None:
        raise DomainError(422, "empty", "the message is empty")
    if author == "customer" and ticket.status == "closed":
        raise DomainError(409, "closed", "the ticket is closed; a follow-up ticket continues it")
    if status is not None and status == ticket.status and (clean or attachment_ids):
        status = None  # a reply "and keep the status": nothing moves
    now = session_clock(session).now()
    if not clean and not attachment_ids:
        # Only a status change: its line is the message.
        return await ticket_status.change(session, ticket, str(status), by="agent", agent=agent, settings=settings)
    name = author_name or (agent.name if agent is not None and author == "agent" else None)
    message = TicketMessage(
        ticket_id=ticket.id,
        author=author,
        agent_id=agent.id if agent is not None else None,
        author_name=mask_text(name, ticket.language)[:200] if name else None,
        visibility=visibility,
        text=mask_text(clean, ticket.language),
        via=via,
        email_id=email_id,
        # Only analysts' public replies are news for the customer's widget.
        delivered_at=None if author == "agent" and visibility == "public" else utc(now),
    )
    session.add(message)
    await session.flush()
    if attachment_ids:
        await _attach(session, ticket, message, attachment_ids, agent, conversation_id)
    ticket.updated_at = utc(now)
    if author == "customer":
        ticket.last_customer_at = utc(now)
        if visibility == "public" and ticket.status in WAITING:
            await ticket_status.change(session, ticket, "in_progress", by="customer", via=via)
    if status is not None:
        await ticket_status.change(session, ticket, status, by="agent", agent=agent)
        if settings is not None:
            await ticket_news.email(session, ticket, "status", settings, message.text)
    elif author == "agent" and visibility == "public" and settings is not None:
        await ticket_news.email(session, ticket, "reply", settings, message.text)
    await session.flush()
    return message


async def _attach(
    session: AsyncSession,
    ticket: Ticket,
    message: TicketMessage,
    public_ids: Iterable[str],
    agent: Optional[Agent],
    conversation_id: Optional[str],
) -> None:
    """The files named, if they are the ticket's (its conversation's, the
    writer's conversation's, or the analyst's own uploads) and on no message yet."""
    wanted = {str(p) for p in public_ids}
    whose = [Attachment.conversation_id == ticket.conversation_id, Attachment.ticket_id == ticket.id]
    if conversation_id:
        whose.append(Attachment.conversation_id == conversation_id)
    if agent is not None:
        whose.append((Attachment.uploaded_by == "agent") & (Attachment.agent_id == agent.id))
    found = list(
        (
            await session.execute(
                select(Attachment).where(
                    Attachment.public_id.in_(wanted), Attachment.ticket_message_id.is_(None), or_(*whose)
                )
            )
        ).scalars()
    )
    if len(found) != len(wanted):
        raise DomainError(422, "attachment", "an attachment is unknown, not yours or already on a message")
    for attachment in found:
        attachment.ticket_id, attachment.ticket_message_id = ticket.id, message.id


async def unlinked_attachments(session: AsyncSession, conversation_id: str, ticket: Ticket) -> List[str]:
    """The public ids of the conversation's customer files on no ticket message
    yet (and of no other ticket: those the conversation opened travel with it)."""
    return list(
        (
            await session.execute(
                select(Attachment.public_id).where(
                    Attachment.conversation_id == conversation_id,
                    Attachment.uploaded_by == "customer",
                    Attachment.ticket_message_id.is_(None),
                    Attachment.purged_at.is_(None),
                    or_(Attachment.ticket_id.is_(None), Attachment.ticket_id == ticket.id),
                )
            )
        ).scalars()
    )


async def by_key(session: AsyncSession, ticket: Ticket, key: str) -> Optional[TicketMessage]:
    """The ticket's message delivered under this key before (an e-mail's Message-ID, an API call's key)."""
    found = (
        await session.execute(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket.id, TicketMessage.email_id == key)
        )
    ).scalar_one_or_none()
    return found


async def last_interactions(session: AsyncSession, tickets: Sequence[Ticket]) -> Dict[int, datetime]:
    """Per ticket, when its customer-visible life last moved: its newest public
    thread line, or its opening."""
    found = {t.id: utc(t.created_at) for t in tickets}
    if not found:
        return found
    rows = await session.execute(
        select(TicketMessage.ticket_id, func.max(TicketMessage.created_at))
        .where(TicketMessage.ticket_id.in_(list(found)), TicketMessage.visibility == "public")
        .group_by(TicketMessage.ticket_id)
    )
    for ticket_id, moment in rows.all():
        if moment is not None:
            found[ticket_id] = max(found[ticket_id], utc(moment))
    return found


def survey_of(ticket: Ticket) -> Optional[Dict[str, Any]]:
    if ticket.survey_at is None or ticket.survey_score is None:
        return None
    return {"score": ticket.survey_score, "comment": ticket.survey_comment, "at": _when(ticket.survey_at)}


def _when(moment: Any) -> Optional[str]:
    return utc(moment).isoformat() if moment is not None else None


async def thread_of(
    session: AsyncSession,
    ticket: Ticket,
    include_internal: bool,
    settings: Optional[Settings] = None,
    now: Optional[datetime] = None,
) -> List[Dict[str, Any]]:
    """The thread in order, as the API shows it (the customer's view: public lines only).
    With settings and now (the customer's view), each file still there gets a `url`
    with a short-lived `?t=` (bot/domain/attachments.py), for Carolina to show."""
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    if not include_internal:
        query = query.where(TicketMessage.visibility == "public")
    lines = list((await session.execute(query.order_by(TicketMessage.id))).scalars())
    files: Dict[int, List[Dict[str, Any]]] = {}
    if lines:
        attached = (
            await session.execute(
                select(Attachment)
                .where(Attachment.ticket_message_id.in_([line.id for line in lines]))
                .order_by(Attachment.id)
            )
        ).scalars()
        for attachment in attached:
            file = {
                "id": attachment.public_id,
                "filename": attachment.filename,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "purged": attachment.purged_at is not None,
            }
            if settings is not None and now is not None:
                file = attachments.with_url(file, settings, now)
            files.setdefault(int(attachment.ticket_message_id or 0), []).append(file)
    return [
        {
            "id": line.id,
            "author": line.author,
            "author_name": line.author_name,
            "visibility": line.visibility,
            "text": line.text,
            "via": line.via,
            "status_from": line.status_from,
            "status_to": line.status_to,
            "created_at": _when(line.created_at),
            "attachments": files.get(line.id, []),
        }
        for line in lines
    ]
