"""Who is connected, socket by socket, and the grace timers when they go: an
analyst whose sockets have all dropped gets `agent_grace_seconds` to come back
before their chats return to the queue; a customer gone for `abandon_seconds`
abandons a waiting or live chat. (One hub process; several would keep these in
a shared store.)"""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional, Set

import socketio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agent, Handoff
from bot.domain import handoffs
from bot.domain.live_chat import LiveChat
from bot.realtime import rooms
from bot.realtime.timers import Timers
from bot.settings import Settings


class Presence:
    def __init__(self, sio: socketio.AsyncServer, settings: Settings) -> None:
        self.sio, self.settings = sio, settings
        self.agent_sids: Dict[int, Set[str]] = defaultdict(set)
        self.customer_sids: Dict[str, Set[str]] = defaultdict(set)
        self.timers = Timers()
        self.live: Optional[LiveChat] = None

    def bind(self, live: LiveChat) -> None:
        """The use cases a timer runs when somebody does not come back."""
        self.live = live

    def agent_sockets(self, agent_id: int) -> List[str]:
        return list(self.agent_sids.get(agent_id, ()))

    def customer_connected(self, conversation_id: str, sid: str) -> None:
        self.customer_sids[conversation_id].add(sid)
        self.timers.cancel(f"customer:{conversation_id}")

    def customer_disconnected(self, conversation_id: str, sid: str) -> None:
        sids = self.customer_sids.get(conversation_id, set())
        sids.discard(sid)
        if not sids:
            self.customer_sids.pop(conversation_id, None)
            self._customer_grace(conversation_id)

    async def agent_connected(self, agent: Agent, sid: str, held: List[str], queues: List[str]) -> None:
        self.agent_sids[agent.id].add(sid)
        self.timers.cancel(f"agent:{agent.id}")
        for queue in queues:
            await self.sio.enter_room(sid, rooms.queue(queue), namespace=rooms.AGENTS)
        for conversation_id in held:
            await self.sio.enter_room(sid, rooms.held(conversation_id), namespace=rooms.AGENTS)

    def agent_disconnected(self, agent_id: int, sid: str) -> None:
        sids = self.agent_sids.get(agent_id, set())
        sids.discard(sid)
        if not sids:
            self.agent_sids.pop(agent_id, None)
            self._agent_grace(agent_id)

    async def recover(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """After a restart nobody is connected yet: analysts marked online and
        customers in a live handoff get the usual time to come back."""
        async with sessions() as session:
            online = (await session.execute(select(Agent.id).where(Agent.presence == "online"))).scalars().all()
            waiting = await session.execute(select(Handoff.conversation_id).where(Handoff.status.in_(handoffs.LIVE)))
            conversations = set(waiting.scalars())
        for agent_id in online:
            self._agent_grace(agent_id)
        for conversation_id in conversations:
            self._customer_grace(conversation_id)

    def _customer_grace(self, conversation_id: str) -> None:
        async def gone() -> None:
            if not self.customer_sids.get(conversation_id) and self.live is not None:
                await self.live.abandon(conversation_id)

        self.timers.schedule(f"customer:{conversation_id}", self.settings.abandon_seconds, gone)

    def _agent_grace(self, agent_id: int) -> None:
        async def gone() -> None:
            if not self.agent_sids.get(agent_id) and self.live is not None:
                await self.live.agent_gone(agent_id)

        self.timers.schedule(f"agent:{agent_id}", self.settings.agent_grace_seconds, gone)

    def stop(self) -> None:
        self.timers.stop()
