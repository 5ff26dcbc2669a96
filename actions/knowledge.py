"""Answers from the knowledge base (common/kb) and records whether the answer helped.

What Carolina did with a question (answered it, offered a list, found nothing)
and the customer's yes or no to "did it help?" ride on the utterance that says
so, as `custom.report` (json_message): the hub keeps them as report events when
it stores the reply (bot/domain/conversations.py), so no extra call is made.
The question is the text the hub gave Rasa, already masked."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import nlu_client, options
from actions.intake import held_reply
from actions.replies import article_link
from common.answers import asks_who_speaks, leaves_upset
from common.kb.answer import KbDecision, decide, focused, part_answers, selector_ranking
from common.kb.followup import is_follow_up
from common.kb.parts import kb_query, question_parts
from common.kb.search import default_index

# Articles about opening a ticket: Carolina can do it herself, so she offers to.
INTAKE_ARTICLES = ("open_ticket",)


def chosen_article(message: Dict[str, Any]) -> str | None:
    """The article the customer picked from suggestion buttons, if any."""
    for entity in message.get("entities") or []:
        if entity.get("entity") == "kb_article":
            return str(entity.get("value"))
    return None


def in_form(tracker: Tracker) -> bool:
    return bool((tracker.active_loop or {}).get("name"))


def report(kind: str, lang: str, **fields: Any) -> Dict[str, Any]:
    """The json_message that carries a report event to the hub."""
    return {"report": {"kind": kind, "language": lang, **fields}}


def asked_before(tracker: Tracker) -> Optional[str]:
    """The question the customer's yes or no is about: their last message
    before this one that was typed (a picked suggestion is a "/faq{...}" payload)."""
    said = [e.get("text") for e in tracker.events if e.get("event") == "user"][:-1]
    return next((text for text in reversed(said) if isinstance(text, str) and not text.startswith("/")), None)


def article_just_shown(tracker: Tracker) -> Optional[str]:
    """The article Carolina's last turn was about (its answer, or the yes or no
    to "did it help?" after it), if that turn came right before this message."""
    said_before = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if said_before:
                return None  # an earlier message: the last turn answered nothing
            said_before = True
        elif event.get("event") == "action" and event.get("name") not in (None, "action_listen") and said_before:
            if event.get("name") not in ("action_answer_kb", "action_kb_feedback"):
                return None
            article_id = tracker.get_slot("kb_article")
            return None if article_id in INTAKE_ARTICLES else article_id
    return None


def say_article(dispatcher: CollectingDispatcher, lang: str, article: Any, confidence: Optional[float] = None) -> None:
    answered = report("answer", lang, article_id=article.id)
    if confidence is not None:
        answered["report"]["confidence"] = confidence  # the fused score (common/kb/answer.py), not a probability
    dispatcher.utter_message(
        response="utter_kb_answer",
        summary=article.summary,
        title=article.title,
        link=article_link(lang, article.id),
        json_message=answered,
    )


async def answers_to_parts(text: str, lang: str) -> List[str]:
    """For a message that asks two things or more, the article that answers
    each part (by Rasa's NLU of the part and BM25), in order, each once; []
    when it asks one thing. Greetings and stated personal data are left out."""
    parts = question_parts(kb_query(text))
    if len(parts) < 2:
        return []
    index = default_index()
    readings = [(await nlu_client.parse(part), index.search(part, lang)) for part in parts]
    return list(part_answers(readings, at_least=1))


async def decision_on(message: Dict[str, Any], lang: str) -> KbDecision:
    """The knowledge base's decision on a question; on the question alone when
    a greeting or stated personal data came with it ("oi, meu cpf é [CPF], como
    atualizo meu cadastro?"), read again by Rasa without them (the whole
    message if Rasa is unreachable)."""
    text = message.get("text") or ""
    query = kb_query(text)
    parsed = await nlu_client.parse(query) if query != text else None
    if parsed is None:
        query, parsed = text, message
    return decide(selector_ranking(parsed), default_index().search(query, lang))


class ActionAnswerKb(Action):
    def name(self) -> str:
        return "action_answer_kb"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        index = default_index()
        lang = tracker.get_slot("language") or "pt"
        if lang not in index.library:
            lang = "pt"
        message = tracker.latest_message or {}
        article_id = chosen_article(message)
        if article_id is None and tracker.get_slot("intake_held") == "confirm":
            # "Sí, descártalo" to "discard what you told me?", read by NLU as a question.
            events = held_reply(dispatcher, tracker, domain)
            if events is not None:
                return events
        if article_id is None and asks_who_speaks(message.get("text") or ""):
            # "¿Tienen analistas que hablen inglés?": about the team, whatever NLU made of it.
            dispatcher.utter_message(response="utter_team_languages")
            return [SlotSet("kb_article", None)]
        if article_id is None and leaves_upset(message.get("text") or ""):
            # "Isso não serviu pra nada, tchau": a goodbye that says sorry, not articles.
            dispatcher.utter_message(response="utter_goodbye_sorry")
            return [SlotSet("kb_article", None)]
        related: List[Dict[str, str]] = []
        confidence: Optional[float] = None
        question = message.get("text") or ""
        if article_id not in index.library[lang]:
            both = [a for a in await answers_to_parts(question, lang) if a in index.library[lang]]
            if len(both) > 1:
                # "Qual o horário? E como recupero a senha?": each question its answer.
                for answered in both:
                    say_article(dispatcher, lang, index.library[lang][answered])
                if not in_form(tracker):
                    dispatcher.utter_message(response="utter_kb_did_it_help")
                return [SlotSet("kb_article", both[0]), SlotSet("kb_helpful", None)]
            decision = focused(await decision_on(message, lang), both)
            previous = article_just_shown(tracker)
            if decision.kind != "answer" and previous in index.library[lang] and is_follow_up(question):
                # "E no Chile?" right after the phone numbers abroad: the same article, about another case.
                decision = KbDecision(
                    "answer", previous, related=tuple(a for a in decision.suggestions if a != previous)
                )
            if decision.kind == "suggest":
                buttons = [
                    {
                        "title": index.library[lang][suggested].title,
                        "payload": "/faq" + json.dumps({"kb_article": suggested}),
                    }
                    for suggested in decision.suggestions
                ]
                shown = report("suggestions", lang, articles=list(decision.suggestions), question=question)
                dispatcher.utter_message(response="utter_kb_suggestions", buttons=buttons, json_message=shown)
                if set(decision.suggestions) & set(INTAKE_ARTICLES) and not in_form(tracker):
                    dispatcher.utter_message(response="utter_kb_offer_intake")
                    # "Yes please" next is a yes to the offer (action_kb_feedback).
                    return [SlotSet("kb_article", INTAKE_ARTICLES[0])]
                return [SlotSet("kb_article", None)]
            if decision.kind == "none":
                dispatcher.utter_message(
                    response="utter_kb_no_answer", json_message=report("no_answer", lang, question=question)
                )
                return [SlotSet("kb_article", None)]
            article_id = decision.article_id
            confidence = round(decision.ranking[0][1], 4) if decision.ranking else None
            related = [
                {"title": index.library[lang][other].title, "payload": "/faq" + json.dumps({"kb_article": other})}
                for other in decision.related
            ]
        article = index.library[lang][article_id]
        say_article(dispatcher, lang, article, confidence)
        if in_form(tracker):
            # A question in the middle of a form: the form asks its question next.
            return [SlotSet("kb_article", article.id)]
        if article.id in INTAKE_ARTICLES:
            # The offer is the question: "yes please, open it" opens it (action_kb_feedback).
            dispatcher.utter_message(response="utter_kb_offer_intake")
            return [SlotSet("kb_article", article.id), SlotSet("kb_helpful", None)]
        if related:
            # Answered on its lead: "did it help?" with the runners-up beside yes and no.
            yes_no = options.buttons(domain, "utter_kb_did_it_help").get(lang, [])
            dispatcher.utter_message(response="utter_kb_did_it_help_or_related", buttons=yes_no + related)
        else:
            dispatcher.utter_message(response="utter_kb_did_it_help")
        return [SlotSet("kb_article", article.id), SlotSet("kb_helpful", None)]


class ActionKbFeedback(Action):
    """Stores the customer's yes/no to "did this help?" in the `kb_helpful` slot."""

    def name(self) -> str:
        return "action_kb_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if is_follow_up((tracker.latest_message or {}).get("text") or "") and article_just_shown(tracker):
            # "E no Chile?" right after an answer reads to NLU as a "no" (it starts like one): a question on
            # the same article, not a vote.
            return [FollowupAction("action_answer_kb")]
        helpful = (tracker.latest_message or {}).get("intent", {}).get("name") == "affirm"
        if helpful and tracker.get_slot("kb_article") in INTAKE_ARTICLES:
            # A yes to "shall I open the ticket here?": open it.
            return [SlotSet("kb_article", None), FollowupAction("incident_form")]
        article_id = tracker.get_slot("kb_article")
        voted = None
        if article_id is not None and article_id not in INTAKE_ARTICLES:
            # A no to "shall I open the ticket?" is not a vote on an article.
            voted = report("helpful", tracker.get_slot("language") or "pt", article_id=article_id, helpful=helpful)
            voted["report"]["question"] = asked_before(tracker)
        dispatcher.utter_message(response="utter_kb_glad" if helpful else "utter_kb_sorry", json_message=voted)
        if article_id is None:
            return []
        return [SlotSet("kb_helpful", helpful)]
