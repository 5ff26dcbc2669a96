"""The analysts' socket.io namespace (`/agent`): a console connects with its
session (the `auth` token or the console's cookie), joins its queues' rooms and
its chats' rooms, and says when the analyst is typing."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any, Dict, Optional

import socketio
from aiohttp import web

from bot import keys
from bot.domain import agents, handoffs
from bot.domain.errors import DomainError
from bot.realtime import rooms

# The console's session cookie (set at login by bot/web/agent_api.py).
COOKIE = "carolina_agent"


def session_token(environ: Dict[str, Any], auth: Any) -> Optional[str]:
    """An analyst socket's session: the `auth` token, or the console's cookie."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    return cookie[COOKIE].value if COOKIE in cookie else None


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    """app[keys.LIVE] and app[keys.PRESENCE] are made at start-up (bot/app.py)."""

    @sio.on("connect", namespace=rooms.AGENTS)
    async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        live = app[keys.LIVE]
        async with app[keys.SESSIONS]() as session:
            try:
                agent, _ = await agents.authenticate(session, session_token(environ, auth), app[keys.CLOCK].now())
            except DomainError as error:
                raise socketio.exceptions.ConnectionRefusedError(error.code) from error
            held = [h.conversation_id for h in await handoffs.held_by_agent(session, agent.id)]
        queues = list(live.calendar.queues) if agent.role == "admin" else list(agent.queues or [])
        await sio.save_session(sid, {"agent_id": agent.id, "name": agent.name}, namespace=rooms.AGENTS)
        await app[keys.PRESENCE].agent_connected(agent, sid, held, queues)

    @sio.on("typing", namespace=rooms.AGENTS)
    async def typing(sid: str, data: Any = None) -> None:
        """The analyst is typing in a chat they hold: the customer's widget says so."""
        state = await sio.get_session(sid, namespace=rooms.AGENTS)
        conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
        if (
            state.get("agent_id")
            and conversation_id
            and rooms.held(conversation_id) in sio.rooms(sid, namespace=rooms.AGENTS)
        ):
            await sio.emit("agent_typing", {"name": state.get("name")}, room=rooms.customer(conversation_id))

    @sio.on("disconnect", namespace=rooms.AGENTS)
    async def disconnect(sid: str, *args: Any) -> None:
        state = await sio.get_session(sid, namespace=rooms.AGENTS)
        if state.get("agent_id"):
            app[keys.PRESENCE].agent_disconnected(state["agent_id"], sid)
