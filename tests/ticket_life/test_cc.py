"""The ticket's extra recipients (the guides' "E-MAILS ADICIONAIS"): the action
server sends them with the ticket as "cc"; the hub takes at most five, each one
bare address, stores them with the ticket, copies them on its e-mails (the
opening one included, sent to the test's real SMTP server) and shows them to
the analyst."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bot import keys
from bot.db.models import Ticket
from bot.domain.errors import DomainError
from bot.domain.tickets import TicketRequest
from tests.conftest import actions_auth
from tests.test_tickets import ADMIN, ADMIN_PASSWORD, FIELDS, body, customer, hub  # noqa: F401 (fixture)


def request(**changes):
    return {"fields": dict(FIELDS), "impact": "low", "urgency": "low", **changes}


def test_the_request_takes_up_to_five_single_addresses():
    assert TicketRequest.parse(request()).cc == ()
    parsed = TicketRequest.parse(request(cc=["ana@acme.example", " Bia@Acme.Example ", "ana@ACME.example"]))
    assert parsed.cc == ("ana@acme.example", "Bia@Acme.Example"), "trimmed, each address once"
    for bad in (["not an address"], ["a@b.com, c@d.com"], ["Ana <ana@acme.example>"], "ana@acme.example", [7]):
        with pytest.raises(DomainError) as refused:
            TicketRequest.parse(request(cc=bad))
        assert refused.value.status == 422 and "cc" in refused.value.message
    with pytest.raises(DomainError):
        TicketRequest.parse(request(cc=[f"p{i}@acme.example" for i in range(6)]))


def test_a_bad_copy_is_refused_a_good_one_stored_and_copied_on_the_emails(hub, mail_server):  # noqa: F811
    address = f"ana.{uuid.uuid4().hex[:8]}@example.com"
    copy = f"gerente.{uuid.uuid4().hex[:6]}@acme.example"

    async def scenario(client, app):
        conversation = await customer(app, external_id=f"c-{uuid.uuid4().hex[:6]}", email=address)
        refused = await client.post(
            "/api/tickets", json=body(conversation, cc=["gerente@"], form_turn="1"), headers=actions_auth(conversation)
        )
        assert refused.status == 422, await refused.text()
        assert "cc" in (await refused.json())["message"], await refused.text()
        created = await client.post(
            "/api/tickets", json=body(conversation, cc=[copy], form_turn="2"), headers=actions_auth(conversation)
        )
        assert created.status == 201, await created.text()
        number = (await created.json())["number"]
        async with app[keys.SESSIONS]() as session:
            stored = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
        assert stored.cc == [copy]
        login = await client.post("/api/agent/login", json={"email": ADMIN, "password": ADMIN_PASSWORD})
        bearer = {"Authorization": f"Bearer {(await login.json())['token']}"}
        shown = await client.get(f"/api/agent/tickets/{number}", headers=bearer)
        assert (await shown.json())["cc"] == [copy]
        return number

    number = hub(scenario)
    opening = [m for m in mail_server.to(address) if number in m["Subject"]]
    assert len(opening) == 1 and opening[0]["Cc"] == copy


def test_the_intakes_escalation_carries_the_copies(hub):  # noqa: F811
    copy = f"ti.{uuid.uuid4().hex[:6]}@acme.example"

    async def scenario(client, app):
        conversation = await customer(app, external_id=f"c-{uuid.uuid4().hex[:6]}")
        ticket = request(cc=[copy], language="pt")
        answer = await client.post(
            "/api/escalations",
            json={"conversation_id": conversation, "reason": "erro", "ticket": ticket, "form_turn": "1"},
            headers=actions_auth(conversation),
        )
        assert answer.status in (200, 201), await answer.text()
        result = await answer.json()
        assert result["outcome"] == "ticket", result
        async with app[keys.SESSIONS]() as session:
            stored = (
                await session.execute(select(Ticket).where(Ticket.number == result["ticket"]["number"]))
            ).scalar_one()
        assert stored.cc == [copy]

    hub(scenario)
