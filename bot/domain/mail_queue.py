"""Outgoing e-mail as rows (outgoing_mail): queued in the transaction that
decides to send them, claimed by the mail job (bot/realtime/mail_job.py) when
due, retried with growing delays until the SMTP server takes them or the
attempts run out. Times here are the real time (a fixed demo clock must not
stop the mail), in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutgoingMail, Ticket, utc

# The longest wait between two attempts, however many failed before.
MAX_DELAY_SECONDS = 3600.0


def real_now() -> datetime:
    return datetime.now(timezone.utc)


def enqueue(
    session: AsyncSession, recipient: str, subject: str, raw: str, due: datetime, ticket_id: Optional[int] = None
) -> OutgoingMail:
    mail = OutgoingMail(
        recipient=recipient, subject=subject[:500], raw=raw, ticket_id=ticket_id, attempts=0, next_attempt_at=utc(due)
    )
    session.add(mail)
    return mail


def retry_delay(attempts: int, base_seconds: float) -> float:
    """After the n-th failed attempt: base, 2 x base, 4 x base, ... at most an hour."""
    return float(min(base_seconds * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS))


def _due(now: datetime, max_attempts: int) -> list:
    return [
        OutgoingMail.sent_at.is_(None),
        OutgoingMail.attempts < max_attempts,
        OutgoingMail.next_attempt_at <= utc(now),
    ]


async def claim_one(
    session: AsyncSession, mail_id: int, now: datetime, lease_seconds: float, max_attempts: int
) -> Optional[OutgoingMail]:
    """The mail, if it is due and nobody else claimed it: claiming moves its next
    attempt past the lease, so a sender that dies mid-way leaves it to be retried."""
    claimed = await session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, *_due(now, max_attempts))
        .values(next_attempt_at=utc(now) + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return await session.get(OutgoingMail, mail_id, populate_existing=True)


async def claim_due(
    session: AsyncSession, now: datetime, lease_seconds: float, max_attempts: int, limit: int = 20
) -> List[OutgoingMail]:
    """The due mails this caller claimed (another job may claim some of them first)."""
    ids = (
        await session.execute(
            select(OutgoingMail.id)
            .where(*_due(now, max_attempts))
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(limit)
        )
    ).scalars()
    claimed = []
    for mail_id in list(ids):
        mail = await claim_one(session, mail_id, now, lease_seconds, max_attempts)
        if mail is not None:
            claimed.append(mail)
    return claimed


async def delivered(session: AsyncSession, mail_id: int, where: str, now: datetime, emailed_at: datetime) -> None:
    """The mail went out ("smtp" or the outbox file); its ticket counts as
    e-mailed (at `emailed_at`, by the hub's clock)."""
    mail = await session.get_one(OutgoingMail, mail_id)
    mail.attempts += 1
    mail.sent_at, mail.delivered_to, mail.last_error = utc(now), where[:500], None
    if mail.ticket_id is not None:
        ticket = await session.get_one(Ticket, mail.ticket_id)
        ticket.emailed_at = emailed_at


async def failed(
    session: AsyncSession, mail_id: int, error: str, now: datetime, base_seconds: float, max_attempts: int
) -> OutgoingMail:
    """One more failed attempt; the next one after a longer wait (none once the attempts run out)."""
    mail = await session.get_one(OutgoingMail, mail_id)
    mail.attempts += 1
    mail.last_error = error[:2000]
    mail.next_attempt_at = utc(now) + timedelta(seconds=retry_delay(mail.attempts, base_seconds))
    return mail


async def next_due(session: AsyncSession, max_attempts: int) -> Optional[datetime]:
    """When the next unsent mail is due (None: nothing left to send)."""
    found = (
        await session.execute(
            select(func.min(OutgoingMail.next_attempt_at)).where(
                OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < max_attempts
            )
        )
    ).scalar()
    return utc(found) if found is not None else None


async def unsent_of(session: AsyncSession, ticket_id: int) -> Optional[OutgoingMail]:
    """The ticket's e-mail, if it has one that has not gone out yet."""
    query = select(OutgoingMail).where(OutgoingMail.ticket_id == ticket_id, OutgoingMail.sent_at.is_(None))
    return (await session.execute(query.order_by(OutgoingMail.id).limit(1))).scalar_one_or_none()
