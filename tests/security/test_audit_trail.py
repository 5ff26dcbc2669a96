"""Finding 5: every call an analyst or the action server makes is in the audit
log (who, from where, which route, about what, and how it ended), exactly once;
list endpoints give summaries, not transcripts; an administrator reads the log.
In process: a hub on SQLite with aiohttp's test client."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any, Dict, List

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot import keys
from bot.app import create_app
from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.models import AuditEntry
from bot.domain import agents, handoffs, tickets
from bot.domain.identity import Identity
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, actions_auth

PASSWORD = "a long enough password 1"
ADMIN = "root@support.example"
ANALYST = "bia@support.example"
# Routes anyone may call: nothing in them is the customers' or the analysts' data.
PUBLIC = {"health", "vocabulary", "kb_search", "article", "openapi", "static", "demo", "demo_customers", "demo_token"}
PUBLIC |= {"console"}
# The e-mailed links' pages (bot/web/ticket_links.py): the signed token in the path is the customer's key.
PUBLIC |= {"ticket_link", "ticket_link_answer"}
# Logins, failed logins and logouts are recorded by the login code itself (bot/web/agent_api.py).
LOGIN = {"agent_login", "agent_logout"}
TICKET = {
    "fields": {"category": "bug", "product": "Protheus", "summary": "Nota fiscal não sai", "description": "Erro."},
    "impact": "high",
    "urgency": "medium",
}


@pytest.fixture
def hub(tmp_path):
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        actions_token=ACTIONS_TOKEN,
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
        admin_email=ADMIN,
        admin_password=PASSWORD,
    )
    upgrade(settings.database_url)

    async def with_client(scenario):
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(client, client.server.app)
        finally:
            await client.close()

    return lambda scenario: asyncio.run(with_client(scenario))


async def conversation_of_a_customer(app) -> str:
    async with app[keys.SESSIONS].begin() as session:
        identity = Identity(f"c-{uuid.uuid4().hex[:6]}", "Ana", "ana@example.com", "Acme", "ACME", "pt", True)
        contact = await queries.upsert_contact(session, identity)
        conversation = await queries.create_conversation(session, contact.id, "pt")
        await queries.add_message(session, conversation.id, "customer", "o Protheus dá erro ao emitir nota")
        return conversation.id


async def bearer(client, email: str) -> Dict[str, str]:
    reply = await client.post("/api/agent/login", json={"email": email, "password": PASSWORD})
    assert reply.status == 200, await reply.text()
    return {"Authorization": f"Bearer {(await reply.json())['token']}"}


async def entries(app) -> List[AuditEntry]:
    async with app[keys.SESSIONS]() as session:
        return list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())


async def count(app) -> int:
    async with app[keys.SESSIONS]() as session:
        return (await session.execute(select(func.count(AuditEntry.id)))).scalar_one()


async def setting_up(client, app) -> Dict[str, Any]:
    """A customer's conversation with a queued handoff and a ticket; an admin and an analyst."""
    async with app[keys.SESSIONS].begin() as session:
        await agents.create_agent(session, ANALYST, "Bia", PASSWORD, ["technical_support"])
    conversation = await conversation_of_a_customer(app)
    auth = actions_auth(conversation)
    async with app[keys.SESSIONS].begin() as session:
        now = app[keys.CLOCK].now()
        parsed = tickets.TicketRequest.parse(TICKET)
        ticket, _ = await tickets.create_ticket(session, conversation, parsed, "audit-1", "digest", now)
        number = ticket.number
        found = await queries.get_conversation(session, conversation)
        handoff = await handoffs.start(session, found, "technical_support", "it freezes", None, now)
        handoff_id = handoff.id
    return {"conversation": conversation, "number": number, "handoff": handoff_id, "auth": auth}


def path_of(canonical: str, world: Dict[str, Any]) -> str:
    if canonical.startswith("/api/agent/handoffs/"):
        return canonical.replace("{id}", str(world["handoff"]))
    path = canonical.replace("{id}", world["conversation"]).replace("{number}", world["number"])
    return path.replace("{public_id}", "nosuchfile").replace("{language}", "es")


BODIES: Dict[str, Dict[str, Any]] = {
    "agent_presence": {"presence": "online"},
    "agent_message": {"text": "Olá, sou a Bia"},
    "agent_transfer": {"queue": "cloud"},
    "agent_ticket_status": {"status": "in_progress", "note": "looking"},
    "agent_create": {"email": "new@support.example", "name": "New", "password": PASSWORD, "queues": []},
    "create_ticket": {"form_turn": "2", **TICKET},
    "ticket_updates": {"fields": {"description": "more"}, "form_turn": "3"},
    "ticket_follow_up": {"description": "again", "language": "pt", "form_turn": "4"},
    "deflections": {"article_id": "forgot_password"},
    "escalate": {"reason": "please", "language": "pt", "form_turn": "5", "queue": "technical_support"},
}
QUERIES: Dict[str, Dict[str, str]] = {
    "similar_tickets": {"similar_to": "nota fiscal"},
    "ticket": {},
    "escalation_decision": {"queue": "technical_support", "language": "pt"},
}


def test_every_call_of_an_analyst_or_the_action_server_leaves_exactly_one_entry(hub):
    async def scenario(client, app):
        world = await setting_up(client, app)
        admin = await bearer(client, ADMIN)
        walked = []
        for route in app.router.routes():
            name = route.name
            if route.method == "HEAD" or route.resource is None or name in PUBLIC | LOGIN or name is None:
                continue
            canonical = route.resource.canonical
            if canonical.startswith("/socket.io"):
                continue
            analysts = canonical.startswith(("/api/agent/", "/api/reports/", "/api/attachments"))
            headers = admin if analysts else world["auth"]
            body = BODIES.get(name)
            params = QUERIES.get(name)
            if not analysts:
                if route.method == "POST":
                    body = {"conversation_id": world["conversation"], **(body or {})}
                elif "{id}" not in canonical:
                    params = {"conversation_id": world["conversation"], **(params or {})}
            before = await count(app)
            reply = await client.request(
                route.method, path_of(canonical, world), json=body, params=params, headers=headers
            )
            assert reply.status != 401, (name, await reply.text())
            written = (await entries(app))[before:]
            assert len(written) == 1, f"{route.method} {canonical} ({name}) wrote {len(written)} audit entries"
            entry = written[0]
            assert entry.actor == ("agent" if analysts else "actions"), name
            assert entry.ip == "127.0.0.1", name
            assert entry.detail["route"] == name and entry.detail["status"] == reply.status, (name, entry.detail)
            if analysts:
                assert entry.agent_id is not None, name
            else:
                assert entry.target == world["conversation"], (name, entry.target)
            walked.append(name)
        # The routes a review found unaudited are among them.
        assert {"agent_handoff", "agent_accept", "agent_tickets", "agent_transcripts", "agent_transfer"} <= set(walked)
        assert {"agent_close", "conversation", "ticket", "similar_tickets"} <= set(walked)

    hub(scenario)


def test_entries_say_what_was_read_with_which_filters(hub):
    async def scenario(client, app):
        world = await setting_up(client, app)
        bia = await bearer(client, ANALYST)
        handoff = world["handoff"]
        start = await count(app)
        assert (await client.get(f"/api/agent/handoffs/{handoff}", headers=bia)).status == 200
        assert (await client.post(f"/api/agent/handoffs/{handoff}/accept", headers=bia)).status == 200
        listed = await client.get(
            "/api/agent/tickets", params={"status": "open", "queue": "technical_support"}, headers=bia
        )
        assert listed.status == 200
        found = await client.get("/api/agent/transcripts", params={"company": "acme", "q": "nota"}, headers=bia)
        assert found.status == 200
        number = world["number"]
        assert (await client.get(f"/api/agent/tickets/{number}", headers=bia)).status == 200
        assert (
            await client.get(f"/api/agent/transcripts/{world['conversation']}?format=txt", headers=bia)
        ).status == 200
        changed = await client.post(f"/api/agent/tickets/{number}/status", json={"status": "in_progress"}, headers=bia)
        assert changed.status == 200
        assert (await client.get(f"/api/conversations/{world['conversation']}", headers=world["auth"])).status == 200
        detail, accept, tickets, search, view, export, status, read = (await entries(app))[start:]
        bia_id = detail.agent_id
        assert (detail.action, detail.target, detail.actor) == ("agent_handoff", str(handoff), "agent")
        assert (accept.action, accept.target, accept.agent_id) == ("agent_accept", str(handoff), bia_id)
        assert tickets.action == "agent_tickets" and tickets.detail["query"] == {
            "status": "open",
            "queue": "technical_support",
        }
        assert search.action == "agent_transcripts" and search.detail["query"] == {"company": "acme", "q": "nota"}
        # The explicit entries keep their names: view, export_<format>, view_ticket, ticket_status.
        assert (view.action, view.target) == ("view_ticket", number)
        assert (export.action, export.target) == ("export_txt", world["conversation"])
        assert (status.action, status.target) == ("ticket_status", number)
        assert status.detail["from"] == "open" and status.detail["to"] == "in_progress"
        assert (read.actor, read.agent_id, read.action, read.target) == (
            "actions",
            None,
            "conversation",
            world["conversation"],
        )
        # A refusal is recorded too, with its status.
        other = await client.get("/api/agent/agents", headers=bia)
        assert other.status == 403
        refused = (await entries(app))[-1]
        assert (refused.action, refused.detail["status"], refused.agent_id) == ("agent_list", 403, bia_id)

    hub(scenario)


def test_lists_give_summaries_not_transcripts(hub):
    async def scenario(client, app):
        world = await setting_up(client, app)
        admin = await bearer(client, ADMIN)
        listed = await (await client.get("/api/agent/tickets", headers=admin)).json()
        assert listed["tickets"] and listed["tickets"][0]["number"] == world["number"]
        for ticket in listed["tickets"]:
            assert not {"transcript", "updates", "parent", "fields"} & set(ticket), ticket
            # What the console's list shows (bot/static/console.js).
            assert {"number", "summary", "status", "queue", "criticality"} <= set(ticket)
        queue = await (await client.get("/api/agent/handoffs", headers=admin)).json()
        for handoff in queue["queued"] + queue["mine"]:
            assert "transcript" not in handoff and "messages" not in handoff
        found = await (await client.get("/api/agent/transcripts", headers=admin)).json()
        for conversation in found["conversations"]:
            assert "messages" not in conversation and "transcript" not in conversation

    hub(scenario)


def test_an_administrator_reads_the_audit_log_with_filters(hub):
    async def scenario(client, app):
        world = await setting_up(client, app)
        admin = await bearer(client, ADMIN)
        bia = await bearer(client, ANALYST)
        await client.get(f"/api/agent/handoffs/{world['handoff']}", headers=bia)
        await client.get(f"/api/conversations/{world['conversation']}", headers=world["auth"])
        assert (await client.get("/api/agent/audit", headers=bia)).status == 403
        reply = await client.get("/api/agent/audit", params={"action": "agent_handoff"}, headers=admin)
        assert reply.status == 200, await reply.text()
        found = (await reply.json())["entries"]
        assert [e["action"] for e in found] == ["agent_handoff"]
        assert found[0]["target"] == str(world["handoff"]) and found[0]["actor"] == "agent" and found[0]["ip"]
        by_actor = (await (await client.get("/api/agent/audit", params={"actor": "actions"}, headers=admin)).json())[
            "entries"
        ]
        assert by_actor and {e["actor"] for e in by_actor} == {"actions"}
        by_target = await client.get("/api/agent/audit", params={"target": world["conversation"]}, headers=admin)
        assert {e["target"] for e in (await by_target.json())["entries"]} == {world["conversation"]}
        # Newest first; reading the log is itself audited.
        everything = (await (await client.get("/api/agent/audit", headers=admin)).json())["entries"]
        assert everything[0]["action"] == "agent_audit" and everything[0]["id"] > everything[-1]["id"]
        assert (await client.get("/api/agent/audit", params={"since": "yesterday"}, headers=admin)).status == 422

    hub(scenario)
