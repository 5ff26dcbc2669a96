"""The hub's tickets: criticality, numbers, idempotent creation, duplicates,
visibility, follow-ups and the e-mail, through the real HTTP API of an
in-process hub on SQLite and on a real PostgreSQL (see conftest.py)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any, Dict

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.db import queries
from bot.db.migrate import upgrade
from bot.domain import tickets
from bot.domain.identity import Identity
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, actions_auth

ADMIN, ADMIN_PASSWORD = "admin@support.example", "tickets admin password"
FIELDS = {
    "category": "bug",
    "product": "Protheus",
    "version": "12.1.2310",
    "database": "Oracle",
    "cloud": False,
    "summary": "Erro ao emitir nota fiscal de saída",
    "description": "Ao confirmar a nota aparece a mensagem de erro de chave duplicada e nada é gravado",
}


def test_criticality_matrix_is_complete_and_monotonic():
    order = {level: i for i, level in enumerate(("low", "medium", "high", "critical"))}
    for impact in tickets.LEVELS:
        for urgency in tickets.LEVELS:
            level = tickets.criticality(impact, urgency)
            assert level in order
            # More impact or more urgency never lowers the criticality.
            for higher in tickets.LEVELS[tickets.LEVELS.index(urgency) :]:
                assert order[tickets.criticality(impact, higher)] >= order[level]
            for higher in tickets.LEVELS[tickets.LEVELS.index(impact) :]:
                assert order[tickets.criticality(higher, urgency)] >= order[level]
    assert tickets.criticality("high", "high") == "critical"
    assert tickets.criticality("low", "low") == "low"


def test_similarity_sees_the_same_problem_in_other_words():
    assert (
        tickets.similarity("Erro ao emitir nota fiscal no Protheus", "Protheus dá erro na emissão da nota fiscal")
        >= 0.5
    )
    assert tickets.similarity("Erro ao emitir nota fiscal", "Folha de pagamento não calcula férias") < 0.5


@pytest.fixture
def hub(database_url, tmp_path, mail_server):
    """(run, a coroutine runner with a client of a fresh hub)."""
    upgrade(database_url)
    settings = replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        admin_email=ADMIN,
        admin_password=ADMIN_PASSWORD,
        smtp_url=f"smtp://127.0.0.1:{mail_server.port}",
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
    )

    async def with_client(scenario):
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(client, client.server.app)
        finally:
            await client.close()

    return lambda scenario: asyncio.run(with_client(scenario))


async def customer(app, external_id: str = "c1", company_code: str = "ACME", can_open: bool = True, email=None):
    from bot import keys

    async with app[keys.SESSIONS].begin() as session:
        contact = None
        if external_id:
            identity = Identity(
                external_id,
                name="Ana",
                email=email or f"{external_id}@example.com",
                company="Acme",
                company_code=company_code,
                can_open_tickets=can_open,
            )
            contact = await queries.upsert_contact(session, identity)
        conversation = await queries.create_conversation(session, contact.id if contact else None, "pt")
        await queries.add_message(session, conversation.id, "customer", "o Protheus dá erro ao emitir nota")
        await queries.add_message(session, conversation.id, "bot", "Vamos registrar isso direitinho.")
        return conversation.id


async def close_in_console(client, number: str) -> None:
    login = await client.post("/api/agent/login", json={"email": ADMIN, "password": ADMIN_PASSWORD})
    bearer = {"Authorization": f"Bearer {(await login.json())['token']}"}
    closed = await client.post(f"/api/agent/tickets/{number}/status", json={"status": "closed"}, headers=bearer)
    assert closed.status == 200, await closed.text()


def body(conversation_id: str, **changes: Any) -> Dict[str, Any]:
    data = {"conversation_id": conversation_id, "fields": dict(FIELDS), "impact": "high", "urgency": "medium"}
    data.update(changes)
    return data


def test_create_is_idempotent_and_numbers_are_sequential(hub, mail_server):
    address = f"ana.{uuid.uuid4().hex[:8]}@example.com"

    async def scenario(client, app):
        conversation = await customer(app, email=address)
        first = await client.post(
            "/api/tickets", json=body(conversation), headers={**actions_auth(conversation), "Idempotency-Key": "k1"}
        )
        assert first.status == 201, await first.text()
        ticket = await first.json()
        assert ticket["number"].endswith("-000001") and ticket["criticality"] == "high"
        assert ticket["queue"] == "technical_support" and ticket["status"] == "open"
        assert [m["sender"] for m in ticket["transcript"]] == ["customer", "bot"]
        again = await client.post(
            "/api/tickets", json=body(conversation), headers={**actions_auth(conversation), "Idempotency-Key": "k1"}
        )
        assert again.status == 200 and (await again.json())["number"] == ticket["number"]
        other = await client.post(
            "/api/tickets",
            json=body(conversation, urgency="low"),
            headers={**actions_auth(conversation), "Idempotency-Key": "k1"},
        )
        assert other.status == 422 and (await other.json())["error"] == "idempotency_key_reused"
        # The same request under another key (a new form turn) is the first ticket again (tests/security/test_mail.py).
        same = await client.post(
            "/api/tickets", json=body(conversation, form_turn="6:120.0"), headers=actions_auth(conversation)
        )
        assert same.status == 200 and (await same.json())["number"] == ticket["number"]
        turn = await client.post(
            "/api/tickets",
            json=body(conversation, urgency="low", form_turn="7:123.4"),
            headers=actions_auth(conversation),
        )
        assert turn.status == 201 and (await turn.json())["number"].endswith("-000002")
        retry = await client.post(
            "/api/tickets",
            json=body(conversation, urgency="low", form_turn="7:123.4"),
            headers=actions_auth(conversation),
        )
        assert (await retry.json())["number"].endswith("-000002")
        none = await client.post("/api/tickets", json=body(conversation), headers=actions_auth(conversation))
        assert none.status == 422
        return ticket

    ticket = hub(scenario)
    mails = mail_server.to(address)
    assert len(mails) == 2, "one e-mail per ticket, none for a replay"
    text = mails[0].get_content()
    assert ticket["number"] in mails[0]["Subject"] and "o Protheus dá erro ao emitir nota" in text


def test_concurrent_creates_get_distinct_numbers_and_one_ticket_per_key(hub):
    async def scenario(client, app):
        conversation = await customer(app)
        distinct = await asyncio.gather(
            *[
                client.post(
                    "/api/tickets",
                    # Distinct requests: the same one under another key would be the first ticket again.
                    json=body(conversation, fields={**FIELDS, "summary": f"{FIELDS['summary']} ({i})"}),
                    headers={**actions_auth(conversation), "Idempotency-Key": f"d{i}"},
                )
                for i in range(5)
            ]
        )
        numbers = sorted([(await r.json())["number"] for r in distinct])
        same = await asyncio.gather(
            *[
                client.post(
                    "/api/tickets",
                    json=body(conversation),
                    headers={**actions_auth(conversation), "Idempotency-Key": "same"},
                )
                for _ in range(5)
            ]
        )
        return numbers, [(await r.json())["number"] for r in same]

    numbers, same = hub(scenario)
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003", "000004", "000005"]
    assert len(set(same)) == 1


def test_who_may_open_tickets(hub):
    async def scenario(client, app):
        anonymous = await customer(app, external_id="")
        blocked = await customer(app, external_id="b1", can_open=False)
        ok = await customer(app, external_id="ok1")
        results = {}
        for name, conversation in (("anonymous", anonymous), ("blocked", blocked)):
            reply = await client.post(
                "/api/tickets", json=body(conversation, form_turn="1"), headers=actions_auth(conversation)
            )
            results[name] = (reply.status, (await reply.json())["error"])
        suggestion = body(ok, form_turn="1", fields={**FIELDS, "category": "suggestion"})
        reply = await client.post("/api/tickets", json=suggestion, headers=actions_auth(ok))
        results["suggestion"] = (reply.status, (await reply.json())["error"])
        reply = await client.post("/api/tickets", json=body(ok, form_turn="1"))
        results["no token"] = (reply.status, None)
        reply = await client.post("/api/tickets", json=body(ok, form_turn="2", impact="huge"), headers=actions_auth(ok))
        results["bad impact"] = (reply.status, (await reply.json())["error"])
        return results

    assert hub(scenario) == {
        "anonymous": (403, "anonymous"),
        "blocked": (403, "blocked"),
        "suggestion": (422, "suggestion"),
        "no token": (401, None),
        "bad impact": (422, "invalid"),
    }


def test_status_duplicates_updates_and_follow_ups(hub):
    async def scenario(client, app):
        mine = await customer(app, external_id="m1", company_code="ACME")
        colleague = await customer(app, external_id="m2", company_code="ACME")
        stranger = await customer(app, external_id="s1", company_code="OTHER")
        created = await (
            await client.post("/api/tickets", json=body(mine, form_turn="1"), headers=actions_auth(mine))
        ).json()
        number = created["number"]
        seen = {}
        for name, conversation in (("mine", mine), ("colleague", colleague), ("stranger", stranger)):
            reply = await client.get(
                f"/api/tickets/{number}", params={"conversation_id": conversation}, headers=actions_auth(conversation)
            )
            seen[name] = reply.status
        similar = await client.get(
            "/api/tickets",
            params={"conversation_id": mine, "similar_to": "Protheus dá erro na emissão da nota fiscal"},
            headers=actions_auth(mine),
        )
        found = (await similar.json())["tickets"]
        update = await client.post(
            f"/api/tickets/{number}/updates",
            json={
                "conversation_id": mine,
                "fields": {"description": "Agora também na nota de entrada"},
                "form_turn": "9",
            },
            headers=actions_auth(mine),
        )
        early = await client.post(
            f"/api/tickets/{number}/follow-ups",
            json={"conversation_id": mine, "description": "O erro voltou depois da correção", "form_turn": "10"},
            headers=actions_auth(mine),
        )
        # Support closes it in the console (the action server may not change a status).
        await close_in_console(client, number)
        follow = await client.post(
            f"/api/tickets/{number}/follow-ups",
            json={"conversation_id": mine, "description": "O erro voltou depois da correção", "form_turn": "11"},
            headers=actions_auth(mine),
        )
        follow_up = await follow.json()
        detail = await (
            await client.get(f"/api/tickets/{number}", params={"conversation_id": mine}, headers=actions_auth(mine))
        ).json()
        return seen, found, update.status, early.status, follow.status, follow_up, detail

    seen, found, update, early, follow, follow_up, detail = hub(scenario)
    assert seen == {"mine": 200, "colleague": 200, "stranger": 404}
    assert [t["number"] for t in found] == [detail["number"]]
    assert update == 201 and detail["updates"][0]["fields"]["description"] == "Agora também na nota de entrada"
    assert early == 409, "an open ticket takes updates, not follow-ups"
    assert follow == 201 and follow_up["parent"]["number"] == detail["number"]
    assert follow_up["fields"]["description"] == "O erro voltou depois da correção"
    assert follow_up["parent"]["transcript"], "the follow-up carries the closed ticket's history"


def test_without_smtp_the_email_goes_to_the_outbox(database_url, tmp_path):
    upgrade(database_url)
    settings = replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
    )

    async def scenario():
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            conversation = await customer(client.server.app, external_id="o1", email="outbox@example.com")
            reply = await client.post(
                "/api/tickets", json=body(conversation, form_turn="1"), headers=actions_auth(conversation)
            )
            return await reply.json()
        finally:
            await client.close()

    ticket = asyncio.run(scenario())
    written = list((tmp_path / "outbox").glob("*.eml"))
    assert ticket["emailed"] and len(written) == 1
    assert ticket["number"] in written[0].read_text()


def test_a_body_that_is_not_json_too_large_or_misshapen_is_refused_with_a_problem(hub):
    """The one JSON-body reader (bot/web/problems.py) and the body models (bot/web/bodies.py)."""

    async def scenario(client, app):
        results = {}
        plain = await client.post("/api/tickets", data="x", headers={**actions_auth("c"), "Content-Type": "text/plain"})
        results["text/plain"] = (plain.status, (await plain.json())["error"])
        huge = {"conversation_id": "c", "fields": {"summary": "x" * 300_000}, "impact": "low", "urgency": "low"}
        large = await client.post("/api/tickets", json=huge, headers=actions_auth("c"))
        results["too large"] = (large.status, (await large.json())["error"])
        shape = {"conversation_id": "c", "fields": {"summary": "x"}, "impact": "huge", "urgency": "low"}
        wrong = await client.post("/api/tickets", json=shape, headers=actions_auth("c"))
        wrong_body = await wrong.json()
        results["bad impact"] = (wrong.status, wrong_body["error"], "impact" in wrong_body["message"])
        return results

    assert hub(scenario) == {
        "text/plain": (415, "unsupported_media_type"),
        "too large": (413, "too_large"),
        "bad impact": (422, "invalid", True),
    }
