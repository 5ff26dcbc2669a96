"""The async engine and session factory for DATABASE_URL (SQLite or PostgreSQL).

The factory carries the process's clock (common/clock.py): every row gets its
created_at (and updated_at, when it changes) from it at flush time, so the
record and the decisions read the same "now" (a fixed one in tests and demos)."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from bot.db.models import utc
from common.clock import Clock

# SQLite in WAL mode with synchronous=NORMAL: a commit appends to the log
# without waiting for the disk. With SQLite's defaults (a rollback journal, an
# fsync per commit) the fsyncs of a message's two commits were most of the time
# the hub spent on it (py-spy, bench/README.md). A crash of the hub loses
# nothing committed; only the operating system failing can lose the last
# commits. Readers no longer block the writer either. The same settings
# Rails 8 ships for SQLite in production.
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(database_url: str) -> AsyncEngine:
    if make_url(database_url).get_backend_name() == "sqlite":
        # A local file: no connection to go stale, so no ping before each use.
        engine = create_async_engine(database_url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(database_url, pool_pre_ping=True)


def make_sessions(engine: AsyncEngine, clock: Optional[Clock] = None) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after commit, no lazy loads under asyncio.
    return async_sessionmaker(engine, expire_on_commit=False, info={"clock": clock or Clock()})


def session_clock(session: Any) -> Clock:
    """The clock of a session made by make_sessions (AsyncSession or its Session)."""
    info = session.info if hasattr(session, "info") else {}
    return info.get("clock") or Clock()


# When a row came to be (a conversation: when it started), and when it last changed.
STAMPED_ON_INSERT = ("created_at", "started_at", "updated_at")


@event.listens_for(Session, "before_flush")
def _timestamps(session: Session, context: Any, instances: Any) -> None:
    moment = utc(session_clock(session).now())
    for row in session.new:
        for column in STAMPED_ON_INSERT:
            if hasattr(row, column) and getattr(row, column) is None:
                setattr(row, column, moment)
    for row in session.dirty:
        if hasattr(row, "updated_at") and session.is_modified(row, include_collections=False):
            row.updated_at = moment
