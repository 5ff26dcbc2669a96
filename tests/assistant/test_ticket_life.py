"""A ticket's life in the widget (actions/ticket_life.py): "my tickets", an
answer on a ticket (typed, or from the news message's button), the verdict on a
proposed solution, the survey; and what the trained model makes of the typed
requests. The hub is faked at the HTTP boundary, as in test_intake_actions."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest
import requests
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import intake, ticket_life, tickets
from tests.assistant.test_intake_actions import DOMAIN, FakeHub, run

NUMBER = "2026-000123"
LOGGED_IN = {("GET", "/api/conversations/conv-1"): (200, {"contact": {"name": "Ana"}})}
ANONYMOUS = {("GET", "/api/conversations/conv-1"): (200, {"contact": None})}


class HeaderHub(FakeHub):
    """The fake hub, also keeping each request's Idempotency-Key."""

    async def handle(self, request):  # type: ignore[no-untyped-def]
        reply = await super().handle(request)
        self.requests[-1]["key"] = request.headers.get("Idempotency-Key")
        return reply


def hub(extra: Dict[Any, Any], who: Optional[Dict[Any, Any]] = None) -> HeaderHub:
    return HeaderHub({**(LOGGED_IN if who is None else who), **extra})


def ticket_at(status: str) -> Dict[Any, Any]:
    return {("GET", f"/api/tickets/{NUMBER}"): (200, {"number": NUMBER, "status": status, "summary": "NF-e rejeitada"})}


def say(
    text: str,
    intent: str,
    slots: Optional[Dict[str, Any]] = None,
    requested: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    loop: Optional[str] = None,
    lang: str = "pt",
) -> Tracker:
    """A tracker whose latest message is `text`; a ticket number in it is an
    entity with its offsets, as the catalog extractor gives it (a button's, without)."""
    if entities is None:
        entities = []
        if NUMBER in text:
            start = text.index(NUMBER)
            entity = {"entity": "ticket_number", "value": NUMBER}
            if not text.startswith("/"):
                entity.update(start=start, end=start + len(NUMBER))
            entities.append(entity)
    slots = {"language": lang, "requested_slot": requested, **(slots or {})}
    events: List[Dict[str, Any]] = [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
    events.append({"event": "user", "text": text, "timestamp": 1700000000.5})
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities,
        "metadata": {"hub_token": "conv-1-token"},
    }
    active = {"name": loop} if loop else {}
    return Tracker("conv-1", slots, message, events, False, None, active, "action_listen")


def button_payload(intent: str) -> str:
    return f"/{intent}" + json.dumps({"ticket_number": NUMBER})


def payloads(message: Dict[str, Any]) -> List[str]:
    return [b["payload"] for b in message.get("buttons") or []]


# ---- my tickets


def test_my_tickets_lists_status_and_last_interaction_with_a_button_each(monkeypatch):
    listed = {
        "tickets": [
            {
                "number": NUMBER,
                "summary": "NF-e rejeitada",
                "status": "awaiting_customer",
                "updated_at": "2026-12-01T10:00:00+00:00",
                "last_interaction_at": "2026-12-04T17:30:00+00:00",
            },
            {"number": "2026-000124", "summary": "folha lenta", "status": "in_progress"},
        ]
    }
    fake = hub({("GET", "/api/tickets"): (200, listed)})
    names, messages, _ = run(fake, ticket_life.ActionMyTickets(), say("meus chamados", "my_tickets"), monkeypatch)
    assert names == ["utter_my_tickets"]
    assert payloads(messages[0]) == [button_payload("ticket_status"), '/ticket_status{"ticket_number": "2026-000124"}']
    assert "Aguardando cliente" in messages[0]["tickets"] and "Em atendimento" in messages[0]["tickets"]
    assert "04/12 14:30" in messages[0]["tickets"], "the last interaction in Brasília's time"
    assert fake.requests[-1]["query"] == {"conversation_id": "conv-1", "mine": "1"}


def test_my_tickets_in_english_and_when_there_are_none(monkeypatch):
    listed = {"tickets": [{"number": NUMBER, "summary": "x", "status": "customer_validation", "updated_at": None}]}
    names, messages, _ = run(
        hub({("GET", "/api/tickets"): (200, listed)}),
        ticket_life.ActionMyTickets(),
        say("my tickets", "my_tickets", lang="en"),
        monkeypatch,
    )
    assert names == ["utter_my_tickets"] and "Customer validation" in messages[0]["tickets"]
    names, _, _ = run(
        hub({("GET", "/api/tickets"): (200, {"tickets": []})}),
        ticket_life.ActionMyTickets(),
        say("meus chamados", "my_tickets"),
        monkeypatch,
    )
    assert names == ["utter_my_tickets_none"]


def test_an_anonymous_customer_is_told_to_log_in(monkeypatch):
    names, _, _ = run(
        hub({}, ANONYMOUS), ticket_life.ActionMyTickets(), say("meus chamados", "my_tickets"), monkeypatch
    )
    assert names == ["utter_ticket_life_login"]
    typed = say(f"responder o chamado {NUMBER}: já testei", "ticket_reply")
    names, _, events = run(hub({}, ANONYMOUS), ticket_life.ValidateTicketReplyForm(), typed, monkeypatch)
    assert names == ["utter_ticket_life_login"] and events[-1] == SlotSet("requested_slot", None)


# ---- answering a ticket


@pytest.mark.parametrize(
    "text,carried",
    [
        (f"answer ticket {NUMBER}: já testei e continua", "já testei e continua"),
        (f"responder o chamado {NUMBER} - segue o log", "segue o log"),
        (f"responde no {NUMBER} que o teste em homologação deu certo", "o teste em homologação deu certo"),
        (f"answer ticket {NUMBER}: ok", "ok"),
        (f"answer ticket {NUMBER}: that's all I have", "that's all I have"),
        (f"quero responder o chamado {NUMBER}", None),
        (f"answer ticket {NUMBER} please", None),
        (button_payload("ticket_reply"), None),
    ],
)
def test_the_text_after_the_number_is_the_answer(text, carried):
    assert ticket_life.text_after_number(text) == carried


def test_a_typed_answer_with_its_text_is_posted_to_the_ticket(monkeypatch):
    typed = say(f"answer ticket {NUMBER}: já testei e continua", "ticket_reply")
    names, _, events = run(
        hub(ticket_at("awaiting_customer")), ticket_life.ValidateTicketReplyForm(), typed, monkeypatch
    )
    assert names == [], "nothing to ask: the text came with the number"
    assert SlotSet("ticket_reply_text", "já testei e continua") in events
    assert events[-1] == SlotSet("requested_slot", None)

    sent = hub({("POST", f"/api/tickets/{NUMBER}/replies"): (201, {"number": NUMBER, "status": "in_progress"})})
    filled = say(
        typed.latest_message["text"],
        "ticket_reply",
        {"ticket_number": NUMBER, "ticket_reply_text": "já testei e continua"},
    )
    names, messages, events = run(sent, ticket_life.ActionTicketReply(), filled, monkeypatch)
    assert names == ["utter_ticket_reply_sent"] and messages[0]["status"] == "Em atendimento"
    posted = sent.requests[-1]
    assert posted["body"]["text"] == "já testei e continua" and posted["body"]["conversation_id"] == "conv-1"
    assert posted["key"], "an Idempotency-Key: a retried call does not post twice"
    assert SlotSet("ticket_reply_text", None) in events


def test_the_news_button_asks_for_the_text_then_sends_it_and_cancel_leaves(monkeypatch):
    pressed = say(button_payload("ticket_reply"), "ticket_reply")
    names, _, events = run(hub(ticket_at("in_progress")), ticket_life.ValidateTicketReplyForm(), pressed, monkeypatch)
    assert names == [] and events[-1] == SlotSet("requested_slot", "ticket_reply_text"), "the form asks for the text"
    assert "ticket_reply_text" in DOMAIN["forms"]["ticket_reply_form"]["required_slots"]
    assert payloads(DOMAIN["responses"]["utter_ask_ticket_reply_text"][0]) == ["/stop"], "a way out on the question"

    answer = say("o relatório ainda sai em branco", "report_problem", {"ticket_number": NUMBER}, "ticket_reply_text")
    names, _, events = run(hub({}), ticket_life.ValidateTicketReplyForm(), answer, monkeypatch)
    assert SlotSet("ticket_reply_text", "o relatório ainda sai em branco") in events
    assert events[-1] == SlotSet("requested_slot", None)

    cancel = say("cancela", "stop", {"ticket_number": NUMBER}, "ticket_reply_text", loop="ticket_reply_form")
    names, _, events = run(hub({}), intake.ActionCancelIntake(), cancel, monkeypatch)
    assert names == ["utter_ticket_life_cancelled"]
    assert SlotSet("ticket_reply_text", None) in events


def test_without_a_number_the_customer_picks_from_the_open_tickets(monkeypatch):
    listed = {"tickets": [{"number": NUMBER, "summary": "NF-e rejeitada", "status": "in_progress"}]}
    typed = say("quero responder o analista", "ticket_reply")
    names, messages, events = run(
        hub({("GET", "/api/tickets"): (200, listed)}), ticket_life.ValidateTicketReplyForm(), typed, monkeypatch
    )
    assert names == ["utter_ticket_pick"] and payloads(messages[0]) == [button_payload("ticket_reply")]
    assert events[-1] == SlotSet("requested_slot", None), "the number is never asked for"


def test_an_answer_on_a_closed_ticket_offers_a_follow_up_with_it(monkeypatch):
    typed = say(f"answer ticket {NUMBER}: voltou a dar o mesmo erro hoje cedo", "ticket_reply")
    names, messages, events = run(hub(ticket_at("closed")), ticket_life.ValidateTicketReplyForm(), typed, monkeypatch)
    assert names == ["utter_ticket_reply_closed"]
    assert payloads(messages[0]) == [button_payload("ticket_follow_up")]
    assert SlotSet("followup_description", "voltou a dar o mesmo erro hoje cedo") in events
    assert events[-1] == SlotSet("requested_slot", None)

    # Taking the offer: the follow-up is opened with what was written, not asked again.
    pressed = say(
        button_payload("ticket_follow_up"),
        "ticket_follow_up",
        {"followup_description": "voltou a dar o mesmo erro hoje cedo"},
    )
    names, _, events = run(hub(ticket_at("closed")), tickets.ValidateFollowUpForm(), pressed, monkeypatch)
    assert names == [] and events[-1] == SlotSet("requested_slot", None)


def test_a_ticket_closed_meanwhile_refuses_the_answer_and_offers_a_follow_up(monkeypatch):
    closed = hub({("POST", f"/api/tickets/{NUMBER}/replies"): (409, {"error": "closed"})})
    filled = say(
        "o erro continua aparecendo",
        "inform",
        {"ticket_number": NUMBER, "ticket_reply_text": "o erro continua aparecendo"},
    )
    names, messages, _ = run(closed, ticket_life.ActionTicketReply(), filled, monkeypatch)
    assert names == ["utter_ticket_reply_closed"] and payloads(messages[0]) == [button_payload("ticket_follow_up")]


# ---- the verdict on a proposed solution


def test_solved_closes_the_ticket_and_offers_the_survey(monkeypatch):
    fake = hub(
        {**ticket_at("customer_validation"), ("POST", f"/api/tickets/{NUMBER}/validation"): (200, {"status": "closed"})}
    )
    names, messages, _ = run(
        fake, ticket_life.ActionTicketAccept(), say(button_payload("ticket_accept"), "ticket_accept"), monkeypatch
    )
    assert names == ["utter_ticket_accepted"] and payloads(messages[0]) == [button_payload("ticket_survey")]
    assert fake.requests[-1]["body"]["accepted"] is True


def test_solved_on_a_ticket_not_in_validation_says_so(monkeypatch):
    fake = hub(ticket_at("in_progress"))
    names, messages, _ = run(
        fake, ticket_life.ActionTicketAccept(), say(button_payload("ticket_accept"), "ticket_accept"), monkeypatch
    )
    assert names == ["utter_ticket_not_in_validation"] and payloads(messages[0]) == [button_payload("ticket_reply")]
    assert all(r["method"] == "GET" for r in fake.requests), "nothing posted"


def test_not_solved_asks_the_reason_and_sends_it_back(monkeypatch):
    pressed = say(button_payload("ticket_reject"), "ticket_reject")
    names, _, events = run(
        hub(ticket_at("customer_validation")), ticket_life.ValidateTicketRejectForm(), pressed, monkeypatch
    )
    assert names == [] and events[-1] == SlotSet("requested_slot", "ticket_reject_reason")

    reason = say(
        "continua dando timeout na integração", "report_problem", {"ticket_number": NUMBER}, "ticket_reject_reason"
    )
    _, _, events = run(hub({}), ticket_life.ValidateTicketRejectForm(), reason, monkeypatch)
    assert SlotSet("ticket_reject_reason", "continua dando timeout na integração") in events

    fake = hub({("POST", f"/api/tickets/{NUMBER}/validation"): (200, {"status": "in_progress"})})
    filled = say(
        "continua", "inform", {"ticket_number": NUMBER, "ticket_reject_reason": "continua dando timeout na integração"}
    )
    names, _, _ = run(fake, ticket_life.ActionTicketReject(), filled, monkeypatch)
    assert names == ["utter_ticket_rejected"]
    assert fake.requests[-1]["body"] == {
        "conversation_id": "conv-1",
        "accepted": False,
        "reason": "continua dando timeout na integração",
        "form_turn": fake.requests[-1]["body"]["form_turn"],
    }


# ---- the survey


def test_the_survey_asks_a_score_then_an_optional_comment(monkeypatch):
    pressed = say(button_payload("ticket_survey"), "ticket_survey")
    names, _, events = run(hub(ticket_at("closed")), ticket_life.ValidateTicketSurveyForm(), pressed, monkeypatch)
    assert names == [] and events[-1] == SlotSet("requested_slot", "ticket_survey_score")
    buttons = payloads(DOMAIN["responses"]["utter_ask_ticket_survey_score"][0])
    assert len(buttons) == 11 and buttons[10] == '/inform{"ticket_score": "10"}'

    tapped = say(
        '/inform{"ticket_score": "8"}',
        "inform",
        {"ticket_number": NUMBER},
        "ticket_survey_score",
        entities=[{"entity": "ticket_score", "value": "8"}],
    )
    _, _, events = run(hub({}), ticket_life.ValidateTicketSurveyForm(), tapped, monkeypatch)
    assert SlotSet("ticket_survey_score", "8") in events and events[-1] == SlotSet(
        "requested_slot", "ticket_survey_comment"
    )

    typed = say("nota 9", "inform", {"ticket_number": NUMBER}, "ticket_survey_score")
    _, _, events = run(hub({}), ticket_life.ValidateTicketSurveyForm(), typed, monkeypatch)
    assert SlotSet("ticket_survey_score", "9") in events

    nonsense = say("hmm sei lá", "dont_know", {"ticket_number": NUMBER}, "ticket_survey_score")
    names, _, events = run(hub({}), ticket_life.ValidateTicketSurveyForm(), nonsense, monkeypatch)
    assert names == ["utter_ticket_survey_score_again"] and events[-1] == SlotSet(
        "requested_slot", "ticket_survey_score"
    )

    skipped = say("/deny", "deny", {"ticket_number": NUMBER, "ticket_survey_score": "9"}, "ticket_survey_comment")
    _, _, events = run(hub({}), ticket_life.ValidateTicketSurveyForm(), skipped, monkeypatch)
    assert SlotSet("ticket_survey_comment", ticket_life.SKIPPED) in events

    fake = hub({("POST", f"/api/tickets/{NUMBER}/survey"): (201, {"score": 9})})
    done = say(
        "/deny",
        "deny",
        {"ticket_number": NUMBER, "ticket_survey_score": "9", "ticket_survey_comment": ticket_life.SKIPPED},
    )
    names, _, _ = run(fake, ticket_life.ActionTicketSurvey(), done, monkeypatch)
    assert names == ["utter_ticket_survey_thanks"]
    body = fake.requests[-1]["body"]
    assert body["score"] == 9 and "comment" not in body

    commented = say(
        "o analista foi ótimo", "thank", {"ticket_number": NUMBER, "ticket_survey_score": "9"}, "ticket_survey_comment"
    )
    _, _, events = run(hub({}), ticket_life.ValidateTicketSurveyForm(), commented, monkeypatch)
    assert SlotSet("ticket_survey_comment", "o analista foi ótimo") in events


def test_the_survey_is_answered_once_and_only_on_a_closed_ticket(monkeypatch):
    pressed = say(button_payload("ticket_survey"), "ticket_survey")
    names, _, _ = run(hub(ticket_at("in_progress")), ticket_life.ValidateTicketSurveyForm(), pressed, monkeypatch)
    assert names == ["utter_ticket_survey_not_closed"]
    again = hub({("POST", f"/api/tickets/{NUMBER}/survey"): (409, {"error": "answered"})})
    done = say("10", "inform", {"ticket_number": NUMBER, "ticket_survey_score": "10", "ticket_survey_comment": "ótimo"})
    names, _, _ = run(again, ticket_life.ActionTicketSurvey(), done, monkeypatch)
    assert names == ["utter_ticket_survey_answered"]


# ---- a ticket's status shows its thread and what can be done


def test_a_ticket_shows_its_latest_public_messages_and_buttons(monkeypatch):
    thread = {
        "number": NUMBER,
        "status": "customer_validation",
        "messages": [
            {
                "author": "customer",
                "text": "segue o xml",
                "visibility": "public",
                "created_at": "2026-12-03T12:00:00+00:00",
            },
            {"author": "agent", "author_name": "Bruno", "text": "nota interna", "visibility": "internal"},
            {
                "author": "agent",
                "author_name": "Bruno",
                "text": "Apliquei o patch; pode testar?",
                "visibility": "public",
                "attachments": [{"filename": "patch.zip", "url": "http://hub/api/attachments/x?t=y", "purged": False}],
            },
        ],
    }
    fake = hub({**ticket_at("customer_validation"), ("GET", f"/api/tickets/{NUMBER}/thread"): (200, thread)})
    names, messages, _ = run(
        fake,
        tickets.ActionTicketStatus(),
        say(button_payload("ticket_status"), "ticket_status", {"ticket_number": NUMBER}),
        monkeypatch,
    )
    assert names == ["utter_ticket_status_customer_validation", "utter_ticket_thread"]
    assert "Bruno" in messages[1]["messages"] and "patch" in messages[1]["messages"]
    assert "nota interna" not in messages[1]["messages"], "internal notes never reach the customer"
    assert "[patch.zip](http://hub/api/attachments/x?t=y)" in messages[1]["messages"], "files as links"
    assert payloads(messages[1]) == [button_payload(i) for i in ("ticket_reply", "ticket_accept", "ticket_reject")]


# ---- what the trained model reads


def parse(rasa_server: str, text: str) -> Dict[str, Any]:
    return requests.post(f"{rasa_server}/model/parse", json={"text": text}, timeout=30).json()


@pytest.mark.parametrize(
    "text,intent",
    [
        ("meus chamados", "my_tickets"),
        ("quais chamados eu tenho em aberto agora?", "my_tickets"),
        ("mis solicitudes", "my_tickets"),
        ("my tickets", "my_tickets"),
        (f"answer ticket {NUMBER}: já testei e continua", "ticket_reply"),
        (f"responder el ticket {NUMBER}: sigue fallando", "ticket_reply"),
        (button_payload("ticket_reply"), "ticket_reply"),
        (button_payload("ticket_survey"), "ticket_survey"),
    ],
)
def test_the_model_reads_ticket_life_requests(rasa_server, text, intent):
    parsed = parse(rasa_server, text)
    assert parsed["intent"]["name"] == intent, parsed["intent"]
    if NUMBER in text:
        assert [e["value"] for e in parsed["entities"] if e["entity"] == "ticket_number"] == [NUMBER]


def test_a_ticket_that_left_validation_meanwhile_says_where_it_is(monkeypatch):
    moved = hub(
        {**ticket_at("closed"), ("POST", f"/api/tickets/{NUMBER}/validation"): (409, {"error": "not_in_validation"})}
    )
    filled = say(
        "continua", "inform", {"ticket_number": NUMBER, "ticket_reject_reason": "continua travando no fechamento"}
    )
    names, messages, _ = run(moved, ticket_life.ActionTicketReject(), filled, monkeypatch)
    assert names == ["utter_ticket_closed_offer"] and payloads(messages[0]) == [button_payload("ticket_follow_up")]
