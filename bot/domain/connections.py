"""Who is connected, across hubs: a row per open socket (connections), written
when it connects, deleted when it goes, and refreshed by its hub every
HEARTBEAT_SECONDS in one update. A row older than EXPIRES_SECONDS belongs to a
hub that died without saying goodbye; it no longer counts, and the presence
sweep deletes it. Times are the real time in UTC (like the deadlines')."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, List, Optional, Set, Tuple

from sqlalchemy import ColumnElement, delete, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import upserts
from bot.db.models import Connection, Conversation, utc

HEARTBEAT_SECONDS = 10.0
# Three missed heartbeats: a hub busy for a moment is not taken for dead.
EXPIRES_SECONDS = 3 * HEARTBEAT_SECONDS
CUSTOMER, AGENT = "customer", "agent"
# (kind, subject) of a socket.
Subject = Tuple[str, str]


def _fresh(now: datetime) -> ColumnElement[bool]:
    return Connection.seen_at > utc(now) - timedelta(seconds=EXPIRES_SECONDS)


async def connect(
    session: AsyncSession,
    sid: str,
    hub_id: str,
    kind: str,
    subject: str,
    now: datetime,
    agent_session: Optional[str] = None,
) -> None:
    """The socket is open on `hub_id`, `kind` `subject`'s. One upsert, a write first:
    SQLite may refuse a transaction that read before writing while another writes."""
    values = {"hub_id": hub_id, "kind": kind, "subject": subject, "agent_session": agent_session, "seen_at": utc(now)}
    statement = upserts.insert(session, Connection).values(sid=sid, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["sid"], set_=values))


async def disconnect(session: AsyncSession, sid: str) -> Optional[Subject]:
    """The socket is gone: whose it was (None: it had no row)."""
    gone = (
        await session.execute(
            delete(Connection).where(Connection.sid == sid).returning(Connection.kind, Connection.subject)
        )
    ).first()
    return (gone.kind, gone.subject) if gone is not None else None


async def heartbeat(session: AsyncSession, hub_id: str, now: datetime) -> None:
    """This hub is alive: its sockets' rows are fresh again."""
    await session.execute(
        update(Connection)
        .where(Connection.hub_id == hub_id)
        .values(seen_at=utc(now))
        .execution_options(synchronize_session=False)
    )


async def connected(session: AsyncSession, kind: str, subject: str, now: datetime) -> bool:
    found = await session.execute(
        select(Connection.sid).where(Connection.kind == kind, Connection.subject == subject, _fresh(now)).limit(1)
    )
    return found.first() is not None


async def present(session: AsyncSession, kind: str, subjects: Iterable[str], now: datetime) -> Set[str]:
    """Which of these subjects have a fresh socket."""
    wanted = list(set(subjects))
    if not wanted:
        return set()
    found = await session.execute(
        select(Connection.subject).where(Connection.kind == kind, Connection.subject.in_(wanted), _fresh(now))
    )
    return set(found.scalars())


async def sockets_of(
    session: AsyncSession, kind: str, subject: str, now: datetime, agent_session: Optional[str] = None
) -> List[str]:
    """The fresh sockets of a subject (and of one console session, if given), on every hub."""
    query = select(Connection.sid).where(Connection.kind == kind, Connection.subject == subject, _fresh(now))
    if agent_session is not None:
        query = query.where(Connection.agent_session == agent_session)
    return list((await session.execute(query)).scalars())


async def open_conversations(session: AsyncSession, contact_id: int, now: datetime) -> List[str]:
    """The contact's conversations with a widget open now, on any hub, oldest first."""
    found = await session.execute(
        select(Conversation.id)
        .join(Connection, Connection.subject == Conversation.id)
        .where(Connection.kind == CUSTOMER, Conversation.contact_id == contact_id, _fresh(now))
        .group_by(Conversation.id, Conversation.started_at)
        .order_by(Conversation.started_at)
    )
    return list(found.scalars())


async def sockets_of_session(session: AsyncSession, agent_session: str) -> List[str]:
    found = await session.execute(select(Connection.sid).where(Connection.agent_session == agent_session))
    return list(found.scalars())


async def agent_sockets(session: AsyncSession, now: datetime) -> List[Tuple[str, str]]:
    """Every fresh analyst socket with its console session: (sid, token hash)."""
    found = await session.execute(
        select(Connection.sid, Connection.agent_session).where(
            Connection.kind == AGENT, Connection.agent_session.is_not(None), _fresh(now)
        )
    )
    return [(sid, hashed) for sid, hashed in found.all() if hashed is not None]


async def _delete(session: AsyncSession, where: ColumnElement[bool]) -> Set[Subject]:
    gone = await session.execute(delete(Connection).where(where).returning(Connection.kind, Connection.subject))
    return {(row.kind, row.subject) for row in gone.all()}


async def sweep(session: AsyncSession, now: datetime) -> Set[Subject]:
    """Deletes the expired rows (dead hubs' sockets): whose they were."""
    return await _delete(session, ~_fresh(now))


async def forget_hub(session: AsyncSession, hub_id: Optional[str]) -> Set[Subject]:
    """Deletes a hub's rows (None: every hub's), at its start: none of those sockets is open any more."""
    return await _delete(session, Connection.hub_id == hub_id if hub_id is not None else true())
