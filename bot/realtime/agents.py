"""The analysts' socket.io namespace (`/agent`): a console connects with its
session (the `auth` token or the console's cookie) from the hub's own pages,
joins its queues' rooms and its chats' rooms, and says when the analyst is
typing. A socket lives only as long as its session: its presence row names its
session and its analyst (bot/domain/connections.py), so logging out, a password
change or reset and an administrator disabling the analyst drop it at once,
whichever hub it is on; an expired or ended session's sockets are dropped on
their next event, and by a check every `session_check_seconds` for those that
send none."""

from __future__ import annotations

import logging
from datetime import datetime
from http.cookies import SimpleCookie
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import socketio
from aiohttp import web

from bot import keys
from bot.adapters.clients import came_over_https
from bot.db.models import utc
from bot.domain import agents, connections, handoffs
from bot.domain.deadlines import real_now
from bot.domain.errors import DomainError
from bot.realtime import rooms
from bot.settings import Settings

logger = logging.getLogger(__name__)

# The console's session cookie (set at login by bot/web/agent_api.py).
COOKIE = "carolina_agent"


def session_token(environ: Dict[str, Any], auth: Any) -> Optional[str]:
    """An analyst socket's session: the `auth` token, or the console's cookie."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    return cookie[COOKIE].value if COOKIE in cookie else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origin(environ: Dict[str, Any], settings: Settings) -> bool:
    """Whether the socket comes from the hub's own pages: no Origin (a script,
    not a browser), or the public URL's origin, or the request's own scheme and host."""
    origin = (environ.get("HTTP_ORIGIN") or "").strip().lower()
    if not origin:
        return True
    own = {_origin(settings.public_url)}
    request = environ.get("aiohttp.request")
    host = environ.get("HTTP_HOST", "")
    if request is not None and host:
        https = came_over_https(request.scheme, request.remote, request.headers, settings)
        own.add(f"{'https' if https else 'http'}://{host}".lower())
    return origin in own


async def drop(sio: socketio.AsyncServer, sids: List[str]) -> None:
    """Disconnects these consoles; socket.io's Redis manager (cluster mode) forwards
    a socket of another hub to its hub, and a socket already gone is no error."""
    for sid in sids:
        await sio.disconnect(sid, namespace=rooms.AGENTS)


async def drop_session(app: web.Application, token_hash: str) -> None:
    """The session ended: its consoles hear nothing more, on every hub."""
    async with app[keys.SESSIONS]() as session:
        sids = await connections.sockets_of_session(session, token_hash)
    await drop(app[keys.SIO], sids)


async def drop_agent(app: web.Application, agent_id: int, keep: Optional[str] = None) -> None:
    """Every console of the analyst, but those of session `keep` (a token hash)."""
    async with app[keys.SESSIONS]() as session:
        sids = await connections.sockets_of(session, connections.AGENT, str(agent_id), real_now())
        kept = set(await connections.sockets_of_session(session, keep)) if keep else set()
    await drop(app[keys.SIO], [sid for sid in sids if sid not in kept])


async def check_sessions(app: web.Application) -> None:
    """Drops the consoles, on every hub, whose session has expired or ended, or whose analyst is disabled.
    (A periodic job: one hub runs it for all.)"""
    async with app[keys.SESSIONS]() as session:
        sockets = await connections.agent_sockets(session, real_now())
        if not sockets:
            return
        good = await agents.live_sessions(session, [hashed for _, hashed in sockets], app[keys.CLOCK].now())
    await drop(app[keys.SIO], [sid for sid, hashed in sockets if hashed not in good])


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    """app[keys.LIVE] and app[keys.PRESENCE] are made at start-up (bot/app.py)."""

    async def expired(sid: str, state: Dict[str, Any]) -> bool:
        """A socket whose session's time is up is dropped on its next event."""
        expires = state.get("expires_at")
        if expires is None or utc(datetime.fromisoformat(expires)) > utc(app[keys.CLOCK].now()):
            return False
        await sio.disconnect(sid, namespace=rooms.AGENTS)
        return True

    @sio.on("connect", namespace=rooms.AGENTS)
    async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        if not own_origin(environ, app[keys.SETTINGS]):
            # The portal's pages may open the widget's socket, never the analysts'.
            raise socketio.exceptions.ConnectionRefusedError("forbidden_origin")
        live = app[keys.LIVE]
        async with app[keys.SESSIONS]() as session:
            try:
                agent, row = await agents.authenticate(session, session_token(environ, auth), app[keys.CLOCK].now())
            except DomainError as error:
                raise socketio.exceptions.ConnectionRefusedError(error.code) from error
            held = [h.conversation_id for h in await handoffs.held_by_agent(session, agent.id)]
        queues = list(live.calendar.queues) if agent.role == "admin" else list(agent.queues or [])
        state = {
            "agent_id": agent.id,
            "name": agent.name,
            "session": row.token_hash,
            "expires_at": utc(row.expires_at).isoformat(),
        }
        await sio.save_session(sid, state, namespace=rooms.AGENTS)
        await app[keys.PRESENCE].agent_connected(agent, sid, held, queues, row.token_hash)

    @sio.on("typing", namespace=rooms.AGENTS)
    async def typing(sid: str, data: Any = None) -> None:
        """The analyst is typing in a chat they hold: the customer's widget says so."""
        state = await sio.get_session(sid, namespace=rooms.AGENTS)
        if await expired(sid, state):
            return
        conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
        if (
            state.get("agent_id")
            and conversation_id
            and rooms.held(conversation_id) in sio.rooms(sid, namespace=rooms.AGENTS)
        ):
            await sio.emit("agent_typing", {"name": state.get("name")}, room=rooms.customer(conversation_id))

    @sio.on("*", namespace=rooms.AGENTS)
    async def other(event: str, sid: str, data: Any = None) -> None:
        """Any other event does nothing, but an expired session's socket still goes."""
        await expired(sid, await sio.get_session(sid, namespace=rooms.AGENTS))

    @sio.on("disconnect", namespace=rooms.AGENTS)
    async def disconnect(sid: str, *args: Any) -> None:
        state = await sio.get_session(sid, namespace=rooms.AGENTS)
        if state.get("agent_id"):
            await app[keys.PRESENCE].agent_disconnected(state["agent_id"], sid)
