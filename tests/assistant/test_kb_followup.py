"""A follow-up on the topic just answered ("e no Chile?") is answered with the
article just shown (common/kb/followup.py, actions/knowledge.py). The action
runs with a CollectingDispatcher on a tracker as Rasa sends it: the events of
the turns before, then the follow-up with what NLU made of it (no topic: a low,
spread ResponseSelector ranking)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from common.kb.followup import is_follow_up

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
# What NLU makes of a message that names no topic: nothing stands out.
NO_TOPIC = [("support_hours", 0.12), ("phone_channel", 0.1), ("out_of_scope", 0.08)]


def turn(text: str, *actions: str) -> List[Dict[str, Any]]:
    return [{"event": "user", "text": text}] + [{"event": "action", "name": name} for name in actions]


def after(
    earlier: List[Dict[str, Any]],
    text: str,
    lang: str = "pt",
    ranking: Optional[List[tuple]] = None,
    kb_article: Optional[str] = "phone_numbers_international",
) -> Tracker:
    slots = {"language": lang, "kb_article": kb_article}
    message = {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "entities": [],
        "response_selector": {
            "faq": {"ranking": [{"intent_response_key": f"faq/{a}", "confidence": c} for a, c in (ranking or NO_TOPIC)]}
        },
    }
    events = [*earlier, {"event": "user", "text": text}]
    return Tracker("conv-1", slots, message, events, False, None, {}, "action_listen")


def answered(state: Tracker) -> Optional[str]:
    dispatcher = CollectingDispatcher()
    asyncio.run(knowledge.ActionAnswerKb().run(dispatcher, state, DOMAIN))
    for message in dispatcher.messages:
        if message.get("response") == "utter_kb_answer":
            return message["custom"]["report"]["article_id"]
    return None


PHONES_ABROAD = turn("qual o telefone do suporte na argentina?", "action_answer_kb", "action_listen")


@pytest.mark.parametrize(
    "text, lang", [("e no Chile?", "pt"), ("¿y en Chile?", "es"), ("and in Chile?", "en"), ("what about Chile", "en")]
)
def test_a_follow_up_right_after_an_answer_gets_the_same_article(text, lang):
    assert answered(after(PHONES_ABROAD, text, lang)) == "phone_numbers_international"


def test_after_the_yes_to_did_it_help_the_topic_is_still_the_article():
    helped = PHONES_ABROAD + turn("sim, valeu", "action_kb_feedback", "action_listen")
    assert answered(after(helped, "e no Chile?")) == "phone_numbers_international"


def test_without_an_answer_just_before_a_follow_up_has_no_topic():
    assert answered(after([], "e no Chile?", kb_article=None)) is None
    moved_on = PHONES_ABROAD + turn("quero falar com um atendente", "action_escalate", "action_listen")
    assert answered(after(moved_on, "e no Chile?")) is None, "the last turn was about something else"


def test_a_new_question_after_an_answer_is_read_on_its_own():
    state = after(PHONES_ABROAD, "e como recupero minha senha?", ranking=[("forgot_password", 0.98)])
    assert answered(state) == "forgot_password"


@pytest.mark.parametrize(
    "text, follows",
    [
        ("e no sábado?", True),
        ("y para clientes cloud", True),
        ("e como abro um chamado?", False),
        ("E pro pessoal do Peru, qual o telefone de vocês por favor?", False),
        ("esqueci a senha", False),
    ],
)
def test_what_reads_as_a_follow_up(text, follows):
    assert is_follow_up(text) is follows


def test_a_follow_up_read_as_a_no_to_did_it_help_is_a_question_not_a_vote():
    # NLU reads "e no Chile?" as deny: the rule after an answer sends it to action_kb_feedback.
    state = after(PHONES_ABROAD, "e no Chile?")
    state.latest_message["intent"] = {"name": "deny", "confidence": 0.42}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(knowledge.ActionKbFeedback().run(dispatcher, state, DOMAIN))
    assert events == [FollowupAction("action_answer_kb")] and dispatcher.messages == []
    assert answered(state) == "phone_numbers_international", "then the answer action gives the article again"
    no = after(PHONES_ABROAD, "não")
    no.latest_message["intent"] = {"name": "deny", "confidence": 0.99}
    dispatcher = CollectingDispatcher()
    asyncio.run(knowledge.ActionKbFeedback().run(dispatcher, no, DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_kb_sorry"], "a plain no is still a vote"
