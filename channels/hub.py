"""The hub's channel into Rasa: the replies *and* what NLU understood, in one call.

Rasa's `rest` channel answers with the bot's messages only. The hub must store,
with every customer message, the intent and confidence Rasa saw, before it shows
anything to an analyst. Asking the tracker API afterwards would be a second
round trip and a race with the next message; this channel reads the tracker
inside the same request, after Rasa has processed the message under its
conversation lock, and returns both:

    POST /webhooks/hub/webhook
    {"sender": "<conversation id>", "message": "...", "message_id": "...", "metadata": {...}}
    -> {"messages": [{"text": ..., "buttons": [...]}, ...],
        "nlu": {"intent": "faq", "confidence": 0.97, "retrieval": "faq/forgot_password",
                "language": "pt", "entities": [...]},
        "language": "pt",   # the conversation's language slot after this turn
        "failed_actions": []}   # custom actions that failed in this turn (see below)

Rasa logs a custom action that fails (the action server is down, or raised)
and carries on without it, so the customer would get whatever it predicts next,
often "I didn't understand". The channel notes those failures for its own
request (a logging filter and a context variable: each request is its own
asyncio task) so the hub can apologise instead.

Enabled in credentials.yml as `channels.hub.HubInput`; `rest` stays on for
people who script Rasa directly.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

# The failed actions of the request being handled (None outside the hub channel).
_failed_actions: ContextVar[Optional[List[str]]] = ContextVar("carolina_failed_actions", default=None)


class FailedActions(logging.Filter):
    """Notes the processor's "exception while running action" for the current request."""

    def filter(self, record: logging.LogRecord) -> bool:
        failed = _failed_actions.get()
        message = record.getMessage()
        if failed is not None and record.exc_info and "while running action" in message:
            # "Encountered an exception while running action 'action_answer_kb'. ..."
            failed.append(message.split("'")[1] if message.count("'") >= 2 else message)
        return True


_processor_log = logging.getLogger("rasa.core.processor")
if not any(isinstance(f, FailedActions) for f in _processor_log.filters):
    _processor_log.addFilter(FailedActions())


def nlu_summary(event: Optional[UserUttered]) -> Dict[str, Any]:
    if event is None:
        return {}
    data = event.parse_data or {}
    intent = data.get("intent") or {}
    language = data.get("language") or {}
    return {
        "intent": intent.get("name"),
        "confidence": intent.get("confidence"),
        "retrieval": intent.get("full_retrieval_intent_name"),
        "language": language.get("name") if isinstance(language, dict) else None,
        "entities": [{"entity": e.get("entity"), "value": e.get("value")} for e in data.get("entities") or []],
    }


class HubInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "hub"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hub = Blueprint("hub_webhook", __name__)

        @hub.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hub.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json or {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            message_id = body.get("message_id")
            collector = CollectingOutputChannel()
            failed: List[str] = []
            _failed_actions.set(failed)
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    message_id=str(message_id) if message_id else None,
                    metadata=body.get("metadata") or None,
                )
            )
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            understood = None
            if tracker is not None:
                for event in reversed(tracker.events):
                    if isinstance(event, UserUttered) and (not message_id or event.message_id == str(message_id)):
                        understood = event
                        break
            language = tracker.get_slot("language") if tracker is not None else None
            return response.json(
                {
                    "messages": collector.messages,
                    "nlu": nlu_summary(understood),
                    "language": language,
                    "failed_actions": failed,
                }
            )

        return hub
