"""The widget's socket.io protocol, as Rasa's `socketio` channel speaks it.

A page with the rasa-webchat widget works against the hub unchanged:
`session_request` {session_id} -> `session_confirm` <session_id>, where the
session id is a random resume token, never the conversation id (Rasa's sender
id): bot/domain/resume.py. The hub then sends `session_info` {conversation_id,
resumed, upload_token, upload_max_bytes, upload_too_large} (files go over HTTP:
bot/web/attachments_api.py), or `session_refused` {reason: bad_identity | rate_limited} instead
of both; when someone logs in on a page with an anonymous conversation, the
fresh conversation is confirmed and `resume_offer` {text, buttons} asks whether
to carry on the earlier one, answered by `resume_answer` {accept} (a yes gets
a second `session_confirm` and `session_info`; rasa-webchat ignores the offer
and stays in the fresh one).
`user_uttered` {message, session_id, customData} -> `bot_uttered` {text,
quick_replies | attachment}. Before the replies the hub sends `user_stored`
(the customer's message as stored), whose `metadata.replies` says how many
`bot_uttered` follow for it: a client knows when the turn is over without
waiting for silence. The hub's own widget also sends `message_id`
(resent messages are answered once), the portal's identity `token`, and asks
for `sync` {after} after a reconnect to fill any gap from the record.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Dict, List, Optional

import socketio
from aiohttp import web

from bot import keys
from bot.adapters.clients import socket_address
from bot.adapters.ratelimit import Rate
from bot.db import queries
from bot.db.models import Message
from bot.domain import attachments, conversations, resume
from bot.domain.conversations import InputError, handle_customer_message
from bot.domain.identity import Identity, IdentityError, verify
from bot.domain.texts import text as hub_text
from bot.realtime import rooms, ticket_news
from common.ids import short_id
from common.languages import normalise_code

logger = logging.getLogger(__name__)
# How long a restarted Rasa may take to load its model (about a minute on two cores).
RASA_START_SECONDS = 180.0
# Cluster mode: how often each hub looks for messages a dead hub left unanswered,
# and how old they must be (a lease of bot/adapters/locks.py and then some).
CATCH_UP_SECONDS = 30.0
CATCH_UP_MIN_AGE = timedelta(minutes=1)
# Refusal notices a socket may get in a burst before the hub closes it.
NOTICES_BURST = 5


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
    # A file (bot/web/attachments_api.py) is a text message with its name (an
    # analyst's, with its download link too, so a plain rasa-webchat shows
    # something usable); the file itself is metadata, which the hub's widget shows.
    attachment = payload.get("attachment")
    if attachment and message.sender != "customer" and attachment.get("url"):
        event["text"] = f"📎 {attachment.get('filename') or ''}: {attachment['url']}"
    metadata: Dict[str, Any] = {"seq": message.id, "from": message.sender}
    for key in ("agent_name", "error", "to", "attachment"):
        if payload.get(key):
            metadata[key] = payload[key]
    if message.title:
        metadata["title"] = message.title  # the button a customer's payload came from
    if message.client_message_id:
        metadata["client_message_id"] = message.client_message_id
    event["metadata"] = metadata
    return event


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    settings = app[keys.SETTINGS]
    # A customer message passes only if its client address, its socket and its
    # conversation are each within their limit: neither new sockets nor new
    # conversations give a flooder a fresh allowance.
    # The counts live in the hub's Limits (bot/adapters/ratelimit.py: in Redis in
    # cluster mode, so another hub gives no fresh allowance either).
    per_address = Rate("message-address", settings.ip_rate_per_minute, settings.ip_burst)
    per_socket = Rate("message-socket", settings.rate_per_minute, settings.rate_burst)
    per_conversation = Rate("message-conversation", settings.rate_per_minute, settings.rate_burst)
    # The other events (sync, typing, unknown ones) per socket; and the notices
    # the hub sends about refusals, so that a client ignoring them cannot keep
    # the hub talking: a person who sends too fast reads the first notice and
    # stops; a program that carries on past a few is closed, since every event it
    # sends, refused or not, costs the hub's one event loop its decoding.
    events = Rate("events", settings.events_per_minute, settings.events_burst)
    notices = Rate("notices", settings.events_per_minute, NOTICES_BURST)
    # New connections per client address are limited before socket.io sees them
    # (bot/web/handshakes.py): a client whose socket was closed for flooding
    # cannot come straight back with fresh per-socket allowances.

    async def error(sid: str, key: str, language: Optional[str], **values: object) -> None:
        await sio.emit("bot_uttered", {"text": hub_text(key, language, **values), "metadata": {"error": key}}, to=sid)

    def identity_from(data: Dict[str, Any]) -> Optional[Identity]:
        token = data.get("token") or (data.get("customData") or {}).get("token")
        if not token:
            return None
        return verify(str(token), settings)

    # New conversations per client address and minute (resuming one is not new).
    new_conversations = Rate(
        "new-conversations", settings.new_conversations_per_ip_per_minute, settings.new_conversations_per_ip_per_minute
    )

    async def allowed(rate: Rate, key: str) -> bool:
        return await app[keys.LIMITS].allow((rate, key))

    async def join(sid: str, state: Dict[str, Any], conversation_id: str) -> None:
        """The socket's customer is now in `conversation_id`: out of the room
        (and presence) of the conversation it was in before, if another."""
        previous = state.get("conversation_id")
        if previous and previous != conversation_id:
            await sio.leave_room(sid, rooms.customer(previous))
            await app[keys.PRESENCE].customer_disconnected(previous, sid)
        state["conversation_id"] = conversation_id
        await sio.save_session(sid, state)
        await sio.enter_room(sid, rooms.customer(conversation_id))
        await app[keys.PRESENCE].customer_connected(conversation_id, sid)

    async def confirm(sid: str, token: str, conversation_id: str, resumed: bool) -> None:
        """`session_confirm` carries the resume token, the only session id the
        widget knows; `session_info` (which rasa-webchat ignores) tells the hub's
        own widget, and tests, which conversation that is."""
        await sio.emit("session_confirm", token, to=sid)
        language = ((await sio.get_session(sid)).get("metadata") or {}).get("language")
        uploads = attachments.upload_info(settings, conversation_id, language)  # the widget's files (HTTP)
        await sio.emit("session_info", {"conversation_id": conversation_id, "resumed": resumed, **uploads}, to=sid)

    @sio.on("session_request")
    async def session_request(sid: str, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
        # Only a language the hub knows (pt-BR -> pt) is kept with the conversation.
        language = normalise_code(data.get("language")) or normalise_code(custom.get("language"))
        if not await allowed(events, sid):
            # Each session request costs a database transaction, even one that resumes.
            await refuse(sid, language)
            await sio.emit("session_refused", {"reason": "rate_limited"}, to=sid)
            return
        try:
            identity = identity_from(data)
        except IdentityError as problem:
            logger.warning("Refused identity token from socket %s: %s", short_id(sid), problem)
            await error(sid, "bad_identity", language)
            await sio.emit("session_refused", {"reason": "bad_identity"}, to=sid)
            return
        state = await sio.get_session(sid)
        address = address_of(sid, state)
        requested = data.get("session_id")
        language = (identity and identity.language) or language
        async with app[keys.SESSIONS].begin() as session:
            contact = await queries.upsert_contact(session, identity) if identity else None
            # The session id is the resume token (bot/domain/resume.py): a conversation
            # id, an unknown or an expired token starts a new conversation.
            started = await resume.start(
                session,
                requested if isinstance(requested, str) and requested else None,
                contact,
                language,
                settings.clock.now(),
                settings.resume_days,
                lambda: allowed(new_conversations, address),
            )
            contact_id = contact.id if contact else None
        if started is None:
            logger.warning("Refused a new conversation to %s: over the limit per minute", short_id(address))
            await refuse(sid, language)
            await sio.emit("session_refused", {"reason": "rate_limited"}, to=sid)
            return
        state.pop("resume_offer", None)
        state.update(
            contact_id=contact_id,
            metadata={
                **(identity.as_metadata() if identity else {}),
                **({"language": language} if language else {}),
            },
        )
        await join(sid, state, started.conversation_id)
        await confirm(sid, started.token, started.conversation_id, started.resumed)
        if contact_id is not None:
            # What they missed on their tickets while away is said now (bot/realtime/ticket_news.py).
            now = settings.clock.now()
            await ticket_news.deliver_quietly(sio, app[keys.SESSIONS], [contact_id], now, [started.conversation_id])
        if started.offer:
            # A stock rasa-webchat ignores the question and stays in the fresh conversation.
            state["resume_offer"] = started.offer
            await sio.emit(
                "resume_offer",
                {
                    "text": hub_text("resume_question", language),
                    "buttons": [
                        {"title": hub_text("resume_yes", language), "payload": "yes"},
                        {"title": hub_text("resume_no", language), "payload": "no"},
                    ],
                },
                to=sid,
            )

    @sio.on("resume_answer")
    async def resume_answer(sid: str, data: Any) -> None:
        """The answer to `resume_offer`, {accept: true|false}: once per offer."""
        state = await sio.get_session(sid)
        offered = state.pop("resume_offer", None)
        contact_id = state.get("contact_id")
        if not offered or not contact_id:
            return
        accepted = isinstance(data, dict) and data.get("accept") is True
        async with app[keys.SESSIONS].begin() as session:
            if not accepted:
                await resume.decline(session, offered)
                return
            token = await resume.accept(session, offered, contact_id, settings.clock.now(), settings.resume_days)
        if token is None:
            return
        await join(sid, state, offered)
        await confirm(sid, token, offered, True)

    async def refuse(sid: str, language: Optional[str], tell: bool = True) -> None:
        """Tells a client it is over a limit. One that carries on past the notices'
        own limit is no person's widget: its connection is closed, since even
        refused, every event it sends costs the hub's one event loop its decoding."""
        if await allowed(notices, sid):
            if tell:
                await error(sid, "rate_limited", language)
            return
        state = await state_of(sid) or {}
        logger.warning(
            "Closed socket %s of %s: flooding past its limits", short_id(sid), short_id(address_of(sid, state))
        )
        # And its address opens no new socket for a while (bot/web/handshakes.py).
        await app[keys.SOCKET_GATE].pause(address_of(sid, state))
        eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
        if eio_sid:
            await sio.eio.disconnect(eio_sid)

    async def state_of(sid: str) -> Optional[Dict[str, Any]]:
        """The socket's session; None once it is gone (a closed flooder's queued events)."""
        try:
            return await sio.get_session(sid)
        except KeyError:
            return None

    def address_of(sid: str, state: Dict[str, Any]) -> str:
        return str(state.get("address") or socket_address(sio.get_environ(sid) or {}, settings))

    @sio.on("connect")
    async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        """The client's real address (behind a trusted proxy, the one it names),
        kept in the socket's session for the limits per address."""
        async with sio.session(sid) as state:
            state["address"] = socket_address(environ, settings)

    @sio.on("disconnect")
    async def disconnect(sid: str, *args: Any) -> None:
        conversation_id = (await sio.get_session(sid)).get("conversation_id")
        for rate in (per_socket, events, notices):
            await app[keys.LIMITS].forget(rate, sid)
        if conversation_id:
            await app[keys.PRESENCE].customer_disconnected(conversation_id, sid)

    @sio.on("user_uttered")
    async def user_uttered(sid: str, data: Any) -> None:
        state = await state_of(sid)
        if state is None:
            return
        conversation_id = state.get("conversation_id")
        metadata = dict(state.get("metadata") or {})
        if not isinstance(data, dict) or not conversation_id:
            if await allowed(events, sid):
                await error(sid, "bad_request", metadata.get("language"))
            else:
                await refuse(sid, None, tell=False)
            return
        if "message" not in data:
            # rasa-webchat sends this when it has no initPayload; Rasa's channel ignores it too.
            return
        custom = data["customData"] if isinstance(data.get("customData"), dict) else {}
        # Only a language the hub knows (pt-BR -> pt) goes on, to Rasa and into the record.
        language = normalise_code(custom.get("language")) or normalise_code(metadata.pop("language", None))
        if language:
            metadata["language"] = language
        checks = ((per_address, address_of(sid, state)), (per_socket, sid), (per_conversation, conversation_id))
        if not await app[keys.LIMITS].allow(*checks):
            await refuse(sid, metadata.get("language"))
            return
        try:
            outcome = await handle_customer_message(
                app[keys.SESSIONS],
                app[keys.RASA],
                settings,
                conversation_id,
                data.get("message"),
                data.get("message_id"),
                metadata,
                data.get("title"),
                locks=app[keys.LOCKS],
            )
        except InputError as problem:
            await error(sid, problem.key, metadata.get("language"), **problem.values)
            return
        except Exception as problem:  # never an unanswered message: the apology, and the cause in the log
            logger.error(
                "Could not handle a message of conversation %s: %s", short_id(conversation_id), problem, exc_info=True
            )
            await error(sid, "rasa_down", metadata.get("language"))
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
        state = await state_of(sid) or {}
        conversation_id = state.get("conversation_id")
        if not await allowed(events, sid):
            await refuse(sid, None, tell=False)  # dropped: nobody misses a typing sign
            return
        if conversation_id:
            await sio.emit(
                "typing", {"conversation_id": conversation_id}, room=rooms.held(conversation_id), namespace=rooms.AGENTS
            )

    @sio.on("sync")
    async def sync(sid: str, data: Any) -> None:
        state = await state_of(sid) or {}
        conversation_id = state.get("conversation_id")
        after = data.get("after", 0) if isinstance(data, dict) else 0
        if not conversation_id or not isinstance(after, int):
            return
        if not await allowed(events, sid):
            await refuse(sid, (state.get("metadata") or {}).get("language"))  # its history stays incomplete
            return
        async with app[keys.SESSIONS]() as session:
            messages: List[Message] = await queries.transcript(session, conversation_id, after)
        await sio.emit("history", [bot_uttered(m) for m in messages], to=sid)

    @sio.on("*")
    async def unknown(event: str, sid: str, data: Any = None) -> None:
        if not await allowed(events, sid):
            await refuse(sid, None, tell=False)  # not even a log line
            return
        logger.info("Ignored unknown socket.io event %r from socket %s", event[:40], short_id(sid))
        state = await state_of(sid) or {}
        await error(sid, "bad_request", (state.get("metadata") or {}).get("language"))


async def file_attached(app: web.Application, message: Message) -> None:
    """A customer's file, stored as their message (bot/web/attachments_api.py): the
    conversation's tabs show it like any message they sent (no reply follows:
    Carolina does not read files), and an analyst holding the chat sees it."""
    stored = bot_uttered(message)
    stored["metadata"]["replies"] = 0
    await app[keys.SIO].emit("user_stored", stored, room=rooms.customer(message.conversation_id))
    if (message.payload or {}).get("to") == "analyst":
        await app[keys.LIVE].customer_said(message.conversation_id, message)


async def answer_unanswered(app: web.Application) -> None:
    """At start-up, after a crash: the messages the last run stored but never
    answered get Carolina's answer (or the apology), sent to whoever is back in
    the conversation and kept for the widget's sync. Rasa, restarted with the
    hub, gets a while to load its model first. Whenever a Rasa server becomes
    ready (at start, and after it refused connections: bot/adapters/rasa_client.py,
    RasaClient.watch), the same catch-up answers the messages kept meanwhile
    with the notice that Carolina was starting. In cluster mode another hub may
    die with messages in hand at any time: every hub looks again every
    CATCH_UP_SECONDS for those at least CATCH_UP_MIN_AGE old (by then a dead
    hub's conversation locks have lapsed, and a live hub has answered)."""
    rasa = app[keys.RASA]
    # One pass at a time in this hub (several servers may become ready together):
    # a pass waiting for another finds what that one answered, and skips it.
    one_at_a_time = asyncio.Lock()

    async def pass_over(min_age: timedelta) -> None:
        async with one_at_a_time:
            await catch_up(app, min_age)

    watch = asyncio.ensure_future(rasa.watch(lambda url: pass_over(timedelta(0))))
    try:
        if not await rasa.readiness.wait_any(RASA_START_SECONDS):
            # Rasa still not up: the leftovers get the apology now rather than never.
            await pass_over(timedelta(0))
        while app[keys.SETTINGS].cluster:
            await asyncio.sleep(CATCH_UP_SECONDS)
            await pass_over(CATCH_UP_MIN_AGE)
        await watch
    finally:
        watch.cancel()


async def catch_up(app: web.Application, min_age: timedelta) -> None:
    try:
        answered = await conversations.answer_unanswered(
            app[keys.SESSIONS], app[keys.RASA], locks=app[keys.LOCKS], min_age=min_age
        )
    except Exception:  # a background task: say what went wrong rather than lose it
        logger.exception("Could not answer the messages left unanswered")
        return
    for conversation_id, replies in answered.items():
        for reply in replies:
            await app[keys.SIO].emit("bot_uttered", bot_uttered(reply), room=rooms.customer(conversation_id))
    if answered:
        logger.info("Answered %d message(s) left unanswered", len(answered))
