"""Deadlines stored with a kind and a subject (the deadlines table): a
customer's abandon, an analyst's grace, the next run of a periodic job.
Scheduling replaces the subject's deadline, cancelling deletes it, and the job
loop (bot/realtime/jobs.py) claims the due ones.

A claim is a lease, not a deletion: the claimer runs the work, then finishes
the deadline (deletes it, or moves a periodic job's to its next run). A hub that
dies in between leaves it claimed until the lease ends, and another hub runs it
then. So a deadline fires once while hubs live and at least once when one dies:
every handler re-checks what it acts on (is the customer still away? is the
chat still live?), which makes a second run do nothing.

Times are the real time in UTC, not the hub's clock: a deadline measures a wait
in seconds, and a clock fixed for a demo or a test must not stop it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import upserts
from bot.db.models import Deadline, utc


def real_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Claimed:
    """A deadline this hub now runs; `until` identifies the claim (a deadline
    scheduled again meanwhile is a new one, which finishing leaves alone)."""

    id: int
    kind: str
    subject: str
    until: datetime


async def schedule(session: AsyncSession, kind: str, subject: str, due: datetime) -> None:
    """The subject's deadline is now `due`, unclaimed, whatever it was before."""
    values = {"due_at": utc(due), "claimed_by": None, "claimed_until": None}
    statement = upserts.insert(session, Deadline).values(kind=kind, subject=subject, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["kind", "subject"], set_=values))


async def ensure(session: AsyncSession, kind: str, subject: str, due: datetime) -> None:
    """A deadline at `due` unless the subject has one already (which stays as it is)."""
    statement = upserts.insert(session, Deadline).values(kind=kind, subject=subject, due_at=utc(due))
    await session.execute(statement.on_conflict_do_nothing(index_elements=["kind", "subject"]))


async def bring_forward(session: AsyncSession, kind: str, subject: str, due: datetime) -> None:
    """The subject's deadline at `due` at the latest (made if missing); a claim stays."""
    await ensure(session, kind, subject, due)
    await session.execute(
        update(Deadline)
        .where(Deadline.kind == kind, Deadline.subject == subject, Deadline.due_at > utc(due))
        .values(due_at=utc(due))
    )


async def cancel(session: AsyncSession, kind: str, subject: str) -> None:
    await session.execute(delete(Deadline).where(Deadline.kind == kind, Deadline.subject == subject))


def _claimable(now: datetime) -> Any:
    return and_(
        Deadline.due_at <= utc(now),
        or_(Deadline.claimed_until.is_(None), Deadline.claimed_until <= utc(now)),
    )


async def claim_due(
    session: AsyncSession, hub_id: str, now: datetime, lease_seconds: float, limit: int = 50
) -> List[Claimed]:
    """The due deadlines nobody holds, now held by `hub_id` for `lease_seconds`,
    in one statement. On PostgreSQL the rows another hub is claiming at this
    instant are skipped (FOR UPDATE SKIP LOCKED), and one it claimed just before
    no longer passes the re-checked condition; SQLite runs one writer at a time."""
    until = utc(now) + timedelta(seconds=lease_seconds)
    due = (
        select(Deadline.id)
        .where(_claimable(now))
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.execute(
        update(Deadline)
        .where(Deadline.id.in_(due.scalar_subquery()), _claimable(now))
        .values(claimed_by=hub_id, claimed_until=until)
        .returning(Deadline.id, Deadline.kind, Deadline.subject)
        .execution_options(synchronize_session=False)
    )
    return [Claimed(row.id, row.kind, row.subject, until) for row in rows.all()]


def _still(claimed: Claimed, hub_id: str) -> Any:
    return and_(Deadline.id == claimed.id, Deadline.claimed_by == hub_id, Deadline.claimed_until == claimed.until)


async def finish(session: AsyncSession, claimed: Claimed, hub_id: str) -> None:
    """The work is done: the deadline goes, unless it was scheduled again meanwhile."""
    await session.execute(delete(Deadline).where(_still(claimed, hub_id)))


async def again_at(session: AsyncSession, claimed: Claimed, hub_id: str, due: datetime) -> None:
    """A periodic job ran: its next run is at `due`, for any hub to claim."""
    await session.execute(
        update(Deadline)
        .where(_still(claimed, hub_id))
        .values(due_at=utc(due), claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


async def next_due(session: AsyncSession) -> Optional[datetime]:
    """When the next deadline falls due, or a claimed one's lease ends (None: there is none)."""
    found = (await session.execute(select(func.min(func.coalesce(Deadline.claimed_until, Deadline.due_at))))).scalar()
    return utc(found) if found is not None else None


async def release(session: AsyncSession, hub_id: Optional[str]) -> None:
    """Gives back the claims of a hub (None: every hub's) that will not finish them:
    it is stopping, or starting again under the same id after dying mid-way."""
    held = Deadline.claimed_by.is_not(None) if hub_id is None else Deadline.claimed_by == hub_id
    await session.execute(
        update(Deadline)
        .where(held)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
