"""A stored message as the hub's JSON API shows it (the transcript, notes, the
console). The widget's wire format is bot/realtime/widget.py's `bot_uttered`.

A customer's button click is stored as the payload it sent ("/inform{...}")
with the button's title next to it; people (the console, exports, a ticket's
transcript) read the title and the field it answered, never the command."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Optional

from bot.db.models import Message

# Rasa's FallbackClassifier threshold (config.yml): below it Carolina did not understand.
LOW_CONFIDENCE = 0.4
COMMAND = re.compile(r"^/(?P<intent>[A-Za-z0-9_]+)(?P<entities>\{.*\})?\s*$", re.DOTALL)


def message_json(message: Message) -> Dict[str, Any]:
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "title": message.title,
        "payload": message.payload,
        "intent": message.intent,
        "confidence": message.confidence,
        "language": message.language,
        "client_message_id": message.client_message_id,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


def answered(text: str) -> Optional[Dict[str, Any]]:
    """What a command a button sent answers: its entities ({"incident_origin":
    "production"} -> {"origin": "production"}), {} for one without any (/affirm),
    None for a line the customer typed."""
    found = COMMAND.match(text or "")
    if found is None:
        return None
    try:
        entities = json.loads(found.group("entities") or "{}")
    except ValueError:
        return {}
    if not isinstance(entities, dict):
        return {}
    return {str(k).removeprefix("incident_"): v for k, v in entities.items() if isinstance(v, (str, int, float, bool))}


def shown(message: Message) -> Dict[str, Any]:
    """The message as people read it: a click is its title (or, stored before
    titles were, nothing but the field it answered), and carries the field it
    answered instead of an intent (a click is not something NLU guessed);
    a typed line below the fallback threshold is marked low_confidence."""
    data = message_json(message)
    payload = message.payload or {}
    for key in ("buttons", "quick_replies"):
        if isinstance(payload.get(key), list):
            # The buttons Carolina offered, by their titles: the commands behind them are hers.
            offered = [{"title": b.get("title")} for b in payload[key] if isinstance(b, dict)]
            data["payload"] = payload = {**payload, key: offered}
    clicked = answered(message.text) if message.sender == "customer" else None
    data["answered"] = clicked
    data["low_confidence"] = False
    # A typed answer to a form's question: the field it answers, not the intent
    # NLU guessed for "Protheus" or "desde ontem" (channels/hub.py notes which).
    form_slot = payload.get("form_slot") if message.sender == "customer" and clicked is None else None
    data["form_field"] = str(form_slot).removeprefix("incident_") if form_slot else None
    if clicked is not None:
        data["text"] = message.title or ""
        data["intent"] = data["confidence"] = None
    elif form_slot:
        data["intent"] = data["confidence"] = None
    elif message.sender == "customer" and message.confidence is not None:
        data["low_confidence"] = message.confidence < LOW_CONFIDENCE
    return data
