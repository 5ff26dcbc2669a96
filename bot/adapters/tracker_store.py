"""Rasa's SQL tracker store, read and pruned by the hub (retention and
data-subject requests): the `events` table of Rasa's SQLTrackerStore, one row
per event, `sender_id` being the conversation id the hub gave Rasa.

SQLAlchemy Core on the same URL Rasa uses (CAROLINA_TRACKER_STORE_URL, in
SQLAlchemy's form; a plain sqlite:// or postgresql:// URL gets the async
driver). The hub never creates the store: a SQLite file or an `events` table
that does not exist means Rasa has stored nothing yet, so there is nothing to
read or delete."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterable, List, Optional, Sequence

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py), column for column.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
# Ids per IN (...): well under SQLite's and asyncpg's limits on bound parameters.
CHUNK = 500
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    """The URL with an async driver (Rasa's own configuration names none)."""
    scheme, sep, rest = url.partition("://")
    return DRIVERS.get(scheme, scheme) + sep + rest


def chunks(values: Iterable[str]) -> Iterable[List[str]]:
    batch: List[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class TrackerStore:
    """The events table of one tracker store (see `open_store`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def events_of(self, senders: Sequence[str]) -> List[Dict[str, Any]]:
        """Every event of these conversations, in the order Rasa stored them;
        `data` as the JSON Rasa wrote (or the raw text if it is not JSON)."""
        found: List[Dict[str, Any]] = []
        async with self.engine.connect() as connection:
            for batch in chunks(dict.fromkeys(senders)):
                rows = await connection.execute(select(EVENTS).where(EVENTS.c.sender_id.in_(batch)))
                found.extend(dict(row._mapping) for row in rows)
        found.sort(key=lambda event: event["id"])
        for event in found:
            try:
                event["data"] = json.loads(event["data"]) if event["data"] else None
            except ValueError:
                pass
        return found

    async def count_events_of(self, senders: Sequence[str]) -> int:
        total = 0
        async with self.engine.connect() as connection:
            for batch in chunks(dict.fromkeys(senders)):
                query = select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id.in_(batch))
                total += (await connection.execute(query)).scalar_one()
        return total

    async def delete_events_of(self, senders: Sequence[str]) -> int:
        """How many events went."""
        deleted = 0
        async with self.engine.begin() as connection:
            for batch in chunks(dict.fromkeys(senders)):
                result = await connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(batch)))
                deleted += max(getattr(result, "rowcount", 0) or 0, 0)
        return deleted

    async def senders_idle_since(self, before: float) -> List[str]:
        """The senders whose last event is older than `before` (seconds since the epoch, as Rasa stores it)."""
        query = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(func.max(EVENTS.c.timestamp) < before)
        async with self.engine.connect() as connection:
            return list((await connection.execute(query)).scalars())


def missing_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return False
    database = parsed.database or ""
    return database not in ("", ":memory:") and not Path(database).exists()


@asynccontextmanager
async def open_store(url: Optional[str]) -> AsyncIterator[Optional[TrackerStore]]:
    """The tracker store at `url`, or None when there is none to read: no URL,
    no SQLite file (connecting would create it), or no events table yet."""
    if not url:
        yield None
        return
    url = async_url(url)
    if missing_sqlite_file(url):
        yield None
        return
    engine = create_async_engine(url, pool_pre_ping=True)
    try:
        async with engine.connect() as connection:
            present = await connection.run_sync(lambda sync: inspect(sync).has_table(EVENTS.name))
        yield TrackerStore(engine) if present else None
    finally:
        await engine.dispose()
