"""News on a ticket in the customer's widget (bot/domain/ticket_news.py,
bot/realtime/ticket_news.py): an analyst's public reply or a status change is
said by Carolina in every conversation the customer has open, with buttons to
answer, validate or rate it; a customer who was away hears it at their next
visit, once. An in-process hub with real socket.io clients."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any, Dict, List, Optional

import pytest
import socketio
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import keys
from bot.app import create_app
from bot.db.migrate import upgrade
from bot.db.models import Message, Ticket, TicketMessage
from bot.domain.identity import Identity, sign
from bot.realtime import ticket_job
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, actions_auth
from tests.ticket_life.test_deadlines import SEVEN_DAYS_LATER, TUESDAY, Ticking
from tests.ticket_life.test_thread import FIELDS, bearer

ADMIN, PASSWORD = "admin@support.example", "thread admin password"
SECRET = "news identity secret"
ORIGIN = "http://portal.test"


@pytest.fixture
def hub(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(database_url)
    clock = Ticking(TUESDAY)
    settings = replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        identity_secret=SECRET,
        allowed_origins=(ORIGIN,),
        admin_email=ADMIN,
        admin_password=PASSWORD,
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
        clock=clock,  # type: ignore[arg-type]
        ticket_check_seconds=3600,  # the test runs the job itself
    )

    async def with_client(scenario):
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(client, client.server.app, clock)
        finally:
            await client.close()

    return lambda scenario: asyncio.run(with_client(scenario))


class Widget:
    """A logged-in customer's widget on the socket.io protocol."""

    def __init__(self) -> None:
        self.socket = socketio.AsyncClient(reconnection=False)
        self.said: asyncio.Queue = asyncio.Queue()
        self.info: asyncio.Queue = asyncio.Queue()
        self.socket.on("bot_uttered", self.said.put)
        self.socket.on("session_info", self.info.put)

    async def start(self, client: TestClient, external_id: str = "c1") -> str:
        url = str(client.make_url("/")).rstrip("/")
        await self.socket.connect(url, headers={"Origin": ORIGIN}, transports=["websocket"], wait_timeout=10)
        identity = Identity(external_id, "Ana Souza", f"{external_id}@example.com", "Acme", "ACME", "pt", True)
        await self.socket.emit("session_request", {"session_id": None, "token": sign(identity, SECRET)})
        return (await asyncio.wait_for(self.info.get(), 10))["conversation_id"]

    async def news(self, timeout: float = 5) -> Dict[str, Any]:
        return await asyncio.wait_for(self.said.get(), timeout)

    async def quiet(self, seconds: float = 0.5) -> Optional[Dict[str, Any]]:
        try:
            return await asyncio.wait_for(self.said.get(), seconds)
        except asyncio.TimeoutError:
            return None

    async def close(self) -> None:
        await self.socket.disconnect()


async def open_ticket(client: TestClient, conversation_id: str) -> str:
    made = await client.post(
        "/api/tickets",
        json={"conversation_id": conversation_id, "fields": FIELDS, "impact": "high", "urgency": "medium"},
        headers={**actions_auth(conversation_id), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert made.status == 201, await made.text()
    return str((await made.json())["number"])


def payloads(news: Dict[str, Any]) -> List[str]:
    return [button["payload"] for button in news.get("quick_replies") or []]


async def stored(app: Any, conversation_id: str) -> List[Message]:
    async with app[keys.SESSIONS]() as session:
        query = select(Message).where(Message.conversation_id == conversation_id, Message.sender == "bot")
        return list((await session.execute(query.order_by(Message.id))).scalars())


def test_a_reply_reaches_every_open_widget_and_is_kept_in_the_conversation(hub):
    async def scenario(client, app, clock):
        tab, other_tab = Widget(), Widget()
        first = await tab.start(client)
        second = await other_tab.start(client)
        number = await open_ticket(client, first)
        analyst = await bearer(client)
        replied = await client.post(
            f"/api/agent/tickets/{number}/messages",
            json={"text": "Olá Ana!\nAplique o pacote 12.1.33 e me diga.", "visibility": "public"},
            headers=analyst,
        )
        assert replied.status == 201, await replied.text()
        for widget in (tab, other_tab):
            news = await widget.news()
            assert news["text"] == f"Novidade no chamado {number}: Aplique o pacote 12.1.33 e me diga."
            assert payloads(news) == [f'/ticket_reply{{"ticket_number":"{number}"}}']
            assert news["quick_replies"][0]["title"] == "Responder"
        # Kept in each conversation, for the widget's history and sync.
        for conversation_id in (first, second):
            [kept] = await stored(app, conversation_id)
            assert kept.text.startswith(f"Novidade no chamado {number}")
        # An internal note is nobody's news.
        note = await client.post(
            f"/api/agent/tickets/{number}/messages",
            json={"text": "só p/ nós", "visibility": "internal"},
            headers=analyst,
        )
        assert note.status == 201
        assert await tab.quiet() is None
        await tab.close()
        await other_tab.close()

    hub(scenario)


def test_a_customer_away_hears_the_news_at_the_next_visit_once(hub):
    async def scenario(client, app, clock):
        widget = Widget()
        first = await widget.start(client)
        number = await open_ticket(client, first)
        await widget.close()
        analyst = await bearer(client)
        proposal = await client.post(
            f"/api/agent/tickets/{number}/messages",
            json={"text": "Corrigido no pacote 12.1.33.", "status": "customer_validation"},
            headers=analyst,
        )
        assert proposal.status == 201, await proposal.text()
        async with app[keys.SESSIONS]() as session:
            owed = (await session.execute(select(TicketMessage).where(TicketMessage.delivered_at.is_(None)))).scalars()
            assert len(list(owed)) == 2, "the reply and the status line wait for the customer"

        back = Widget()
        later = await back.start(client)
        news = await back.news()
        assert news["text"].startswith(f"Novidade no chamado {number}: Corrigido no pacote 12.1.33. — ")
        assert "Validação do cliente" in news["text"]
        assert payloads(news) == [
            f'/ticket_reply{{"ticket_number":"{number}"}}',
            f'/ticket_accept{{"ticket_number":"{number}"}}',
            f'/ticket_reject{{"ticket_number":"{number}"}}',
        ]
        assert len(await stored(app, later)) == 1
        await back.close()

        again = Widget()
        await again.start(client)
        assert await again.quiet() is None, "said once"
        await again.close()

    hub(scenario)


def test_the_job_closes_the_ticket_and_offers_the_survey_in_the_widget(hub):
    async def scenario(client, app, clock):
        widget = Widget()
        first = await widget.start(client)
        number = await open_ticket(client, first)
        analyst = await bearer(client)
        moved = await client.post(
            f"/api/agent/tickets/{number}/status", json={"status": "customer_validation"}, headers=analyst
        )
        assert moved.status == 200
        assert payloads(await widget.news())[1:] == [
            f'/ticket_accept{{"ticket_number":"{number}"}}',
            f'/ticket_reject{{"ticket_number":"{number}"}}',
        ]
        clock.set(SEVEN_DAYS_LATER - timedelta(days=1))
        done = await ticket_job.run_once(app[keys.SIO], app[keys.SESSIONS], app[keys.SETTINGS])
        assert done["warned"] == [number] and await widget.quiet() is None, "the warning goes by e-mail"
        clock.set(SEVEN_DAYS_LATER)
        done = await ticket_job.run_once(app[keys.SIO], app[keys.SESSIONS], app[keys.SETTINGS])
        assert done["moved"] == [(number, "customer_validation", "closed")]
        news = await widget.news()
        assert "Fechado" in news["text"]
        assert payloads(news) == [f'/ticket_survey{{"ticket_number":"{number}"}}']
        async with app[keys.SESSIONS]() as session:
            ticket = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
        assert ticket.status == "closed"
        await widget.close()

    hub(scenario)
