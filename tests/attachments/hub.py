"""An in-process hub (aiohttp's test client, SQLite, no Rasa) with a customer's
conversation, another customer's, a ticket from the first, and analysts."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Optional

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from bot import keys
from bot.app import create_app
from bot.db import queries
from bot.db.migrate import upgrade
from bot.domain import agents, attachments, tickets
from bot.domain.identity import Identity
from bot.settings import Settings
from common.clock import Clock
from tests.conftest import ACTIONS_TOKEN

PASSWORD = "a long enough password 1"
ADMIN = "root@support.example"
BIA = "bia@support.example"  # technical support: sees the ticket's conversation
CAIO = "caio@support.example"  # cloud only: does not
PORTAL = "http://portal.test"
NOW = datetime.fromisoformat("2026-12-02T12:30:00-03:00")
TICKET = {
    "fields": {"category": "bug", "product": "Protheus", "summary": "Nota fiscal não sai", "description": "Erro."},
    "impact": "high",
    "urgency": "medium",
}


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        actions_token=ACTIONS_TOKEN,
        outbox_dir=str(tmp_path / "outbox"),
        attachments_dir=str(tmp_path / "attachments"),
        signing_secret="attachments-test-secret",
        allowed_origins=(PORTAL,),
        check_replies=True,
        admin_email=ADMIN,
        admin_password=PASSWORD,
        clock=Clock(NOW),
        **changes,
    )
    upgrade(settings.database_url)
    return settings


@dataclass
class World:
    client: TestClient
    app: Any
    settings: Settings
    conversation: str  # Ana's, with a ticket in technical support
    other: str  # Rui's
    number: str

    def upload_headers(self, conversation: Optional[str] = None) -> Dict[str, str]:
        return {"X-Carolina-Upload": attachments.upload_token(self.settings, conversation or self.conversation)}

    async def upload(
        self, name: str, content: bytes, conversation: Optional[str] = None, headers: Optional[Dict[str, str]] = None
    ) -> aiohttp.ClientResponse:
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", content, filename=name, content_type="application/octet-stream")
        conversation = conversation or self.conversation
        return await self.client.post(
            "/api/attachments",
            params={"conversation_id": conversation},
            data=form,
            headers=headers if headers is not None else self.upload_headers(conversation),
        )

    async def bearer(self, email: str) -> Dict[str, str]:
        reply = await self.client.post("/api/agent/login", json={"email": email, "password": PASSWORD})
        assert reply.status == 200, await reply.text()
        return {"Authorization": f"Bearer {(await reply.json())['token']}"}


async def conversation_of(app: Any, name: str, language: str) -> str:
    async with app[keys.SESSIONS].begin() as session:
        identity = Identity(f"c-{uuid.uuid4().hex[:6]}", name, f"{name.lower()}@example.com", "Acme", "ACME", language)
        contact = await queries.upsert_contact(session, identity)
        conversation = await queries.create_conversation(session, contact.id, language)
        await queries.add_message(session, conversation.id, "customer", "o Protheus dá erro ao emitir nota")
        return conversation.id


async def make_world(client: TestClient, settings: Settings) -> World:
    app = client.server.app
    async with app[keys.SESSIONS].begin() as session:
        await agents.create_agent(session, BIA, "Bia", PASSWORD, ["technical_support"])
        await agents.create_agent(session, CAIO, "Caio", PASSWORD, ["cloud"])
    conversation = await conversation_of(app, "Ana", "pt")
    other = await conversation_of(app, "Rui", "es")
    async with app[keys.SESSIONS].begin() as session:
        parsed = tickets.TicketRequest.parse(TICKET)
        ticket, _ = await tickets.create_ticket(session, conversation, parsed, "att-1", "digest", NOW)
        number = ticket.number
    return World(client, app, settings, conversation, other, number)


def run(settings: Settings, scenario: Any) -> Any:
    async def with_client() -> Any:
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(await make_world(client, settings))
        finally:
            await client.close()

    return asyncio.run(with_client())
