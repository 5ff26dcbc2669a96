"""The intake's and tickets' actions with the hub faked only at the HTTP
boundary: a small aiohttp server on loopback answers as the hub's API would and
records what the actions asked. The tests check which response each action
chose (its name), and what it sent to the hub."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import intake, tickets

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
FILLED = {
    "incident_category": "bug",
    "incident_product": "RM",
    "incident_routine": "folha",
    "incident_version": "12.1.2402",
    "incident_origin": "production",
    "incident_system_environment": "staging",
    "incident_database": "SQL Server",
    "incident_cloud": "yes",
    "incident_summary": "folha não calcula férias",
    "incident_description": "ao calcular a folha de novembro as férias ficam zeradas para todos os funcionários",
    "incident_steps": "unknown",
    "incident_expected": "férias calculadas",
    "incident_since": "desde ontem",
    "incident_since_date": "2026-11-22",
    "incident_after_update": "no",
    "incident_affected_users": "some",
    "incident_operation_stopped": "yes",
    "intake_eligibility": "ok",
    "intake_duplicate_of": "none",
    "intake_confirmed": "yes",
}


class FakeHub:
    """Answers like the hub's API; `replies` maps (method, path) to (status, body)."""

    def __init__(self, replies: Dict[Tuple[str, str], Tuple[int, Any]]) -> None:
        self.replies = replies
        self.requests: List[Dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "body": body,
                "auth": request.headers.get("Authorization"),
            }
        )
        status, reply = self.replies.get((request.method, request.path), (404, {"error": "no_ticket"}))
        return web.json_response(reply, status=status)


def run(hub: FakeHub, action: Any, tracker: Tracker, monkeypatch) -> Tuple[List[str], List[Dict[str, Any]], Any]:
    """(response names uttered, their messages, the events) of one action run against the fake hub."""

    async def scenario():
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", hub.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        monkeypatch.setenv("CAROLINA_HUB_URL", f"http://127.0.0.1:{port}")
        dispatcher = CollectingDispatcher()
        try:
            events = await action.run(dispatcher, tracker, DOMAIN)
        finally:
            await runner.cleanup()
        return [m.get("response") for m in dispatcher.messages], dispatcher.messages, events

    return asyncio.run(scenario())


def tracker(slots: Dict[str, Any], text: str = "/affirm", intent: str = "affirm", entities=None, requested=None):
    slots = {"language": "pt", "requested_slot": requested, **slots}
    events = [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
    events.append({"event": "user", "text": text, "timestamp": 1700000000.5})
    # The hub's token for this conversation comes with each message (actions/hub_client.py).
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": {"hub_token": "conv-1-token"},
    }
    return Tracker("conv-1", slots, message, events, False, None, {}, "action_listen")


CLOSED = {"live": False, "why": "closed", "queue_name": "suporte técnico", "opens": "segunda-feira, 07/12, às 07:00"}


def test_a_confirmed_intake_opens_a_ticket_with_impact_and_urgency(monkeypatch):
    ticket = {"number": "2026-000042", "criticality": "high", "email": "ana@example.com"}
    hub = FakeHub({("POST", "/api/escalations"): (201, {"outcome": "ticket", "decision": CLOSED, "ticket": ticket})})
    names, messages, events = run(hub, intake.ActionSubmitIncident(), tracker(FILLED), monkeypatch)
    assert names == ["utter_handoff_closed", "utter_ticket_created"], "why nobody can chat, then the ticket"
    assert messages[0]["opens"] == CLOSED["opens"]
    assert messages[1]["number"] == "2026-000042" and messages[1]["criticality"] == "alta"
    assert messages[1]["email"] == "an•••@example.com", "the tracker store keeps no e-mail address"
    sent = hub.requests[0]
    assert sent["auth"] == "Bearer conv-1-token", "the token of the message being answered, no master key"
    assert (sent["body"]["ticket"]["impact"], sent["body"]["ticket"]["urgency"]) == ("medium", "high")
    assert sent["body"]["ticket"]["fields"]["cloud"] is True and sent["body"]["ticket"]["fields"]["product"] == "RM"
    assert "queue" not in sent["body"], "the hub picks the queue from the fields (cloud)"
    assert SlotSet("incident_summary", None) in events, "the intake is cleared for the next one"
    assert SlotSet("incident_product", None) not in events, "the installation stays known"
    assert SlotSet("ticket_number", "2026-000042") in events
    # A retried action (same tracker) makes the same request: the hub's idempotency key.
    run(hub, intake.ActionSubmitIncident(), tracker(FILLED), monkeypatch)
    assert hub.requests[1]["body"]["form_turn"] == sent["body"]["form_turn"]


def test_the_ticket_carries_origin_environment_and_the_copies(monkeypatch):
    ticket = {"number": "2026-000043", "criticality": "high", "email": "ana@example.com"}
    hub = FakeHub({("POST", "/api/escalations"): (201, {"outcome": "ticket", "decision": CLOSED, "ticket": ticket})})
    copies = {**FILLED, "intake_cc": ["ti@acme.example", "gerente@acme.example"]}
    run(hub, intake.ActionSubmitIncident(), tracker(copies), monkeypatch)
    sent = hub.requests[0]["body"]["ticket"]
    assert (sent["fields"]["origin"], sent["fields"]["system_environment"]) == ("production", "staging")
    assert "environment" not in sent["fields"]
    assert sent["cc"] == ["ti@acme.example", "gerente@acme.example"]
    run(hub, intake.ActionSubmitIncident(), tracker(FILLED), monkeypatch)
    assert "cc" not in hub.requests[1]["body"]["ticket"], "nobody to copy, no cc"


def test_the_summary_shows_origin_environment_and_copies():
    dispatcher = CollectingDispatcher()
    state = {**FILLED, "intake_cc": ["ti@acme.example"], "language": "en"}
    asyncio.run(intake.ActionAskIntakeConfirmed().run(dispatcher, tracker(state), DOMAIN))
    summary = dispatcher.messages[0]
    assert (summary["origin"], summary["system_environment"], summary["cc"]) == (
        "Production",
        "Staging",
        "ti@acme.example",
    )


def test_a_confirmed_intake_goes_to_an_analyst_when_one_can_take_it(monkeypatch):
    decision = {"live": True, "queue_name": "clientes Cloud", "wait_minutes": 10}
    hub = FakeHub({("POST", "/api/escalations"): (201, {"outcome": "handoff", "position": 2, "decision": decision})})
    names, messages, events = run(hub, intake.ActionSubmitIncident(), tracker(FILLED), monkeypatch)
    assert names == ["utter_handoff_queued"]
    assert (messages[0]["queue"], messages[0]["position"], messages[0]["wait"]) == ("clientes Cloud", 2, 10)
    assert SlotSet("incident_summary", None) in events


@pytest.mark.parametrize(
    "status,error,expected",
    [(403, "anonymous", "utter_intake_login"), (403, "blocked", "utter_intake_financial_block"), (500, "x", None)],
)
def test_a_refused_or_failed_ticket_says_why_and_keeps_the_answers(monkeypatch, status, error, expected):
    hub = FakeHub({("POST", "/api/escalations"): (status, {"error": error})})
    names, _, events = run(hub, intake.ActionSubmitIncident(), tracker(FILLED), monkeypatch)
    assert names == [expected or "utter_ticket_failed"]
    assert SlotSet("incident_summary", None) not in events, "nothing the customer said is lost"


def test_an_unreachable_hub_is_a_failure_not_a_crash(monkeypatch):
    monkeypatch.setenv("CAROLINA_HUB_URL", "http://127.0.0.1:9")
    dispatcher = CollectingDispatcher()
    asyncio.run(intake.ActionSubmitIncident().run(dispatcher, tracker(FILLED), DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_ticket_failed"]


def test_the_form_starts_by_asking_who_the_customer_is(monkeypatch):
    hub = FakeHub({("GET", "/api/conversations/conv-1"): (200, {"contact": None})})
    start = tracker({}, "o Protheus dá erro ao emitir a nota fiscal de saída", "report_problem")
    names, _, events = run(hub, intake.ValidateIncidentForm(), start, monkeypatch)
    assert SlotSet("intake_eligibility", "anonymous") in events
    assert events[-1] == SlotSet("requested_slot", None), "nothing is asked of an anonymous customer"


def test_an_open_ticket_about_the_same_problem_is_offered(monkeypatch):
    similar = {"tickets": [{"number": "2026-000007", "summary": "folha não calcula férias", "status": "open"}]}
    hub = FakeHub({("GET", "/api/tickets"): (200, similar)})
    state = {k: v for k, v in FILLED.items() if k not in ("intake_duplicate_of", "intake_confirmed")}
    state["incident_operation_stopped"] = None
    answer = tracker(state, "/inform", "inform", [{"entity": "incident_operation_stopped", "value": "yes"}])
    answer.slots["requested_slot"] = "incident_operation_stopped"
    names, _, events = run(hub, intake.ValidateIncidentForm(), answer, monkeypatch)
    assert hub.requests[0]["query"]["similar_to"] == "folha não calcula férias"
    assert events[-1] == SlotSet("requested_slot", "intake_duplicate")
    candidate = next(e["value"] for e in events if e["name"] == "intake_duplicate_of")
    ask = tracker({**state, "intake_duplicate_of": candidate})
    names, messages, _ = run(hub, intake.ActionAskIntakeDuplicate(), ask, monkeypatch)
    assert names == ["utter_ask_intake_duplicate"] and messages[0]["number"] == "2026-000007"


def test_the_same_problem_is_added_to_the_open_ticket(monkeypatch):
    hub = FakeHub({("POST", "/api/tickets/2026-000007/updates"): (201, {"number": "2026-000007"})})
    state = {**FILLED, "intake_duplicate_of": json.dumps({"number": "2026-000007", "summary": "x"})}
    state.update(intake_duplicate="yes", intake_confirmed=None)
    names, _, _ = run(hub, intake.ActionSubmitIncident(), tracker(state), monkeypatch)
    assert names == ["utter_ticket_updated"]
    assert hub.requests[0]["body"]["fields"]["summary"] == "folha não calcula férias"


@pytest.mark.parametrize(
    "reply,expected",
    [
        ((200, {"status": "customer_validation", "summary": "x"}), "utter_ticket_status_customer_validation"),
        ((404, {"error": "no_ticket"}), "utter_ticket_not_found"),
    ],
)
def test_ticket_status(monkeypatch, reply, expected):
    hub = FakeHub(
        {
            ("GET", "/api/conversations/conv-1"): (200, {"contact": {"name": "Ana"}}),
            ("GET", "/api/tickets/2026-000005"): reply,
        }
    )
    names, _, _ = run(hub, tickets.ActionTicketStatus(), tracker({"ticket_number": "2026-000005"}), monkeypatch)
    assert names == [expected]


def test_a_follow_up_needs_a_closed_ticket(monkeypatch):
    hub = FakeHub(
        {
            ("GET", "/api/conversations/conv-1"): (200, {"contact": {"name": "Ana"}}),
            ("GET", "/api/tickets/2026-000005"): (200, {"status": "in_progress", "summary": "x"}),
        }
    )
    ask = tracker(
        {}, "reabrir o chamado 2026-000005", "ticket_follow_up", [{"entity": "ticket_number", "value": "2026-000005"}]
    )
    names, _, events = run(hub, tickets.ValidateFollowUpForm(), ask, monkeypatch)
    assert names == ["utter_followup_not_closed"] and events[-1] == SlotSet("requested_slot", None)


def test_labels_come_from_the_domain_in_the_customers_language():
    assert intake.label(DOMAIN, "criticality_critical", "es") == "crítica"
    assert intake.label(DOMAIN, "criticality_critical", "en") == "critical"
    assert intake.label(DOMAIN, "criticality_critical", "xx") == "crítica"


@pytest.mark.parametrize(
    "lang, expected", [("pt", "Após atualização"), ("es", "Tras actualización"), ("en", "After an update")]
)
def test_every_field_has_its_name_in_each_language(lang, expected):
    # "Anotei field_incident_after_update como 'não informado'" reached customers: the
    # domain's copy of the labels missed that field; the vocabulary names them all.
    labels = intake.form_labels(DOMAIN, lang)
    assert labels["incident_after_update"] == expected
    assert not [slot for slot, name in labels.items() if "incident_" in name or "field_" in name]


@pytest.mark.parametrize("text", ["qwzx plof", "asdf jkl", "xkcd"])
def test_gibberish_is_no_yes_whatever_nlu_guessed(text):
    # NLU names "affirm" for these (0.59-0.85): at the summary that opened a ticket.
    from actions import taught_words

    assert taught_words.believed("affirm", text) is None and taught_words.believed("deny", text) is None


@pytest.mark.parametrize("text", ["manda ver 👍", "sim, abrir", "dale", "yes please", "👍", "/affirm"])
def test_a_real_yes_is_still_believed(text):
    from actions import taught_words

    assert taught_words.believed("affirm", text) == "affirm"
