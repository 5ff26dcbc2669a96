"""Statuses and deadlines (bot/domain/ticket_status.py): a ticket waiting for
the customer moves by itself after the vocabulary's business days (weekends
and national holidays skipped), once, even with two jobs at once; the customer
is warned the business day before; their answer brings it back to analysis;
the survey is answered once and never reopens it. On SQLite and on a real
PostgreSQL (tests/conftest.py's `database_url`), with a clock the test moves."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import func, select

from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.models import OutgoingMail, ReportEvent, Ticket, TicketMessage, utc
from bot.db.session import make_engine, make_sessions
from bot.domain import reports, ticket_status, ticket_thread, tickets
from bot.domain.errors import DomainError
from bot.domain.identity import Identity
from bot.domain.tickets import TicketRequest
from bot.settings import Settings
from common.clock import ZONE

# Tuesday 17 November 2026, 10:00 in Brasília; Friday the 20th is a national
# holiday (Consciência Negra), so 7 business days later is Friday the 27th.
TUESDAY = datetime(2026, 11, 17, 10, 0, tzinfo=ZONE)
SEVEN_DAYS_LATER = datetime(2026, 11, 27, 10, 0, tzinfo=ZONE)
FIELDS = {
    "category": "bug",
    "product": "Protheus",
    "summary": "Erro ao emitir nota fiscal de saída",
    "description": "Ao confirmar a nota aparece erro de chave duplicada",
}


class Ticking:
    """The hub's clock, moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment.astimezone(ZONE)

    def set(self, moment: datetime) -> None:
        self.moment = moment


def run(database_url: str, tmp_path: Any, scenario: Any, engines: int = 1) -> Any:
    """scenario(sessions..., clock, settings) on a migrated database, the clock at TUESDAY.
    With engines=2, two session factories on two engines: two hubs' jobs."""
    upgrade(database_url)

    async def main() -> Any:
        clock = Ticking(TUESDAY)
        made = [make_engine(database_url) for _ in range(engines)]
        factories = [make_sessions(engine, clock) for engine in made]  # type: ignore[arg-type]
        settings = replace(Settings(), clock=clock, outbox_dir=str(tmp_path / "outbox"))  # type: ignore[arg-type]
        try:
            return await scenario(*factories, clock, settings)
        finally:
            for engine in made:
                await engine.dispose()

    return asyncio.run(main())


async def open_ticket(sessions: Any, fields: Optional[Dict[str, Any]] = None, key: str = "k1") -> Ticket:
    async with sessions.begin() as session:
        identity = Identity("c-1", name="Ana Souza", email="ana@example.com", company="Acme", company_code="ACME")
        contact = await queries.upsert_contact(session, identity)
        conversation = await queries.create_conversation(session, contact.id, "pt")
        await queries.add_message(session, conversation.id, "customer", "a nota fiscal não sai")
        request = TicketRequest(dict(fields or FIELDS), "medium", "medium", "pt")
        ticket, _ = await tickets.create_ticket(session, conversation.id, request, key, key, TUESDAY)
        return ticket


async def move(sessions: Any, number: str, status: str, settings: Settings) -> Ticket:
    async with sessions.begin() as session:
        ticket = await one(session, number)
        await ticket_status.change(session, ticket, status, by="agent", settings=settings)
        return ticket


async def one(session: Any, number: str) -> Ticket:
    return (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()


async def fresh(sessions: Any, number: str) -> Ticket:
    async with sessions() as session:
        return await one(session, number)


async def mails(sessions: Any, ticket: Ticket) -> List[OutgoingMail]:
    async with sessions() as session:
        query = select(OutgoingMail).where(OutgoingMail.ticket_id == ticket.id).order_by(OutgoingMail.id)
        return list((await session.execute(query)).scalars())


async def status_lines(sessions: Any, ticket: Ticket) -> List[TicketMessage]:
    async with sessions() as session:
        query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id, TicketMessage.status_to.is_not(None))
        return list((await session.execute(query.order_by(TicketMessage.id))).scalars())


def local(moment: Optional[datetime]) -> Optional[datetime]:
    return utc(moment).astimezone(ZONE) if moment is not None else None


def test_validation_closes_after_seven_business_days_across_a_holiday_once_with_two_jobs(database_url, tmp_path):
    async def scenario(hub_a, hub_b, clock, settings):
        ticket = await open_ticket(hub_a)
        await move(hub_a, ticket.number, "customer_validation", settings)
        moved = await fresh(hub_a, ticket.number)
        assert local(moved.deadline_at) == SEVEN_DAYS_LATER
        # Warned the business day before: Thursday the 26th, same time.
        assert local(moved.warn_at) == SEVEN_DAYS_LATER - timedelta(days=1)
        mailed = len(await mails(hub_a, ticket))

        # A minute before the warning, nothing happens.
        clock.set(SEVEN_DAYS_LATER - timedelta(days=1, minutes=1))
        assert (await ticket_status.run_due(hub_a, settings, clock.now()))["warned"] == []

        # The warning, by two hubs' jobs at once: one e-mail.
        clock.set(SEVEN_DAYS_LATER - timedelta(days=1))
        both = await asyncio.gather(
            ticket_status.run_due(hub_a, settings, clock.now()), ticket_status.run_due(hub_b, settings, clock.now())
        )
        assert sorted(len(done["warned"]) for done in both) == [0, 1]
        assert all(done["moved"] == [] for done in both)
        assert len(await mails(hub_a, ticket)) == mailed + 1
        assert (await fresh(hub_a, ticket.number)).status == "customer_validation"

        # A second before the deadline: still waiting.
        clock.set(SEVEN_DAYS_LATER - timedelta(seconds=1))
        assert (await ticket_status.run_due(hub_b, settings, clock.now()))["moved"] == []

        # At the deadline, two jobs at once: it closes once.
        clock.set(SEVEN_DAYS_LATER)
        both = await asyncio.gather(
            ticket_status.run_due(hub_a, settings, clock.now()), ticket_status.run_due(hub_b, settings, clock.now())
        )
        assert sorted(done["moved"] for done in both) == [[], [(ticket.number, "customer_validation", "closed")]]
        closed = await fresh(hub_a, ticket.number)
        assert closed.status == "closed" and local(closed.closed_at) == SEVEN_DAYS_LATER
        assert closed.deadline_at is None and closed.warn_at is None
        lines = await status_lines(hub_a, ticket)
        assert [(m.status_from, m.status_to, m.via) for m in lines] == [
            ("open", "customer_validation", "console"),
            ("customer_validation", "closed", "auto"),
        ]
        async with hub_a() as session:
            events = (
                await session.execute(
                    select(func.count(ReportEvent.id)).where(
                        ReportEvent.kind == "ticket_status", ReportEvent.data["to"].as_string() == "closed"
                    )
                )
            ).scalar()
        assert events == 1
        # The survey e-mail went with the close, once; later runs do nothing.
        assert len(await mails(hub_a, ticket)) == mailed + 2
        clock.set(SEVEN_DAYS_LATER + timedelta(days=30))
        assert await ticket_status.run_due(hub_a, settings, clock.now()) == {"moved": [], "warned": [], "contacts": []}

    run(database_url, tmp_path, scenario, engines=2)


def test_linha_consinco_validation_lasts_five_business_days(database_url, tmp_path):
    async def scenario(sessions, clock, settings):
        ticket = await open_ticket(sessions, {**FIELDS, "product": "Linha Consinco"})
        await move(sessions, ticket.number, "customer_validation", settings)
        moved = await fresh(sessions, ticket.number)
        # Wed 18, Thu 19, (Fri 20 holiday), Mon 23, Tue 24, Wed 25.
        assert local(moved.deadline_at) == datetime(2026, 11, 25, 10, 0, tzinfo=ZONE)
        clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=ZONE))
        done = await ticket_status.run_due(sessions, settings, clock.now())
        assert done["moved"] == [(ticket.number, "customer_validation", "closed")]

    run(database_url, tmp_path, scenario)


def test_awaiting_customer_moves_to_validation_and_its_clock_starts_again(database_url, tmp_path):
    async def scenario(sessions, clock, settings):
        ticket = await open_ticket(sessions)
        await move(sessions, ticket.number, "awaiting_customer", settings)
        assert local((await fresh(sessions, ticket.number)).deadline_at) == SEVEN_DAYS_LATER
        clock.set(SEVEN_DAYS_LATER + timedelta(hours=2))  # the job was late (a hub down): it catches up
        done = await ticket_status.run_due(sessions, settings, clock.now())
        assert done["moved"] == [(ticket.number, "awaiting_customer", "customer_validation")]
        moved = await fresh(sessions, ticket.number)
        assert moved.status == "customer_validation"
        # 7 business days from when it moved: Fri 27 -> Tue 8 December (no holiday between).
        assert local(moved.deadline_at) == datetime(2026, 12, 8, 12, 0, tzinfo=ZONE)
        # The missed warning of the first deadline is not sent late.
        assert done["warned"] == []

    run(database_url, tmp_path, scenario)


def test_a_customer_reply_brings_the_ticket_back_to_analysis(database_url, tmp_path):
    async def scenario(sessions, clock, settings):
        ticket = await open_ticket(sessions)
        for waiting in ("awaiting_customer", "customer_validation"):
            await move(sessions, ticket.number, waiting, settings)
            async with sessions.begin() as session:
                found = await one(session, ticket.number)
                await ticket_thread.add_message(
                    session, found, author="customer", text="Ainda dá erro na nota.", via="email", settings=settings
                )
            back = await fresh(sessions, ticket.number)
            assert back.status == "in_progress", waiting
            assert back.deadline_at is None and back.warn_at is None
            assert back.last_customer_at is not None
        # Nothing is due any more.
        clock.set(SEVEN_DAYS_LATER + timedelta(days=10))
        assert (await ticket_status.run_due(sessions, settings, clock.now()))["moved"] == []

    run(database_url, tmp_path, scenario)


def test_validation_by_the_customer(database_url, tmp_path):
    async def scenario(sessions, clock, settings):
        first = await open_ticket(sessions)
        second = await open_ticket(sessions, {**FIELDS, "summary": "Folha não calcula férias"}, key="k2")
        async with sessions.begin() as session:
            with pytest.raises(DomainError) as refused:
                await ticket_status.validate(session, await one(session, first.number), True, None, "widget")
            assert refused.value.status == 409 and refused.value.code == "not_in_validation"
        for ticket in (first, second):
            await move(sessions, ticket.number, "customer_validation", settings)
        async with sessions.begin() as session:
            await ticket_status.validate(session, await one(session, first.number), True, None, "link", settings)
            await ticket_status.validate(
                session, await one(session, second.number), False, "Continua o erro 123", "widget", settings
            )
        assert (await fresh(sessions, first.number)).status == "closed"
        rejected = await fresh(sessions, second.number)
        assert rejected.status == "in_progress"
        async with sessions() as session:
            thread = await ticket_thread.thread_of(session, rejected, include_internal=False)
        assert thread[-2]["author"] == "customer" and thread[-2]["text"] == "Continua o erro 123"
        assert (thread[-1]["status_from"], thread[-1]["status_to"]) == ("customer_validation", "in_progress")

    run(database_url, tmp_path, scenario)


def test_the_survey_is_answered_once_and_never_reopens(database_url, tmp_path):
    async def scenario(sessions, clock, settings):
        ticket = await open_ticket(sessions)
        async with sessions.begin() as session:
            with pytest.raises(DomainError) as refused:
                await ticket_status.answer_survey(session, await one(session, ticket.number), 9, None, "widget")
            assert refused.value.code == "not_closed"
        await move(sessions, ticket.number, "closed", settings)
        async with sessions.begin() as session:
            with pytest.raises(DomainError) as refused:
                await ticket_status.answer_survey(session, await one(session, ticket.number), 11, None, "widget")
            assert refused.value.status == 422
        async with sessions.begin() as session:
            await ticket_status.answer_survey(
                session, await one(session, ticket.number), 9, "Rápido, CPF 529.982.247-25", "link"
            )
        async with sessions.begin() as session:
            with pytest.raises(DomainError) as refused:
                await ticket_status.answer_survey(session, await one(session, ticket.number), 3, None, "widget")
            assert refused.value.status == 409 and refused.value.code == "answered"
        answered = await fresh(sessions, ticket.number)
        assert (answered.status, answered.survey_score) == ("closed", 9)
        assert "529.982.247-25" not in (answered.survey_comment or "")
        # A closed ticket's customer cannot write on it (a follow-up continues it).
        async with sessions.begin() as session:
            with pytest.raises(DomainError) as refused:
                await ticket_thread.add_message(
                    session, await one(session, ticket.number), author="customer", text="oi", via="widget"
                )
            assert refused.value.code == "closed"
        # The satisfaction report counts it among the tickets' surveys.
        async with sessions() as session:
            period = reports.Period.parse({"from": "2026-11-01", "to": "2026-11-30"}, clock.now().date())
            found = await reports.satisfaction(session, period)
        assert found["ticket"]["responses"] == 1 and found["ticket"]["distribution"][9] == 1

    run(database_url, tmp_path, scenario)
