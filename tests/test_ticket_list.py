"""The console's ticket list (bot/domain/ticket_list.py): the analyst's queues
only, most critical first and, within a criticality, the oldest first; a page
at a time; the count of each status under the other filters; the customer and
the analyst who last worked on each ticket. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db.models import Handoff, TicketMessage
from bot.domain import ticket_list
from bot.domain.errors import DomainError
from tests.console import seed
from tests.ticket_life.test_deadlines import TUESDAY, run

RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def test_forty_tickets_come_most_critical_then_oldest_a_page_at_a_time(database_url, tmp_path):
    async def scenario(sessions, clock, settings):
        async with sessions.begin() as session:
            who = await seed.contact(session)
            ana = await seed.analyst(session, "ana@support.example", ["technical_support"])
            bia = await seed.analyst(session, "bia@support.example", ["administrative"])
            made = await seed.tickets(session, 40, TUESDAY - timedelta(days=3), who)
            await seed.tickets(session, 3, TUESDAY, queue="administrative", first=41)
            made[5].status = made[6].status = "in_progress"
            # Bia wrote on ticket 1 last; ticket 2 came from Ana's chat.
            session.add(TicketMessage(ticket_id=made[0].id, author="agent", agent_id=ana.id, text="a", via="console"))
            session.add(TicketMessage(ticket_id=made[0].id, author="agent", agent_id=bia.id, text="b", via="console"))
            conversation = await seed.conversation(session, who)
            session.add(
                Handoff(
                    conversation_id=conversation.id, queue="technical_support", agent_id=ana.id, ticket_id=made[1].id
                )
            )
        async with sessions() as session:
            first = await ticket_list.page_of(session, ana, {})
            second = await ticket_list.page_of(session, ana, {"page": "2"})
            progress = await ticket_list.page_of(session, ana, {"status": "in_progress"})
            everything = await ticket_list.page_of(session, ana, {"per_page": "100"})
            theirs = await ticket_list.page_of(session, bia, {})
            with pytest.raises(DomainError) as refused:
                await ticket_list.page_of(session, ana, {"page": "0"})
        return first, second, progress, everything, theirs, refused.value

    first, second, progress, everything, theirs, refused = run(database_url, tmp_path, scenario)
    assert (first["total"], first["pages"], first["page"], len(first["tickets"])) == (40, 2, 1, 20)
    assert len(second["tickets"]) == 20
    listed = first["tickets"] + second["tickets"]
    assert sorted({t["number"] for t in listed}) == [f"2026-{n:06d}" for n in range(1, 41)], "every ticket once"
    order = [(RANK[t["criticality"]], t["created_at"]) for t in listed]
    assert order == sorted(order), "most critical first, then the oldest"
    assert [t["criticality"] for t in first["tickets"][:10]] == ["critical"] * 10
    assert first["counts"] == {"open": 38, "in_progress": 2} == progress["counts"]
    assert [t["number"] for t in progress["tickets"]] == ["2026-000007", "2026-000006"]  # high before medium
    by_number = {t["number"]: t for t in everything["tickets"]}
    assert by_number["2026-000001"]["assignee"] == "Bia" and by_number["2026-000002"]["assignee"] == "Ana"
    assert by_number["2026-000003"]["assignee"] is None and by_number["2026-000003"]["customer"] == "Marta Lima"
    assert theirs["total"] == 3 and {t["queue"] for t in theirs["tickets"]} == {"administrative"}
    assert (refused.status, refused.code) == (422, "invalid")
