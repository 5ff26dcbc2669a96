"""Asking for a person, end to end: a socket.io customer, the hub, the real
Rasa model and the action server, and an analyst on the agent API. The hub's
clock is fixed (tests/conftest.py) at a Wednesday 12:30 in Brasília: technical
support is open, the administrative queue is at lunch until 13:30."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests import test_intake_conversation
from tests.test_intake_conversation import (
    DESCRIPTION,
    DONT_KNOW,
    EXPECTED,
    REPORT,
    ROUTINE,
    SINCE,
    buttons,
    inform,
    number_in,
)
from tests.test_live_chat import Analyst, create_analysts, expect_text

# The intake tests' customer with a portal identity, as a fixture here too.
chat = test_intake_conversation.chat


@pytest.fixture(scope="module")
def analysts(hub_service) -> None:
    from bot.domain.errors import DomainError

    try:
        create_analysts(hub_service.env["DATABASE_URL"])
    except DomainError:
        pass  # another module of the session made them on the same hub


@pytest.fixture
def ana(hub_service, analysts) -> Iterator[Analyst]:
    analyst = Analyst(hub_service.url, "ana@support.example")
    yield analyst
    # What the test left waiting or open ends here: the expected wait of the
    # next test's handoff counts the queue, and two left over make it "busy".
    listed = analyst.http.get(f"{hub_service.url}/api/agent/handoffs", timeout=10).json()
    for handoff in listed["queued"]:
        analyst.post(f"/handoffs/{handoff['id']}/accept")
    for handoff in listed["queued"] + listed["mine"]:
        analyst.post(f"/handoffs/{handoff['id']}/release")
    analyst.close()  # offline again: the other tests' intakes end in tickets


def texts(replies) -> str:
    return " | ".join(r.get("text") or "" for r in replies)


def test_inside_hours_with_an_analyst_the_details_go_to_a_live_chat(chat, ana):
    ana.presence("online")
    c = chat("pt")
    replies = c.say("quero falar com um atendente humano")
    assert c.asked() == "handoff_topic" and inform(handoff_topic="technical") in buttons(replies)
    c.say(inform(handoff_topic="technical"))
    assert c.asked() == "handoff_gather"
    c.say("/affirm")  # note the details first, so the analyst starts with them
    answers = {
        "incident_category": inform(incident_category="bug"),
        "incident_product": "Protheus",
        "incident_routine": ROUTINE["pt"],
        "incident_version": "12.1.2310",
        "incident_origin": inform(incident_origin="production"),
        "incident_system_environment": inform(incident_system_environment="production"),
        "incident_database": "Oracle",
        "incident_cloud": "/deny",
        "incident_summary": REPORT["pt"],
        "incident_description": DESCRIPTION["pt"],
        "incident_steps": DONT_KNOW["pt"],
        "incident_expected": EXPECTED["pt"],
        "incident_since": SINCE["pt"],
        "incident_after_update": "/deny",
        "incident_affected_users": inform(incident_affected_users="one"),
        "incident_operation_stopped": inform(incident_operation_stopped="no"),
        "intake_related": "/deny",
        "intake_confirmed": "/affirm",
    }
    asked = []
    while c.asked() in answers and len(asked) < 25:
        asked.append(c.asked())
        replies = c.say(answers[asked[-1]])
    assert asked[0] == "incident_category" and asked[-1] == "intake_confirmed", asked
    # Nobody ahead: "next", never "about 0 min".
    assert "próximo" in texts(replies) and "0 min" not in texts(replies), texts(replies)
    assert "/open_ticket" in buttons(replies), texts(replies)

    handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == c.conversation_id)
    assert handoff["fields"]["product"] == "Protheus" and handoff["fields"]["description"] == DESCRIPTION["pt"]
    assert handoff["criticality"] == "low" and handoff["queue"] == "technical_support"
    taken = ana.post(f"/handoffs/{handoff['id']}/accept").json()
    assert [m["text"] for m in taken["transcript"]][:1] == ["quero falar com um atendente humano"]
    assert any(m["intent"] == "request_human" for m in taken["transcript"]), "what Carolina understood is there"
    assert "Ana" in expect_text(c, "system")["text"]

    ana.post(f"/handoffs/{handoff['id']}/messages", {"text": "Olá! Vou verificar a tabela SF2 com você."})
    assert expect_text(c, "agent")["metadata"]["agent_name"] == "Ana"
    c.client.emit("user_uttered", {"message": "obrigado, aguardo", "session_id": c.session_id, "message_id": "m-1"})
    assert ana.expect("message", where=lambda m: m["metadata"]["from"] == "customer")["text"] == "obrigado, aguardo"
    assert c.conversation()["mode"] == "agent"

    ana.post(f"/handoffs/{handoff['id']}/close")
    assert "0 a 10" in expect_text(c, "system")["text"]
    c.say("10")
    assert c.conversation()["satisfaction"] == 10 and c.conversation()["mode"] == "bot"


def test_outside_hours_the_truth_first_then_a_ticket_only_with_a_yes(chat):
    c = chat("en")
    c.say("I want to talk to a person")
    replies = c.say(inform(handoff_topic="administrative"))
    assert "13:30" in texts(replies), "when the queue opens again, before any other question"
    assert c.asked() == "handoff_ticket" and not c.conversation()["tickets"]
    c.say("yes please, open it")
    assert c.asked() == "handoff_reason"
    replies = c.say("I need a second copy of last month's invoice")
    number = number_in(replies)
    assert number, texts(replies)
    ticket = c.ticket(number)
    assert ticket["queue"] == "administrative" and ticket["summary"] == "I need a second copy of last month's invoice"
    assert [m["text"] for m in ticket["transcript"]][:1] == ["I want to talk to a person"]
    assert c.asked() is None and c.conversation()["mode"] == "bot"


def test_no_ticket_when_the_customer_would_rather_wait(chat):
    c = chat("pt")
    replies = c.say("quero falar com o financeiro")
    assert "13:30" in texts(replies) and c.asked() == "handoff_ticket"
    replies = c.say("não precisa, eu volto depois do almoço")
    assert c.asked() is None and "13:30" in texts(replies)
    assert c.conversation()["tickets"] == [] and c.conversation()["handoffs"] == []


def test_praise_is_thanked_and_noted_not_ticketed(chat):
    c = chat("en")
    c.say("can I talk to someone?")
    c.say(inform(handoff_topic="communication"))
    assert c.asked() == "handoff_reason"
    replies = c.say("just wanted to say Bruno was excellent yesterday, great service")
    assert "thank you" in texts(replies).lower() and c.asked() is None
    record = c.conversation()
    assert record["tickets"] == [] and record["handoffs"] == []
    assert any(m["sender"] == "system" and "Bruno was excellent" in m["text"] for m in record["messages"])


def test_a_complaint_gets_an_apology_and_the_choice(chat):
    c = chat("es")
    c.say("quiero hablar con alguien para poner una queja")
    assert c.slot("handoff_topic") == "communication" and c.asked() == "handoff_reason"
    replies = c.say("hace una semana que nadie responde mi solicitud, es una falta de respeto")
    assert "Lamento" in texts(replies) and "13:30" in texts(replies)
    assert c.asked() == "handoff_ticket" and c.conversation()["tickets"] == []


def test_nobody_online_is_said_before_the_intake_and_a_yes_starts_it(chat, analysts):
    c = chat("es")
    c.say("quiero hablar con un agente humano")
    replies = c.say(inform(handoff_topic="technical"))
    assert "No hay analista" in texts(replies) and c.asked() == "handoff_ticket"
    c.say("sí, ábrela")
    assert c.asked() == "incident_category", "the intake starts, to open the ticket"
    assert c.conversation()["mode"] == "bot"


def test_an_anonymous_visitor_may_chat_with_an_analyst(chat, ana):
    ana.presence("online")
    c = chat("es", anonymous=True)
    c.say("no quiero hablar con un robot")
    c.say(inform(handoff_topic="technical"))
    c.say("/deny")
    c.say("no puedo entrar al portal, me dice usuario bloqueado")
    handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == c.conversation_id)
    assert handoff["queue"] == "technical_support" and handoff["customer"] is None
    assert c.conversation()["mode"] == "queued"
