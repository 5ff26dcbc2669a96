"""The ticket's thread (bot/domain/ticket_thread.py) and its HTTP side: the
analyst's public replies and internal notes from the console API, the
customer's answers, validation and survey through the actions' API, each
stored with author and time, masked, e-mailed when public; an in-process hub
on SQLite with aiohttp's test client (the deadlines' tests also run on
PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any, Dict, List

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import keys
from bot.app import create_app
from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.models import Attachment, AuditEntry, OutgoingMail, Ticket
from bot.domain import ticket_thread
from bot.domain.errors import DomainError
from bot.domain.identity import Identity
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, actions_auth
from tests.ticket_life.test_deadlines import TUESDAY, Ticking

ADMIN, PASSWORD = "admin@support.example", "thread admin password"
CPF = "529.982.247-25"
FIELDS = {
    "category": "bug",
    "product": "Protheus",
    "summary": "Erro ao emitir nota fiscal de saída",
    "description": "Ao confirmar a nota aparece erro de chave duplicada",
}


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
    )

    async def with_client(scenario):
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(client, client.server.app)
        finally:
            await client.close()

    return lambda scenario: asyncio.run(with_client(scenario))


async def conversation(app, external_id: str = "c1", company_code: str = "ACME") -> str:
    async with app[keys.SESSIONS].begin() as session:
        identity = Identity(external_id, "Ana Souza", f"{external_id}@example.com", "Acme", company_code, "pt", True)
        contact = await queries.upsert_contact(session, identity)
        found = await queries.create_conversation(session, contact.id, "pt")
        await queries.add_message(session, found.id, "customer", "o Protheus dá erro ao emitir nota")
        return found.id


async def open_ticket(client, conversation_id: str) -> str:
    made = await client.post(
        "/api/tickets",
        json={"conversation_id": conversation_id, "fields": FIELDS, "impact": "high", "urgency": "medium"},
        headers={**actions_auth(conversation_id), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert made.status == 201, await made.text()
    return (await made.json())["number"]


async def bearer(client) -> Dict[str, str]:
    login = await client.post("/api/agent/login", json={"email": ADMIN, "password": PASSWORD})
    assert login.status == 200, await login.text()
    return {"Authorization": f"Bearer {(await login.json())['token']}"}


async def mails_of(app, number: str) -> List[OutgoingMail]:
    async with app[keys.SESSIONS]() as session:
        ticket = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
        query = select(OutgoingMail).where(OutgoingMail.ticket_id == ticket.id).order_by(OutgoingMail.id)
        return list((await session.execute(query)).scalars())


def test_analyst_and_customer_talk_on_the_ticket(hub):
    async def scenario(client, app):
        mine = await conversation(app)
        number = await open_ticket(client, mine)
        analyst = await bearer(client)
        opened_mails = len(await mails_of(app, number))

        note = await client.post(
            f"/api/agent/tickets/{number}/messages",
            json={"text": f"Cliente mandou o CPF {CPF} no chat", "visibility": "internal"},
            headers=analyst,
        )
        assert note.status == 201, await note.text()
        noted = (await note.json())["message"]
        assert noted["visibility"] == "internal" and noted["author"] == "agent" and CPF not in noted["text"]
        assert len(await mails_of(app, number)) == opened_mails, "an internal note e-mails nobody"

        proposal = await client.post(
            f"/api/agent/tickets/{number}/messages",
            json={"text": "Aplique o pacote 12.1.33.\nDepois confirme.", "status": "customer_validation"},
            headers=analyst,
        )
        assert proposal.status == 201, await proposal.text()
        assert (await proposal.json())["status"] == "customer_validation"
        assert len(await mails_of(app, number)) == opened_mails + 1, "one e-mail: the reply and its status"

        view = await client.get(f"/api/agent/tickets/{number}", headers=analyst)
        assert view.status == 200, await view.text()
        ticket = await view.json()
        assert [(m["author"], m["visibility"], m["status_to"]) for m in ticket["thread"]] == [
            ("agent", "internal", None),
            ("agent", "public", None),
            ("system", "public", "customer_validation"),
        ]
        assert ticket["deadline_at"] and ticket["warn_at"] and ticket["deadline_to"] == "closed"
        assert ticket["survey"] is None and ticket["cc"] == []
        assert ticket["transcript"][0]["text"] == "o Protheus dá erro ao emitir nota", "the opening stays as it was"

        # The customer sees the public lines only.
        seen = await client.get(
            f"/api/tickets/{number}/thread", params={"conversation_id": mine}, headers=actions_auth(mine)
        )
        assert seen.status == 200, await seen.text()
        thread = await seen.json()
        assert thread["status_label"] == "Validação do cliente" and thread["deadline_at"]
        assert [m["visibility"] for m in thread["messages"]] == ["public", "public"]
        assert "CPF" not in str(thread)

        listed = await client.get(
            "/api/tickets", params={"conversation_id": mine, "mine": "1"}, headers=actions_auth(mine)
        )
        assert listed.status == 200, await listed.text()
        [item] = (await listed.json())["tickets"]
        assert item["status_label"] == "Validação do cliente" and item["last_interaction_at"] and item["updated_at"]

        # The customer answers (a retry with the same key is the same answer): back to analysis,
        # with the file the conversation sent meanwhile.
        async with app[keys.SESSIONS].begin() as session:
            screenshot = Attachment(
                public_id=uuid.uuid4().hex,
                conversation_id=mine,
                uploaded_by="customer",
                filename="erro.png",
                content_type="image/png",
                size=1234,
                storage_key=uuid.uuid4().hex,
                sha256="0" * 64,
            )
            session.add(screenshot)
        answer = {"conversation_id": mine, "text": "Apliquei e continua o erro."}
        headers = {**actions_auth(mine), "Idempotency-Key": "answer-1"}
        replied = await client.post(f"/api/tickets/{number}/replies", json=answer, headers=headers)
        assert replied.status == 201, await replied.text()
        first = await replied.json()
        assert first["status"] == "in_progress" and first["message"]["author"] == "customer"
        assert [a["filename"] for a in first["message"]["attachments"]] == ["erro.png"]
        again = await client.post(f"/api/tickets/{number}/replies", json=answer, headers=headers)
        assert again.status == 200 and (await again.json())["message"]["id"] == first["message"]["id"]

        late = await client.post(
            f"/api/tickets/{number}/validation",
            json={"conversation_id": mine, "accepted": True},
            headers=actions_auth(mine),
        )
        assert late.status == 409 and (await late.json())["error"] == "not_in_validation"

        moved = await client.post(
            f"/api/agent/tickets/{number}/status", json={"status": "customer_validation"}, headers=analyst
        )
        assert moved.status == 200, await moved.text()
        accepted = await client.post(
            f"/api/tickets/{number}/validation",
            json={"conversation_id": mine, "accepted": True},
            headers=actions_auth(mine),
        )
        assert accepted.status == 200 and (await accepted.json())["status"] == "closed"

        closed = await client.post(
            f"/api/tickets/{number}/replies", json={"conversation_id": mine, "text": "oi"}, headers=actions_auth(mine)
        )
        assert closed.status == 409 and (await closed.json())["error"] == "closed"

        survey = {"conversation_id": mine, "score": 9, "comment": "Resolveram rápido"}
        rated = await client.post(f"/api/tickets/{number}/survey", json=survey, headers=actions_auth(mine))
        assert rated.status == 201, await rated.text()
        assert (await rated.json())["survey"]["score"] == 9
        twice = await client.post(f"/api/tickets/{number}/survey", json=survey, headers=actions_auth(mine))
        assert twice.status == 409 and (await twice.json())["error"] == "answered"
        out_of_range = await client.post(
            f"/api/tickets/{number}/survey", json={**survey, "score": 11}, headers=actions_auth(mine)
        )
        assert out_of_range.status == 422

        view = await (await client.get(f"/api/agent/tickets/{number}", headers=analyst)).json()
        assert view["status"] == "closed" and view["survey"]["score"] == 9 and view["deadline_at"] is None

        async with app[keys.SESSIONS]() as session:
            actions = [a for a in (await session.execute(select(AuditEntry.action))).scalars()]
        assert actions.count("ticket_message") == 2

    hub(scenario)


def test_another_company_sees_nothing_of_the_thread(hub):
    async def scenario(client, app):
        mine = await conversation(app)
        number = await open_ticket(client, mine)
        theirs = await conversation(app, "c2", company_code="OTHER")
        auth = actions_auth(theirs)
        seen = await client.get(f"/api/tickets/{number}/thread", params={"conversation_id": theirs}, headers=auth)
        assert seen.status == 404
        wrote = await client.post(
            f"/api/tickets/{number}/replies", json={"conversation_id": theirs, "text": "oi"}, headers=auth
        )
        assert wrote.status == 404
        # Nor with their token and the owner's conversation.
        forged = await client.post(
            f"/api/tickets/{number}/replies", json={"conversation_id": mine, "text": "oi"}, headers=auth
        )
        assert forged.status in (401, 403)

    hub(scenario)


def test_the_rules_of_a_message(hub):
    async def scenario(client, app):
        mine = await conversation(app)
        number = await open_ticket(client, mine)
        other = await conversation(app, "c3")
        async with app[keys.SESSIONS].begin() as session:
            ticket = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()

            async def refused(**kwargs: Any) -> DomainError:
                with pytest.raises(DomainError) as error:
                    await ticket_thread.add_message(session, ticket, **kwargs)
                return error.value

            assert (await refused(author="customer", text="  ", via="widget")).code == "empty"
            assert (await refused(author="customer", text="x", via="widget", visibility="internal")).status == 422
            assert (await refused(author="customer", text="x", via="widget", status="closed")).status == 422
            assert (await refused(author="agent", text="x" * 4001, via="console")).code == "too_long"

            def file(conversation_id: str, name: str) -> Attachment:
                row = Attachment(
                    public_id=uuid.uuid4().hex,
                    conversation_id=conversation_id,
                    uploaded_by="customer",
                    filename=name,
                    content_type="image/png",
                    size=10,
                    storage_key=uuid.uuid4().hex,
                    sha256="0" * 64,
                )
                session.add(row)
                return row

            ours, someone_elses = file(mine, "tela.png"), file(other, "outra.png")
            await session.flush()
            # Another conversation's file cannot be attached to this ticket.
            assert (
                await refused(author="customer", text="veja", via="widget", attachment_ids=[someone_elses.public_id])
            ).code == "attachment"
            message = await ticket_thread.add_message(
                session, ticket, author="customer", text="", via="widget", attachment_ids=[ours.public_id]
            )
            thread = await ticket_thread.thread_of(session, ticket, include_internal=False)
            assert thread[-1]["id"] == message.id
            assert thread[-1]["attachments"] == [
                {"id": ours.public_id, "filename": "tela.png", "size": 10, "content_type": "image/png", "purged": False}
            ]
            # Once on a message, a file is on no other.
            assert (
                await refused(author="customer", text="de novo", via="widget", attachment_ids=[ours.public_id])
            ).code == "attachment"

    hub(scenario)
