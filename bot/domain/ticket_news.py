"""What the customer is told about their ticket, and how: an e-mail for each
public reply, status change, warning and survey (composed by
bot/domain/ticket_mail.py, queued in the change's transaction), and Carolina's
message in the widget ("News on ticket 2026-000123: ...") with the buttons to
answer, validate or rate it.

A public thread line that is not the customer's own is owed to their widget
until delivered (ticket_messages.delivered_at). The realtime side
(bot/realtime/ticket_news.py) delivers it to the contact's open conversations
now, or at their next visit; `claim` makes sure each line is said once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Ticket, TicketMessage, utc
from bot.domain import mail_queue, ticket_mail
from bot.domain.texts import text as hub_text
from bot.domain.ticket_texts import status_label
from bot.settings import Settings

# A news message quotes at most this much of the line it reports.
QUOTE_LIMIT = 300
# The statuses that wait for the customer, and what they are asked to do.
TODO = ("awaiting_customer", "customer_validation", "closed")


async def email(
    session: AsyncSession, ticket: Ticket, kind: str, settings: Settings, message_text: Optional[str] = None
) -> None:
    """Queues the customer's e-mail about the ticket (sent after the commit by the mail job).
    kind: reply | status | warning | survey | follow_up (bot/domain/ticket_mail.py)."""
    when = mail_queue.real_now()
    await ticket_mail.queue_news_email(session, ticket, kind, settings, when, message_text=message_text)


@dataclass
class News:
    """One ticket's owed thread lines, as one message for the widget."""

    ticket: Ticket
    lines: List[TicketMessage] = field(default_factory=list)

    @property
    def ids(self) -> List[int]:
        return [line.id for line in self.lines]

    def text(self, language: Optional[str]) -> str:
        return news_text(self.ticket, self.lines, language)

    def payload(self, language: Optional[str]) -> Dict[str, Any]:
        return {"quick_replies": buttons(self.ticket, language), "ticket_number": self.ticket.number}


def last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return last if len(last) <= QUOTE_LIMIT else last[: QUOTE_LIMIT - 1].rstrip() + "…"


def news_text(ticket: Ticket, lines: Sequence[TicketMessage], language: Optional[str]) -> str:
    """ "News on ticket N: <the last thing said> <the status now, and what to do>"."""
    said = next((last_line(line.text) for line in reversed(lines) if last_line(line.text)), "")
    moved = next((line.status_to for line in reversed(lines) if line.status_to), None)
    after: List[str] = []
    if moved:
        after.append(hub_text("ticket_news_status", language, status=status_label(moved, language)))
    if ticket.status in TODO and (moved or ticket.status != "closed"):
        after.append(hub_text(f"ticket_news_todo_{ticket.status}", language))
    news = " — ".join(part for part in (said, " ".join(after)) if part)
    return hub_text("ticket_news", language, number=ticket.number, news=news.strip())


def _button(key: str, intent: str, ticket: Ticket, language: Optional[str]) -> Dict[str, str]:
    entities = json.dumps({"ticket_number": ticket.number}, separators=(",", ":"))
    return {"title": hub_text(key, language), "payload": f"/{intent}{entities}"}


def buttons(ticket: Ticket, language: Optional[str]) -> List[Dict[str, str]]:
    """What the customer can do next (the payloads are the assistant's intents)."""
    if ticket.status == "closed":
        return [_button("ticket_button_survey", "ticket_survey", ticket, language)] if ticket.survey_at is None else []
    found = [_button("ticket_button_reply", "ticket_reply", ticket, language)]
    if ticket.status == "customer_validation":
        found += [
            _button("ticket_button_accept", "ticket_accept", ticket, language),
            _button("ticket_button_reject", "ticket_reject", ticket, language),
        ]
    return found


def owed_filter() -> list:
    return [
        TicketMessage.visibility == "public",
        TicketMessage.author != "customer",
        TicketMessage.delivered_at.is_(None),
    ]


async def owed(session: AsyncSession, contact_id: int) -> List[News]:
    """The contact's tickets with lines not yet said in their widget, oldest first."""
    rows = (
        await session.execute(
            select(TicketMessage, Ticket)
            .join(Ticket, Ticket.id == TicketMessage.ticket_id)
            .where(Ticket.contact_id == contact_id, *owed_filter())
            .order_by(TicketMessage.id)
        )
    ).all()
    found: Dict[int, News] = {}
    for line, ticket in rows:
        found.setdefault(ticket.id, News(ticket)).lines.append(line)
    return list(found.values())


async def claim(session: AsyncSession, news: News, now: datetime) -> bool:
    """Marks the lines delivered; False when another delivery took them first
    (two tabs, two hubs): then this one says nothing."""
    done = await session.execute(
        update(TicketMessage)
        .where(TicketMessage.id.in_(news.ids), TicketMessage.delivered_at.is_(None))
        .values(delivered_at=utc(now))
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == len(news.ids)
