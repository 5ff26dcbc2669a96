"""A hub in the test's process for the e-mail side of a ticket's life: its
inbound SMTP server on a loopback port, its outgoing mail to the test's SMTP
server (tests/conftest.py, mail_server), a customer with an open ticket."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any, Awaitable, Callable, Optional, Tuple

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import keys
from bot.app import create_app
from bot.db.migrate import upgrade
from bot.db.models import Ticket
from bot.domain import tickets
from bot.realtime import inbound_server
from bot.settings import Settings
from bot.web import ticket_links
from tests.conftest import ACTIONS_TOKEN, free_port
from tests.test_tickets import FIELDS, customer

SECRET = "ticket-life-test-secret"
REPLY_DOMAIN = "reply.example.com"


def settings_for(database_url: str, tmp_path: Any, smtp_port: int, **changes: Any) -> Settings:
    upgrade(database_url)
    return replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        smtp_timeout=2.0,
        outbox_dir=str(tmp_path / "outbox"),
        attachments_dir=str(tmp_path / "attachments"),
        check_replies=True,
        signing_secret=SECRET,
        reply_domain=REPLY_DOMAIN,
        inbound_smtp=f"127.0.0.1:{free_port()}",
        public_url="http://carolina.test",
        **changes,
    )


def run(settings: Settings, scenario: Callable[[TestClient, Any], Awaitable[Any]]) -> Any:
    async def with_client() -> Any:
        app = create_app(settings)
        # Until bot/app.py starts the server and serves the link pages itself.
        if inbound_server.serve not in app.cleanup_ctx:
            app.cleanup_ctx.append(inbound_server.serve)
        if "ticket_link" not in app.router.named_resources():
            app.add_routes(ticket_links.routes)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            return await scenario(client, client.server.app)
        finally:
            await client.close()

    return asyncio.run(with_client())


async def open_ticket(app: Any, language: str = "pt", email: Optional[str] = None, **changes: Any) -> Tuple[str, str]:
    """(number, customer's address) of a new ticket of a new customer."""
    address = email or f"ana.{uuid.uuid4().hex[:8]}@example.com"
    conversation = await customer(app, external_id=f"c-{uuid.uuid4().hex[:8]}", email=address)
    request = tickets.TicketRequest(dict(FIELDS), "high", "medium", language)
    async with app[keys.SESSIONS].begin() as session:
        ticket, _ = await tickets.create_ticket(
            session, conversation, request, uuid.uuid4().hex, "", app[keys.CLOCK].now()
        )
        for name, value in changes.items():
            setattr(ticket, name, value)
        return ticket.number, address


async def ticket_of(app: Any, number: str) -> Ticket:
    async with app[keys.SESSIONS]() as session:
        return (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
