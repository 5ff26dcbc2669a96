"""Live chat between a customer and an analyst: the record changes in
bot/handoffs.py, and here everyone concerned is told, over socket.io.

Customers are in the default namespace, in a room named after their
conversation (bot/web/widget.py). Analysts connect to the `/agent` namespace
with their session; they are in a room per queue they serve (`queue:<name>`:
new and taken handoffs) and, for each chat they hold, `conv:<id>` (the
customer's messages as they arrive).

Timers live in this process: an analyst whose sockets have all dropped gets
`agent_grace_seconds` to come back before their chats return to the queue; a
customer gone for `abandon_seconds` abandons a waiting or live chat; every
`queue_check_seconds` queued customers whose queue has closed are offered a
ticket. (One hub process; several would need these in a shared store.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from http.cookies import SimpleCookie
from typing import Any, Dict, Optional, Set

import socketio
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import agents, handoffs, keys
from bot.db import queries
from bot.db.models import Agent, Handoff, Message
from bot.hours import load_calendar
from bot.settings import Settings
from bot.texts import queue_name
from bot.texts import text as hub_text
from bot.web.api import message_json
from bot.web.widget import bot_uttered
from common import clock

logger = logging.getLogger(__name__)

NAMESPACE = "/agent"
COOKIE = "carolina_agent"


class LiveChat:
    def __init__(self, sio: socketio.AsyncServer, sessions: async_sessionmaker, settings: Settings) -> None:
        self.sio, self.sessions, self.settings = sio, sessions, settings
        self.calendar = load_calendar()
        self.agent_sids: Dict[int, Set[str]] = defaultdict(set)
        self.customer_sids: Dict[str, Set[str]] = defaultdict(set)
        self.timers: Dict[str, asyncio.Task] = {}

    # ---- telling people -------------------------------------------------

    async def to_conversation(self, message: Message) -> None:
        """A message the customer and the analyst holding the chat both see."""
        await self.sio.emit("bot_uttered", bot_uttered(message), room=message.conversation_id)
        await self.to_agents_of(message)

    async def to_agents_of(self, message: Message) -> None:
        await self.sio.emit(
            "message",
            {"conversation_id": message.conversation_id, **bot_uttered(message)},
            room=f"conv:{message.conversation_id}",
            namespace=NAMESPACE,
        )

    async def queue_changed(self, queue: str) -> None:
        """Analysts of the queue refresh their list; waiting customers see their new place."""
        await self.sio.emit("queue_changed", {"queue": queue}, room=f"queue:{queue}", namespace=NAMESPACE)
        async with self.sessions() as session:
            for handoff in await handoffs.queued_in(session, [queue]):
                place = await handoffs.position(session, handoff)
                await self.sio.emit("queue_position", {"queue": queue, "position": place}, room=handoff.conversation_id)

    async def system(self, conversation_id: str, key: str, language: Optional[str], **values: Any) -> Message:
        payload = values.pop("payload", None)
        async with self.sessions.begin() as session:
            message = await queries.add_message(
                session, conversation_id, "system", hub_text(key, language, **values), payload
            )
        await self.to_conversation(message)
        return message

    async def join_agent_to(self, agent_id: int, conversation_id: str) -> None:
        for sid in list(self.agent_sids.get(agent_id, ())):
            await self.sio.enter_room(sid, f"conv:{conversation_id}", namespace=NAMESPACE)

    async def leave_agents(self, conversation_id: str) -> None:
        await self.sio.close_room(f"conv:{conversation_id}", namespace=NAMESPACE)

    # ---- what happens -----------------------------------------------------

    async def queued(self, handoff_id: int) -> None:
        async with self.sessions() as session:
            handoff = await handoffs.get(session, handoff_id)
            data = await handoffs.handoff_json(session, handoff, self.settings.public_url)
        await self.sio.emit("handoff_queued", data, room=f"queue:{handoff.queue}", namespace=NAMESPACE)
        await self.queue_changed(handoff.queue)

    async def accept(self, agent: Agent, handoff_id: int) -> Dict[str, Any]:
        async with self.sessions.begin() as session:
            handoff = await handoffs.accept(session, handoff_id, agent, clock.now())
            language = handoff.language
        await self.join_agent_to(agent.id, handoff.conversation_id)
        await self.system(
            handoff.conversation_id,
            "agent_joined",
            language,
            name=agent.name,
            queue=queue_name(handoff.queue, language),
        )
        await self.sio.emit(
            "handoff_taken", {"id": handoff.id, "agent": agent.name}, room=f"queue:{handoff.queue}", namespace=NAMESPACE
        )
        await self.queue_changed(handoff.queue)
        return await self.describe(handoff.id, with_transcript=True)

    async def agent_says(self, agent: Agent, handoff_id: int, text: str) -> Message:
        async with self.sessions.begin() as session:
            handoff = await handoffs.get(session, handoff_id)
            handoffs.held_by(handoff, agent)
            message = await queries.add_message(
                session, handoff.conversation_id, "agent", text, {"agent_name": agent.name}
            )
        await self.to_conversation(message)
        return message

    async def customer_said(self, conversation_id: str, message: Message) -> Optional[Message]:
        """A customer's message while an analyst has (or will have) the chat.
        The quick reply "/open_ticket" while waiting turns the wait into a ticket."""
        await self.to_agents_of(message)
        if message.text.strip() != "/open_ticket":
            return None
        async with self.sessions() as session:
            handoff = await handoffs.live_handoff(session, conversation_id)
        if handoff is None or handoff.status != "queued":
            return None
        return await self.make_ticket(handoff.id, resolution="ticket")

    async def transfer(self, agent: Agent, handoff_id: int, queue: str) -> Dict[str, Any]:
        if queue not in self.calendar.queues:
            raise handoffs.HandoffError(422, "invalid", f"unknown queue {queue}")
        async with self.sessions.begin() as session:
            handoff = await handoffs.get(session, handoff_id)
            handoffs.held_by(handoff, agent)
            old = handoff.queue
            await handoffs.requeue(session, handoff, queue)
            place, language = await handoffs.position(session, handoff), handoff.language
        await self.leave_agents(handoff.conversation_id)
        await self.system(
            handoff.conversation_id, "transferred", language, queue=queue_name(queue, language), position=place
        )
        await self.queue_changed(old)
        await self.queued(handoff_id)
        return await self.describe(handoff_id)

    async def close(self, agent: Agent, handoff_id: int, resolution: str) -> Dict[str, Any]:
        """resolution "resolved": thanks and the survey; "returned": Carolina takes over again."""
        async with self.sessions.begin() as session:
            handoff = await handoffs.get(session, handoff_id)
            handoffs.held_by(handoff, agent)
            await handoffs.finish(session, handoff, "closed", resolution, clock.now())
            language = handoff.language
        await self.leave_agents(handoff.conversation_id)
        key = "survey_question" if resolution == "resolved" else "returned_to_bot"
        payload = None
        if resolution == "resolved":
            payload = {"buttons": [{"title": str(n), "payload": str(n)} for n in range(11)]}
        await self.system(handoff.conversation_id, key, language, payload=payload)
        return await self.describe(handoff_id)

    async def make_ticket(self, handoff_id: int, resolution: str, agent: Optional[Agent] = None) -> Message:
        """The handoff becomes a ticket carrying the transcript (once); a live one ends."""
        async with self.sessions.begin() as session:
            handoff = await handoffs.get(session, handoff_id)
            if agent is not None and handoff.status in handoffs.LIVE:
                handoffs.held_by(handoff, agent)
            ticket = await handoffs.to_ticket(session, handoff, clock.now())
            was_queued = handoff.status == "queued"
            if handoff.status in handoffs.LIVE:
                await handoffs.finish(session, handoff, "closed", resolution, clock.now())
            number, language = ticket.number, handoff.language
        await self.leave_agents(handoff.conversation_id)
        if was_queued:
            await self.queue_changed(handoff.queue)
        return await self.system(handoff.conversation_id, "ticket_from_chat", language, number=number)

    async def describe(self, handoff_id: int, with_transcript: bool = False) -> Dict[str, Any]:
        async with self.sessions() as session:
            handoff = await handoffs.get(session, handoff_id)
            data = await handoffs.handoff_json(session, handoff, self.settings.public_url)
            if with_transcript:
                data["transcript"] = [
                    message_json(m) for m in await queries.transcript(session, handoff.conversation_id)
                ]
        return data

    # ---- who is connected -------------------------------------------------

    def _schedule(self, key: str, delay: float, work: Any) -> None:
        self._cancel(key)

        async def later() -> None:
            try:
                await asyncio.sleep(delay)
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:  # a timer must not die silently
                logger.exception("Live-chat timer %s failed", key)
            finally:
                if self.timers.get(key) is asyncio.current_task():
                    del self.timers[key]

        self.timers[key] = asyncio.ensure_future(later())

    def _cancel(self, key: str) -> None:
        task = self.timers.pop(key, None)
        if task is not None:
            task.cancel()

    async def recover(self) -> None:
        """After a restart nobody is connected yet: analysts marked online and
        customers in a live handoff get the usual time to come back."""
        async with self.sessions() as session:
            online = (await session.execute(select(Agent.id).where(Agent.presence == "online"))).scalars().all()
            waiting = (
                await session.execute(select(Handoff.conversation_id).where(Handoff.status.in_(handoffs.LIVE)))
            ).scalars()
            conversations = set(waiting)
        for agent_id in online:
            self._schedule(
                f"agent:{agent_id}", self.settings.agent_grace_seconds, lambda a=agent_id: self._agent_gone(a)
            )
        for conversation_id in conversations:
            self._schedule(
                f"customer:{conversation_id}", self.settings.abandon_seconds, lambda c=conversation_id: self._abandon(c)
            )

    def customer_connected(self, conversation_id: str, sid: str) -> None:
        self.customer_sids[conversation_id].add(sid)
        self._cancel(f"customer:{conversation_id}")

    def customer_disconnected(self, conversation_id: str, sid: str) -> None:
        sids = self.customer_sids.get(conversation_id, set())
        sids.discard(sid)
        if not sids:
            self.customer_sids.pop(conversation_id, None)
            self._schedule(
                f"customer:{conversation_id}", self.settings.abandon_seconds, lambda: self._abandon(conversation_id)
            )

    async def _abandon(self, conversation_id: str) -> None:
        if self.customer_sids.get(conversation_id):
            return
        async with self.sessions.begin() as session:
            handoff = await handoffs.live_handoff(session, conversation_id)
            if handoff is None:
                return
            await handoffs.finish(session, handoff, "abandoned", "customer_left", clock.now())
        logger.info("Handoff %s abandoned: the customer left", handoff.id)
        await self.sio.emit(
            "handoff_ended",
            {"id": handoff.id, "status": "abandoned"},
            room=f"conv:{conversation_id}",
            namespace=NAMESPACE,
        )
        await self.leave_agents(conversation_id)
        await self.queue_changed(handoff.queue)

    async def agent_connected(self, agent: Agent, sid: str) -> None:
        self.agent_sids[agent.id].add(sid)
        self._cancel(f"agent:{agent.id}")
        for queue in self.calendar.queues if agent.role == "admin" else agent.queues or []:
            await self.sio.enter_room(sid, f"queue:{queue}", namespace=NAMESPACE)
        async with self.sessions() as session:
            held = await handoffs.held_by_agent(session, agent.id)
        for handoff in held:
            await self.sio.enter_room(sid, f"conv:{handoff.conversation_id}", namespace=NAMESPACE)

    def agent_disconnected(self, agent_id: int, sid: str) -> None:
        sids = self.agent_sids.get(agent_id, set())
        sids.discard(sid)
        if not sids:
            self.agent_sids.pop(agent_id, None)
            self._schedule(f"agent:{agent_id}", self.settings.agent_grace_seconds, lambda: self._agent_gone(agent_id))

    async def _agent_gone(self, agent_id: int) -> None:
        """The analyst did not come back: offline, and their chats back in line."""
        if self.agent_sids.get(agent_id):
            return
        async with self.sessions.begin() as session:
            agent = await session.get(Agent, agent_id)
            agent.presence = "offline"
            held = await handoffs.held_by_agent(session, agent_id)
            moved = []
            for handoff in held:
                await handoffs.requeue(session, handoff)
                moved.append((handoff.id, handoff.conversation_id, handoff.language))
        for handoff_id, conversation_id, language in moved:
            async with self.sessions() as session:
                place = await handoffs.position(session, await handoffs.get(session, handoff_id))
            await self.system(conversation_id, "agent_lost", language, position=place)
            await self.queued(handoff_id)

    async def sweep_closed_queues(self) -> None:
        """Customers waiting in a queue that has closed are offered a ticket, once."""
        async with self.sessions.begin() as session:
            closing = await handoffs.closing_queues(session, self.calendar, clock.now())
            offers = []
            for handoff in closing:
                handoff.ticket_offered_at = clock.now()
                offers.append((handoff.conversation_id, handoff.queue, handoff.language))
        for conversation_id, queue, language in offers:
            button = {"title": hub_text("open_ticket_button", language), "payload": "/open_ticket"}
            await self.system(
                conversation_id,
                "queue_closed",
                language,
                queue=queue_name(queue, language),
                payload={"buttons": [button]},
            )

    async def run_sweeper(self) -> None:
        while True:
            await asyncio.sleep(self.settings.queue_check_seconds)
            try:
                await self.sweep_closed_queues()
            except Exception:
                logger.exception("Checking for closed queues failed")

    def stop(self) -> None:
        for key in list(self.timers):
            self._cancel(key)


def session_token(environ: Dict[str, Any], auth: Any) -> Optional[str]:
    """An analyst socket's session: the `auth` token, or the console's cookie."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    return cookie[COOKIE].value if COOKIE in cookie else None


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    """The analysts' namespace; app[keys.LIVE] is made at start-up (bot/app.py)."""

    @sio.on("connect", namespace=NAMESPACE)
    async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        live = app[keys.LIVE]
        async with live.sessions() as session:
            try:
                agent, _ = await agents.authenticate(session, session_token(environ, auth), clock.now())
            except agents.AuthError as error:
                raise socketio.exceptions.ConnectionRefusedError(error.code) from error
        await sio.save_session(sid, {"agent_id": agent.id, "name": agent.name}, namespace=NAMESPACE)
        await live.agent_connected(agent, sid)

    @sio.on("typing", namespace=NAMESPACE)
    async def typing(sid: str, data: Any = None) -> None:
        """The analyst is typing in a chat they hold: the customer's widget says so."""
        state = await sio.get_session(sid, namespace=NAMESPACE)
        conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
        if (
            state.get("agent_id")
            and conversation_id
            and f"conv:{conversation_id}" in sio.rooms(sid, namespace=NAMESPACE)
        ):
            await sio.emit("agent_typing", {"name": state.get("name")}, room=conversation_id)

    @sio.on("disconnect", namespace=NAMESPACE)
    async def disconnect(sid: str, *args: Any) -> None:
        state = await sio.get_session(sid, namespace=NAMESPACE)
        if state.get("agent_id"):
            app[keys.LIVE].agent_disconnected(state["agent_id"], sid)
