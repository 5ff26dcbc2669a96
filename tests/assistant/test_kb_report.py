"""The knowledge base actions report what they did on the utterance that says
it (`json_message={"report": ...}`, Rasa's `custom`): an answer, a list of
suggestions, nothing found, and the yes or no to "did it help?". No Rasa server
and no hub: the actions run with a CollectingDispatcher, then their messages go
through Rasa's own code for a custom action's reply (the response filled from
domain.yml, then the collecting output channel the hub's channel uses), to show
what the hub receives."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())


def tracker(
    text: str,
    intent: str = "faq",
    ranking: Optional[List[Dict[str, Any]]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    earlier: Optional[List[str]] = None,
) -> Tracker:
    slots = {"language": "pt", **(slots or {})}
    events: List[Dict[str, Any]] = [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
    for said in (earlier or []) + [text]:
        events += [{"event": "user", "text": said}, {"event": "bot", "text": "..."}]
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "response_selector": {"faq": {"ranking": ranking or []}},
    }
    return Tracker("conv-1", slots, message, events[:-1], False, None, {}, "action_listen")


def run(action: Any, state: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, state, DOMAIN))
    return dispatcher.messages


def reports(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Each response name uttered, with the report it carries (None: none)."""
    return {m["response"]: (m.get("custom") or {}).get("report") for m in messages}


def hit(article_id: str, confidence: float) -> Dict[str, Any]:
    return {"intent_response_key": f"faq/{article_id}", "confidence": confidence}


def test_an_answer_reports_its_article_and_confidence():
    said = reports(
        run(knowledge.ActionAnswerKb(), tracker("como recupero minha senha", ranking=[hit("forgot_password", 0.99)]))
    )
    report = said["utter_kb_answer"]
    assert report["kind"] == "answer" and report["article_id"] == "forgot_password" and report["language"] == "pt"
    assert report["confidence"] >= 1.2, "the fused score the answer was decided on"
    assert said["utter_kb_did_it_help"] is None, "only the answer carries it"


def test_an_article_picked_from_the_suggestions_is_an_answer_without_a_score():
    picked = tracker(
        '/faq{"kb_article": "forgot_password"}', entities=[{"entity": "kb_article", "value": "forgot_password"}]
    )
    report = reports(run(knowledge.ActionAnswerKb(), picked))["utter_kb_answer"]
    assert report == {"kind": "answer", "language": "pt", "article_id": "forgot_password"}


def test_suggestions_report_the_articles_and_the_question():
    close = [hit("forgot_password", 0.3), hit("phone_password", 0.3), hit("never_ask_password", 0.3)]
    messages = run(knowledge.ActionAnswerKb(), tracker("xyzzy plugh [CPF]", ranking=close))
    shown = [json.loads(b["payload"].removeprefix("/faq"))["kb_article"] for b in messages[0]["buttons"]]
    assert len(shown) == 3 and "forgot_password" in shown
    assert reports(messages)["utter_kb_suggestions"] == {
        "kind": "suggestions",
        "language": "pt",
        "articles": shown,
        "question": "xyzzy plugh [CPF]",
    }


def test_nothing_found_reports_the_question():
    said = reports(run(knowledge.ActionAnswerKb(), tracker("xyzzy plugh", slots={"language": "es"})))
    assert said == {"utter_kb_no_answer": {"kind": "no_answer", "language": "es", "question": "xyzzy plugh"}}


@pytest.mark.parametrize(
    "intent, helpful, response", [("affirm", True, "utter_kb_glad"), ("deny", False, "utter_kb_sorry")]
)
def test_the_yes_or_no_to_did_it_help_reports_the_vote_and_the_question_it_answered(intent, helpful, response):
    state = tracker(
        "/" + intent,
        intent=intent,
        slots={"kb_article": "forgot_password", "language": "en"},
        earlier=["how do I reset my password", '/faq{"kb_article": "forgot_password"}'],
    )
    assert reports(run(knowledge.ActionKbFeedback(), state)) == {
        response: {
            "kind": "helpful",
            "language": "en",
            "article_id": "forgot_password",
            "helpful": helpful,
            "question": "how do I reset my password",
        }
    }


def test_a_no_to_the_ticket_offer_and_a_vote_on_nothing_are_not_votes():
    offer = tracker("/deny", intent="deny", slots={"kb_article": "open_ticket"})
    assert reports(run(knowledge.ActionKbFeedback(), offer)) == {"utter_kb_sorry": None}
    assert reports(run(knowledge.ActionKbFeedback(), tracker("/affirm", intent="affirm"))) == {"utter_kb_glad": None}


def test_rasa_keeps_the_text_and_sends_the_report_after_it():
    """What the hub's channel collects from one answer: the response's text
    (Rasa splits it at blank lines), then the report as a message of its own."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    messages = run(knowledge.ActionAnswerKb(), tracker("xyzzy plugh", slots={"language": "en"}))
    domain = Domain.from_dict(DOMAIN)
    state = DialogueStateTracker.from_events("conv-1", [SlotSet("language", "en")], domain.slots)

    async def deliver() -> List[Dict[str, Any]]:
        channel = CollectingOutputChannel()
        nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        uttered = await RemoteAction._utter_responses(copy.deepcopy(messages), channel, nlg, state)
        assert uttered[0].data["custom"] == messages[0]["custom"], "the bot event keeps text and report together"
        await MessageProcessor._send_bot_messages(uttered, state, channel)
        return channel.messages

    collected = asyncio.run(deliver())
    english = [
        v["text"]
        for v in DOMAIN["responses"]["utter_kb_no_answer"]
        if v.get("condition") and v["condition"][0]["value"] == "en"
    ]
    assert collected[0]["text"] == english[0] and collected[0]["buttons"]
    assert collected[-1] == {
        "recipient_id": "conv-1",
        "custom": {"report": {"kind": "no_answer", "language": "en", "question": "xyzzy plugh"}},
    }
