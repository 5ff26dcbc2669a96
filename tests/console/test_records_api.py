"""The console records' API, in process (aiohttp's test client, SQLite, the
reply models checked): the customer card of a conversation, the ticket view's
customer, a status change that changes nothing refused, the canned replies per
customer language (administrators edit them), an administrator changes an
analyst, and the widget protocol keeps the title of a clicked button."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Dict

import pytest
import socketio
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import keys
from bot.app import create_app
from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.models import Conversation, Handoff, Message
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, PORTAL_ORIGIN
from tests.console import seed
from tests.ticket_life.test_deadlines import TUESDAY, Ticking

ADMIN, PASSWORD = "admin@support.example", "records admin password"
ANALYST_PASSWORD = "a long enough password 1"


@pytest.fixture
def hub(tmp_path):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(database_url)
    settings = replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        admin_email=ADMIN,
        admin_password=PASSWORD,
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
        clock=Ticking(TUESDAY),  # type: ignore[arg-type]
        allowed_origins=(PORTAL_ORIGIN,),
        rasa_url="http://127.0.0.1:9",  # nobody: the click is stored before Carolina is asked
    )

    async def with_client(scenario):
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(client, client.server.app)
        finally:
            await client.close()

    return lambda scenario: asyncio.run(with_client(scenario))


async def bearer(client, email: str = ADMIN, password: str = PASSWORD) -> Dict[str, str]:
    login = await client.post("/api/agent/login", json={"email": email, "password": password})
    assert login.status == 200, await login.text()
    return {"Authorization": f"Bearer {(await login.json())['token']}"}


def test_the_customer_card_lists_open_tickets_recent_chats_and_the_last_score(hub):
    async def scenario(client, app):
        async with app[keys.SESSIONS].begin() as session:
            marta = await seed.contact(session)
            await seed.analyst(session, "bia@support.example", ["administrative"])
            old = await seed.conversation(session, marta)
            old.satisfaction, old.satisfaction_at = 9, TUESDAY - timedelta(days=2)
            now = await seed.conversation(session, marta)
            anonymous = await seed.conversation(session, None)
            for chat in (old, now, anonymous):
                session.add(Handoff(conversation_id=chat.id, queue="technical_support", status="closed"))
            made = await seed.tickets(session, 3, TUESDAY - timedelta(days=1), marta)
            made[1].status = "closed"
            made[2].survey_score, made[2].survey_at = 4, TUESDAY - timedelta(days=1)
            await seed.tickets(session, 1, TUESDAY, marta, queue="administrative", first=10)
        admin = await bearer(client)
        card = await (await client.get(f"/api/agent/conversations/{now.id}/customer", headers=admin)).json()
        nobody = await (await client.get(f"/api/agent/conversations/{anonymous.id}/customer", headers=admin)).json()
        bia = await bearer(client, "bia@support.example", ANALYST_PASSWORD)
        refused = await client.get(f"/api/agent/conversations/{now.id}/customer", headers=bia)
        return card, nobody, refused.status

    card, nobody, refused = hub(scenario)
    assert card["contact"] == {"name": "Marta Lima", "email": "c-1@acme.example", "company": "ACME"}
    assert card["language"] == "es"
    # The admin serves every queue: both open technical tickets and the administrative one; never the closed one.
    assert sorted(t["number"] for t in card["open_tickets"]) == ["2026-000001", "2026-000003", "2026-000010"]
    assert [c["satisfaction"] for c in card["conversations"]] == [9], "the other chat, not this one"
    assert card["satisfaction"]["score"] == 4 and card["satisfaction"]["after"] == "ticket", "the newest score"
    assert nobody["contact"] is None and nobody["open_tickets"] == [] and nobody["language"] == "es"
    assert refused == 403, "a conversation outside the analyst's queues has no card for them"


def test_the_ticket_view_names_its_customer_and_an_empty_change_is_refused(hub):
    async def scenario(client, app):
        async with app[keys.SESSIONS].begin() as session:
            marta = await seed.contact(session)
            (ticket,) = await seed.tickets(session, 1, TUESDAY, marta)
        admin = await bearer(client)
        view = await (await client.get(f"/api/agent/tickets/{ticket.number}", headers=admin)).json()
        empty = await client.post(
            f"/api/agent/tickets/{ticket.number}/status", json={"status": "open", "note": " "}, headers=admin
        )
        noted = await client.post(
            f"/api/agent/tickets/{ticket.number}/status",
            json={"status": "open", "note": "liguei para a cliente"},
            headers=admin,
        )
        moved = await client.post(
            f"/api/agent/tickets/{ticket.number}/status", json={"status": "in_progress"}, headers=admin
        )
        thread = (await (await client.get(f"/api/agent/tickets/{ticket.number}", headers=admin)).json())["thread"]
        return view, empty.status, await empty.json(), noted.status, moved.status, thread

    view, empty, problem, noted, moved, thread = hub(scenario)
    assert view["customer"] == {"name": "Marta Lima", "email": "c-1@acme.example", "company": "ACME", "language": "es"}
    assert (empty, problem["error"]) == (422, "empty_change")
    assert noted == 200 and moved == 200
    assert [(m["text"], m["status_to"]) for m in thread] == [("liguei para a cliente", None), ("", "in_progress")]
    assert (thread[0]["author"], thread[0]["visibility"]) == ("agent", "internal"), "the note, for analysts only"


def test_canned_replies_follow_the_customer_language_and_admins_edit_them(hub):
    async def scenario(client, app):
        async with app[keys.SESSIONS].begin() as session:
            await seed.analyst(session, "bia@support.example", ["technical_support"])
        admin = await bearer(client)
        bia = await bearer(client, "bia@support.example", ANALYST_PASSWORD)
        before = await (await client.get("/api/agent/canned-replies", headers=bia)).json()
        forbidden = await client.put("/api/agent/canned-replies/es", json={"replies": ["x"]}, headers=bia)
        changed = await client.put(
            "/api/agent/canned-replies/es", json={"replies": ["  Hola,   ¿cómo va? ", "", "Un momento."]}, headers=admin
        )
        unknown = await client.put("/api/agent/canned-replies/fr", json={"replies": ["Bonjour"]}, headers=admin)
        after = await (await client.get("/api/agent/canned-replies", headers=bia)).json()
        return before, forbidden.status, changed.status, unknown.status, after

    before, forbidden, changed, unknown, after = hub(scenario)
    assert set(before["replies"]) == {"pt", "es", "en"} and before["replies"]["es"][0].startswith("¡Hola!")
    assert (forbidden, changed, unknown) == (403, 200, 422)
    assert after["replies"]["es"] == ["Hola, ¿cómo va?", "Un momento."]
    assert after["replies"]["pt"] == before["replies"]["pt"], "the other languages keep theirs"


def test_an_administrator_changes_an_analyst(hub):
    async def scenario(client, app):
        async with app[keys.SESSIONS].begin() as session:
            bia = await seed.analyst(session, "bia@support.example", ["technical_support"])
        admin = await bearer(client)
        me = (await (await client.get("/api/agent/me", headers=admin)).json())["agent"]
        edited = await client.patch(
            f"/api/agent/agents/{bia.id}",
            json={"name": "Bia Souza", "role": "supervisor", "queues": ["cloud", "administrative"]},
            headers=admin,
        )
        wrong_queue = await client.patch(f"/api/agent/agents/{bia.id}", json={"queues": ["nowhere"]}, headers=admin)
        own_role = await client.patch(f"/api/agent/agents/{me['id']}", json={"role": "agent"}, headers=admin)
        by_analyst = await client.patch(
            f"/api/agent/agents/{me['id']}",
            json={"name": "x"},
            headers=await bearer(client, "bia@support.example", ANALYST_PASSWORD),
        )
        return await edited.json(), wrong_queue.status, own_role.status, by_analyst.status

    edited, wrong_queue, own_role, by_analyst = hub(scenario)
    assert (edited["agent"]["name"], edited["agent"]["role"], edited["agent"]["queues"]) == (
        "Bia Souza",
        "supervisor",
        ["cloud", "administrative"],
    )
    assert (wrong_queue, own_role, by_analyst) == (422, 409, 403)


def test_the_widget_protocol_keeps_the_clicked_title(hub):
    """A customer's socket sends a button's payload with its title (bot/static/widget.js does so):
    the hub stores the title with the message and echoes it in the message's metadata."""

    async def scenario(client, app):
        customer = socketio.AsyncClient()
        stored = asyncio.get_running_loop().create_future()
        customer.on("user_stored", lambda data: stored.done() or stored.set_result(data))
        await customer.connect(str(client.make_url("/")), transports=["websocket"], headers={"Origin": PORTAL_ORIGIN})
        try:
            confirmed = asyncio.get_running_loop().create_future()
            customer.on("session_info", lambda data: confirmed.done() or confirmed.set_result(data))
            await customer.emit("session_request", {"session_id": None})
            info = await asyncio.wait_for(confirmed, 10)
            async with app[keys.SESSIONS].begin() as session:
                await queries.add_message(
                    session,
                    info["conversation_id"],
                    "bot",
                    "¿Dónde?",
                    {"buttons": [{"title": "Producción", "payload": '/inform{"incident_origin": "production"}'}]},
                )
            await customer.emit("user_uttered", {"message": "/affirm", "title": "Sí, abrir", "message_id": "m-1"})
            echoed = await asyncio.wait_for(stored, 10)
        finally:
            await customer.disconnect()
        async with app[keys.SESSIONS]() as session:
            row = (await session.execute(select(Message).where(Message.client_message_id == "m-1"))).scalar_one()
            conversation = await session.get(Conversation, row.conversation_id)
        return echoed, row, conversation

    echoed, row, conversation = hub(scenario)
    assert (row.text, row.title) == ("/affirm", "Sí, abrir")
    assert echoed["metadata"]["title"] == "Sí, abrir"
    assert conversation is not None
