"""Live chat between a customer and an analyst, as use cases: each changes the
record (bot/domain/handoffs.py) in one transaction, then tells whoever is
concerned through a `Notifier`. The realtime layer implements the notifier over
socket.io (bot/realtime/notifier.py) and decides when a timer fires
(bot/realtime/presence.py, bot/realtime/jobs.py); nothing here knows sockets,
rooms or deadlines."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Protocol, Tuple

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import queries
from bot.db.models import Agent, Message
from bot.domain import handoffs
from bot.domain.errors import DomainError
from bot.domain.hours import Calendar, load_calendar
from bot.domain.messages import shown
from bot.domain.redaction import mask_text
from bot.domain.texts import queue_name
from bot.domain.texts import text as hub_text
from bot.settings import Settings

logger = logging.getLogger(__name__)


class Notifier(Protocol):
    """Who must hear of a change: the customer, the analyst holding the chat, a queue's analysts."""

    async def message(self, message: Message) -> None:
        """A message the customer and the analyst holding the chat both see."""

    async def customer_message(self, message: Message) -> None:
        """A customer's message, for the analyst holding (or about to hold) the chat."""

    async def queue_changed(self, queue: str, places: List[Tuple[str, int]]) -> None:
        """The queue's analysts refresh; each waiting conversation learns its place."""

    async def handoff_queued(self, queue: str, handoff: Dict[str, Any]) -> None: ...

    async def handoff_taken(self, queue: str, handoff_id: int, agent_name: str) -> None: ...

    async def handoff_ended(self, conversation_id: str, handoff_id: int, status: str) -> None: ...

    async def agent_joined(self, agent_id: int, conversation_id: str) -> None:
        """The analyst now holds the conversation: their consoles follow it."""

    async def agents_left(self, conversation_id: str) -> None:
        """Nobody holds the conversation any more."""


class LiveChat:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        notify: Notifier,
        calendar: Optional[Calendar] = None,
    ) -> None:
        self.sessions, self.settings, self.notify = sessions, settings, notify
        self.clock = settings.clock
        self.calendar = calendar or load_calendar()

    async def queue_changed(self, queue: str) -> None:
        async with self.sessions() as session:
            places = [
                (handoff.conversation_id, await handoffs.position(session, handoff))
                for handoff in await handoffs.queued_in(session, [queue])
            ]
        await self.notify.queue_changed(queue, places)

    async def system(self, conversation_id: str, key: str, language: Optional[str], **values: Any) -> Message:
        payload = values.pop("payload", None)
        async with self.sessions.begin() as session:
            message = await queries.add_message(
                session, conversation_id, "system", hub_text(key, language, **values), payload
            )
        await self.notify.message(message)
        return message

    async def queued(self, handoff_id: int) -> None:
        async with self.sessions() as session:
            handoff = await handoffs.get(session, handoff_id)
            data = await handoffs.handoff_json(session, handoff, self.settings.public_url)
        await self.notify.handoff_queued(handoff.queue, data)
        await self.queue_changed(handoff.queue)

    async def accept(self, agent: Agent, handoff_id: int) -> Dict[str, Any]:
        async with self.sessions.begin() as session:
            handoff = await handoffs.accept(session, handoff_id, agent, self.clock.now())
            language = handoff.language
        await self.notify.agent_joined(agent.id, handoff.conversation_id)
        await self.system(
            handoff.conversation_id,
            "agent_joined",
            language,
            name=agent.name,
            queue=queue_name(handoff.queue, language),
        )
        await self.notify.handoff_taken(handoff.queue, handoff.id, agent.name)
        await self.queue_changed(handoff.queue)
        return await self.describe(handoff.id, with_transcript=True)

    async def agent_says(self, agent: Agent, handoff_id: int, text: str) -> Message:
        async with self.sessions.begin() as session:
            handoff = await handoffs.get(session, handoff_id)
            handoffs.held_by(handoff, agent)
            # Analysts are people too: a CPF pasted into a reply is masked like a customer's.
            message = await queries.add_message(
                session, handoff.conversation_id, "agent", mask_text(text, handoff.language), {"agent_name": agent.name}
            )
        await self.notify.message(message)
        return message

    async def customer_said(self, conversation_id: str, message: Message) -> Optional[Message]:
        """A customer's message while an analyst has (or will have) the chat.
        The quick reply "/open_ticket" while waiting turns the wait into a ticket."""
        await self.notify.customer_message(message)
        if message.text.strip() != "/open_ticket":
            return None
        async with self.sessions() as session:
            handoff = await handoffs.live_handoff(session, conversation_id)
        if handoff is None or handoff.status != "queued":
            return None
        return await self.make_ticket(handoff.id, resolution="ticket")

    async def transfer(self, agent: Agent, handoff_id: int, queue: str, note: str = "") -> Dict[str, Any]:
        """Back in line in `queue`, with the analyst's note for the next one (never the customer's to see)."""
        if queue not in self.calendar.queues:
            raise DomainError(422, "invalid", f"unknown queue {queue}")
        async with self.sessions.begin() as session:
            handoff = await handoffs.get(session, handoff_id)
            handoffs.held_by(handoff, agent)
            old = handoff.queue
            handoff.transfer_note = mask_text(note.strip(), handoff.language) or None
            handoff.transferred_by = agent.id
            await handoffs.requeue(session, handoff, queue)
            place, language = await handoffs.position(session, handoff), handoff.language
        await self.notify.agents_left(handoff.conversation_id)
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
            await handoffs.finish(session, handoff, "closed", resolution, self.clock.now())
            language = handoff.language
        await self.notify.agents_left(handoff.conversation_id)
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
            ticket = await handoffs.to_ticket(session, handoff, self.clock.now())
            was_queued = handoff.status == "queued"
            if handoff.status in handoffs.LIVE:
                await handoffs.finish(session, handoff, "closed", resolution, self.clock.now())
            number, language = ticket.number, handoff.language
        await self.notify.agents_left(handoff.conversation_id)
        if was_queued:
            await self.queue_changed(handoff.queue)
        return await self.system(handoff.conversation_id, "ticket_from_chat", language, number=number)

    async def describe(self, handoff_id: int, with_transcript: bool = False) -> Dict[str, Any]:
        async with self.sessions() as session:
            handoff = await handoffs.get(session, handoff_id)
            data = await handoffs.handoff_json(session, handoff, self.settings.public_url)
            if with_transcript:
                data["transcript"] = [shown(m) for m in await queries.transcript(session, handoff.conversation_id)]
        return data

    async def abandon(self, conversation_id: str) -> None:
        """The customer left (and did not come back in time): their wait or chat ends."""
        async with self.sessions.begin() as session:
            handoff = await handoffs.live_handoff(session, conversation_id)
            if handoff is None:
                return
            await handoffs.finish(session, handoff, "abandoned", "customer_left", self.clock.now())
        logger.info("Handoff %s abandoned: the customer left", handoff.id)
        await self.notify.handoff_ended(conversation_id, handoff.id, "abandoned")
        await self.notify.agents_left(conversation_id)
        await self.queue_changed(handoff.queue)

    async def agent_gone(self, agent_id: int) -> None:
        """The analyst did not come back: offline, and their chats back in line."""
        async with self.sessions.begin() as session:
            agent = await session.get(Agent, agent_id)
            if agent is None:
                return
            agent.presence = "offline"
            moved = []
            for handoff in await handoffs.held_by_agent(session, agent_id):
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
            offers = []
            for handoff in await handoffs.closing_queues(session, self.calendar, self.clock.now()):
                handoff.ticket_offered_at = self.clock.now()
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
