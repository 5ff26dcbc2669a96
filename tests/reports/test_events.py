"""The report events (bot/domain/report_events.py): each is written by the real
domain function that makes the change it reports, in that change's
transaction, exactly once, with the hub's masked text; on SQLite and on a real
PostgreSQL (tests/conftest.py's `database_url`), with a clock the test moves."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import keys
from bot.adapters.rasa_client import RasaReply, Understood
from bot.app import create_app
from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.models import Agent, ReportEvent
from bot.db.session import make_engine, make_sessions
from bot.domain import conversations, handoffs, report_events, retention, tickets
from bot.domain.agents import create_agent
from bot.domain.identity import Identity
from bot.domain.live_chat import LiveChat
from bot.domain.tickets import TicketRequest
from bot.settings import Settings
from common.clock import ZONE, Clock
from tests.conftest import ACTIONS_TOKEN, actions_auth

# A Wednesday, 12:30 in Brasília: technical support and cloud are open.
WEDNESDAY = datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc)
CPF = "529.982.247-25"
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

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class Nobody:
    """A notifier nobody listens to: live chat's use cases run without sockets."""

    def __getattr__(self, name: str) -> Any:
        async def ignore(*args: Any, **kwargs: Any) -> None:
            return None

        return ignore


def run(database_url: str, scenario: Any) -> Any:
    """scenario(sessions, clock, live) on a migrated database, the clock at WEDNESDAY."""
    upgrade(database_url)

    async def main() -> Any:
        engine = make_engine(database_url)
        clock = Ticking(WEDNESDAY)
        sessions = make_sessions(engine, clock)  # type: ignore[arg-type]
        live = LiveChat(sessions, replace(Settings(), clock=clock), Nobody())  # type: ignore[arg-type]
        try:
            return await scenario(sessions, clock, live)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def events(sessions: Any, *kinds: str) -> List[ReportEvent]:
    async with sessions() as session:
        query = select(ReportEvent).order_by(ReportEvent.id)
        if kinds:
            query = query.where(ReportEvent.kind.in_(kinds))
        return list((await session.execute(query)).scalars())


async def customer(sessions: Any, language: str = "pt", logged_in: bool = True) -> str:
    async with sessions.begin() as session:
        contact = None
        if logged_in:
            identity = Identity("c-1", name="Ana", email="ana@example.com", company="Acme", company_code="ACME")
            contact = await queries.upsert_contact(session, identity)
        conversation = await queries.create_conversation(session, contact.id if contact else None, language)
        await queries.add_message(session, conversation.id, "customer", "preciso de ajuda")
        return conversation.id


async def analyst(sessions: Any, email: str = "bia@support.example", queues=("technical_support", "cloud")) -> Agent:
    async with sessions.begin() as session:
        return await create_agent(session, email, "Bia", "a long enough password", list(queues))


async def queue_chat(sessions: Any, clock: Ticking, conversation_id: str, queue: str = "technical_support") -> int:
    async with sessions.begin() as session:
        conversation = await queries.get_conversation(session, conversation_id)
        assert conversation is not None
        handoff = await handoffs.start(session, conversation, queue, "a nota não sai", None, clock.now())
        return handoff.id


def at(event: ReportEvent) -> datetime:
    return event.created_at.replace(tzinfo=timezone.utc) if event.created_at.tzinfo is None else event.created_at


def test_the_writer_refuses_unknown_kinds():
    with pytest.raises(ValueError, match="unknown report event kind"):
        asyncio.run(report_events.record(None, "answered"))  # type: ignore[arg-type]
    assert report_events.KB_KINDS <= report_events.KINDS
    assert report_events.event("presence", agent_id=1, status="online").data == {"agent_id": 1, "status": "online"}


def test_a_live_chat_is_queued_accepted_and_closed_with_its_times_then_surveyed(database_url):
    async def scenario(sessions, clock, live):
        bia = await analyst(sessions)
        conversation_id = await customer(sessions)
        handoff_id = await queue_chat(sessions, clock, conversation_id)
        clock.advance(40)
        await live.accept(bia, handoff_id)
        clock.advance(600)
        await live.close(bia, handoff_id, "resolved")
        clock.advance(30)
        # The customer's answer to the survey, as the widget brings it.
        said = "10, a Bia foi muito atenciosa"
        outcome = await conversations.store_customer_message(sessions, conversation_id, said, None, None)
        assert isinstance(outcome, conversations.Outcome), "the hub answers the survey itself"
        return handoff_id, bia.id, conversation_id, await events(sessions)

    handoff_id, agent_id, conversation_id, found = run(database_url, scenario)
    assert [e.kind for e in found] == ["handoff_queued", "handoff_accepted", "handoff_closed", "survey"]
    queued, accepted, closed, survey = found
    assert all(e.conversation_id == conversation_id and e.language == "pt" for e in found)
    assert (queued.queue, queued.data) == ("technical_support", {"handoff_id": handoff_id})
    assert at(queued) == WEDNESDAY, "stamped by the session's clock"
    assert accepted.queue == "technical_support"
    assert accepted.data == {"handoff_id": handoff_id, "agent_id": agent_id, "wait_seconds": 40}
    assert closed.data == {
        "handoff_id": handoff_id,
        "agent_id": agent_id,
        "stage": "accepted",
        "waited_seconds": 40,
        "handle_seconds": 600,
        "resolution": "resolved",
    }
    assert (survey.score, survey.queue, survey.data) == (10, "technical_support", {"channel": "live_chat"})
    assert survey.text == "10, a Bia foi muito atenciosa", "more than a score: a comment"
    # A message with a document in it is no score; the comment is masked all the same.
    assert handoffs.survey_comment(f"9, meu CPF {CPF}, atenciosa", "pt") == "9, meu CPF [CPF], atenciosa"


def test_a_bare_score_has_no_comment_and_anything_else_is_no_survey(database_url):
    async def scenario(sessions, clock, live):
        bia = await analyst(sessions)
        first, second = await customer(sessions), await customer(sessions)
        for conversation_id in (first, second):
            handoff_id = await queue_chat(sessions, clock, conversation_id)
            await live.accept(bia, handoff_id)
            await live.close(bia, handoff_id, "resolved")
        await conversations.store_customer_message(sessions, first, "nota 9", None, None)
        await conversations.store_customer_message(sessions, second, "obrigada, tchau", None, None)
        return await events(sessions, "survey")

    found = run(database_url, scenario)
    assert [(e.score, e.text) for e in found] == [(9, None)]


def test_a_transfer_ends_the_analysts_part_and_the_next_wait_counts_from_it(database_url):
    async def scenario(sessions, clock, live):
        bia = await analyst(sessions)
        caio = await analyst(sessions, "caio@support.example", ["cloud"])
        conversation_id = await customer(sessions)
        handoff_id = await queue_chat(sessions, clock, conversation_id)
        clock.advance(30)
        await live.accept(bia, handoff_id)
        clock.advance(100)
        await live.transfer(bia, handoff_id, "cloud")
        clock.advance(20)
        await live.accept(caio, handoff_id)
        return handoff_id, bia.id, caio.id, await events(sessions)

    handoff_id, bia, caio, found = run(database_url, scenario)
    kinds = [e.kind for e in found]
    assert kinds == ["handoff_queued", "handoff_accepted", "handoff_closed", "handoff_queued", "handoff_accepted"]
    closed, requeued, taken = found[2:]
    assert closed.queue == "technical_support"
    assert closed.data == {
        "handoff_id": handoff_id,
        "agent_id": bia,
        "stage": "accepted",
        "waited_seconds": 30,
        "handle_seconds": 100,
        "resolution": "transferred",
    }
    assert (requeued.queue, requeued.data) == ("cloud", {"handoff_id": handoff_id, "requeued": True})
    assert (taken.queue, taken.data) == ("cloud", {"handoff_id": handoff_id, "agent_id": caio, "wait_seconds": 20})


def test_an_analyst_lost_puts_the_chat_back_and_goes_offline(database_url):
    async def scenario(sessions, clock, live):
        bia = await analyst(sessions)
        async with sessions.begin() as session:  # what PUT /api/agent/presence does
            (await session.get_one(Agent, bia.id)).presence = "online"
        conversation_id = await customer(sessions)
        handoff_id = await queue_chat(sessions, clock, conversation_id)
        await live.accept(bia, handoff_id)
        clock.advance(50)
        await live.agent_gone(bia.id)
        return bia.id, await events(sessions, "presence", "handoff_closed", "handoff_queued")

    agent_id, found = run(database_url, scenario)
    assert [(e.kind, (e.data or {}).get("status") or (e.data or {}).get("resolution")) for e in found] == [
        ("presence", "online"),
        ("handoff_queued", None),
        ("presence", "offline"),
        ("handoff_closed", "agent_lost"),
        ("handoff_queued", None),
    ]
    assert found[0].data == {"agent_id": agent_id, "status": "online"}
    assert found[3].data["handle_seconds"] == 50 and found[4].data["requeued"] is True


def test_presence_is_noted_when_it_changes_only(database_url):
    async def scenario(sessions, clock, live):
        bia = await analyst(sessions)  # created offline: not a change
        for wanted in ("online", "online", "offline"):
            async with sessions.begin() as session:
                (await session.get_one(Agent, bia.id)).presence = wanted
        return await events(sessions)

    found = run(database_url, scenario)
    assert [(e.kind, e.data["status"]) for e in found] == [("presence", "online"), ("presence", "offline")]


def test_customers_who_leave_abandon_waiting_or_chatting(database_url):
    async def scenario(sessions, clock, live):
        bia = await analyst(sessions)
        waiting, chatting = await customer(sessions), await customer(sessions)
        first = await queue_chat(sessions, clock, waiting)
        second = await queue_chat(sessions, clock, chatting)
        clock.advance(15)
        await live.accept(bia, second)
        clock.advance(75)
        await live.abandon(waiting)
        await live.abandon(chatting)
        await live.abandon(chatting)  # nothing live any more: nothing to note
        return first, second, await events(sessions, "handoff_abandoned")

    first, second, found = run(database_url, scenario)
    assert [e.data for e in found] == [
        {"handoff_id": first, "stage": "queued", "waited_seconds": 90, "handle_seconds": None},
        {"handoff_id": second, "stage": "accepted", "waited_seconds": 15, "handle_seconds": 75},
    ]


def test_a_waiting_customer_who_takes_a_ticket_instead(database_url):
    async def scenario(sessions, clock, live):
        conversation_id = await customer(sessions)
        handoff_id = await queue_chat(sessions, clock, conversation_id)
        clock.advance(120)
        await live.make_ticket(handoff_id, resolution="ticket")
        await live.make_ticket(handoff_id, resolution="ticket")  # asked twice: one ticket
        return handoff_id, await events(sessions, "ticket_created", "handoff_closed")

    handoff_id, found = run(database_url, scenario)
    created, closed = found
    assert (created.kind, created.queue, created.language) == ("ticket_created", "technical_support", "pt")
    assert created.data["via"] == "handoff" and created.data["ticket_number"] == "2026-000001"
    assert closed.kind == "handoff_closed"
    assert closed.data == {
        "handoff_id": handoff_id,
        "agent_id": None,
        "stage": "queued",
        "waited_seconds": 120,
        "handle_seconds": None,
        "resolution": "ticket",
    }


def test_a_ticket_is_noted_once_and_its_status_changes_and_follow_up_too(database_url):
    async def scenario(sessions, clock, live):
        conversation_id = await customer(sessions, "es")
        request = TicketRequest(dict(FIELDS), "high", "medium", "es")
        for _ in range(2):  # a retry with the same key returns the first ticket, and notes nothing
            async with sessions.begin() as session:
                ticket, created = await tickets.create_ticket(
                    session, conversation_id, request, "ticket:key:k1", "h1", clock.now()
                )
        assert not created
        async with sessions.begin() as session:
            # Under another key, the same request from the same conversation is the same ticket too.
            await tickets.create_ticket(session, conversation_id, request, "ticket:key:k2", "h1", clock.now())
        for status in ("in_progress", "in_progress", "closed"):
            async with sessions.begin() as session:
                found = await session.get_one(tickets.Ticket, ticket.id)
                await tickets.set_status(session, found, status)
        with pytest.raises(tickets.DomainError):
            async with sessions.begin() as session:
                await tickets.set_status(session, await session.get_one(tickets.Ticket, ticket.id), "open")
        async with sessions.begin() as session:
            parent = await session.get_one(tickets.Ticket, ticket.id)
            follow = tickets.follow_up_request(parent, "ainda dá erro", "es")
            await tickets.create_ticket(session, conversation_id, follow, "follow-up:k3", "h3", clock.now(), parent)
        return conversation_id, ticket.number, await events(sessions)

    conversation_id, number, found = run(database_url, scenario)
    assert [e.kind for e in found] == ["ticket_created", "ticket_status", "ticket_status", "ticket_created"]
    created, started, closed, follow_up = found
    assert (created.conversation_id, created.queue, created.language) == (conversation_id, "technical_support", "es")
    assert created.data == {
        "ticket_number": number,
        "category": "bug",
        "criticality": "high",
        "via": "intake",
    }
    assert started.data == {"ticket_number": number, "from": "open", "to": "in_progress"}
    assert closed.data == {"ticket_number": number, "from": "in_progress", "to": "closed"}
    assert started.queue == "technical_support"
    assert follow_up.data["via"] == "follow_up" and follow_up.data["ticket_number"] != number


def test_a_deflection_is_noted_with_its_article(database_url):
    async def scenario(sessions, clock, live):
        conversation_id = await customer(sessions, "en")
        async with sessions.begin() as session:
            await tickets.record_deflection(session, conversation_id, "forgot_password")
        with pytest.raises(tickets.DomainError):
            async with sessions.begin() as session:
                await tickets.record_deflection(session, "no-such-conversation", "forgot_password")
        return conversation_id, await events(sessions)

    conversation_id, found = run(database_url, scenario)
    assert [(e.kind, e.conversation_id, e.article_id, e.language) for e in found] == [
        ("deflection", conversation_id, "forgot_password", "en")
    ]


# --- Carolina's replies: the action server's reports (actions/knowledge.py) ---


class EchoRasa:
    """Rasa as the hub sees it: what the knowledge base actions say, and (as
    Rasa's collecting channel sends an utterance's `custom`) each report as a
    message of its own after the text. It reports the text it was given."""

    def __init__(self, extra: Optional[List[Dict[str, Any]]] = None) -> None:
        self.extra = extra or []
        self.seen: List[str] = []

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any], message_id: Any) -> RasaReply:
        self.seen.append(text)
        report = {"kind": "no_answer", "language": "pt", "question": text}
        messages = [
            {"recipient_id": conversation_id, "text": "Não encontrei nada sobre isso.", "buttons": [{"title": "a"}]},
            {"recipient_id": conversation_id, "custom": {"report": report}},
            *self.extra,
        ]
        return RasaReply(messages, Understood("faq", 0.4, "pt"), "pt")


def test_a_reply_that_reports_nothing_found_keeps_the_masked_question(database_url):
    async def scenario(sessions, clock, live):
        conversation_id = await customer(sessions)
        rasa = EchoRasa()
        outcome = await conversations.handle_customer_message(
            sessions, rasa, Settings(), conversation_id, f"como altero o cadastro do CPF {CPF}?"
        )
        async with sessions() as session:
            stored = await queries.transcript(session, conversation_id)
        return rasa.seen, outcome, stored, await events(sessions)

    seen, outcome, stored, found = run(database_url, scenario)
    assert seen == ["como altero o cadastro do CPF [CPF]?"], "Rasa never sees the CPF"
    assert [(e.kind, e.text, e.language) for e in found] == [
        ("no_answer", "como altero o cadastro do CPF [CPF]?", "pt")
    ]
    bot = [m for m in stored if m.sender == "bot"]
    assert [m.text for m in bot] == ["Não encontrei nada sobre isso."], "the report alone is no message"
    assert bot[0].payload == {"buttons": [{"title": "a"}]}
    assert [m.id for m in outcome.replies if m.sender == "bot"] == [bot[0].id]


GOOD = [
    {"custom": {"report": {"kind": "answer", "article_id": "forgot_password", "language": "es", "confidence": 1.6}}},
    {"text": "¿Te ayudó?", "custom": {"report": {"kind": "suggestions", "articles": ["a", "b"], "question": "x y"}}},
    {"custom": {"report": {"kind": "helpful", "article_id": "a", "helpful": False, "question": f"cpf {CPF}"}}},
    # A custom payload of another kind stays with its message.
    {"text": "Olá", "custom": {"card": "kept", "report": {"kind": "no_answer"}}},
]
BAD = [
    {"custom": {"report": {"kind": "presence", "status": "online"}}},  # not the action server's to say
    {"custom": {"report": {"kind": "bogus"}}},
    {"custom": {"report": "answer"}},
    {"custom": {"report": None}},
    {"custom": {"report": {"kind": "answer"}}},  # which article?
    {"custom": {"report": {"kind": "answer", "article_id": "x" * 101}}},
    {"custom": {"report": {"kind": "answer", "article_id": ["a"]}}},
    {"custom": {"report": {"kind": "helpful", "article_id": "a", "helpful": "yes"}}},
    {"custom": {"report": {"kind": "suggestions", "articles": "a,b"}}},
]


def test_reports_on_replies_are_checked_and_a_bad_one_never_costs_the_reply(database_url):
    async def scenario(sessions, clock, live):
        conversation_id = await customer(sessions)
        async with sessions.begin() as session:
            customer_message = await queries.add_message(session, conversation_id, "customer", "oi")
        odd = {"custom": {"report": {"kind": "answer", "article_id": "nan", "confidence": float("nan")}}}
        messages = [{"text": "primeira"}, *BAD, *GOOD, odd, {"text": "última", "custom": {"report": [1, 2]}}]
        replies = await conversations.store_replies(sessions, customer_message, RasaReply(messages), "pt")
        return replies, await events(sessions)

    replies, found = run(database_url, scenario)
    assert [(m.text, m.payload) for m in replies] == [
        ("primeira", None),
        ("¿Te ayudó?", None),
        ("Olá", {"custom": {"card": "kept"}}),
        ("última", None),
    ]
    assert [(e.kind, e.article_id, e.language, e.text, e.data) for e in found] == [
        ("answer", "forgot_password", "es", None, {"confidence": 1.6}),
        ("suggestions", None, "pt", "x y", {"articles": ["a", "b"]}),
        ("helpful", "a", "pt", "cpf [CPF]", {"helpful": False}),
        ("no_answer", None, "pt", None, None),
        ("answer", "nan", "pt", None, None),
    ]


def test_only_reports_is_silence_and_gets_the_apology(database_url):
    async def scenario(sessions, clock, live):
        conversation_id = await customer(sessions)
        async with sessions.begin() as session:
            customer_message = await queries.add_message(session, conversation_id, "customer", "oi")
        reply = RasaReply([{"custom": {"report": {"kind": "no_answer", "question": "oi"}}}])
        return await conversations.store_replies(sessions, customer_message, reply, "pt"), await events(sessions)

    replies, found = run(database_url, scenario)
    assert [m.payload for m in replies] == [{"error": "no_answer"}] and found == []


# --- The handoff form's requests for a person, through the hub's API ---


def test_a_request_for_a_person_is_noted_once_whatever_the_hub_decides(database_url, tmp_path):
    upgrade(database_url)
    settings = replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        outbox_dir=str(tmp_path / "outbox"),
        clock=Clock(WEDNESDAY),
    )

    async def scenario() -> List[ReportEvent]:
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        app = client.server.app
        try:
            sessions = app[keys.SESSIONS]
            conversation_id = await customer(sessions, "es")
            auth = actions_auth(conversation_id)
            ask = {"conversation_id": conversation_id, "queue": "technical_support", "language": "es"}
            # Nobody online: the form hears "no", then (no ticket, thanks) asks when the queue opens.
            for _ in range(2):
                decided = await client.get("/api/escalations/decision", params=ask, headers=auth)
                assert decided.status == 200 and not (await decided.json())["live"]
            assert len(await events(sessions, "handoff_requested")) == 1
            # The intake's escalation names no queue: a ticket was asked for, not a person.
            intake = {
                "conversation_id": conversation_id,
                "form_turn": "1",
                "language": "es",
                "ticket": {"fields": FIELDS, "impact": "low", "urgency": "low"},
            }
            made = await client.post("/api/escalations", json=intake, headers=auth)
            assert made.status == 201 and (await made.json())["outcome"] == "ticket"
            assert len(await events(sessions, "handoff_requested")) == 1
            # An analyst comes online; the form asks again and escalates: the same request, now a chat.
            bia = await analyst(sessions)
            async with sessions.begin() as session:
                (await session.get_one(Agent, bia.id)).presence = "online"
            decided = await client.get("/api/escalations/decision", params=ask, headers=auth)
            assert (await decided.json())["live"]
            escalated = await client.post(
                "/api/escalations", json={**ask, "reason": "la nota no sale", "form_turn": "2"}, headers=auth
            )
            assert (await escalated.json())["outcome"] == "handoff"
            assert len(await events(sessions, "handoff_requested")) == 1
            # After that chat, asking again is a new request.
            await app[keys.LIVE].abandon(conversation_id)
            await client.get("/api/escalations/decision", params=ask, headers=auth)
            return await events(sessions, "handoff_requested")
        finally:
            await client.close()

    found = asyncio.run(scenario())
    assert [(e.kind, e.queue, e.language) for e in found] == [("handoff_requested", "technical_support", "es")] * 2


def test_the_console_status_change_is_noted_with_the_analyst_out_of_it(database_url, tmp_path):
    upgrade(database_url)
    admin, password = "admin@support.example", "reports admin password"
    settings = replace(
        Settings(),
        database_url=database_url,
        actions_token=ACTIONS_TOKEN,
        admin_email=admin,
        admin_password=password,
        outbox_dir=str(tmp_path / "outbox"),
        clock=Clock(WEDNESDAY),
    )

    async def scenario() -> List[ReportEvent]:
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        app = client.server.app
        try:
            sessions = app[keys.SESSIONS]
            conversation_id = await customer(sessions)
            async with sessions.begin() as session:
                request = TicketRequest(dict(FIELDS), "low", "low", "pt")
                ticket, _ = await tickets.create_ticket(session, conversation_id, request, "k", "h", WEDNESDAY)
            login = await client.post("/api/agent/login", json={"email": admin, "password": password})
            bearer = {"Authorization": f"Bearer {(await login.json())['token']}"}
            changed = await client.post(
                f"/api/agent/tickets/{ticket.number}/status",
                json={"status": "awaiting_customer", "note": f"pedi o CPF {CPF}"},
                headers=bearer,
            )
            assert changed.status == 200, await changed.text()
            return await events(sessions, "ticket_status")
        finally:
            await client.close()

    found = asyncio.run(scenario())
    assert [(e.queue, e.language, e.text, e.data["from"], e.data["to"]) for e in found] == [
        ("technical_support", "pt", None, "open", "awaiting_customer")
    ]
    assert "admin" not in str(found[0].data), "no analyst's name or e-mail"


def test_events_are_kept_when_the_retention_purge_deletes_their_conversation(database_url, tmp_path):
    """The figures outlive the conversations: the purge unlinks the events (on
    PostgreSQL, a plain foreign key would refuse to delete the conversation)."""

    async def scenario(sessions, clock, live):
        clock.advance(-200 * 24 * 3600)  # older than the 180 days conversations are kept
        conversation_id = await customer(sessions)
        async with sessions.begin() as session:
            await tickets.record_deflection(session, conversation_id, "forgot_password")
        clock.advance(200 * 24 * 3600)
        settings = replace(Settings(), tracker_store_url="", outbox_dir=str(tmp_path / "outbox"))
        purged = await retention.purge(sessions, settings)
        assert purged.counts["conversations"] == 1
        async with sessions() as session:
            assert await queries.get_conversation(session, conversation_id) is None
        return await events(sessions)

    found = run(database_url, scenario)
    assert [(e.kind, e.article_id, e.language) for e in found] == [("deflection", "forgot_password", "pt")]
