"""The live chat's Notifier (bot/domain/live_chat.py) over socket.io. Rooms
reach every hub's sockets when socket.io runs on the Redis manager (cluster mode)."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import socketio

from bot.db.models import Message
from bot.realtime import rooms
from bot.realtime.presence import Presence
from bot.realtime.widget import bot_uttered


class SocketNotifier:
    def __init__(self, sio: socketio.AsyncServer, presence: Presence) -> None:
        self.sio, self.presence = sio, presence

    async def message(self, message: Message) -> None:
        await self.sio.emit("bot_uttered", bot_uttered(message), room=rooms.customer(message.conversation_id))
        await self.customer_message(message)

    async def customer_message(self, message: Message) -> None:
        await self.sio.emit(
            "message",
            {"conversation_id": message.conversation_id, **bot_uttered(message)},
            room=rooms.held(message.conversation_id),
            namespace=rooms.AGENTS,
        )

    async def queue_changed(self, queue: str, places: List[Tuple[str, int]]) -> None:
        await self.sio.emit("queue_changed", {"queue": queue}, room=rooms.queue(queue), namespace=rooms.AGENTS)
        for conversation_id, place in places:
            await self.sio.emit(
                "queue_position", {"queue": queue, "position": place}, room=rooms.customer(conversation_id)
            )

    async def handoff_queued(self, queue: str, handoff: Dict[str, Any]) -> None:
        await self.sio.emit("handoff_queued", handoff, room=rooms.queue(queue), namespace=rooms.AGENTS)

    async def handoff_taken(self, queue: str, handoff_id: int, agent_name: str) -> None:
        await self.sio.emit(
            "handoff_taken", {"id": handoff_id, "agent": agent_name}, room=rooms.queue(queue), namespace=rooms.AGENTS
        )

    async def handoff_ended(self, conversation_id: str, handoff_id: int, status: str) -> None:
        await self.sio.emit(
            "handoff_ended",
            {"id": handoff_id, "status": status},
            room=rooms.held(conversation_id),
            namespace=rooms.AGENTS,
        )

    async def agent_joined(self, agent_id: int, conversation_id: str) -> None:
        """Each of the analyst's consoles joins the chat's room: those on another hub
        through socket.io's Redis manager, which forwards the request to their hub."""
        for sid in await self.presence.agent_sockets(agent_id):
            try:
                await self.sio.enter_room(sid, rooms.held(conversation_id), namespace=rooms.AGENTS)
            except (KeyError, ValueError):  # a socket of this hub that closed since its row was read
                pass

    async def agents_left(self, conversation_id: str) -> None:
        await self.sio.close_room(rooms.held(conversation_id), namespace=rooms.AGENTS)
