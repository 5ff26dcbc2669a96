"""The hub's schema and queries, on SQLite and on a real PostgreSQL server.

PostgreSQL: 127.0.0.1:5432 (override with CAROLINA_TEST_POSTGRES, a server URL
without database). Each run creates and drops its own database. Without a
server the PostgreSQL cases are skipped, except under CI=true, where a missing
server fails.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.session import make_engine, make_sessions
from bot.domain.identity import Identity


def test_migrations_create_the_design_tables(database_url):
    upgrade(database_url)
    upgrade(database_url)  # idempotent: a second start changes nothing

    async def tables():
        engine = make_engine(database_url)
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names

    assert {"contacts", "conversations", "messages", "handoffs", "tickets", "agents"} <= asyncio.run(tables())


def test_the_migrations_build_exactly_the_models_schema(database_url):
    """bot/db/models.py (typed, SQLAlchemy 2) and the Alembic migrations agree:
    autogenerate finds nothing to change, column by column, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.models import metadata

    upgrade(database_url, from_models=False)

    async def differences():
        engine = make_engine(database_url)
        async with engine.connect() as connection:
            found = await connection.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
        await engine.dispose()
        return found

    assert asyncio.run(differences()) == []


def test_transcript_order_duplicates_and_contacts(database_url):
    upgrade(database_url)

    async def scenario():
        engine = make_engine(database_url)
        sessions = make_sessions(engine)
        async with sessions.begin() as session:
            contact = await queries.upsert_contact(session, Identity("c-1", name="Ana", company="ACME"))
            again = await queries.upsert_contact(session, Identity("c-1", name="Ana Maria", company="ACME"))
            assert again.id == contact.id and again.name == "Ana Maria"
            conversation = await queries.create_conversation(session, contact.id, "pt")
            first = await queries.add_message(session, conversation.id, "customer", "oi <b>", None, "m-1")
            await queries.add_message(session, conversation.id, "bot", "Olá!", {"buttons": [{"title": "a"}]})
            await queries.add_message(session, conversation.id, "customer", "tchau", None, "m-2")
            await queries.record_understanding(session, first.id, "greet", 0.98, "pt")
        async with sessions() as session:
            found = await queries.find_customer_message(session, conversation.id, "m-1")
            replies = await queries.replies_after(session, found)
            messages = await queries.transcript(session, conversation.id)
        await engine.dispose()
        return found, replies, messages

    found, replies, messages = asyncio.run(scenario())
    assert found.intent == "greet" and found.text == "oi <b>"
    assert [m.text for m in replies] == ["Olá!"]
    assert [m.sender for m in messages] == ["customer", "bot", "customer"]
    assert messages[1].payload == {"buttons": [{"title": "a"}]}


def test_the_record_reads_the_injected_clock(database_url):
    """Rows get their times from the clock the session factory carries (a fixed one
    here), not from a second clock of their own, and the clock reads no environment per call."""
    from datetime import datetime, timezone

    from bot.db.models import Conversation
    from common.clock import Clock

    upgrade(database_url)
    moment = datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc)

    async def scenario():
        engine = make_engine(database_url)
        sessions = make_sessions(engine, Clock(moment))
        async with sessions.begin() as session:
            conversation = await queries.create_conversation(session, None, "pt")
            message = await queries.add_message(session, conversation.id, "customer", "oi")
        async with sessions() as session:
            stored = await session.get_one(Conversation, conversation.id)
            found = (await queries.transcript(session, conversation.id))[0]
        await engine.dispose()
        return stored.started_at, found.created_at, message.id

    started, said, _ = asyncio.run(scenario())
    assert started.replace(tzinfo=timezone.utc) == moment and said.replace(tzinfo=timezone.utc) == moment


def test_the_sqlite_record_commits_without_an_fsync_each_time(tmp_path):
    """WAL with synchronous=NORMAL (bot/db/session.py): the rollback journal's fsyncs
    were most of a message's time in the hub (two commits a message)."""

    async def pragmas():
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
        try:
            async with engine.connect() as connection:
                mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
                synchronous = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
                return mode, synchronous
        finally:
            await engine.dispose()

    assert asyncio.run(pragmas()) == ("wal", 1)  # 1: NORMAL


def test_a_new_sqlite_file_gets_the_models_schema_at_head_and_stays_there(tmp_path):
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from bot.db.migrate import alembic_config

    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    upgrade(url)  # a second start: nothing to do
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [head]
        assert "deadlines" in inspect(connection).get_table_names()
    engine.dispose()
