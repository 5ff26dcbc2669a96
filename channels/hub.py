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

    POST /webhooks/hub/parse  {"text": "..."}  -> what /model/parse answers
    (the action server reads each part of a two-question message with it, so
    production runs Rasa without its HTTP API)

With RASA_TOKEN in Rasa's environment every call needs `Authorization: Bearer
<RASA_TOKEN>` (the hub and the action server send it): production's Rasa
listens on loopback, where anyone on the host could otherwise talk to it.

Enabled in credentials.yml as `channels.hub.HubInput`; `rest` stays on there
for people who script Rasa directly. Production's credentials.production.yml
enables this channel only.
"""

from __future__ import annotations

import hmac
import logging
import os
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import ActiveLoop, Event, SlotSet, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import action_results

logger = logging.getLogger(__name__)

# Every Rasa server loads this channel: the place to make it check the action
# server's answers without rebuilding the schema each time (channels/action_results.py).
action_results.install()

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


def nlu_summary(event: Optional[UserUttered], form_slot: Optional[str] = None) -> Dict[str, Any]:
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
        # The form's question the message came in answer to: analysts read it as
        # that answer, not as an intent NLU guessed for a product name or a date.
        "form_slot": form_slot,
    }


def asked_when(events: List[Event], message: UserUttered) -> Optional[str]:
    """The slot a form was asking for when `message` came (None: no form was asking)."""
    loop: Optional[str] = None
    requested: Optional[str] = None
    for event in events:
        if event is message:
            return requested if loop else None
        if isinstance(event, ActiveLoop):
            loop = event.name
        elif isinstance(event, SlotSet) and event.key == "requested_slot":
            requested = event.value if isinstance(event.value, str) else None
    return None


def refused(authorization: str, token: Optional[str]) -> bool:
    """Whether a call must be refused: a token is set and the call does not carry it."""
    if not token:
        return False
    given = authorization.removeprefix("Bearer ").strip().encode("utf-8", "surrogateescape")
    return not hmac.compare_digest(given, token.encode())


def unauthorised(request: Request) -> Optional[HTTPResponse]:
    if refused(request.headers.get("Authorization", ""), os.environ.get("RASA_TOKEN")):
        return response.json({"error": "unauthorized"}, status=401)
    return None


class HubInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "hub"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hub = Blueprint("hub_webhook", __name__)

        @hub.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return unauthorised(request) or response.json({"status": "ok"})

        @hub.route("/parse", methods=["POST"])
        async def parse(request: Request) -> HTTPResponse:
            refusal = unauthorised(request)
            if refusal is not None:
                return refusal
            text = (request.json or {}).get("text")
            if not isinstance(text, str):
                return response.json({"error": "text is required"}, status=400)
            return response.json(await request.app.ctx.agent.parse_message(text))

        @hub.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refusal = unauthorised(request)
            if refusal is not None:
                return refusal
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
                    "nlu": nlu_summary(
                        understood, asked_when(list(tracker.events), understood) if tracker and understood else None
                    ),
                    "language": language,
                    "failed_actions": failed,
                }
            )

        return hub
