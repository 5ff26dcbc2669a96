"""What Carolina says about the hub's answers (tickets, handoffs), shared by
the intake and the handoff actions. All the words are in domain.yml; the
hub adds the ones it owns (queue names, opening times) in the customer's language."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.config import public_url


def label(domain: Dict[str, Any], key: str, lang: str) -> str:
    """A response's text in `lang`, for the words actions put inside other
    responses (all language stays in domain.yml)."""
    variants = (domain.get("responses") or {}).get(key if key.startswith("utter_") else f"utter_label_{key}") or []
    default = key
    for variant in variants:
        conditions = variant.get("condition") or []
        if not conditions:
            default = variant.get("text", default)
        elif any(c.get("name") == "language" and c.get("value") == lang for c in conditions):
            return variant.get("text", default)
    return default


def address_hint(email: str) -> str:
    """Enough of the address for the customer to know which mailbox to look in
    ("an•••@example.com"), not the address itself: Carolina's words are kept in
    Rasa's tracker store, which holds no e-mail addresses (LGPD, README
    "Personal data")."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}•••@{domain}" if domain else "•••"


def say_ticket_created(
    dispatcher: CollectingDispatcher, domain: Dict[str, Any], ticket: Mapping[str, Any], lang: str
) -> List[EventType]:
    criticality = label(domain, f"criticality_{ticket['criticality']}", lang)
    if ticket.get("email"):
        dispatcher.utter_message(
            response="utter_ticket_created",
            number=ticket["number"],
            criticality=criticality,
            email=address_hint(ticket["email"]),
        )
    else:
        dispatcher.utter_message(
            response="utter_ticket_created_portal", number=ticket["number"], criticality=criticality
        )
    return [SlotSet("ticket_number", ticket["number"])]


def say_why(dispatcher: CollectingDispatcher, decision: Mapping[str, Any]) -> None:
    """Why nobody can chat now, and when the queue opens again."""
    why = decision.get("why")
    values = {"queue": decision.get("queue_name"), "opens": decision.get("opens"), "wait": decision.get("wait_minutes")}
    if why == "holiday":
        dispatcher.utter_message(response="utter_handoff_holiday", holiday=decision.get("holiday"), **values)
    elif why == "closed":
        dispatcher.utter_message(response="utter_handoff_closed", **values)
    elif why == "busy":
        dispatcher.utter_message(response="utter_handoff_busy", **values)
    else:
        dispatcher.utter_message(response="utter_handoff_nobody", **values)


def say_queued(dispatcher: CollectingDispatcher, result: Mapping[str, Any]) -> None:
    decision = result.get("decision") or {}
    if not decision.get("wait_minutes"):
        # Nobody ahead: "about 0 min" reads as a mistake; say what it means.
        dispatcher.utter_message(response="utter_handoff_queued_next", queue=decision.get("queue_name"))
        return
    dispatcher.utter_message(
        response="utter_handoff_queued",
        queue=decision.get("queue_name"),
        position=result.get("position"),
        wait=decision.get("wait_minutes", 0),
    )


def article_link(lang: str, article_id: str) -> str:
    return f"{public_url()}/kb/{lang}/{article_id}"


# A ticket's button shows its number and the start of its summary.
PICK_TITLE = 40


def pick_title(ticket: Mapping[str, Any]) -> str:
    """ "2026-000123 · Nota fiscal rejeitada pela…": the summary cut at a word, so a
    button never ends mid-word."""
    summary = " ".join(str(ticket.get("summary") or "").split())
    if len(summary) > PICK_TITLE:
        head = summary[: PICK_TITLE + 1]
        cut = head.rsplit(" ", 1)[0] if " " in head else summary[:PICK_TITLE]
        summary = cut.rstrip(" ,.;:-") + "…"
    return f"{ticket['number']} · {summary}".rstrip(" ·")
