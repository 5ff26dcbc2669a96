"""Who is connected, on any hub (the connections rows, bot/domain/connections.py),
and the deadlines when somebody goes: an analyst whose sockets have all dropped
gets `agent_grace_seconds` to come back before their chats return to the queue;
a customer gone for `abandon_seconds` abandons a waiting or live chat. The
deadlines are stored (bot/domain/deadlines.py) and fire on whichever hub's job
loop claims them; their handlers look again before acting, since the person may
have come back on another hub meanwhile."""

from __future__ import annotations

from datetime import timedelta
from typing import Iterable, List, Optional, Tuple

import socketio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agent, Handoff
from bot.domain import connections, deadlines, handoffs
from bot.domain.connections import AGENT, CUSTOMER
from bot.domain.live_chat import LiveChat
from bot.realtime import rooms
from bot.realtime.jobs import JobLoop
from bot.settings import Settings

# The deadlines' kinds: a conversation's customer away, an analyst away.
ABANDON, GRACE = "abandon", "grace"


class Presence:
    def __init__(
        self, sio: socketio.AsyncServer, sessions: async_sessionmaker[AsyncSession], settings: Settings, jobs: JobLoop
    ) -> None:
        self.sio, self.sessions, self.settings, self.jobs = sio, sessions, settings, jobs
        self.live: Optional[LiveChat] = None

    def bind(self, live: LiveChat) -> None:
        """The use cases a deadline runs when somebody does not come back."""
        self.live = live
        self.jobs.on(ABANDON, self._customer_gone)
        self.jobs.on(GRACE, self._agent_gone)
        self.jobs.every("presence", connections.HEARTBEAT_SECONDS, self.sweep)
        self.jobs.here_every(connections.HEARTBEAT_SECONDS, self.heartbeat)

    def _wait(self, kind: str) -> float:
        return self.settings.abandon_seconds if kind == CUSTOMER else self.settings.agent_grace_seconds

    @staticmethod
    def _deadline(kind: str) -> str:
        return ABANDON if kind == CUSTOMER else GRACE

    async def agent_sockets(self, agent_id: int) -> List[str]:
        """The analyst's consoles, on every hub."""
        async with self.sessions() as session:
            return await connections.sockets_of(session, AGENT, str(agent_id), self.jobs.now())

    async def customer_connected(self, conversation_id: str, sid: str) -> None:
        await self._connected(sid, CUSTOMER, conversation_id)

    async def customer_disconnected(self, conversation_id: str, sid: str) -> None:
        await self._disconnected(sid, CUSTOMER, conversation_id)

    async def agent_connected(
        self, agent: Agent, sid: str, held: List[str], queues: List[str], agent_session: str
    ) -> None:
        await self._connected(sid, AGENT, str(agent.id), agent_session)
        for queue in queues:
            await self.sio.enter_room(sid, rooms.queue(queue), namespace=rooms.AGENTS)
        for conversation_id in held:
            await self.sio.enter_room(sid, rooms.held(conversation_id), namespace=rooms.AGENTS)

    async def agent_disconnected(self, agent_id: int, sid: str) -> None:
        await self._disconnected(sid, AGENT, str(agent_id))

    async def _connected(self, sid: str, kind: str, subject: str, agent_session: Optional[str] = None) -> None:
        async with self.sessions.begin() as session:
            await connections.connect(session, sid, self.settings.hub_id, kind, subject, self.jobs.now(), agent_session)
            await deadlines.cancel(session, self._deadline(kind), subject)

    async def _disconnected(self, sid: str, kind: str, subject: str) -> None:
        now = self.jobs.now()
        async with self.sessions.begin() as session:
            await connections.disconnect(session, sid)
            if await connections.connected(session, kind, subject, now):
                return
            await deadlines.schedule(session, self._deadline(kind), subject, now + timedelta(seconds=self._wait(kind)))
        self.jobs.poke()

    async def _away(self, session: AsyncSession, subjects: Iterable[Tuple[str, str]]) -> None:
        """Of these subjects, those with no socket left get their deadline (one already set stays)."""
        now = self.jobs.now()
        for kind in (CUSTOMER, AGENT):
            mine = {subject for k, subject in subjects if k == kind}
            for subject in mine - await connections.present(session, kind, mine, now):
                await deadlines.ensure(
                    session, self._deadline(kind), subject, now + timedelta(seconds=self._wait(kind))
                )

    async def start(self) -> None:
        """At start: the rows this hub's id left (a previous run's; alone on the database,
        every row is one), and the usual time to come back for analysts marked online
        and customers in a live handoff who have no socket anywhere."""
        whose = self.settings.hub_id if self.settings.cluster else None
        async with self.sessions.begin() as session:
            await connections.forget_hub(session, whose)
            online = (await session.execute(select(Agent.id).where(Agent.presence == "online"))).scalars().all()
            waiting = await session.execute(select(Handoff.conversation_id).where(Handoff.status.in_(handoffs.LIVE)))
            subjects = {(AGENT, str(agent_id)) for agent_id in online}
            subjects |= {(CUSTOMER, conversation_id) for conversation_id in waiting.scalars()}
            await self._away(session, subjects)
        self.jobs.poke()

    async def heartbeat(self) -> None:
        """This hub's sockets are still open."""
        async with self.sessions.begin() as session:
            await connections.heartbeat(session, self.settings.hub_id, self.jobs.now())

    async def sweep(self) -> None:
        """The sockets of hubs that stopped refreshing them are gone: their people get their deadlines."""
        async with self.sessions.begin() as session:
            await self._away(session, await connections.sweep(session, self.jobs.now()))

    async def _customer_gone(self, conversation_id: str) -> None:
        async with self.sessions() as session:
            back = await connections.connected(session, CUSTOMER, conversation_id, self.jobs.now())
        if not back and self.live is not None:
            await self.live.abandon(conversation_id)

    async def _agent_gone(self, subject: str) -> None:
        async with self.sessions() as session:
            back = await connections.connected(session, AGENT, subject, self.jobs.now())
        if not back and self.live is not None:
            await self.live.agent_gone(int(subject))
