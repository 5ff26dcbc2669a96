"""A stored message as the hub's JSON API shows it (the transcript, notes, the
console). The widget's wire format is bot/realtime/widget.py's `bot_uttered`."""

from __future__ import annotations

from typing import Any, Dict

from bot.db.models import Message


def message_json(message: Message) -> Dict[str, Any]:
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "payload": message.payload,
        "intent": message.intent,
        "confidence": message.confidence,
        "language": message.language,
        "client_message_id": message.client_message_id,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
