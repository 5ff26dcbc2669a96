"""Issue 18: where the hub applies the detector (bot/domain/redaction.py), in
process: the customer's message is stored masked with one notice per kind of
data and conversation; the action server's ticket fields and a handoff's reason
are masked; Rasa's metadata carries no name or e-mail; the access log hashes
what people type into query strings; private files are the owner's only."""

from __future__ import annotations

import asyncio
import os
import stat

import pytest

from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.session import make_engine, make_sessions
from bot.domain import handoffs
from bot.domain.conversations import store_customer_message
from bot.domain.identity import Identity
from bot.domain.tickets import TicketRequest
from common.private_files import private_file, write_private

CPF, CARD = "529.982.247-25", "4111 1111 1111 1111"


async def _conversation(database_url: str, language: str = "pt"):
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    async with sessions.begin() as session:
        conversation = await queries.create_conversation(session, None, language)
    return engine, sessions, conversation.id


def test_a_customer_message_is_stored_masked_and_each_notice_said_once(database_url):
    upgrade(database_url)

    async def scenario():
        engine, sessions, conversation_id = await _conversation(database_url)
        try:
            said = []
            for n, text in enumerate(
                [f"meu cpf é {CPF}", f"o cartão é {CARD}", "minha senha é abc12345", "e o cpf 111.444.777-35"]
            ):
                customer, _, _, notices = await store_customer_message(sessions, conversation_id, text, f"m{n}", {})
                said.append((customer.text, [m.payload["privacy_notice"] for m in notices]))
            return said
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == [
        ("meu cpf é [CPF]", ["privacy_data"]),
        ("o cartão é [cartão]", []),
        ("minha senha é [senha]", ["privacy_password"]),
        ("e o cpf [CPF]", []),
    ]


def test_plain_messages_get_no_notice(tmp_path):
    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")

    async def scenario():
        engine, sessions, conversation_id = await _conversation(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "en")
        try:
            text = "ticket 2026-000123, version 12.1.2310, call 0800 709 8100 on 05/12/2026, error ORA-00001"
            customer, _, _, notices = await store_customer_message(sessions, conversation_id, text, None, {})
            return customer.text, notices
        finally:
            await engine.dispose()

    text, notices = asyncio.run(scenario())
    assert notices == [] and text.startswith("ticket 2026-000123")


def test_the_action_servers_ticket_fields_and_handoff_reason_are_masked(tmp_path):
    body = {
        "fields": {"summary": f"erro com o cartão {CARD}", "description": f"cpf {CPF}", "category": "bug"},
        "impact": "low",
        "urgency": "low",
        "language": "pt",
    }
    request = TicketRequest.parse(body)
    assert request.fields == {"summary": "erro com o cartão [cartão]", "description": "cpf [CPF]", "category": "bug"}

    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")

    async def scenario():
        engine, sessions, conversation_id = await _conversation(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "es")
        try:
            async with sessions.begin() as session:
                conversation = await queries.get_conversation(session, conversation_id)
                from datetime import datetime, timezone

                handoff = await handoffs.start(
                    session,
                    conversation,
                    "technical_support",
                    f"mi tarjeta {CARD} no pasa",
                    None,
                    datetime.now(timezone.utc),
                )
                return handoff.reason
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == "mi tarjeta [tarjeta] no pasa"


def test_rasa_sees_no_name_email_or_company_of_the_customer():
    identity = Identity("c-1", name="Ana", email="ana@example.com", company="Acme", company_code="AC1")
    assert identity.as_metadata() == {"contact_id": "c-1", "company_code": "AC1", "can_open_tickets": True}


@pytest.mark.parametrize(
    "query, kept",
    [("q=Maria", False), ("email=ana@example.com", False), ("similar_to=nota", False), ("EIO=4", True)],
)
def test_the_access_log_hashes_what_people_type_into_a_query(query, kept):
    from aiohttp.test_utils import make_mocked_request

    from bot.web.access_log import safe_path

    logged = safe_path(make_mocked_request("GET", f"/api/agent/search?{query}"))
    assert (query in logged) is kept, logged


def test_private_files_are_the_owners_only_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        database = private_file(tmp_path / "var" / "hub.db")
        mail = tmp_path / "outbox" / "m.eml"
        write_private(mail, b"x")
        loose = tmp_path / "loose.db"
        loose.write_text("")
        loose.chmod(0o644)
        private_file(loose)
    finally:
        os.umask(old)
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (database, database.parent, mail, mail.parent, loose)}
    assert modes == {database: 0o600, database.parent: 0o700, mail: 0o600, mail.parent: 0o700, loose: 0o600}
