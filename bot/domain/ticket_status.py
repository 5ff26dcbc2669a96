"""A ticket's status over its life: who may move it where, the deadlines that
move it by themselves (common/vocabulary.yml, in business days of the holiday
calendar in use), the customer's validation and the survey at the end.

Every change leaves a public line in the thread (a system TicketMessage with
status_from/status_to) and a "ticket_status" report event. Deadlines are
stored with the ticket (deadline_at, warn_at), so whichever hub's job looks
first claims them, once (run_due)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agent, Ticket, TicketMessage, utc
from bot.db.session import session_clock
from bot.domain import report_events, ticket_news, tickets
from bot.domain.errors import DomainError
from bot.domain.hours import Calendar, load_calendar
from bot.domain.redaction import mask_text
from bot.settings import Settings
from common.vocabulary import Deadline, vocabulary

logger = logging.getLogger(__name__)
BY = ("agent", "customer", "auto")
# The survey's comment and a status change's reason keep this much.
COMMENT_LIMIT = 2000


def deadline_of(ticket: Ticket, status: str) -> Optional[Tuple[Deadline, int]]:
    """The automatic move out of `status` for this ticket and its business days (None: it waits)."""
    deadline = vocabulary().deadlines.get(status)
    if deadline is None:
        return None
    return deadline, deadline.days_for((ticket.fields or {}).get("product"))


def schedule(ticket: Ticket, status: str, now: datetime, calendar: Optional[Calendar] = None) -> None:
    """The ticket's next automatic move from `now`, and the warning one business day before it."""
    found = deadline_of(ticket, status)
    ticket.warned_at = None
    if found is None:
        ticket.deadline_at = ticket.warn_at = None
        return
    calendar = calendar or load_calendar()
    _, days = found
    deadline = calendar.add_business_days(now, days)
    ticket.deadline_at = utc(deadline)
    ticket.warn_at = utc(calendar.add_business_days(deadline, -1)) if days > 1 else None


async def change(
    session: AsyncSession,
    ticket: Ticket,
    status: str,
    *,
    by: str,
    agent: Optional[Agent] = None,
    reason: Optional[str] = None,
    settings: Optional[Settings] = None,
    via: Optional[str] = None,
) -> TicketMessage:
    """Moves the ticket (409 when the vocabulary does not allow it; 422 for an
    unknown status) and records the move as a public thread line. With
    `settings`, the customer is told by e-mail (a move of their own only when it
    closes the ticket: the survey); the widget's news are the line itself,
    owed until delivered (bot/domain/ticket_news.py). `via`: where the move was
    made (console, widget, email, link, auto)."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY}")
    before = ticket.status
    if status == before:
        raise DomainError(409, "same_status", f"the ticket is already {status}")
    await tickets.set_status(session, ticket, status)  # validates, records the report event
    now = session_clock(session).now()
    schedule(ticket, status, now)
    if status == "closed":
        ticket.closed_at = utc(now)
    ticket.updated_at = utc(now)
    text = mask_text(reason.strip(), ticket.language)[:COMMENT_LIMIT] if reason and reason.strip() else ""
    line = TicketMessage(
        ticket_id=ticket.id,
        author="system",
        agent_id=agent.id if agent else None,
        author_name=agent.name if agent else None,
        visibility="public",
        text=text,
        via=via or {"agent": "console", "customer": "widget", "auto": "auto"}[by],
        status_from=before,
        status_to=status,
        # The customer's own move is no news to them, but a ticket they closed
        # from an e-mail's link still offers its survey in the widget.
        delivered_at=utc(now) if by == "customer" and (status != "closed" or via == "widget") else None,
    )
    session.add(line)
    await session.flush()
    if settings is not None and (by != "customer" or status == "closed"):
        await ticket_news.email(session, ticket, "survey" if status == "closed" else "status", settings)
    return line


async def validate(
    session: AsyncSession,
    ticket: Ticket,
    accepted: bool,
    reason: Optional[str],
    via: str,
    settings: Optional[Settings] = None,
) -> Ticket:
    """The customer's answer to a solution: solved closes the ticket (and asks
    the survey); not solved sends it back to analysis with their reason as a
    public message of theirs. Only in customer validation (409 otherwise)."""
    from bot.domain import ticket_thread  # the thread moves statuses too

    if ticket.status != "customer_validation":
        raise DomainError(409, "not_in_validation", "the ticket is not waiting for the customer's validation")
    if accepted:
        await change(session, ticket, "closed", by="customer", settings=settings, via=via)
        return ticket
    if reason and reason.strip():
        # The customer's public message moves it back to in_progress by itself.
        await ticket_thread.add_message(session, ticket, author="customer", text=reason, via=via, settings=settings)
    else:
        await change(session, ticket, "in_progress", by="customer", settings=settings, via=via)
    return ticket


async def answer_survey(session: AsyncSession, ticket: Ticket, score: Any, comment: Optional[str], via: str) -> Ticket:
    """The 0-10 answer (and comment) at the end of a closed ticket: once, and it
    never reopens it. Counted by the satisfaction report as a ticket's survey."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise DomainError(422, "invalid", "score must be a whole number from 0 to 10")
    if ticket.status != "closed":
        raise DomainError(409, "not_closed", "the survey is for closed tickets")
    text = mask_text(comment.strip(), ticket.language)[:COMMENT_LIMIT] if comment and comment.strip() else None
    now = utc(session_clock(session).now())
    # Two answers at once (the e-mail link and the widget): the first one stays.
    answered = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.survey_at.is_(None))
        .values(survey_score=score, survey_comment=text, survey_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(answered, "rowcount", 0) != 1:
        raise DomainError(409, "answered", "the survey of this ticket was already answered")
    ticket.survey_score, ticket.survey_comment, ticket.survey_at = score, text, now
    await report_events.record(
        session,
        "survey",
        conversation_id=ticket.conversation_id,
        queue=ticket.queue,
        language=ticket.language,
        score=score,
        text=text,
        channel="ticket",
        ticket_number=ticket.number,
        via=via,
    )
    await session.flush()
    return ticket


@dataclass
class Due:
    """What one run of the job did: tickets moved (number, from, to) and warned (number)."""

    moved: List[Tuple[str, str, str]] = field(default_factory=list)
    warned: List[str] = field(default_factory=list)
    # Whose widgets may have news now.
    contacts: List[int] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {"moved": self.moved, "warned": self.warned, "contacts": sorted(set(self.contacts))}


async def run_due(sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> Dict[str, Any]:
    """Moves every ticket whose deadline passed and sends the warnings due, each
    in its own transaction. A ticket is claimed by clearing its deadline in an
    UPDATE that names the status and deadline it saw: of two jobs (two hubs, or
    two runs that overlap) only one changes the row, so a ticket moves once."""
    moment = utc(now)
    done = Due()
    async with sessions() as session:
        due = (
            await session.execute(
                select(Ticket.id, Ticket.status).where(Ticket.deadline_at <= moment).order_by(Ticket.deadline_at)
            )
        ).all()
    for ticket_id, status in due:
        try:
            async with sessions.begin() as session:
                claimed = await session.execute(
                    update(Ticket)
                    .where(Ticket.id == ticket_id, Ticket.status == status, Ticket.deadline_at <= moment)
                    .values(deadline_at=None, warn_at=None)
                    .execution_options(synchronize_session=False)
                )
                if getattr(claimed, "rowcount", 0) != 1:
                    continue
                ticket = await session.get_one(Ticket, ticket_id, populate_existing=True)
                found = deadline_of(ticket, status)
                if found is None:  # the vocabulary changed since the deadline was set
                    continue
                await change(session, ticket, found[0].then, by="auto", settings=settings)
                done.moved.append((ticket.number, status, ticket.status))
                if ticket.contact_id is not None:
                    done.contacts.append(ticket.contact_id)
        except Exception:  # one ticket's trouble must not stop the others'
            logger.exception("Could not move ticket %s past its deadline", ticket_id)
    async with sessions() as session:
        warn = (
            await session.execute(
                select(Ticket.id).where(
                    Ticket.warn_at <= moment, Ticket.warned_at.is_(None), Ticket.deadline_at > moment
                )
            )
        ).scalars()
        to_warn = list(warn)
    for ticket_id in to_warn:
        try:
            async with sessions.begin() as session:
                claimed = await session.execute(
                    update(Ticket)
                    .where(Ticket.id == ticket_id, Ticket.warned_at.is_(None), Ticket.warn_at <= moment)
                    .values(warned_at=moment)
                    .execution_options(synchronize_session=False)
                )
                if getattr(claimed, "rowcount", 0) != 1:
                    continue
                ticket = await session.get_one(Ticket, ticket_id, populate_existing=True)
                await ticket_news.email(session, ticket, "warning", settings)
                done.warned.append(ticket.number)
        except Exception:
            logger.exception("Could not warn about ticket %s's deadline", ticket_id)
    return done.as_dict()
