"""The widget's socket.io protocol, as Rasa's `socketio` channel speaks it.

A page with the rasa-webchat widget works against the hub unchanged:
`session_request` {session_id} -> `session_confirm` <session_id>;
`user_uttered` {message, session_id, customData} -> `bot_uttered` {text,
quick_replies | attachment}. Before the replies the hub sends `user_stored`
(the customer's message as stored), whose `metadata.replies` says how many
`bot_uttered` follow for it: a client knows when the turn is over without
waiting for silence. The hub's own widget also sends `message_id`
(resent messages are answered once), the portal's identity `token`, and asks
for `sync` {after} after a reconnect to fill any gap from the record.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

import socketio
from aiohttp import web

from bot import keys
from bot.adapters.ratelimit import RateLimiter
from bot.db import queries
from bot.db.models import Message
from bot.domain import conversations
from bot.domain.conversations import InputError, handle_customer_message
from bot.domain.identity import Identity, IdentityError, verify
from bot.domain.texts import text as hub_text
from bot.realtime import rooms

logger = logging.getLogger(__name__)
# How long a restarted Rasa may take to load its model (about a minute on two cores).
RASA_START_SECONDS = 180.0


def bot_uttered(message: Message) -> Dict[str, Any]:
    """A stored message as Rasa's socketio channel would emit it. rasa-webchat
    recognises a message by its exact set of keys ({text}, {text, quick_replies},
    {attachment}), so everything the hub adds goes under `metadata`, which it
    sets aside: `seq` (the place in the transcript), `from` (customer, bot,
    agent, system), `agent_name`, `client_message_id`, `error`, `to` (analyst: a
    customer message for the analyst, not Carolina)."""
    event: Dict[str, Any] = {"text": message.text}
    payload = message.payload or {}
    buttons = payload.get("buttons") or payload.get("quick_replies")
    if buttons:
        event["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")} for b in buttons
        ]
    if payload.get("attachment"):
        event = {"attachment": payload["attachment"]}
    metadata: Dict[str, Any] = {"seq": message.id, "from": message.sender}
    for key in ("agent_name", "error", "to"):
        if payload.get(key):
            metadata[key] = payload[key]
    if message.client_message_id:
        metadata["client_message_id"] = message.client_message_id
    event["metadata"] = metadata
    return event


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    settings = app[keys.SETTINGS]
    limiter = RateLimiter(settings.rate_per_minute, settings.rate_burst)

    async def error(sid: str, key: str, language: Optional[str], **values: object) -> None:
        await sio.emit("bot_uttered", {"text": hub_text(key, language, **values), "metadata": {"error": key}}, to=sid)

    def identity_from(data: Dict[str, Any]) -> Optional[Identity]:
        token = data.get("token") or (data.get("customData") or {}).get("token")
        if not token:
            return None
        return verify(str(token), settings.identity_secret)

    @sio.on("session_request")
    async def session_request(sid: str, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
        language = data.get("language") or custom.get("language")
        try:
            identity = identity_from(data)
        except IdentityError as problem:
            logger.warning("Refused identity token from %s: %s", sid, problem)
            await error(sid, "bad_identity", language)
            await sio.emit("session_refused", {"reason": "bad_identity"}, to=sid)
            return
        requested = data.get("session_id")
        async with app[keys.SESSIONS].begin() as session:
            contact = await queries.upsert_contact(session, identity) if identity else None
            conversation = (
                await queries.get_conversation(session, requested) if isinstance(requested, str) and requested else None
            )
            # A session id is a bearer secret: resume it only for the same customer,
            # or for the customer who just logged in on the page that started it
            # anonymously (asked to log in to open a ticket, they carry on).
            if conversation is not None and conversation.contact_id is None and contact is not None:
                conversation.contact_id = contact.id
            if conversation is None or conversation.contact_id != (contact.id if contact else None):
                conversation = await queries.create_conversation(
                    session, contact.id if contact else None, (identity and identity.language) or language
                )
            conversation_id = conversation.id
        await sio.save_session(
            sid,
            {
                "conversation_id": conversation_id,
                "metadata": {
                    **(identity.as_metadata() if identity else {}),
                    **({"language": language} if language else {}),
                },
            },
        )
        await sio.enter_room(sid, rooms.customer(conversation_id))
        app[keys.PRESENCE].customer_connected(conversation_id, sid)
        await sio.emit("session_confirm", conversation_id, to=sid)

    @sio.on("disconnect")
    async def disconnect(sid: str, *args: Any) -> None:
        conversation_id = (await sio.get_session(sid)).get("conversation_id")
        if conversation_id:
            app[keys.PRESENCE].customer_disconnected(conversation_id, sid)

    @sio.on("user_uttered")
    async def user_uttered(sid: str, data: Any) -> None:
        state = await sio.get_session(sid)
        conversation_id = state.get("conversation_id")
        metadata = dict(state.get("metadata") or {})
        if not isinstance(data, dict) or not conversation_id:
            await error(sid, "bad_request", metadata.get("language"))
            return
        if "message" not in data:
            # rasa-webchat sends this when it has no initPayload; Rasa's channel ignores it too.
            return
        custom = data["customData"] if isinstance(data.get("customData"), dict) else {}
        if custom.get("language"):
            metadata["language"] = custom["language"]
        if not limiter.allow(conversation_id):
            await error(sid, "rate_limited", metadata.get("language"))
            return
        try:
            outcome = await handle_customer_message(
                app[keys.SESSIONS],
                app[keys.RASA],
                settings,
                conversation_id,
                data.get("message"),
                str(data["message_id"]) if data.get("message_id") else None,
                metadata,
            )
        except InputError as problem:
            await error(sid, problem.key, metadata.get("language"), **problem.values)
            return
        # Everyone in the conversation's room sees the customer's message (other
        # tabs, later the analyst), then the replies, each already stored.
        stored = bot_uttered(outcome.customer)
        stored["metadata"]["replies"] = len(outcome.replies)
        await sio.emit("user_stored", stored, room=rooms.customer(conversation_id))
        if outcome.destination == "analyst" and not outcome.duplicate:
            await app[keys.LIVE].customer_said(conversation_id, outcome.customer)
        for reply in outcome.replies:
            await sio.emit("bot_uttered", bot_uttered(reply), room=rooms.customer(conversation_id))

    @sio.on("typing")
    async def typing(sid: str, data: Any = None) -> None:
        """The customer is typing: the analyst holding the chat sees it (Carolina needs no warning)."""
        conversation_id = (await sio.get_session(sid)).get("conversation_id")
        if conversation_id:
            await sio.emit(
                "typing", {"conversation_id": conversation_id}, room=rooms.held(conversation_id), namespace=rooms.AGENTS
            )

    @sio.on("sync")
    async def sync(sid: str, data: Any) -> None:
        state = await sio.get_session(sid)
        conversation_id = state.get("conversation_id")
        after = data.get("after", 0) if isinstance(data, dict) else 0
        if not conversation_id or not isinstance(after, int):
            return
        async with app[keys.SESSIONS]() as session:
            messages: List[Message] = await queries.transcript(session, conversation_id, after)
        await sio.emit("history", [bot_uttered(m) for m in messages], to=sid)

    @sio.on("*")
    async def unknown(event: str, sid: str, data: Any = None) -> None:
        logger.info("Ignored unknown socket.io event %r from %s", event, sid)
        state = await sio.get_session(sid)
        await error(sid, "bad_request", (state.get("metadata") or {}).get("language"))


async def answer_unanswered(app: web.Application) -> None:
    """At start-up, after a crash: the messages the last run stored but never
    answered get Carolina's answer (or the apology), sent to whoever is back in
    the conversation and kept for the widget's sync. Rasa, restarted with the
    hub, gets a while to load its model first."""
    await app[keys.RASA].wait_ready(RASA_START_SECONDS)
    try:
        answered = await conversations.answer_unanswered(app[keys.SESSIONS], app[keys.RASA])
    except Exception:  # a background task: say what went wrong rather than lose it
        logger.exception("Could not answer the messages left unanswered by the last run")
        return
    for conversation_id, replies in answered.items():
        for reply in replies:
            await app[keys.SIO].emit("bot_uttered", bot_uttered(reply), room=rooms.customer(conversation_id))
    if answered:
        logger.info("Answered %d message(s) left unanswered by the last run", len(answered))
