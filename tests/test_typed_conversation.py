"""Customers who type instead of clicking, end to end through the widget's
protocol, the hub, the real model and the action server: every answer is
written the way people write it (no button payloads), from the first message
to a ticket and to a live chat with an analyst; and a customer who answers
nonsense three times at every question still reaches an end, never being
asked anything a fourth time in a row.

Where the form is, is read from Rasa's tracker, not from Carolina's wording."""

from __future__ import annotations

import json
import uuid
from typing import Dict, List

import pytest
import requests

from tests import test_intake_conversation
from tests.conftest import actions_auth
from tests.test_handoff_conversation import ana, analysts  # noqa: F401 (fixtures)
from tests.test_intake_conversation import DESCRIPTION, EXPECTED, REPORT, ROUTINE, SINCE, buttons, number_in
from tests.test_live_chat import expect_text

chat = test_intake_conversation.chat

TYPED = {
    "pt": {
        "incident_category": "é erro mesmo, no sistema",
        "incident_routine": ROUTINE["pt"],
        "incident_origin": "em producao",
        "incident_cloud": "nao, fica num servidor nosso",
        "incident_description": DESCRIPTION["pt"],
        "incident_steps": "não sei",
        "incident_expected": EXPECTED["pt"],
        "incident_since": SINCE["pt"],
        "incident_after_update": "não, ninguém mexeu em nada",
        "incident_affected_users": "todo mundo aqui da empresa",
        "incident_operation_stopped": "dá pra contornar por enquanto",
        "intake_related": "nenhum desses",
        "intake_confirmed": "sim, pode abrir",
    },
    "es": {
        "incident_category": "es un error del sistema",
        "incident_routine": ROUTINE["es"],
        "incident_origin": "produccion",
        "incident_system_environment": "en el ambiente de pruebas",
        "incident_cloud": "no, esta en un servidor nuestro",
        "incident_description": DESCRIPTION["es"],
        "incident_steps": "no sé",
        "incident_expected": EXPECTED["es"],
        "incident_since": SINCE["es"],
        "incident_after_update": "no, no actualizamos nada",
        "incident_affected_users": "a toda la empresa",
        "incident_operation_stopped": "en parte, lo estamos sorteando",
        "intake_related": "ninguno",
        "intake_confirmed": "sí, ábrela",
    },
    "en": {
        "incident_category": "it's a bug",
        "incident_routine": ROUTINE["en"],
        "incident_origin": "production",
        "incident_system_environment": "in our test environment",
        "incident_cloud": "no, it runs on our own servers",
        "incident_description": DESCRIPTION["en"],
        "incident_steps": "I don't know",
        "incident_expected": EXPECTED["en"],
        "incident_since": SINCE["en"],
        "incident_after_update": "no, nothing changed",
        "incident_affected_users": "everyone in the company",
        "incident_operation_stopped": "partly, we have a workaround",
        "intake_related": "none of them",
        "intake_confirmed": "yes, open it",
    },
}


def answer_everything(c, answers: Dict[str, str], most: int = 25) -> List[str]:
    asked: List[str] = []
    replies: List[dict] = []
    while c.asked() in answers and len(asked) < most:
        asked.append(c.asked())
        assert asked.count(asked[-1]) == 1, f"{asked[-1]} asked again after a typed answer: {asked}"
        replies = c.say(answers[asked[-1]])
    c.last_replies = replies
    return asked


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_a_customer_who_types_every_answer_gets_a_ticket(chat, lang):
    c = chat(lang)
    c.say(REPORT[lang])
    asked = answer_everything(c, TYPED[lang])
    assert asked[0] == "incident_category" and asked[-1] == "intake_confirmed", asked
    number = number_in(c.last_replies)
    assert number, c.last_replies
    ticket = c.ticket(number)
    fields = ticket["fields"]
    assert (fields["category"], fields["origin"], fields["cloud"]) == ("bug", "production", False)
    # "Em producao" answered both; "produccion" / "production" alone is the origin only.
    assert fields["system_environment"] == {"pt": "production", "es": "staging", "en": "staging"}[lang]
    assert ("incident_system_environment" in asked) == (lang != "pt"), asked
    assert (fields["affected_users"], fields["operation_stopped"], fields["after_update"]) == ("all", "partly", False)
    assert (ticket["impact"], ticket["urgency"]) == ("high", "medium")


HANDOFF = {
    "pt": ("preciso falar com um analista", "é problema no sistema", "sim, anota antes"),
    "es": ("necesito hablar con un analista", "es un problema con el sistema", "sí, anótalo primero"),
    "en": ("I need to talk to an analyst", "a problem with the software", "yes, note it first"),
}


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_a_customer_who_types_every_answer_reaches_an_analyst(chat, ana, lang):  # noqa: F811
    ana.presence("online")
    c = chat(lang)
    ask, topic, gather = HANDOFF[lang]
    c.say(ask)
    assert c.asked() == "handoff_topic"
    c.say(topic)
    assert c.asked() == "handoff_gather" and c.slot("handoff_topic") == "technical"
    c.say(gather)
    assert c.asked() == "incident_category"
    typed = dict(TYPED[lang], incident_product="Protheus", incident_version="12.1.2310")
    typed.update(incident_database="Oracle", incident_summary=REPORT[lang])
    asked = answer_everything(c, typed)
    assert asked[-1] == "intake_confirmed", asked
    handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == c.conversation_id)
    assert handoff["queue"] == "technical_support" and handoff["fields"]["origin"] == "production"
    ana.post(f"/handoffs/{handoff['id']}/accept")
    assert expect_text(c, "system")
    ana.post(f"/handoffs/{handoff['id']}/close")
    expect_text(c, "system")  # the survey
    c.say({"pt": "nota 9, muito bom", "es": "un 9, muy bien", "en": "I'd give it a 9"}[lang])
    assert c.conversation()["satisfaction"] == 9


NONSENSE = ("qwzx plof", "hmmm ???", "blorp 42 zz")


def answer_nonsense_until_done(c, most: int = 70) -> None:
    """Nonsense to every question until no form is active; never a fourth time in a row."""
    in_a_row, last, turns = 0, None, 0
    while c.asked() is not None:
        turns += 1
        assert turns <= most, f"the form never ends: still at {c.asked()}"
        current = c.asked()
        in_a_row = in_a_row + 1 if current == last else 1
        assert in_a_row <= 3, f"{current} asked a fourth time in a row"
        last = current
        c.last_replies = c.say(NONSENSE[in_a_row - 1])


def test_nonsense_three_times_at_every_step_of_the_intake_still_ends(chat):
    c = chat("es")
    c.say("quiero abrir una solicitud")
    answer_nonsense_until_done(c)
    # The confirmation was never given: no ticket, everything kept for later.
    opened = [text for sender, text in c.seen if sender == "bot" and number_in([{"text": text}])]
    assert not opened, "\n".join(f"{s}: {t[:150]}" for s, t in c.seen[-16:])
    assert c.slot("incident_category") == "unknown"


@pytest.mark.parametrize(
    "lang, first",
    [("pt", "qual o status do meu chamado?"), ("en", "I want to reopen my ticket, the error came back")],
)
def test_nonsense_to_the_ticket_number_ends_with_a_way_on(chat, lang, first):
    c = chat(lang)
    c.say(first)
    assert c.asked() == "ticket_number"
    answer_nonsense_until_done(c, most=4)
    assert "/request_human" in buttons(c.last_replies), "where the number is, and a person to ask"


def test_nonsense_to_the_handoff_questions_still_reaches_a_queue(chat):
    c = chat("pt")
    c.say("quero falar com um atendente")
    assert c.asked() == "handoff_topic"
    for text in NONSENSE:
        replies = c.say(text)
    # Technical support is open but nobody is online: she says so at once and asks about a ticket.
    assert c.asked() == "handoff_ticket" and c.slot("handoff_topic") == "technical"
    assert "suporte técnico" in " ".join(r.get("text") or "" for r in replies)


@pytest.mark.parametrize(
    "lang, ask",
    [
        ("pt", "quero falar com o financeiro"),
        ("es", "quiero hablar con alguien de finanzas"),
        ("en", "connect me to an agent from billing"),
    ],
)
def test_a_request_that_names_the_area_goes_to_its_queue(chat, lang, ask):
    c = chat(lang)
    replies = c.say(ask)
    # The administrative queue is at lunch: said before anything is asked, then a ticket is offered.
    assert c.slot("handoff_topic") == "administrative" and c.asked() == "handoff_ticket"
    assert "13:30" in " ".join(r.get("text") or "" for r in replies)


@pytest.mark.parametrize(
    "lang, ask",
    [("pt", "para, só me passa pro analista"), ("en", "stop, just connect me to the analyst")],
)
def test_stop_and_give_me_a_person_reaches_a_person_with_what_was_gathered(chat, ana, lang, ask):  # noqa: F811
    ana.presence("online")
    c = chat(lang)
    c.say(REPORT[lang])
    assert c.asked() == "incident_category"
    c.say(ask)
    handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == c.conversation_id)
    assert handoff["queue"] == "technical_support"
    assert c.slot("incident_summary") == REPORT[lang], "what was gathered is kept"


@pytest.mark.parametrize(
    "lang, ask, missing",
    [
        ("pt", "qual o status do meu chamado?", "não tenho o número aqui"),
        ("es", "¿cómo va mi solicitud?", "no lo tengo, lo abrió un compañero"),
        ("en", "any news on my ticket?", "I don't have the number, sorry"),
    ],
)
def test_without_the_number_the_company_open_tickets_to_pick_from(chat, lang, ask, missing):
    c = chat(lang)
    opened = requests.post(
        f"{c.url}/api/tickets",
        json={
            "conversation_id": c.conversation_id,
            "fields": {"summary": "Protheus invoice error", "product": "Protheus", "category": "bug"},
            "impact": "medium",
            "urgency": "medium",
        },
        headers={**actions_auth(c.conversation_id), "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    number = opened.json()["number"]
    c.say(ask)
    assert c.asked() == "ticket_number"
    replies = c.say(missing)
    pick = "/ticket_status" + json.dumps({"ticket_number": number})
    assert pick in buttons(replies) and c.asked() is None, "a list to pick from, not the question again"
    replies = c.say(pick)
    assert any(number in (r.get("text") or "") for r in replies)
