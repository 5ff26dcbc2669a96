"""Finding 7, the hub's side: the action server holds no master key. The hub
sends Rasa, with each message, a token for that one conversation; the actions
API takes that token for that conversation only, and can neither change a
ticket's status nor write notes. In process, with a fake Rasa on loopback."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any, Dict, List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import keys
from bot.app import create_app
from bot.db import queries
from bot.db.migrate import upgrade
from bot.domain import conversations
from bot.domain.identity import Identity
from bot.settings import Settings
from common.actions_token import METADATA_KEY, conversation_token
from tests.conftest import ACTIONS_TOKEN, actions_auth

RASA_TOKEN = "test-rasa-token"
TICKET = {
    "fields": {"category": "bug", "product": "Protheus", "summary": "Nota fiscal não sai", "description": "Erro."},
    "impact": "high",
    "urgency": "medium",
}


class FakeRasa:
    """Answers the hub channel's webhook like Rasa would, and keeps what it was sent."""

    def __init__(self) -> None:
        self.received: List[Dict[str, Any]] = []

    async def webhook(self, request: web.Request) -> web.Response:
        self.received.append({"body": await request.json(), "authorization": request.headers.get("Authorization")})
        return web.json_response({"messages": [{"text": "Oi!"}], "nlu": {}, "language": "pt", "failed_actions": []})

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})


@pytest.fixture
def hub(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(database_url)

    async def with_client(scenario):
        rasa = FakeRasa()
        fake = web.Application()
        fake.router.add_post("/webhooks/hub/webhook", rasa.webhook)
        fake.router.add_get("/webhooks/hub/", rasa.health)
        rasa_server = TestServer(fake)
        await rasa_server.start_server()
        settings = replace(
            Settings(),
            database_url=database_url,
            actions_token=ACTIONS_TOKEN,
            rasa_url=str(rasa_server.make_url("")).rstrip("/"),
            rasa_token=RASA_TOKEN,
            outbox_dir=str(tmp_path / "outbox"),
            check_replies=True,
        )
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(client, client.server.app, rasa)
        finally:
            await client.close()
            await rasa_server.close()

    return lambda scenario: asyncio.run(with_client(scenario))


async def customer_conversation(app) -> str:
    async with app[keys.SESSIONS].begin() as session:
        identity = Identity(f"c-{uuid.uuid4().hex[:6]}", "Ana", "ana@example.com", "Acme", "ACME", "pt", True)
        contact = await queries.upsert_contact(session, identity)
        conversation = await queries.create_conversation(session, contact.id, "pt")
        return conversation.id


def test_the_master_token_opens_nothing(hub):
    async def scenario(client, app, rasa):
        mine = await customer_conversation(app)
        master = {"Authorization": f"Bearer {ACTIONS_TOKEN}"}
        assert (await client.get(f"/api/conversations/{mine}", headers=master)).status == 401
        assert (await client.get("/api/tickets", params={"conversation_id": mine}, headers=master)).status == 401
        assert (await client.get(f"/api/conversations/{mine}", headers=actions_auth(mine))).status == 200

    hub(scenario)


def test_a_conversations_token_opens_that_conversation_only(hub):
    async def scenario(client, app, rasa):
        mine, other = await customer_conversation(app), await customer_conversation(app)
        auth = actions_auth(mine)
        created = await client.post(
            "/api/tickets", json={"conversation_id": other, "form_turn": "1", **TICKET}, headers=actions_auth(other)
        )
        assert created.status == 201, await created.text()
        number = (await created.json())["number"]
        refused = [
            await client.get(f"/api/conversations/{other}", headers=auth),
            await client.get("/api/tickets", params={"conversation_id": other}, headers=auth),
            await client.get(f"/api/tickets/{number}", params={"conversation_id": other}, headers=auth),
            await client.get(
                "/api/escalations/decision", params={"conversation_id": other, "queue": "cloud"}, headers=auth
            ),
            await client.post(
                "/api/tickets", json={"conversation_id": other, "form_turn": "2", **TICKET}, headers=auth
            ),
            await client.post(
                f"/api/tickets/{number}/updates",
                json={"conversation_id": other, "fields": {"description": "x"}, "form_turn": "3"},
                headers=auth,
            ),
            await client.post(
                f"/api/tickets/{number}/follow-ups",
                json={"conversation_id": other, "description": "x", "form_turn": "4"},
                headers=auth,
            ),
            await client.post("/api/deflections", json={"conversation_id": other, "article_id": "a"}, headers=auth),
            await client.post("/api/escalations", json={"conversation_id": other, "form_turn": "5"}, headers=auth),
            # A request that names no conversation is about none.
            await client.get("/api/tickets", headers=auth),
        ]
        # 401: the token is not this conversation's; 403: the call names none, or two.
        assert all(r.status in (401, 403) for r in refused), [(r.url, r.status) for r in refused]
        # Naming one conversation in the query and another in the path or body does not help.
        mixed = await client.get(f"/api/conversations/{other}", params={"conversation_id": mine}, headers=auth)
        assert mixed.status in (401, 403)

    hub(scenario)


def test_no_notes_and_no_status_changes_with_the_actions_token(hub):
    async def scenario(client, app, rasa):
        mine = await customer_conversation(app)
        auth = actions_auth(mine)
        created = await client.post(
            "/api/tickets", json={"conversation_id": mine, "form_turn": "1", **TICKET}, headers=auth
        )
        number = (await created.json())["number"]
        note = await client.post(f"/api/conversations/{mine}/notes", json={"text": "hi"}, headers=auth)
        assert note.status in (404, 405)
        status = await client.post(
            f"/api/tickets/{number}/status", json={"status": "closed", "conversation_id": mine}, headers=auth
        )
        assert status.status in (404, 405)
        ticket = await client.get(f"/api/tickets/{number}", params={"conversation_id": mine}, headers=auth)
        assert (await ticket.json())["status"] == "open"

    hub(scenario)


def test_every_message_to_rasa_carries_its_conversations_token_and_rasas_token(hub):
    async def scenario(client, app, rasa):
        mine = await customer_conversation(app)
        settings = app[keys.SETTINGS]
        await conversations.handle_customer_message(app[keys.SESSIONS], app[keys.RASA], settings, mine, "oi")
        sent = rasa.received[-1]
        assert sent["body"]["metadata"][METADATA_KEY] == conversation_token(ACTIONS_TOKEN, mine)
        assert sent["authorization"] == f"Bearer {RASA_TOKEN}"
        # The catch-up after a crash (no customer is sending) carries it too.
        await conversations.handle_customer_message(app[keys.SESSIONS], app[keys.RASA], settings, mine, "de novo")
        async with app[keys.SESSIONS].begin() as session:
            await queries.add_message(session, mine, "customer", "sem resposta")
        rasa.received.clear()
        await conversations.answer_unanswered(app[keys.SESSIONS], app[keys.RASA])
        assert rasa.received and rasa.received[-1]["body"]["metadata"][METADATA_KEY] == conversation_token(
            ACTIONS_TOKEN, mine
        )

    hub(scenario)


def test_praise_records_only_what_the_customer_said_here(hub):
    """What replaced the notes endpoint for the one thing actions noted: praise,
    in the customer's own words. Free text the customer never wrote is refused,
    so a conversation's key cannot write a note into the record."""

    async def scenario(client, app, rasa):
        mine = await customer_conversation(app)
        async with app[keys.SESSIONS].begin() as session:
            await queries.add_message(session, mine, "customer", "O Bruno foi excelente ontem, ótimo atendimento!")
        auth = actions_auth(mine)
        forged = await client.post(f"/api/conversations/{mine}/praise", json={"text": "Refund approved"}, headers=auth)
        assert forged.status == 422 and (await forged.json())["error"] == "not_said"
        said = "o bruno foi excelente ontem"
        first = await client.post(f"/api/conversations/{mine}/praise", json={"text": said}, headers=auth)
        again = await client.post(f"/api/conversations/{mine}/praise", json={"text": said}, headers=auth)
        assert (first.status, again.status) == (201, 200)
        line = await first.json()
        assert line["sender"] == "system" and said in line["text"] and line["payload"] == {"praise": True}
        other = await customer_conversation(app)
        refused = await client.post(f"/api/conversations/{other}/praise", json={"text": said}, headers=auth)
        assert refused.status == 401

    hub(scenario)
