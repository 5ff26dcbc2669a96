"""The intake form's actions: validation (which reads each answer with
actions/incident.py), the questions that need data (duplicates, articles, the
summary), and the end of the intake (a ticket, an update, a deflection, or why
not). Tickets live in the hub; these call its API through actions/hub_client.py."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import config, hub_client, incident, options, taught_words
from actions.hub_client import HubError
from actions.replies import article_link, label, say_queued, say_ticket_created, say_why
from common import answers
from common.answers import Question
from common.ids import short_id
from common.kb.answer import DEFAULT_THRESHOLDS, decide, selector_ranking
from common.kb.search import default_index
from common.text import words
from common.vocabulary import vocabulary
from components.catalog import load_catalog

logger = logging.getLogger(__name__)

# A first message this long is the subject; after a request ("quero abrir um
# chamado, ..."), the problem that follows it, this long.
SUMMARY_MIN_WORDS = 6
PROBLEM_MIN_WORDS = 4
FORM_SLOTS = [spec.slot for spec in incident.FIELDS] + list(incident.CONTROL) + list(incident.EXTRA)
# The handoff form's slots (actions/handoff.py), cleared when an intake ends.
HANDOFF_SLOTS = ("handoff_topic", "handoff_gather", "handoff_reason", "handoff_live", "handoff_ticket")
# A related article is offered when BM25 finds it this clearly (squashed score,
# common/kb/answer.py); incident reports rarely match a how-to article, and a
# wrong "does this solve it?" costs the customer a turn.
RELATED_MIN = 0.6
RELATED_MAX = 3


def language(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return value if value in ("pt", "es", "en") else "pt"


def slots_before_latest_message(tracker: Tracker) -> Dict[str, Any]:
    """The intake's slots as they were before the latest customer message (Rasa
    has already applied this message's entity mappings to tracker.slots)."""
    last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=0)
    values: Dict[str, Any] = {}
    for event in tracker.events[:last_user]:
        kind = event.get("event")
        if kind in ("restart", "session_started", "reset_slots"):
            values = {}
        elif kind == "slot" and event.get("name") in FORM_SLOTS:
            values[event["name"]] = event.get("value")
    return values


def attempts(events: Sequence[Dict[str, Any]], requested: Optional[str]) -> int:
    """How many customer messages in a row have answered `requested` (the
    latest included): the count starts again whenever the form asks something else."""
    count, current = 0, None
    for event in events:
        kind = event.get("event")
        if kind in ("restart", "session_started") or (kind == "active_loop" and not event.get("name")):
            count, current = 0, None
        elif kind == "slot" and event.get("name") == "requested_slot":
            if event.get("value") != current:
                count, current = 0, event.get("value")
        elif kind == "user" and current is not None and current == requested:
            count += 1
    return max(count, 1)


def question_for(domain: Dict[str, Any], tracker: Tracker, requested: Optional[str], lang: str) -> Optional[Question]:
    """The options of the question asked, as its buttons showed them."""
    if requested == "intake_related":
        state = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        return related_question(domain, related_articles(state, lang), lang)
    if requested == "intake_edit_field":
        return edit_field_question(domain, lang)
    return options.asked(domain, requested, lang) if requested else None


def related_question(domain: Dict[str, Any], ids: Sequence[str], lang: str) -> Question:
    """The articles offered before opening, and "none of these". An article's
    tags count as its titles too ("o de anexo" is the attachments article)."""
    libraries = default_index().library
    titles = {
        a: [libraries[code][a].title for code in (lang, "pt", "es", "en") if a in libraries[code]]
        + [tag for code in ("pt", "es", "en") if a in libraries[code] for tag in libraries[code][a].tags]
        for a in ids
    }
    titles["none"] = [label(domain, "utter_intake_none_of_these", code) for code in (lang, "pt", "es", "en")]
    payloads = {a: "/inform" + json.dumps({"kb_article": a}) for a in ids}
    payloads["none"] = "/deny"
    return options.labelled("intake_related", [*ids, "none"], titles, payloads)


def field_label(slot: str, lang: str) -> str:
    """A field's name for the customer, from the vocabulary (every field has one
    in each language; domain.yml's copies missed a field and showed its slot)."""
    labels = vocabulary().field(slot.removeprefix("incident_")).label
    return labels.get(lang) or labels["pt"]


def editable_fields() -> List[str]:
    return [spec.slot for spec in incident.FIELDS if spec.slot != "incident_after_update"]


def edit_field_question(domain: Dict[str, Any], lang: str) -> Question:
    slots = editable_fields()
    titles = {slot: [field_label(slot, code) for code in (lang, "pt", "es", "en")] for slot in slots}
    payloads = {slot: "/inform" + json.dumps({"intake_edit_field": slot}) for slot in slots}
    return options.labelled("intake_edit_field", slots, titles, payloads)


def form_labels(domain: Dict[str, Any], lang: str) -> Dict[str, str]:
    """The fields' names, "unknown" and the examples of a rephrased question, in `lang`."""
    labels = {spec.slot: field_label(spec.slot, lang) for spec in incident.FIELDS}
    labels["unknown"] = label(domain, "unknown", lang)
    for kind in ("product", "version", "text", "date"):
        labels[f"example_{kind}"] = label(domain, f"example_{kind}", lang)
    return labels


def form_turn(tracker: Tracker) -> str:
    """Identifies the customer's message that ended the form, so a retried call
    makes the same request (the hub's idempotency key)."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    return f"{len(users)}:{users[-1].get('timestamp')}" if users else "0"


def is_question(message: Dict[str, Any], requested: Optional[str], lang: str) -> bool:
    """A question to answer from the knowledge base rather than an answer to the
    form: NLU says faq and the knowledge base would answer it confidently. Where
    the form asks for free text, only a message ending in "?" counts: a summary
    such as "forgot my portal password" is the answer, and taking it for a
    question would ask the customer for it forever."""
    if (message.get("intent") or {}).get("name") != "faq":
        return False
    text = (message.get("text") or "").strip()
    spec = incident.BY_SLOT.get(requested or "")
    if spec and spec.kind == "text" and not text.endswith("?"):
        return False
    index = default_index()
    return decide(selector_ranking(message), index.search(text, lang)).kind == "answer"


def related_articles(state: Dict[str, Any], lang: str) -> List[str]:
    text = " ".join(str(state.get(s) or "") for s in ("incident_summary", "incident_description", "incident_routine"))
    if not text.strip():
        return []
    index = default_index()
    hits = index.search(text, lang)
    half = DEFAULT_THRESHOLDS.bm25_half
    return [h.article_id for h in hits if h.score / (h.score + half) >= RELATED_MIN][:RELATED_MAX]


def fields_complete(state: Dict[str, Any]) -> bool:
    following = incident.next_slot(state)
    return following is None or following in incident.STEPS


async def eligibility(conversation_id: str) -> str:
    """ok | anonymous | blocked, as the hub knows the customer; ok if the hub
    cannot say (creating the ticket will then tell)."""
    try:
        contact = (await hub_client.conversation(conversation_id)).get("contact")
    except HubError as error:
        logger.warning("Hub unreachable checking who %s is: %s", short_id(conversation_id), error)
        return "ok"
    if not contact:
        return "anonymous"
    return "ok" if contact.get("can_open_tickets", True) else "blocked"


async def duplicate_candidate(conversation_id: str, state: Dict[str, Any]) -> str:
    """JSON {number, summary} of the customer's open ticket about the same problem, or "none"."""
    try:
        found = await hub_client.similar_tickets(
            conversation_id, str(state.get("incident_summary") or ""), state.get("incident_product")
        )
    except HubError as error:
        logger.warning("Hub unreachable looking for duplicates of %s: %s", short_id(conversation_id), error)
        return "none"
    if not found:
        return "none"
    return json.dumps({"number": found[0]["number"], "summary": found[0]["summary"]}, ensure_ascii=False)


# Option questions a first message often answers already ("em produção", "na
# nuvem", "todo mundo", "tá tudo parado"): read from it, shown in the summary
# for the customer to confirm, never asked.
STATED_FIRST = (
    "incident_origin",
    "incident_system_environment",
    "incident_cloud",
    "incident_after_update",
    "incident_affected_users",
    "incident_operation_stopped",
)


# The type of request too, but only from phrases of two words or more ("dá
# erro", "não funciona"): "erro" alone in a question about a report is still
# the customer's call.
FIRST_MESSAGE_OPTIONS = (*STATED_FIRST, "incident_category")
# Read from one word when it is an item of its own in a list.
LISTED_ALONE = ("incident_origin", "incident_system_environment")
# Option answers a later "na verdade..." may correct (actions/incident.py).
CORRECTABLE = ("incident_category", *STATED_FIRST)


def earlier_questions(
    domain: Dict[str, Any], state: Dict[str, Any], requested: Optional[str], lang: str
) -> Dict[str, Question]:
    """The option questions answered before this message, as their buttons showed them."""
    found: Dict[str, Question] = {}
    for slot in CORRECTABLE:
        if slot != requested and state.get(slot) not in (None, incident.UNKNOWN):
            question = options.asked(domain, slot, lang)
            if question is not None:
                found[slot] = question
    return found


def stated_first(
    domain: Dict[str, Any],
    text: str,
    state: Dict[str, Any],
    lang: str,
    slots: Sequence[str] = STATED_FIRST,
    listed: bool = False,
) -> Dict[str, Any]:
    """The option fields the first message states outright (its phrases of two
    words or more: one word out of the question's context is too often
    something else, "fiscal" in "nota fiscal", "produção" in "ordem de
    produção"), unless already known."""
    if not text or text.startswith("/"):
        return {}
    # With `listed`, a list's item of its own ("Protheus 12.1.2310, production,
    # oracle db") says it in one word; a whole answer of one word does not
    # ("produccion" to the origin question is not the environment too).
    parts = re.split(r"[,;.()]", text)
    items = [item for item in parts if len(words(item)) == 1] if listed and len(parts) >= 3 else []
    found: Dict[str, Any] = {}
    for slot in slots:
        question = options.asked(domain, slot, lang)
        if state.get(slot) is None and question is not None:
            read = answers.resolve(question, text, lang, strict=True, min_words=2)
            if not read.answered and slot in LISTED_ALONE:
                read = next(
                    (r for r in (answers.resolve(question, item, lang, strict=True) for item in items) if r.answered),
                    read,
                )
            if read.answered:
                found[slot] = read.value
    return found


class ValidateIncidentForm(FormValidationAction):
    def name(self) -> str:
        return "validate_incident_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lang = language(tracker)
        message = tracker.latest_message or {}
        requested = tracker.get_slot("requested_slot")
        state = slots_before_latest_message(tracker)
        updates: Dict[str, Any] = {}

        if requested is None:
            # The form starts: who is asking, and what the first message already said.
            updates["intake_eligibility"] = await eligibility(hub_client.about(tracker))
            if tracker.get_slot("intake_held") is not None:
                # Back in the intake: "discard?" is no longer the open question.
                updates.update(intake_held=None, intake_held_at=None)
            for slot in incident.KEPT:
                if tracker.get_slot(slot) is not None:
                    state[slot] = tracker.get_slot(slot)
            text = message.get("text") or ""
            intent = (message.get("intent") or {}).get("name")
            if intent == "report_problem" and not text.startswith("/"):
                # "Quero abrir um chamado, o Logix trava": the subject is the problem, not the request.
                # A message that is only the problem needs more words ("tenho um problema aqui" says none).
                problem = answers.requests_ticket(text)
                if problem and len(words(problem)) >= PROBLEM_MIN_WORDS:
                    updates["incident_summary"] = problem
                elif not problem and len(words(text)) >= SUMMARY_MIN_WORDS:
                    updates["incident_summary"] = text.strip()

        turn = incident.Turn(
            requested=requested,
            text="" if requested is None else (message.get("text") or ""),
            intent=taught_words.believed((message.get("intent") or {}).get("name"), message.get("text") or ""),
            entities=message.get("entities") or [],
            is_question=requested is not None and is_question(message, requested, lang),
            question=question_for(domain, tracker, requested, lang),
            attempt=attempts(tracker.events, requested),
            earlier=earlier_questions(domain, state, requested, lang),
        )
        result = incident.step(state, turn, load_catalog(), lang, config.clock().now(), form_labels(domain, lang))
        if result.reject:
            return []
        for name, values in result.responses:
            buttons = None
            if name == "utter_intake_product_suggestions":
                buttons = [{"title": p, "payload": "/inform" + json.dumps({"product": p})} for p in result.offer]
            dispatcher.utter_message(response=name, buttons=buttons, **values)
        updates.update(result.updates)
        if requested is None:
            text = message.get("text") or ""
            updates.update(stated_first(domain, text, {**state, **updates}, lang, FIRST_MESSAGE_OPTIONS, listed=True))
            if not text.startswith("/"):
                known = {**state, **updates}
                updates.update(incident.stated_details(text, lang, config.clock().now(), known))
        elif requested == "incident_origin" and updates.get("incident_origin") not in (None, incident.UNKNOWN):
            # "Já está em produção faz tempo" answers the environment too: not asked again.
            known, text = {**state, **updates}, message.get("text") or ""
            updates.update(stated_first(domain, text, known, lang, ("incident_system_environment",)))
        if requested == "incident_previous_version" and "incident_previous_version" in updates:
            # Rasa's entity mapping also put that version in incident_version.
            updates["incident_version"] = state.get("incident_version")

        current = {**state, **updates}
        if fields_complete(current) and current.get("intake_duplicate_of") is None:
            updates["intake_duplicate_of"] = await duplicate_candidate(hub_client.about(tracker), current)
            current["intake_duplicate_of"] = updates["intake_duplicate_of"]
        related = related_articles(current, lang) if fields_complete(current) else []
        following = incident.next_slot(current, current.get("intake_duplicate_of") not in (None, "none"), related)
        events: List[EventType] = [SlotSet(k, v) for k, v in updates.items()]
        return events + [SlotSet("requested_slot", following)]


class ActionAskIntakeDuplicate(Action):
    def name(self) -> str:
        return "action_ask_intake_duplicate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        candidate = json.loads(tracker.get_slot("intake_duplicate_of") or "{}")
        dispatcher.utter_message(
            response="utter_ask_intake_duplicate", number=candidate.get("number"), summary=candidate.get("summary")
        )
        return []


class ActionAskIntakeRelated(Action):
    def name(self) -> str:
        return "action_ask_intake_related"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lang = language(tracker)
        state = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        question = related_question(domain, related_articles(state, lang), lang)
        dispatcher.utter_message(response="utter_ask_intake_related", buttons=question.buttons(question.values))
        return []


class ActionAskIntakeSolved(Action):
    def name(self) -> str:
        return "action_ask_intake_solved"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lang = language(tracker)
        article = default_index().library[lang].get(str(tracker.get_slot("intake_related")))
        if article is not None:
            dispatcher.utter_message(
                response="utter_kb_answer",
                summary=article.summary,
                title=article.title,
                link=article_link(lang, article.id),
            )
        dispatcher.utter_message(response="utter_ask_intake_solved")
        return []


class ActionAskIntakeConfirmed(Action):
    def name(self) -> str:
        return "action_ask_intake_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lang = language(tracker)
        state = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        values = incident.display_values(state, lambda key: label(domain, key, lang))
        dispatcher.utter_message(response="utter_intake_summary", **values)
        dispatcher.utter_message(response="utter_ask_intake_confirmed")
        return []


class ActionAskIntakeEditField(Action):
    def name(self) -> str:
        return "action_ask_intake_edit_field"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        question = edit_field_question(domain, language(tracker))
        dispatcher.utter_message(response="utter_ask_intake_edit_field", buttons=question.buttons(question.values))
        return []


def reset(keep_fields: bool = False) -> List[EventType]:
    """Clear the intake for the next one; the customer's installation stays known."""
    slots: Sequence[str] = incident.CONTROL if keep_fields else FORM_SLOTS
    return [SlotSet(slot, None) for slot in slots if slot not in incident.KEPT]


class ActionSubmitIncident(Action):
    def name(self) -> str:
        return "action_submit_incident"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        lang = language(tracker)
        state = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        ending = incident.outcome(state)
        conversation_id = hub_client.about(tracker)
        if ending == "login":
            # What was gathered stays: after logging in, the same conversation carries on.
            dispatcher.utter_message(response="utter_intake_login")
            return reset(keep_fields=True)
        if ending == "blocked":
            dispatcher.utter_message(response="utter_intake_financial_block")
            return reset()
        if ending == "suggestion":
            dispatcher.utter_message(response="utter_intake_suggestion")
            return reset()
        if ending == "paused":
            # No ticket without a yes; what was gathered waits for "open the ticket".
            dispatcher.utter_message(response="utter_intake_paused")
            return reset(keep_fields=True)
        try:
            if ending == "duplicate":
                number = json.loads(state["intake_duplicate_of"])["number"]
                await hub_client.add_update(number, conversation_id, incident.ticket_fields(state), form_turn(tracker))
                dispatcher.utter_message(response="utter_ticket_updated", number=number)
                return reset()
            if ending == "deflected":
                await hub_client.record_deflection(conversation_id, str(state["intake_related"]))
                dispatcher.utter_message(response="utter_intake_deflected")
                return reset()
            if ending != "create":
                dispatcher.utter_message(response="utter_intake_cancelled")
                return reset()
            impact, urgency = incident.impact_and_urgency(state)
            ticket = {"fields": incident.ticket_fields(state), "impact": impact, "urgency": urgency, "language": lang}
            if state.get("intake_cc"):
                ticket["cc"] = list(state["intake_cc"])
            # The hub decides: an analyst now, if one can take it, or the ticket.
            result = await hub_client.escalate(
                conversation_id, None, str(state.get("incident_summary") or ""), lang, form_turn(tracker), ticket
            )
        except HubError as error:
            logger.warning("Intake of %s could not end (%s): %s", short_id(conversation_id), ending, error)
            if error.code == "anonymous":
                dispatcher.utter_message(response="utter_intake_login")
            elif error.code == "blocked":
                dispatcher.utter_message(response="utter_intake_financial_block")
            else:
                dispatcher.utter_message(response="utter_ticket_failed")
            # Everything gathered stays, so asking again goes straight to the summary.
            return reset(keep_fields=True)
        if result["outcome"] == "handoff":
            say_queued(dispatcher, result)
            return reset()
        say_why(dispatcher, result.get("decision") or {})
        return reset() + say_ticket_created(dispatcher, domain, result["ticket"], lang)


# actions/ticket_life.py's forms and what they gather (a stop ends them too).
TICKET_LIFE_FORMS = ("ticket_reply_form", "ticket_reject_form", "ticket_survey_form")
TICKET_LIFE_SLOTS = ("ticket_reply_text", "ticket_reject_reason", "ticket_survey_score", "ticket_survey_comment")


def intake_in_progress(tracker: Tracker) -> bool:
    """Whether the customer was telling Carolina about a problem (the intake's
    own answers, not the installation facts kept between tickets)."""
    return any(tracker.get_slot(slot) for slot in ("incident_category", "incident_summary", "incident_description"))


def held_still(tracker: Tracker, now: float) -> bool:
    """Whether a stopped intake's answers are still kept for "let's continue"."""
    held_at = tracker.get_slot("intake_held_at")
    return held_at is None or now - float(held_at) <= config.intake_keep_hours() * 3600


class ActionCancelIntake(Action):
    """ "Stop": end whatever form is active, create nothing, and say so; but
    "stop, give me a person" (or a person asked for mid-intake) is a handoff."""

    def name(self) -> str:
        return "action_cancel_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        in_intake = tracker.active_loop.get("name") == "incident_form"
        if in_intake and (intent == "request_human" or answers.asks_for_person(text)):
            # "Stop, just connect me to the analyst": a person now, and what was
            # gathered stays (if nobody can chat, the intake goes on from there).
            topic = options.asked(domain, "handoff_topic", language(tracker))
            named = answers.resolve(topic, text, language(tracker), strict=True) if topic else None
            reason = tracker.get_slot("incident_summary") or text
            return [
                ActiveLoop(None),
                SlotSet("requested_slot", None),
                SlotSet("handoff_topic", named.value if named is not None and named.answered else "technical"),
                SlotSet("handoff_gather", incident.NO),
                SlotSet("handoff_reason", reason),
                FollowupAction("handoff_form"),
            ]
        handoff_slots = [SlotSet(slot, None) for slot in HANDOFF_SLOTS]
        if in_intake and intake_in_progress(tracker) and tracker.get_slot("intake_held") is None:
            # Answers would be lost: ask first, and keep them meanwhile ("let's continue" resumes).
            dispatcher.utter_message(response="utter_ask_intake_discard")
            return [
                ActiveLoop(None),
                SlotSet("requested_slot", None),
                SlotSet("intake_held", "confirm"),
                SlotSet("intake_held_at", config.clock().now().timestamp()),
                *handoff_slots,
            ]
        if tracker.active_loop.get("name") in TICKET_LIFE_FORMS:
            # Answering a ticket, a verdict, a survey: nothing was sent.
            dispatcher.utter_message(response="utter_ticket_life_cancelled")
        else:
            dispatcher.utter_message(response="utter_intake_cancelled")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("followup_description", None),
            *[SlotSet(slot, None) for slot in TICKET_LIFE_SLOTS],
            *handoff_slots,
            *discard(),
        ]


def discard() -> List[EventType]:
    return [*reset(), SlotSet("intake_held", None), SlotSet("intake_held_at", None)]


def held_reply(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> Optional[List[EventType]]:
    """The reply to "discard what you told me?" that NLU took for something
    else ("sí, descártalo" as a question), read against its buttons: a yes
    discards, a no resumes; anything else is None (not a reply to it)."""
    lang = language(tracker)
    question = options.asked(domain, "intake_discard", lang)
    text = (tracker.latest_message or {}).get("text") or ""
    found = answers.resolve(question, text, lang) if question and text else None
    if found is None or not found.answered:
        return None
    if found.value == incident.YES:
        return discard_now(dispatcher)
    return resume_now(dispatcher, tracker)


def discard_now(dispatcher: CollectingDispatcher) -> List[EventType]:
    dispatcher.utter_message(response="utter_intake_cancelled")
    return discard()


def resume_now(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    if not intake_in_progress(tracker) or not held_still(tracker, config.clock().now().timestamp()):
        dispatcher.utter_message(response="utter_intake_nothing_to_resume")
        return discard()
    dispatcher.utter_message(response="utter_intake_resumed")
    return [SlotSet("intake_held", None), SlotSet("intake_held_at", None), FollowupAction("incident_form")]


class ActionDiscardIntake(Action):
    """Yes, discard (or a second stop): the answers go, nothing is opened."""

    def name(self) -> str:
        return "action_discard_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return discard_now(dispatcher)


class ActionResumeIntake(Action):
    """No, keep them (or "let's continue" later): the intake picks up where it was."""

    def name(self) -> str:
        return "action_resume_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return resume_now(dispatcher, tracker)
