"""Issue 18, data-subject requests: a person's data exported (all of it, and
nobody else's) and erased (nothing personal left anywhere: any table, Rasa's
events, the outbox; others untouched; ticket numbers kept; audited), through
the domain functions, the admins' API and `python -m bot privacy ...`.

The domain tests run on SQLite and a real PostgreSQL; the API in process on
SQLite (the audit trail's way); the command line as a real process on a SQLite
file. Records are made with the injected clock (tests/privacy/test_retention.py's World)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
from dataclasses import replace
from typing import Any, Dict

import pytest
from sqlalchemy import select

from bot.db import queries
from bot.db.models import AuditEntry, Contact, Conversation, Ticket
from bot.domain import data_subject
from bot.domain.errors import DomainError
from bot.domain.identity import Identity
from tests.conftest import ACTIONS_TOKEN, HUB_PYTHON, ROOT
from tests.privacy.test_retention import EXPECTED, NOW, World, run, seed

ANA = Identity("portal-ana", "Ana Apagada", "ana.apagada@example.com", "Apagada Ltda", "ACME", "pt")
BRUNO = Identity("portal-bruno", "Bruno Bilhete", "bruno.bilhete@example.com", "Acme Ltda", "ACME", "pt")
ANA_SAYS = ("minha nota 4711 não sai", "voltei com o pedido 4711")
BRUNO_SAYS = "o estoque do Bruno trava"
# Everything that would name Ana (her company's code stays: it names a company).
ANA_TRACES = (ANA.name, ANA.email, ANA.external_id, ANA.company, *ANA_SAYS, "quero falar com a Ana")


async def people(world: World) -> Dict[str, Any]:
    """Ana (two conversations, a ticket with an update, a survey, mails) and Bruno of the same company."""
    ana = await world.contact(ANA, 40)
    first = await world.conversation(ana, 30, ANA_SAYS[0])
    await world.handoff(first, 30, "quero falar com a Ana")
    await world.deflection(first, 30)
    async with world.sessions(30).begin() as session:
        found = await session.get_one(Conversation, first)
        found.satisfaction, found.resume_hash = 9, "f" * 64
    ticket = await world.ticket(ana, first, 30, "nota 4711 não sai")
    second = await world.conversation(ana, 5, ANA_SAYS[1])
    await world.update(ticket.id, second, 5, "o pedido 4711 também")
    await world.events(first, 30, ANA_SAYS[0])
    await world.events(second, 5, ANA_SAYS[1])
    await world.question(first, 30, ANA_SAYS[0])
    ana_mail = await world.mail(ANA.email, 5, f"Chamado {ticket.number}", ticket.id)
    # A copy in the outbox whose row is gone, addressed with her name and another case.
    stray = world.outbox / "stray.eml"
    stray.write_text(f"To: {ANA.name} <{ANA.email.upper()}>\nSubject: oi\n\n{ANA_SAYS[0]}\n")
    # An analyst searched the transcripts for her: the audit log quotes her.
    await world.audit_entry(3, query={"contact": ANA.email, "q": ANA.name})
    bruno = await world.contact(BRUNO, 40)
    third = await world.conversation(bruno, 20, BRUNO_SAYS)
    bruno_ticket = await world.ticket(bruno, third, 20, "estoque trava")
    await world.events(third, 20, BRUNO_SAYS)
    await world.question(third, 20, BRUNO_SAYS)
    bruno_mail = await world.mail(BRUNO.email, 5, f"Chamado {bruno_ticket.number}", bruno_ticket.id)
    return {
        "ana": ana,
        "conversations": [first, second],
        "ticket": ticket.number,
        "bruno_conversation": third,
        "bruno_ticket": bruno_ticket.number,
        "files": {"ana": ana_mail, "stray": stray, "bruno": bruno_mail},
    }


async def export_of(world: World, **wanted: str) -> Dict[str, Any]:
    _, data = await data_subject.exported(world.sessions(), world.settings, data_subject.Wanted.of(**wanted))
    return data


def dumped(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def test_an_export_holds_everything_about_the_person_and_nothing_about_anyone_else(database_url, tmp_path):
    async def scenario(world: World) -> None:
        made = await people(world)
        data = await export_of(world, email=ANA.email.upper())
        assert [c["email"] for c in data["contacts"]] == [ANA.email]
        assert data["contacts"][0]["name"] == ANA.name and data["contacts"][0]["external_id"] == ANA.external_id
        conversations = {c["id"]: c for c in data["conversations"]}
        assert list(conversations) == made["conversations"]
        first, second = (conversations[i] for i in made["conversations"])
        assert [m["text"] for m in first["messages"] if m["sender"] == "customer"] == [ANA_SAYS[0]]
        assert [m["text"] for m in second["messages"] if m["sender"] == "customer"] == [ANA_SAYS[1]]
        assert first["satisfaction"] == 9 and first["handoffs"][0]["reason"] == "quero falar com a Ana"
        assert [d["article_id"] for d in first["deflections"]] == ["forgot_password"]
        (ticket,) = data["tickets"]
        assert ticket["number"] == made["ticket"] and ticket["summary"] == "nota 4711 não sai"
        assert ANA_SAYS[0] in dumped(ticket["transcript"])
        assert [u["fields"] for u in ticket["updates"]] == [{"description": "o pedido 4711 também"}]
        assert [m["subject"] for m in data["outgoing_mail"]] == [f"Chamado {made['ticket']}"]
        events = data["tracker_events"]
        assert {e["sender_id"] for e in events} == set(made["conversations"]) and len(events) == 4
        assert {e["data"]["text"] for e in events if e["type_name"] == "user"} == set(ANA_SAYS)
        text = dumped(data)
        # The conversation key Rasa keeps in each event opens the hub's API: it stays home.
        assert "hub_token" not in text and "the-conversation-key" not in text
        for other in (BRUNO.name, BRUNO.email, BRUNO.external_id, BRUNO_SAYS, made["bruno_ticket"]):
            assert other not in text, other
        by_id = await export_of(world, contact_id=ANA.external_id)
        assert {**by_id, "generated_at": None} == {**data, "generated_at": None}
        assert data["generated_at"] == NOW.isoformat()

    run(database_url, tmp_path, scenario)


def test_nobody_known_is_404_and_the_person_is_named_one_way(tmp_path):
    async def scenario(world: World) -> None:
        await people(world)
        with pytest.raises(DomainError) as unknown:
            await export_of(world, email="nobody@example.com")
        assert (unknown.value.status, unknown.value.code) == (404, "no_person")
        for wrong in ({}, {"email": ANA.email, "contact_id": ANA.external_id}, {"email": "  "}):
            with pytest.raises(DomainError) as invalid:
                data_subject.Wanted.of(**wrong)
            assert invalid.value.status == 422

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)


def test_an_erasure_leaves_nothing_personal_and_others_untouched(database_url, tmp_path):
    async def scenario(world: World) -> None:
        made = await people(world)
        bruno_before = await export_of(world, email=BRUNO.email)
        before = await world.snapshot()
        wanted = data_subject.Wanted.of(email=ANA.email)

        _, planned = await data_subject.erase_person(world.sessions(), world.settings, wanted, dry_run=True)
        assert await world.snapshot() == before, "a dry run changed something"
        person, erased = await data_subject.erase_person(
            world.sessions(), world.settings, wanted, record_as="command line"
        )
        assert (
            erased
            == planned
            == {
                "contacts": 1,
                "conversations": 2,
                "messages": 4,
                "handoffs": 1,
                "tickets": 1,
                "ticket_updates": 1,
                "ticket_messages": 0,
                "attachments": 0,
                "outgoing_mail": 1,
                "audit_log": 1,
                "tracker_events": 4,
                "outbox_files": 2,
                "attachment_files": 0,
            }
        )

        # Nothing that names her, in any column of any table, in Rasa's events or in the outbox.
        after = await world.snapshot()
        everywhere = dumped(after) + "".join(p.read_text() for p in world.outbox.iterdir())
        left = [trace for trace in ANA_TRACES if trace.lower() in everywhere.lower()]
        assert not left, left
        assert after["outbox"] == [made["files"]["bruno"].name]
        assert set(await world.senders()) == {made["bruno_conversation"]}

        # Bruno's data is all there, as it was.
        bruno_after = await export_of(world, email=BRUNO.email)
        assert {**bruno_after, "generated_at": None} == {**bruno_before, "generated_at": None}

        async with world.sessions()() as session:
            tickets = {t.number: t for t in (await session.execute(select(Ticket))).scalars()}
            contact = await session.get_one(Contact, made["ana"])
            entries = list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
            conversations = [await session.get_one(Conversation, i) for i in made["conversations"]]
        # Her ticket keeps what support counts on, without what she said.
        ticket = tickets[made["ticket"]]
        assert (ticket.status, ticket.queue, ticket.category, ticket.criticality) == (
            "closed",
            "technical_support",
            "bug",
            "high",
        )
        assert (ticket.company_code, ticket.contact_id, ticket.summary) == ("ACME", made["ana"], data_subject.ERASED)
        assert ticket.fields is None and ticket.transcript is None and ticket.company is None
        assert set(tickets) == {made["ticket"], made["bruno_ticket"]}
        assert contact.external_id.startswith("erased-") and contact.company_code == "ACME"
        assert contact.name is None and contact.email is None and contact.company is None
        assert conversations[0].satisfaction == 9 and conversations[0].resume_hash is None
        # The analyst's search is still in the log, without her; the erasure is recorded.
        search = next(e for e in entries if e.action == "agent_transcripts")
        assert search.detail == {"query": {"contact": data_subject.ERASED, "q": data_subject.ERASED}}
        record = entries[-1]
        assert (record.actor, record.action, record.target) == ("system", "privacy_erase", person.target)
        assert person.target == f"contact:{made['ana']}"
        assert record.detail == {"by": "command line", "counts": erased}

        # She comes back from the portal: a new contact, nothing of the old one.
        async with world.sessions().begin() as session:
            returning = await queries.upsert_contact(session, ANA)
        assert returning.id != made["ana"]
        again = await export_of(world, contact_id=ANA.external_id)
        assert again["conversations"] == [] and again["tickets"] == []

    run(database_url, tmp_path, scenario)


# --- the API ----------------------------------------------------------------

ADMIN, ANALYST, PASSWORD = "root@support.example", "bia@support.example", "a long enough password 1"


def test_the_api_lets_admins_export_and_erase_and_audits_without_the_address(tmp_path):
    from aiohttp.test_utils import TestClient, TestServer

    from bot import keys
    from bot.app import create_app
    from bot.domain import agents

    async def scenario(world: World) -> None:
        made = await people(world)
        settings = replace(world.settings, check_replies=True, admin_email=ADMIN, admin_password=PASSWORD)
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            app = client.server.app
            async with app[keys.SESSIONS].begin() as session:
                await agents.create_agent(session, ANALYST, "Bia", PASSWORD, ["technical_support"])

            async def bearer(email: str) -> Dict[str, str]:
                reply = await client.post("/api/agent/login", json={"email": email, "password": PASSWORD})
                assert reply.status == 200, await reply.text()
                return {"Authorization": f"Bearer {(await reply.json())['token']}"}

            export = "/api/agent/privacy/export"
            erase = "/api/agent/privacy/erase"
            # Before anyone logs in (the test client keeps the login cookie).
            assert (await client.get(export, params={"email": ANA.email})).status == 401
            assert (await client.post(erase, json={"email": ANA.email, "confirm": True})).status == 401
            admin, bia = await bearer(ADMIN), await bearer(ANALYST)
            assert (await client.get(export, params={"email": ANA.email}, headers=bia)).status == 403
            assert (await client.post(erase, json={"email": ANA.email, "confirm": True}, headers=bia)).status == 403
            assert (await client.get(export, params={"email": "nobody@example.com"}, headers=admin)).status == 404
            assert (await client.get(export, headers=admin)).status == 422

            reply = await client.get(export, params={"email": ANA.email}, headers=admin)
            assert reply.status == 200, await reply.text()
            assert reply.headers["Cache-Control"] == "no-store"
            data = await reply.json()
            assert [c["id"] for c in data["conversations"]] == made["conversations"]

            unconfirmed = await client.post(erase, json={"email": ANA.email}, headers=admin)
            assert unconfirmed.status == 400 and (await unconfirmed.json())["error"] == "confirm_required"
            assert (await export_of(world, email=ANA.email))["conversations"], "an unconfirmed erasure erased"

            erased = await client.post(erase, json={"email": ANA.email, "confirm": True}, headers=admin)
            assert erased.status == 200, await erased.text()
            counts = (await erased.json())["erased"]
            assert counts["messages"] == 4 and counts["tracker_events"] == 4 and counts["outbox_files"] == 2
            assert (await client.get(export, params={"email": ANA.email}, headers=admin)).status == 404

            async with app[keys.SESSIONS]() as session:
                entries = list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
            privacy = [e for e in entries if e.detail and str(e.detail.get("route", "")).startswith("agent_privacy")]
            assert len(privacy) == 8  # every call but the two unauthenticated ones
            done = next(e for e in privacy if e.action == "privacy_erase" and e.detail["status"] == 200)
            assert (done.actor, done.target, done.detail["counts"]) == ("agent", f"contact:{made['ana']}", counts)
            read = next(e for e in privacy if e.action == "privacy_export" and e.detail["status"] == 200)
            assert read.target == f"contact:{made['ana']}" and read.detail["counts"]["messages"] == 4
            assert read.detail["query"] == {"email": "[withheld]"}
            # The address asked for is nowhere in the log (refusals and the 404 included).
            assert ANA.email not in dumped([(e.target, e.detail) for e in entries])
        finally:
            await client.close()

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)


# --- the command line -------------------------------------------------------


def cli(world: World, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        DATABASE_URL=world.settings.database_url,
        CAROLINA_TRACKER_STORE_URL=world.settings.tracker_store_url,
        CAROLINA_OUTBOX=world.settings.outbox_dir,
        CAROLINA_CLOCK=NOW.isoformat(),
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
    )
    return subprocess.run(
        [str(HUB_PYTHON), "-m", "bot", "privacy", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_the_command_line_exports_to_a_private_file_and_to_stdout(tmp_path):
    async def scenario(world: World) -> None:
        made = await people(world)
        out = tmp_path / "ana.json"
        done = await asyncio.to_thread(cli, world, "export", "--email", ANA.email, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        data = json.loads(out.read_text())
        assert [c["id"] for c in data["conversations"]] == made["conversations"]
        assert ANA_SAYS[0] in out.read_text() and BRUNO_SAYS not in out.read_text()
        assert ANA.email not in done.stdout + done.stderr  # the file has it, the terminal need not
        printed = await asyncio.to_thread(cli, world, "export", "--contact-id", ANA.external_id)
        assert printed.returncode == 0, printed.stderr
        assert {**json.loads(printed.stdout), "generated_at": None} == {**data, "generated_at": None}
        unknown = await asyncio.to_thread(cli, world, "export", "--email", "nobody@example.com")
        assert unknown.returncode == 2 and "nobody" in unknown.stderr
        async with world.sessions()() as session:
            entries = list(await session.execute(select(AuditEntry).where(AuditEntry.action == "privacy_export")))
        assert len(entries) == 2
        assert {(e.actor, e.target, e.detail["by"]) for (e,) in entries} == {
            ("system", f"contact:{made['ana']}", "command line")
        }

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_the_command_line_purge_dry_run_and_erase_without_yes_change_nothing(tmp_path):
    async def scenario(world: World) -> None:
        await seed(world)
        before = await world.snapshot()
        dry = await asyncio.to_thread(cli, world, "purge", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        shown = dict(line.split() for line in dry.stdout.splitlines()[1:])
        assert {table: int(n) for table, n in shown.items()} == EXPECTED
        assert "dry run" in dry.stdout.splitlines()[0]
        asked = await asyncio.to_thread(cli, world, "erase", "--email", "carla@example.com")
        assert asked.returncode == 0, asked.stderr
        would = dict(line.split() for line in asked.stdout.splitlines()[1:])
        assert "would erase" in asked.stdout and (would["messages"], would["tickets"]) == ("2", "1"), asked.stdout
        assert await world.snapshot() == before, "a dry run changed something"

        purged = await asyncio.to_thread(cli, world, "purge")
        assert purged.returncode == 0 and purged.stdout.splitlines()[0] == "purged:", purged.stdout
        assert (await asyncio.to_thread(cli, world, "erase", "--email", "carla@example.com")).returncode == 2
        erased = await asyncio.to_thread(cli, world, "erase", "--email", "ana@example.com", "--yes")
        assert erased.returncode == 0 and "erased:" in erased.stdout, erased.stdout + erased.stderr
        async with world.sessions()() as session:
            ana = (await session.execute(select(Contact).where(Contact.email == "ana@example.com"))).first()
        assert ana is None

    run(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, scenario)
