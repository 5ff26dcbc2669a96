"""The signed links of ticket e-mails (bot/web/ticket_links.py): GET shows the
question and never acts (mail scanners open links), POST acts once, forged
links are not found and expired ones gone, each with a page in the ticket's
language (or the browser's)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import keys
from bot.db.models import OutgoingMail, Ticket, TicketMessage
from bot.domain import signing
from tests.ticket_life.mailhub import open_ticket, run, settings_for, ticket_of


@pytest.fixture
def hub(tmp_path, mail_server):
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, mail_server.port)
    return settings, lambda scenario: run(settings, scenario)


def link(settings: Any, number: str, action: str, **options: Any) -> str:
    return f"/t/{signing.link_token(number, action, settings, **options)}"


async def customer_lines(app: Any, number: str) -> list:
    ticket = await ticket_of(app, number)
    async with app[keys.SESSIONS]() as session:
        query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id, TicketMessage.author == "customer")
        return list((await session.execute(query)).scalars())


def test_validation_get_never_acts_and_post_acts_once(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app, language="es", status="customer_validation")
        url = link(settings, number, "validate")
        for _ in range(3):  # a scanner, a preview, the customer
            shown = await client.get(f"{url}?answer=solved")
            assert shown.status == 200
            html = await shown.text()
            assert '<form method="post"' in html and "¿se resolvió el problema?" in html
            assert 'value="solved" required checked' in html
            assert shown.headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in shown.headers["Content-Security-Policy"]
        assert (await ticket_of(app, number)).status == "customer_validation"

        done = await client.post(url, data={"answer": "solved", "reason": ""})
        assert done.status == 200 and f"La solicitud {number} se cerró" in await done.text()
        assert (await ticket_of(app, number)).status == "closed"
        again = await client.post(url, data={"answer": "not_solved", "reason": "de nuevo"})
        assert again.status == 409 and "ya no espera tu validación" in await again.text()
        assert (await ticket_of(app, number)).status == "closed"
        assert await customer_lines(app, number) == []
        # Closing asked the survey by e-mail.
        async with app[keys.SESSIONS]() as session:
            subjects = (await session.execute(select(OutgoingMail.subject))).scalars().all()
        assert f"[{number}] Solicitud cerrada: ¿cómo fue la atención?" in subjects
        later = await client.get(url)
        assert later.status == 200 and '<form method="post"' not in await later.text()

    go(scenario)


def test_not_solved_sends_it_back_with_the_reason(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app, language="pt", status="customer_validation")
        done = await client.post(
            link(settings, number, "validate"), data={"answer": "not_solved", "reason": "A nota ainda sai sem o CFOP."}
        )
        assert done.status == 200 and "voltou para o analista" in await done.text()
        assert (await ticket_of(app, number)).status == "in_progress"
        assert [(line.text, line.via) for line in await customer_lines(app, number)] == [
            ("A nota ainda sai sem o CFOP.", "link")
        ]

    go(scenario)


def test_the_survey_is_answered_once_and_never_reopens(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app, language="en", status="closed")
        url = link(settings, number, "survey")
        shown = await client.get(url)
        html = await shown.text()
        assert shown.status == 200 and all(f'name="score" value="{n}"' in html for n in range(11))
        assert (await ticket_of(app, number)).survey_at is None
        wrong = await client.post(url, data={"score": "11"})
        assert wrong.status == 422 and (await ticket_of(app, number)).survey_at is None
        done = await client.post(url, data={"score": "9", "comment": "Quick and clear."})
        assert done.status == 200 and "Thanks for your score" in await done.text()
        again = await client.post(url, data={"score": "0"})
        assert again.status == 409 and "already been answered" in await again.text()
        ticket: Ticket = await ticket_of(app, number)
        assert (ticket.survey_score, ticket.survey_comment, ticket.status) == (9, "Quick and clear.", "closed")
        assert "already been answered" in await (await client.get(url)).text()

    go(scenario)


def test_forged_and_expired_links_are_refused_with_a_clear_page(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app, language="pt", status="customer_validation")
        good = signing.link_token(number, "validate", settings)
        digits, letter, until, signature = good.split(".")
        forged = [
            f"/t/{digits}.s.{until}.{signature}",
            f"/t/{digits}.{letter}.{int(until, 16) + 400:x}.{signature}",
            f"/t/{signing.link_token(number, 'validate', settings.__class__(signing_secret='other'))}",
            "/t/2026-000001",
            link(settings, "2019-999999", "validate"),  # signed, but no such ticket
        ]
        for url in forged:
            for method in ("GET", "POST"):
                reply = await client.request(method, url, data={"answer": "solved"}, headers={"Accept-Language": "es"})
                assert reply.status == 404, (method, url)
                assert "Este enlace no es válido" in await reply.text()
        expired = link(settings, number, "validate", now=settings.clock.now() - timedelta(days=31))
        for method in ("GET", "POST"):
            reply = await client.request(method, expired, data={"answer": "solved"})
            assert reply.status == 410 and "Este link expirou" in await reply.text()
        assert (await ticket_of(app, number)).status == "customer_validation"

    go(scenario)
