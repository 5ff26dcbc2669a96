"""The e-mails about a ticket (bot/domain/ticket_mail.py): "[<number>]" starts
every subject, they come from settings.mail_from, answer to the ticket's
signed reply address, copy the ticket's extra recipients, speak the ticket's
language, carry the thread's last public message and what to do now (signed
links for validation and the survey). Sent by the mail job to the test's real
SMTP server."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from bot import keys
from bot.db.models import OutgoingMail, Ticket
from bot.domain import agents, mail_queue, signing, ticket_mail, ticket_thread
from bot.domain.ticket_texts import long_date
from tests.ticket_life.mailhub import open_ticket, run, settings_for, ticket_of

FROM = "Suporte Acme <suporte@acme.example>"
# A phrase each language's reply e-mail says, and one it must not.
SAYS = {"pt": "respondeu no chamado", "es": "respondió en la solicitud", "en": "replied on ticket"}


@pytest.fixture
def hub(tmp_path, mail_server):
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, mail_server.port, mail_from=FROM)
    return settings, lambda scenario: run(settings, scenario), mail_server


async def until(condition: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.05)


async def analyst_reply(app: Any, number: str, text: str) -> None:
    """An analyst's public reply in the thread (its e-mail is queued by the thread itself)."""
    settings = app[keys.SETTINGS]
    async with app[keys.SESSIONS].begin() as session:
        agent = await agents.create_agent(
            session, f"bia.{uuid.uuid4().hex[:6]}@support.example", "Bia Lima", "a long enough password 1", []
        )
        ticket = await session.get(Ticket, (await ticket_of(app, number)).id)
        await ticket_thread.add_message(
            session, ticket, author="agent", text=text, via="console", agent=agent, settings=settings
        )
    app[keys.MAIL].kick()


async def queued(app: Any, number: str, kind: str, message: Any = None, **changes: Any) -> OutgoingMail:
    """The e-mail of `kind` about ticket `number` (after `changes` to the ticket), as queued."""
    async with app[keys.SESSIONS].begin() as session:
        ticket = await session.get(Ticket, (await ticket_of(app, number)).id)
        for name, value in changes.items():
            setattr(ticket, name, value)
        mail = await ticket_mail.queue_news_email(
            session, ticket, kind, app[keys.SETTINGS], mail_queue.real_now(), message_text=message
        )
        assert mail is not None
        return mail


@pytest.mark.parametrize("language", ["pt", "es", "en"])
def test_an_analysts_reply_reaches_the_customer_and_the_copies(hub, language):
    settings, go, mail_server = hub
    copy = f"gerente.{uuid.uuid4().hex[:6]}@acme.example"

    async def scenario(client, app):
        number, address = await open_ticket(app, language=language, cc=[copy, "not an address", "x@y"])
        await analyst_reply(app, number, "Atualize o patch 12.1.2310.5 e tente de novo.\nDepois me conte.")

        async def arrived() -> bool:
            return any(m["Subject"].startswith(f"[{number}] ") and m["Reply-To"] for m in mail_server.to(address))

        await until(arrived)
        email = next(m for m in mail_server.to(address) if m["Reply-To"])
        assert email["From"] == FROM
        assert email["Reply-To"] == signing.reply_address(number, settings)
        assert signing.ticket_of_address(email["Reply-To"], settings) == number
        assert email["Cc"] == copy
        assert email["Auto-Submitted"] == "auto-generated"
        body = email.get_content()
        assert SAYS[language] in body and "Bia Lima" in body
        assert all(phrase not in body for other, phrase in SAYS.items() if other != language)
        assert "Atualize o patch 12.1.2310.5 e tente de novo." in body and "Depois me conte." in body
        assert settings.public_url in body

    go(scenario)


def test_the_opening_email_has_the_number_first_and_answers_to_the_ticket(hub):
    settings, go, mail_server = hub

    async def scenario(client, app):
        number, address = await open_ticket(app, language="en")
        async with app[keys.SESSIONS].begin() as session:
            ticket = await session.get(Ticket, (await ticket_of(app, number)).id)
            from bot.domain.tickets import ticket_json

            mail = ticket_mail.queue_ticket_email(
                session, ticket_json(ticket), ticket.id, address, settings, mail_queue.real_now()
            )
        assert mail is not None
        assert mail.subject == f"[{number}] Ticket opened: Erro ao emitir nota fiscal de saída"
        assert f"Reply-To: {signing.reply_address(number, settings)}" in mail.raw
        assert f"From: {FROM}" in mail.raw

    go(scenario)


def test_validation_asks_with_two_signed_links_and_names_the_deadline(hub):
    settings, go, _ = hub
    deadline = datetime(2026, 12, 11, 13, 0, tzinfo=timezone.utc)

    async def scenario(client, app):
        number, _ = await open_ticket(app, language="pt")
        mail = await queued(
            app,
            number,
            "status",
            "Corrigimos o cadastro; confira a nota.",
            status="customer_validation",
            deadline_at=deadline,
        )
        assert mail.subject == f"[{number}] Situação do chamado: Validação do cliente"
        body = ticket_mail_body(mail)
        assert "Corrigimos o cadastro; confira a nota." in body
        assert long_date(deadline, "pt") in body and "sexta-feira, 11 de dezembro de 2026" in body
        links = [line.split(": ", 1)[1] for line in body.splitlines() if "/t/" in line]
        assert [link.rsplit("?", 1)[1] for link in links] == ["answer=solved", "answer=not_solved"]
        for link in links:
            token = link.split("/t/", 1)[1].split("?")[0]
            assert link.startswith(f"{settings.public_url}/t/")
            assert signing.read_link(token, settings, settings.clock.now()) == (number, "validate")

    go(scenario)


def test_warning_survey_and_follow_up_say_what_to_do(hub):
    settings, go, _ = hub
    tomorrow = datetime(2026, 12, 11, 13, 0, tzinfo=timezone.utc)

    async def scenario(client, app):
        number, _ = await open_ticket(app, language="en")
        warning = await queued(app, number, "warning", status="awaiting_customer", deadline_at=tomorrow)
        assert warning.subject == f"[{number}] Your ticket moves on tomorrow"
        assert "Friday, 11 December 2026" in ticket_mail_body(warning)
        last_call = await queued(app, number, "warning", status="customer_validation")
        assert "?answer=solved" in ticket_mail_body(last_call)
        survey = await queued(app, number, "survey", status="closed")
        assert survey.subject == f"[{number}] Ticket closed: how did we do?"
        token = next(line for line in ticket_mail_body(survey).splitlines() if "/t/" in line).split("/t/")[1]
        assert signing.read_link(token.strip(), settings, settings.clock.now()) == (number, "survey")
        assert "follow-up" in ticket_mail_body(survey)
        child, _ = await open_ticket(app, language="en")
        parent = await ticket_of(app, number)
        follow_up = await queued(app, child, "follow_up", parent_id=parent.id)
        assert follow_up.subject == f"[{child}] Follow-up of ticket {number}"
        assert number in ticket_mail_body(follow_up) and child in ticket_mail_body(follow_up)

    go(scenario)


def test_no_address_no_email(hub):
    settings, go, _ = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app, email="not an address")
        async with app[keys.SESSIONS].begin() as session:
            ticket = await session.get(Ticket, (await ticket_of(app, number)).id)
            assert await ticket_mail.queue_news_email(session, ticket, "reply", settings, mail_queue.real_now()) is None
        with pytest.raises(ValueError):
            async with app[keys.SESSIONS].begin() as session:
                await ticket_mail.queue_news_email(session, ticket, "gossip", settings, mail_queue.real_now())

    go(scenario)


def ticket_mail_body(mail: OutgoingMail) -> str:
    from bot.adapters.mailer import parse

    return str(parse(mail.raw).get_content())


def test_a_long_subject_is_not_folded_before_the_number():
    # Python's default policy broke it right after "Subject:", and readers saw " [2026-…".
    from email import message_from_string
    from email.policy import default

    from bot.adapters.mailer import parse
    from bot.domain.tickets import format_number
    from bot.settings import Settings

    summary = "preciso da segunda via do boleto de outubro"  # fits a line of its own, not after "Subject:"
    ticket = {"number": format_number(2026, 1), "summary": summary, "criticality": "low", "language": "pt"}
    email = ticket_mail.render(ticket, "ana@example.com", Settings())
    raw = email.as_string()
    subject = next(line for line in raw.splitlines() if line.startswith("Subject:"))
    assert subject.startswith("Subject: [2026-000001] "), subject
    assert str(message_from_string(raw, policy=default)["Subject"]).startswith("[2026-000001]")
    # And so it stays when the mail job reads it back to send it.
    assert str(parse(raw)["Subject"]).startswith("[2026-000001]")
    assert "Subject: [2026-000001] " in parse(raw).as_string()
