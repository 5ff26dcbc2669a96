"""Issue 18, retention: what outlived its period (CAROLINA_RETENTION_*_DAYS) is
purged from the hub's database, Rasa's tracker store and the e-mail outbox;
what a kept ticket holds on to stays; a dry run changes nothing and counts the
same; the hub runs the purge itself and logs counts only.

On SQLite and a real PostgreSQL (the `database_url` fixture), with a real
tracker store: Rasa's `events` table, built here column for column like Rasa
3.6's SQLTrackerStore (the hub's environment has no Rasa), in a SQLite file or
in the PostgreSQL database. Old records are made by sessions whose injected
clock stands that many days before NOW."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.models import (
    AuditEntry,
    Contact,
    Conversation,
    Deflection,
    Handoff,
    Message,
    OutgoingMail,
    ReportEvent,
    Ticket,
    TicketUpdate,
    metadata,
)
from bot.db.session import make_engine, make_sessions
from bot.domain import audit, report_events, retention
from bot.domain.identity import Identity
from bot.settings import Settings
from common.clock import Clock

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)
YEAR = 365
# Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py), written out here, not imported from the hub.
RASA_EVENTS = Table(
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


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@dataclass
class World:
    """A hub database, a tracker store and an outbox, and what was put in them."""

    settings: Settings
    engine: AsyncEngine
    tracker: AsyncEngine
    outbox: Path
    numbers: List[int] = field(default_factory=lambda: [0])

    @classmethod
    async def make(cls, database_url: str, tmp_path: Path) -> World:
        tracker_url = database_url if database_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path}/t.db"
        settings = replace(
            Settings(),
            database_url=database_url,
            tracker_store_url=tracker_url,
            outbox_dir=str(tmp_path / "outbox"),
            clock=Clock(NOW),
        )
        world = cls(settings, make_engine(database_url), make_engine(tracker_url), tmp_path / "outbox")
        async with world.tracker.begin() as connection:
            await connection.run_sync(RASA_EVENTS.metadata.create_all)
        world.outbox.mkdir()
        return world

    async def close(self) -> None:
        await self.engine.dispose()
        await self.tracker.dispose()

    def sessions(self, days_ago: float = 0):
        """Sessions whose clock stands `days_ago` days before NOW: what they store is that old."""
        return make_sessions(self.engine, Clock(ago(days_ago)))

    async def contact(self, identity: Identity, days_ago: float = 0) -> int:
        async with self.sessions(days_ago).begin() as session:
            return (await queries.upsert_contact(session, identity)).id

    async def conversation(self, contact_id: Optional[int], days_ago: float, *texts: str) -> str:
        """A conversation that started and ended `days_ago` days ago: the customer's texts, each answered."""
        async with self.sessions(days_ago).begin() as session:
            conversation = await queries.create_conversation(session, contact_id, "pt")
            for text in texts:
                await queries.add_message(session, conversation.id, "customer", text)
                await queries.add_message(session, conversation.id, "bot", "Entendi, vou ajudar.")
            return conversation.id

    async def ticket(
        self, contact_id: int, conversation_id: str, days_ago: float, summary: str, parent: Optional[int] = None
    ) -> Ticket:
        self.numbers[0] += 1
        sequence, year = self.numbers[0], ago(days_ago).year
        async with self.sessions(days_ago).begin() as session:
            said = await queries.transcript(session, conversation_id)
            contact = await session.get_one(Contact, contact_id)
            ticket = Ticket(
                number=f"{year}-{sequence:06d}",
                year=year,
                sequence=sequence,
                contact_id=contact_id,
                company=contact.company,
                company_code=contact.company_code,
                conversation_id=conversation_id,
                parent_id=parent,
                queue="technical_support",
                category="bug",
                summary=summary,
                fields={"summary": summary, "description": f"{summary}, desde ontem"},
                impact="high",
                urgency="medium",
                criticality="high",
                status="closed",
                language="pt",
                transcript=[{"sender": m.sender, "text": m.text} for m in said],
            )
            session.add(ticket)
            await session.flush()
            return ticket

    async def update(self, ticket_id: int, conversation_id: str, days_ago: float, description: str) -> None:
        async with self.sessions(days_ago).begin() as session:
            said = await queries.transcript(session, conversation_id)
            session.add(
                TicketUpdate(
                    ticket_id=ticket_id,
                    conversation_id=conversation_id,
                    fields={"description": description},
                    transcript=[{"sender": m.sender, "text": m.text} for m in said],
                )
            )

    async def handoff(
        self, conversation_id: str, days_ago: float, reason: str, ticket_id: Optional[int] = None
    ) -> None:
        async with self.sessions(days_ago).begin() as session:
            session.add(
                Handoff(
                    conversation_id=conversation_id,
                    queue="technical_support",
                    reason=reason,
                    fields={"description": reason},
                    status="closed",
                    ticket_id=ticket_id,
                )
            )

    async def question(self, conversation_id: str, days_ago: float, text: str) -> None:
        """What the reports keep of a question Carolina could not answer (bot/domain/report_events.py)."""
        async with self.sessions(days_ago).begin() as session:
            await report_events.record(session, "no_answer", conversation_id=conversation_id, language="pt", text=text)

    async def deflection(self, conversation_id: str, days_ago: float) -> None:
        async with self.sessions(days_ago).begin() as session:
            session.add(Deflection(conversation_id=conversation_id, article_id="forgot_password"))

    async def mail(self, recipient: str, days_ago: float, subject: str, ticket_id: Optional[int] = None) -> Path:
        """An e-mail sent `days_ago` days ago, written to the outbox (its file's path)."""
        raw = (
            f"To: {recipient}\nSubject: {subject}\nMessage-ID: <m{len(list(self.outbox.iterdir()))}@hub>\n\n{subject}\n"
        )
        path = self.outbox / f"mail-{len(list(self.outbox.iterdir()))}.eml"
        path.write_text(raw)
        async with self.sessions(days_ago).begin() as session:
            session.add(
                OutgoingMail(
                    recipient=recipient,
                    subject=subject,
                    raw=raw,
                    ticket_id=ticket_id,
                    attempts=1,
                    next_attempt_at=ago(days_ago),
                    sent_at=ago(days_ago),
                    delivered_to=str(path),
                )
            )
        return path

    async def events(self, sender_id: str, days_ago: float, *texts: str) -> None:
        """Rasa's events of a conversation, the last one `days_ago` days ago (metadata as the hub sends it)."""
        moment = ago(days_ago).timestamp()
        rows: List[Dict[str, Any]] = []
        for text in texts:
            metadata = {"contact_id": "portal-id", "hub_token": "the-conversation-key", "language": "pt"}
            data = {"event": "user", "timestamp": moment, "text": text, "metadata": metadata}
            rows.append(dict(sender_id=sender_id, type_name="user", timestamp=moment, intent_name="inform", data=data))
            bot = {"event": "bot", "timestamp": moment, "text": "Entendi, vou ajudar."}
            rows.append(dict(sender_id=sender_id, type_name="bot", timestamp=moment, intent_name=None, data=bot))
        async with self.tracker.begin() as connection:
            for row in rows:
                await connection.execute(insert(RASA_EVENTS).values(**{**row, "data": json.dumps(row["data"])}))

    async def audit_entry(self, days_ago: float, target: str = "-", **detail: Any) -> None:
        async with self.sessions(days_ago).begin() as session:
            await audit.record(session, "agent_transcripts", target, agent_id=None, detail=detail or None)

    async def senders(self) -> Dict[str, int]:
        async with self.tracker.connect() as connection:
            rows = await connection.execute(
                select(RASA_EVENTS.c.sender_id, func.count()).group_by(RASA_EVENTS.c.sender_id)
            )
            return {row[0]: row[1] for row in rows}

    async def snapshot(self) -> Dict[str, Any]:
        """Every row of every table, every tracker event and every outbox file."""
        found: Dict[str, Any] = {}
        async with self.engine.connect() as connection:
            for table in metadata.sorted_tables:
                rows = await connection.execute(select(table).order_by(*table.primary_key.columns))
                found[table.name] = [tuple(row) for row in rows]
        async with self.tracker.connect() as connection:
            found["tracker"] = [tuple(row) for row in await connection.execute(select(RASA_EVENTS))]
        found["outbox"] = sorted(path.name for path in self.outbox.iterdir())
        return found


@dataclass
class Seeded:
    ids: Dict[str, Any]
    files: Dict[str, Path]


async def seed(world: World) -> Seeded:
    """Who is kept and who goes under the default periods (180 days, 730, 5 years, 30)."""
    ana = await world.contact(Identity("portal-ana", "Ana Antiga", "ana@example.com", "Acme", "ACME", "pt"), 200)
    bruno = await world.contact(Identity("portal-bruno", "Bruno Bilhete", "bruno@example.com", "Beta", "BETA"), 400)
    carla = await world.contact(Identity("portal-carla", "Carla Cedo", "carla@example.com", "Cia", "CIA", "pt"), 800)
    dora = await world.contact(Identity("portal-dora", "Dora Dupla", "dora@example.com", "Dom", "DOM", "pt"), 900)
    ids: Dict[str, Any] = {}
    # Ana: an old conversation without a ticket (goes) and a recent one (stays, and so does she).
    ids["old"] = await world.conversation(ana, 200, "a nota fiscal não sai", "obrigada")
    await world.handoff(ids["old"], 200, "quero falar com alguém")
    await world.deflection(ids["old"], 200)
    await world.events(ids["old"], 200, "a nota fiscal não sai", "obrigada")
    await world.question(ids["old"], 200, "a nota fiscal não sai")
    ids["recent"] = await world.conversation(ana, 10, "voltei")
    await world.events(ids["recent"], 10, "voltei")
    await world.question(ids["recent"], 10, "voltei")
    # Bruno: a ticket a year old holds its conversation (older than 180 days) and its events.
    ids["ticketed"] = await world.conversation(bruno, 400, "o estoque trava")
    ids["kept_ticket"] = (await world.ticket(bruno, ids["ticketed"], 400, "estoque trava")).number
    await world.events(ids["ticketed"], 400, "o estoque trava")
    # Carla: a ticket last updated 800 days ago goes, with everything about it, and so does she.
    ids["expired"] = await world.conversation(carla, 800, "o boleto sai errado")
    expired = await world.ticket(carla, ids["expired"], 800, "boleto errado")
    ids["expired_ticket"] = expired.number
    await world.update(expired.id, ids["expired"], 800, "também no segundo boleto")
    await world.handoff(ids["expired"], 800, "urgente", ticket_id=expired.id)
    await world.events(ids["expired"], 800, "o boleto sai errado")
    async with world.sessions(800).begin() as session:
        session.add(
            OutgoingMail(
                recipient="carla@example.com",
                subject=f"Chamado {expired.number}",
                raw="To: carla@example.com\n\nboleto errado\n",
                ticket_id=expired.id,
                next_attempt_at=ago(800),
                sent_at=ago(800),
                delivered_to="smtp",
            )
        )
    # Dora: a ticket 900 days old stays while its follow-up (100 days) stays.
    ids["parent_conversation"] = await world.conversation(dora, 900, "a folha não fecha")
    parent = await world.ticket(dora, ids["parent_conversation"], 900, "folha não fecha")
    ids["parent_ticket"] = parent.number
    ids["follow_up_conversation"] = await world.conversation(dora, 100, "a folha voltou a falhar")
    child = await world.ticket(dora, ids["follow_up_conversation"], 100, "folha não fecha", parent=parent.id)
    ids["follow_up_ticket"] = child.number
    # Senders Rasa knows and the hub does not (Rasa's rest channel): an idle one goes, a recent one stays.
    await world.events("rest-idle-sender", 200, "oi pelo canal rest")
    await world.events("rest-recent-sender", 5, "oi de novo pelo rest")
    # The audit log: six years old goes, four years old stays.
    await world.audit_entry(6 * YEAR, "six-years")
    await world.audit_entry(4 * YEAR, "four-years")
    files = {
        "old_mail": await world.mail("ana@example.com", 40, "Seu chamado antigo"),
        "recent_mail": await world.mail("ana@example.com", 5, "Seu chamado novo"),
        "stray": world.outbox / "stray.eml",
    }
    # A file whose row is gone (an older hub wrote it): as old as its modification time says.
    files["stray"].write_text("To: someone@example.com\n\nold\n")
    os.utime(files["stray"], (ago(60).timestamp(), ago(60).timestamp()))
    return Seeded(ids, files)


EXPECTED = {
    "conversations": 2,  # Ana's old one, Carla's
    "messages": 6,  # 2 x 2 + 1 x 2
    "handoffs": 2,  # Ana's, Carla's (that became her ticket)
    "deflections": 1,
    "tickets": 1,  # Carla's
    "ticket_updates": 1,
    "ticket_messages": 0,
    "attachments": 0,
    "contacts": 1,  # Carla
    "outgoing_mail": 2,  # Ana's 40-day-old one, Carla's ticket's
    "audit_log": 1,
    "tracker_events": 4 + 2 + 2,  # Ana's old conversation, Carla's, the idle rest sender
    "outbox_files": 2,  # the old mail's, the stray one
    "attachment_files": 0,
}


def run(database_url: str, tmp_path: Path, scenario) -> Any:
    upgrade(database_url)

    async def with_world() -> Any:
        world = await World.make(database_url, tmp_path)
        try:
            return await scenario(world)
        finally:
            await world.close()

    return asyncio.run(with_world())


def test_the_purge_removes_what_outlived_its_period_and_a_dry_run_counts_the_same(database_url, tmp_path):
    async def scenario(world: World) -> None:
        seeded = await seed(world)
        ids = seeded.ids
        before = await world.snapshot()

        dry = await retention.purge(world.sessions(), world.settings, dry_run=True)
        assert dry.counts == EXPECTED
        assert await world.snapshot() == before, "a dry run changed something"

        done = await retention.purge(world.sessions(), world.settings)
        assert done.counts == EXPECTED
        async with world.sessions()() as session:
            conversations = set((await session.execute(select(Conversation.id))).scalars())
            numbers = set((await session.execute(select(Ticket.number))).scalars())
            contacts = set((await session.execute(select(Contact.external_id))).scalars())
            recipients = list((await session.execute(select(OutgoingMail.subject))).scalars())
            left = {
                model.__tablename__: set((await session.execute(select(model.conversation_id))).scalars())
                for model in (Message, Handoff, Deflection)
            }
            updates = (await session.execute(select(func.count(TicketUpdate.id)))).scalar_one()
            entries = list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
        kept = {"recent", "ticketed", "parent_conversation", "follow_up_conversation"}
        assert conversations == {ids[name] for name in kept}
        assert left["messages"] == conversations and left["handoffs"] == set() and left["deflections"] == set()
        assert numbers == {ids["kept_ticket"], ids["parent_ticket"], ids["follow_up_ticket"]}
        assert updates == 0
        assert contacts == {"portal-ana", "portal-bruno", "portal-dora"}
        assert recipients == ["Seu chamado novo"]
        assert set(await world.senders()) == {ids["recent"], ids["ticketed"], "rest-recent-sender"}
        assert sorted(path.name for path in world.outbox.iterdir()) == [seeded.files["recent_mail"].name]
        # The old entry went; the purge itself is recorded, with its counts and no names.
        assert [e.target for e in entries[:-1]] == ["four-years"]
        purge = entries[-1]
        assert (purge.actor, purge.action, purge.target) == ("system", "retention_purge", "-")
        assert purge.detail == {"by": "retention job", "counts": EXPECTED}

        # The reports keep counting the old question, without its conversation or its words.
        async with world.sessions()() as session:
            events = await session.execute(select(ReportEvent).order_by(ReportEvent.id))
            questions = [(e.conversation_id, e.text) for e in events.scalars()]
        assert questions == [(None, None), (ids["recent"], "voltei")]

        again = await retention.purge(world.sessions(), world.settings)
        assert again.total == 0

    run(database_url, tmp_path, scenario)


def test_a_ticket_keeps_its_conversation_until_the_ticket_period_ends(database_url, tmp_path):
    """Bruno's ticket (400 days) keeps his conversation; 331 days later (730 after the
    ticket's last update) both go, with his events and, having nothing left, Bruno."""

    async def scenario(world: World) -> None:
        bruno = await world.contact(Identity("portal-bruno", "Bruno Bilhete", "bruno@example.com"), 400)
        conversation = await world.conversation(bruno, 400, "o estoque trava")
        await world.ticket(bruno, conversation, 400, "estoque trava")
        await world.events(conversation, 400, "o estoque trava")
        kept = await retention.purge(world.sessions(), world.settings)
        assert kept.total == 0
        later = make_sessions(world.engine, Clock(NOW + timedelta(days=331)))
        gone = await retention.purge(later, world.settings)
        counts = {table: n for table, n in gone.counts.items() if n}
        assert counts == {
            "conversations": 1,
            "messages": 2,
            "tickets": 1,
            "contacts": 1,
            "tracker_events": 2,
        }
        assert await world.senders() == {}

    run(database_url, tmp_path, scenario)


def test_the_periods_come_from_the_environment():
    # (The actions token given: without it from_env makes one under var/.)
    defaults = Settings.from_env({"CAROLINA_ACTIONS_TOKEN": "t"})
    assert (
        defaults.retention_conversation_days,
        defaults.retention_ticket_days,
        defaults.retention_audit_days,
        defaults.retention_mail_days,
        defaults.retention_check_hours,
    ) == (180, 730, 1825, 30, 24.0)
    assert defaults.tracker_store_url.startswith("sqlite+aiosqlite:///")
    assert defaults.tracker_store_url.endswith("/var/rasa_tracker.db")
    chosen = Settings.from_env(
        {
            "CAROLINA_ACTIONS_TOKEN": "t",
            "CAROLINA_RETENTION_CONVERSATION_DAYS": "90",
            "CAROLINA_RETENTION_TICKET_DAYS": "365",
            "CAROLINA_RETENTION_AUDIT_DAYS": "3650",
            "CAROLINA_RETENTION_MAIL_DAYS": "7",
            "CAROLINA_RETENTION_CHECK_HOURS": "0",
            "CAROLINA_TRACKER_STORE_URL": "",
        }
    )
    assert (chosen.retention_conversation_days, chosen.retention_ticket_days, chosen.retention_audit_days) == (
        90,
        365,
        3650,
    )
    assert (chosen.retention_mail_days, chosen.retention_check_hours, chosen.tracker_store_url) == (7, 0.0, "")


def test_shorter_periods_purge_more(tmp_path):
    """A 5-day conversation period takes Ana's 10-day-old conversation and her with it."""

    async def scenario(world: World) -> None:
        ana = await world.contact(Identity("portal-ana", "Ana", "ana@example.com"), 10)
        await world.conversation(ana, 10, "voltei")
        assert (await retention.purge(world.sessions(), world.settings)).total == 0
        world.settings = replace(world.settings, retention_conversation_days=5)
        done = await retention.purge(world.sessions(), world.settings)
        assert (done.counts["conversations"], done.counts["messages"], done.counts["contacts"]) == (1, 2, 1)

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)


def test_a_period_under_a_day_is_refused_and_purges_nothing(tmp_path):
    """CAROLINA_RETENTION_CONVERSATION_DAYS=0 by mistake must not empty the hub."""

    async def scenario(world: World) -> None:
        await world.conversation(None, 0, "oi")
        world.settings = replace(world.settings, retention_conversation_days=0)
        before = await world.snapshot()
        with pytest.raises(retention.PeriodError, match="CAROLINA_RETENTION_CONVERSATION_DAYS"):
            await retention.purge(world.sessions(), world.settings)
        assert await world.snapshot() == before

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)


def test_no_tracker_store_means_nothing_to_purge_there_and_nothing_is_created(tmp_path):
    from bot.adapters.tracker_store import async_url, open_store

    missing = tmp_path / "var" / "rasa_tracker.db"

    async def scenario() -> None:
        async with open_store(f"sqlite:///{missing}") as store:
            assert store is None
        assert not missing.exists() and not missing.parent.exists()
        async with open_store("") as store:
            assert store is None
        empty = tmp_path / "empty.db"
        engine = make_engine(f"sqlite+aiosqlite:///{empty}")
        async with engine.begin() as connection:
            await connection.run_sync(MetaData().create_all)
            await connection.exec_driver_sql("CREATE TABLE other (id INTEGER)")
        await engine.dispose()
        async with open_store(f"sqlite:///{empty}") as store:
            assert store is None  # Rasa never stored an event there

    asyncio.run(scenario())
    assert async_url("postgresql://rasa@db/rasa") == "postgresql+asyncpg://rasa@db/rasa"
    assert async_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"

    # The hub's own database, with the tracker store missing: the purge still runs.
    async def purge_without_tracker(world: World) -> None:
        world.settings = replace(world.settings, tracker_store_url=f"sqlite:///{missing}")
        await world.conversation(None, 200, "anônimo")
        done = await retention.purge(world.sessions(), world.settings)
        assert (done.counts["conversations"], done.counts["tracker_events"]) == (1, 0)
        assert not missing.exists()

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, purge_without_tracker)


def test_the_job_logs_counts_and_nothing_personal(tmp_path, caplog):
    from bot.realtime import retention_job

    async def scenario(world: World) -> None:
        seeded = await seed(world)
        with caplog.at_level(logging.INFO, logger="bot"):
            await retention_job.run_once(world.sessions(), world.settings)
        lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
        assert any("conversations 2" in line and "tracker_events 8" in line for line in lines), lines
        text = "\n".join(lines)
        personal = ["ana@example.com", "Carla", "boleto", "portal-carla", *map(str, seeded.ids.values())]
        assert not [p for p in personal if p in text], text

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)


def test_the_hub_purges_when_it_starts(tmp_path):
    """The job runs as the hub starts (cleanup_ctx): an old conversation is gone without anyone asking."""
    from aiohttp.test_utils import TestServer

    from bot.app import create_app

    async def scenario(world: World) -> None:
        old = await world.conversation(None, 200, "anônimo")
        await world.events(old, 200, "anônimo")
        server = TestServer(create_app(replace(world.settings, check_replies=True)))
        await server.start_server()
        try:
            # Waits for the rows to go (the tracker's after the database's commit), at most 10 s.
            for _ in range(200):
                async with world.sessions()() as session:
                    if await session.get(Conversation, old) is None and not await world.senders():
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the hub did not purge the old conversation and its events")
        finally:
            await server.close()

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)
