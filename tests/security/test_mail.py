"""Finding 3: a line break in a ticket summary, the e-mail after the commit, and
the retry of a confirmed form. In process, on SQLite and PostgreSQL, with the
real test SMTP server (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from typing import Any, List

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot import keys
from bot.adapters.mailer import header_value
from bot.app import create_app
from bot.db.migrate import upgrade
from bot.db.models import OutgoingMail, Ticket
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, actions_auth, free_port
from tests.test_tickets import FIELDS, body, customer


def hub_settings(database_url: str, tmp_path: Any, smtp_port: int, **changes: Any) -> Settings:
    upgrade(database_url)
    return replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        smtp_timeout=2.0,
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
        **changes,
    )


def run(settings: Settings, scenario: Any) -> Any:
    async def with_client() -> Any:
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            return await scenario(client, client.server.app)
        finally:
            await client.close()

    return asyncio.run(with_client())


async def count(app: Any, model: Any) -> int:
    async with app[keys.SESSIONS]() as session:
        return int((await session.execute(select(func.count(model.id)))).scalar() or 0)


async def until(condition: Any, timeout: float = 15.0) -> None:
    """Waits for `condition()` (a coroutine function) to hold, failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.05)


def test_header_values_are_one_clean_line():
    assert header_value("Erro\r\nBcc: x@evil.example") == "Erro Bcc: x@evil.example"
    assert header_value("a\u2028b\u2029c\u0085d\x00e\x1b[31m\tf  g") == "a b c de[31m f g"
    assert header_value("  x  ") == "x"
    assert len(header_value("y" * 1000)) <= 200


def test_a_summary_with_line_breaks_is_one_ticket_and_a_well_formed_email(database_url, tmp_path, mail_server):
    address = f"nl.{uuid.uuid4().hex[:8]}@example.com"
    summary = "Erro ao emitir nota\nBcc: intruso@evil.example\u2028e mais\r\nX-Injected: 1"

    async def scenario(client: Any, app: Any) -> Any:
        conversation = await customer(app, external_id=f"nl-{uuid.uuid4().hex[:6]}", email=address)
        fields = {**FIELDS, "summary": summary}
        reply = await client.post(
            "/api/tickets", json=body(conversation, fields=fields, form_turn="1"), headers=actions_auth(conversation)
        )
        return reply.status, await reply.json(), await count(app, Ticket)

    status, ticket, tickets = run(hub_settings(database_url, tmp_path, mail_server.port), scenario)
    assert status == 201, ticket
    assert tickets == 1
    assert ticket["emailed"] is True
    mails = mail_server.to(address)
    assert len(mails) == 1
    subject = mails[0]["Subject"]
    assert ticket["number"] in subject
    assert "\n" not in subject and "\r" not in subject and "\u2028" not in subject
    assert mails[0]["Bcc"] is None and mails[0]["X-Injected"] is None


def test_a_retried_form_with_a_new_turn_returns_the_same_ticket(database_url, tmp_path, mail_server):
    address = f"retry.{uuid.uuid4().hex[:8]}@example.com"

    async def scenario(client: Any, app: Any) -> Any:
        conversation = await customer(app, external_id=f"r-{uuid.uuid4().hex[:6]}", email=address)
        first = await client.post(
            "/api/tickets", json=body(conversation, form_turn="3:100.1"), headers=actions_auth(conversation)
        )
        # The action server's retry after a timeout: the customer wrote again, so the turn is new.
        again = await client.post(
            "/api/tickets", json=body(conversation, form_turn="5:104.7"), headers=actions_auth(conversation)
        )
        other = await client.post(
            "/api/tickets",
            json=body(conversation, urgency="low", form_turn="6:110.0"),
            headers=actions_auth(conversation),
        )
        return (first.status, await first.json()), (again.status, await again.json()), other.status

    (status, first), (again_status, again), other = run(
        hub_settings(database_url, tmp_path, mail_server.port), scenario
    )
    assert status == 201 and again_status == 200
    assert again["number"] == first["number"] and again["created"] is False and again["emailed"] is True
    assert other == 201, "another request in the same conversation is another ticket"
    assert len(mail_server.to(address)) == 2, "one e-mail per ticket, none for the retry"


def test_a_retried_escalation_with_a_new_turn_returns_the_same_ticket(database_url, tmp_path, mail_server):
    address = f"esc.{uuid.uuid4().hex[:8]}@example.com"
    ticket_body = {"fields": dict(FIELDS), "impact": "medium", "urgency": "medium"}

    async def scenario(client: Any, app: Any) -> Any:
        conversation = await customer(app, external_id=f"e-{uuid.uuid4().hex[:6]}", email=address)
        replies = []
        for turn in ("8:1.0", "9:2.0"):
            escalation = {
                "conversation_id": conversation,
                "reason": "quero falar com alguém",
                "language": "pt",
                "queue": "technical_support",
                "form_turn": turn,
                "ticket": ticket_body,
            }
            reply = await client.post("/api/escalations", json=escalation, headers=actions_auth(conversation))
            replies.append((reply.status, await reply.json()))
        return replies, await count(app, Ticket)

    replies, tickets = run(hub_settings(database_url, tmp_path, mail_server.port), scenario)
    (first_status, first), (again_status, again) = replies
    assert first["outcome"] == "ticket" and first_status == 201, first
    assert again_status == 200 and again["ticket"]["number"] == first["ticket"]["number"]
    assert tickets == 1 and len(mail_server.to(address)) == 1
    assert first["ticket"]["emailed"] is True


class LateMailServer:
    """An SMTP server that is down until start() (aiosmtpd, on a port chosen first)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: List[Any] = []
        self.controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


@pytest.fixture
def late_mail_server():
    server = LateMailServer()
    yield server
    server.stop()


def test_with_smtp_down_the_mail_is_queued_and_delivered_once_it_is_back(database_url, tmp_path, late_mail_server):
    address = f"late.{uuid.uuid4().hex[:8]}@example.com"
    settings = hub_settings(database_url, tmp_path, late_mail_server.port, mail_retry_seconds=0.2)

    async def scenario(client: Any, app: Any) -> Any:
        conversation = await customer(app, external_id=f"l-{uuid.uuid4().hex[:6]}", email=address)
        reply = await client.post(
            "/api/tickets", json=body(conversation, form_turn="1"), headers=actions_auth(conversation)
        )
        created = reply.status, await reply.json()

        async def failed_once() -> bool:
            async with app[keys.SESSIONS]() as session:
                mail = (await session.execute(select(OutgoingMail))).scalar_one()
                return mail.attempts >= 1 and bool(mail.last_error)

        await until(failed_once)
        await asyncio.get_running_loop().run_in_executor(None, late_mail_server.start)

        async def delivered() -> bool:
            async with app[keys.SESSIONS]() as session:
                mail = (await session.execute(select(OutgoingMail))).scalar_one()
                ticket = (await session.execute(select(Ticket))).scalar_one()
                return mail.sent_at is not None and ticket.emailed_at is not None

        await until(delivered)
        async with app[keys.SESSIONS]() as session:
            mail = (await session.execute(select(OutgoingMail))).scalar_one()
        again = await client.post(
            "/api/tickets", json=body(conversation, form_turn="2"), headers=actions_auth(conversation)
        )
        return created, mail, (await again.json())["emailed"]

    (status, ticket), mail, emailed_later = run(settings, scenario)
    assert status == 201 and ticket["emailed"] is False, "the ticket exists whatever happens to its e-mail"
    assert mail.attempts >= 2 and mail.delivered_to == "smtp" and mail.recipient == address
    assert emailed_later is True
    messages = [m for m in late_mail_server.messages if m["To"] == address]
    assert len(messages) == 1 and ticket["number"] in messages[0]["Subject"]


def test_retries_wait_longer_each_time_up_to_an_hour():
    from bot.domain.mail_queue import retry_delay

    assert [retry_delay(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(50, 30) == 3600


def test_the_mail_job_gives_up_after_the_last_attempt_and_says_so(tmp_path, caplog):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    address = f"never.{uuid.uuid4().hex[:8]}@example.com"
    settings = hub_settings(database_url, tmp_path, free_port(), mail_retry_seconds=0.05, mail_max_attempts=3)

    async def scenario(client: Any, app: Any) -> Any:
        conversation = await customer(app, external_id="never", email=address)
        reply = await client.post(
            "/api/tickets", json=body(conversation, form_turn="1"), headers=actions_auth(conversation)
        )
        assert reply.status == 201

        async def exhausted() -> bool:
            async with app[keys.SESSIONS]() as session:
                return (await session.execute(select(OutgoingMail))).scalar_one().attempts >= 3

        await until(exhausted)
        tried_again = await app[keys.MAIL].run_once()
        async with app[keys.SESSIONS]() as session:
            mail = (await session.execute(select(OutgoingMail))).scalar_one()
            ticket = (await session.execute(select(Ticket))).scalar_one()
        return tried_again, mail, ticket

    with caplog.at_level("INFO", logger="bot.realtime.mail_job"):
        tried_again, mail, ticket = run(settings, scenario)
    assert tried_again == 0 and mail.attempts == 3 and mail.sent_at is None and mail.last_error
    assert ticket.emailed_at is None
    assert any("giving up after 3 attempts" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
