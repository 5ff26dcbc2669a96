"""Handoffs: a conversation waiting for an analyst (`queued`), held by one
(`accepted`), or over (`closed`, `abandoned`). Plain functions over a database
session that change the record and return what changed; bot/domain/live_chat.py tells
the customer and the analysts. The conversation's `mode` follows the handoff:
queued -> "queued", accepted -> "agent", over -> "bot" (Carolina again)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, Contact, Conversation, Handoff, Ticket, utc
from bot.db.session import session_clock
from bot.domain import escalation, report_events, tickets
from bot.domain.agents import serves
from bot.domain.errors import DomainError
from bot.domain.hours import Calendar
from bot.domain.redaction import mask_text
from bot.domain.tickets import TicketRequest
from common import answers
from common.text import words

LIVE = ("queued", "accepted")
DEFAULT_LEVEL = "medium"  # impact/urgency of a ticket made from a chat that gathered none
# One request for a person: the handoff form asks the hub whether anyone can
# chat, then escalates (or, told no, asks when the queue opens); asked again
# for the same queue before any chat began, it is still the same request.
REQUEST_WINDOW = timedelta(minutes=30)
# Words around a survey score that say nothing about the chat ("nota 9", "10 points").
SCORE_WORDS = frozenset({"nota", "note", "score", "pontos", "puntos", "points", "puntaje"})


async def online_count(session: AsyncSession, queue: str) -> int:
    agents = (await session.execute(select(Agent).where(Agent.presence == "online"))).scalars()
    return sum(1 for agent in agents if queue in (agent.queues or []))


async def waiting_count(session: AsyncSession, queue: str) -> int:
    query = select(func.count(Handoff.id)).where(Handoff.queue == queue, Handoff.status == "queued")
    return int((await session.execute(query)).scalar() or 0)


async def position(session: AsyncSession, handoff: Handoff) -> int:
    """1 = next to be taken."""
    query = select(func.count(Handoff.id)).where(
        Handoff.queue == handoff.queue, Handoff.status == "queued", Handoff.id <= handoff.id
    )
    return int((await session.execute(query)).scalar() or 0)


async def decide_for(session: AsyncSession, calendar: Calendar, queue: str, when: datetime) -> escalation.Decision:
    online, waiting = await online_count(session, queue), await waiting_count(session, queue)
    return escalation.decide(calendar, queue, when, online, waiting)


async def live_handoff(session: AsyncSession, conversation_id: str) -> Optional[Handoff]:
    query = select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(LIVE))
    return (await session.execute(query.order_by(Handoff.id.desc()))).scalars().first()


async def get(session: AsyncSession, handoff_id: int) -> Handoff:
    handoff = await session.get(Handoff, handoff_id)
    if handoff is None:
        raise DomainError(404, "no_handoff", "no such handoff")
    return handoff


def seconds(start: datetime, end: datetime) -> int:
    return max(0, round((utc(end) - utc(start)).total_seconds()))


async def requested(
    session: AsyncSession, conversation: Conversation, queue: str, language: Optional[str], when: datetime
) -> bool:
    """Notes for the reports that the customer asked for a person of `queue`,
    before the hub decides whether anyone can chat; asked again within
    REQUEST_WINDOW and before a chat began, or while one is live, it is the
    same request. Whether it was noted."""
    if await live_handoff(session, conversation.id) is not None:
        return False
    earlier = await report_events.latest(session, "handoff_requested", conversation.id, queue=queue)
    if earlier is not None and utc(earlier.created_at) >= utc(when) - REQUEST_WINDOW:
        since = select(func.count(Handoff.id)).where(
            Handoff.conversation_id == conversation.id, Handoff.created_at >= utc(earlier.created_at)
        )
        if not (await session.execute(since)).scalar():
            return False
    await report_events.record(
        session,
        "handoff_requested",
        conversation_id=conversation.id,
        queue=queue,
        language=language or conversation.language,
    )
    return True


async def queued_since(session: AsyncSession, handoff: Handoff) -> datetime:
    """When the handoff last entered its queue: when it was made, or when it was
    put back (a transfer, the analyst lost)."""
    back = await report_events.latest(
        session, "handoff_queued", handoff.conversation_id, handoff_id=handoff.id, requeued=True
    )
    return utc(back.created_at) if back is not None else utc(handoff.created_at)


async def start(
    session: AsyncSession,
    conversation: Conversation,
    queue: str,
    reason: str,
    request: Optional[TicketRequest],
    when: datetime,
) -> Handoff:
    """Queue the conversation for an analyst (the decision was live)."""
    existing = await live_handoff(session, conversation.id)
    if existing is not None:
        return existing
    language = (request and request.language) or conversation.language
    handoff = Handoff(
        conversation_id=conversation.id,
        queue=queue,
        reason=mask_text(reason, language),
        fields=request.fields if request else None,
        impact=request.impact if request else None,
        urgency=request.urgency if request else None,
        language=language,
        status="queued",
        created_at=utc(when),
    )
    session.add(handoff)
    conversation.mode = "queued"
    await session.flush()
    await report_events.record(
        session,
        "handoff_queued",
        conversation_id=conversation.id,
        queue=queue,
        language=language,
        handoff_id=handoff.id,
    )
    return handoff


async def accept(session: AsyncSession, handoff_id: int, agent: Agent, when: datetime) -> Handoff:
    """Exactly one analyst wins: the update only applies while the handoff is still queued."""
    handoff = await get(session, handoff_id)
    if not serves(agent, handoff.queue):
        raise DomainError(403, "forbidden", "this handoff is not in your queues")
    result = await session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "queued")
        .values(status="accepted", agent_id=agent.id, accepted_at=utc(when))
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:  # a CursorResult: an UPDATE says how many rows it changed
        raise DomainError(409, "taken", "another analyst took this handoff, or it is no longer waiting")
    await session.refresh(handoff)
    conversation = await session.get_one(Conversation, handoff.conversation_id)
    conversation.mode = "agent"
    await report_events.record(
        session,
        "handoff_accepted",
        conversation_id=handoff.conversation_id,
        queue=handoff.queue,
        language=handoff.language,
        handoff_id=handoff.id,
        agent_id=agent.id,
        wait_seconds=seconds(await queued_since(session, handoff), utc(when)),
    )
    return handoff


def held_by(handoff: Handoff, agent: Agent) -> None:
    if handoff.status != "accepted" or handoff.agent_id != agent.id:
        raise DomainError(409, "not_yours", "you are not chatting in this handoff")


async def requeue(session: AsyncSession, handoff: Handoff, queue: Optional[str] = None) -> Handoff:
    """Back in line (the analyst dropped, or transferred it to `queue`): behind
    nobody who waited less, since its id keeps its place. For the reports, the
    analyst's part ends (closed, "transferred" or "agent_lost") and the
    handoff is queued again."""
    if handoff.status == "accepted" and handoff.accepted_at is not None:
        await report_events.record(
            session,
            "handoff_closed",
            conversation_id=handoff.conversation_id,
            queue=handoff.queue,
            language=handoff.language,
            handoff_id=handoff.id,
            agent_id=handoff.agent_id,
            stage="accepted",
            waited_seconds=seconds(await queued_since(session, handoff), handoff.accepted_at),
            handle_seconds=seconds(handoff.accepted_at, session_clock(session).now()),
            resolution="transferred" if queue else "agent_lost",
        )
    handoff.status, handoff.agent_id, handoff.accepted_at = "queued", None, None
    if queue:
        handoff.queue = queue
    conversation = await session.get_one(Conversation, handoff.conversation_id)
    conversation.mode = "queued"
    await session.flush()
    await report_events.record(
        session,
        "handoff_queued",
        conversation_id=handoff.conversation_id,
        queue=handoff.queue,
        language=handoff.language,
        handoff_id=handoff.id,
        requeued=True,
    )
    return handoff


async def finish(session: AsyncSession, handoff: Handoff, status: str, resolution: str, when: datetime) -> Handoff:
    """Closed or abandoned; the conversation goes back to Carolina. A chat the
    analyst resolved asks the satisfaction survey."""
    # For the reports: how far it got (queued or accepted), how long the customer
    # waited in line, how long the analyst had it.
    stage = handoff.status
    held = handoff.accepted_at if stage == "accepted" else None
    report: Dict[str, Any] = {
        "conversation_id": handoff.conversation_id,
        "queue": handoff.queue,
        "language": handoff.language,
        "handoff_id": handoff.id,
        "stage": stage,
        "waited_seconds": seconds(await queued_since(session, handoff), held or when),
        "handle_seconds": seconds(held, when) if held else None,
    }
    if status == "abandoned":
        await report_events.record(session, "handoff_abandoned", **report)
    else:
        await report_events.record(
            session, "handoff_closed", **report, agent_id=handoff.agent_id, resolution=resolution
        )
    handoff.status, handoff.resolution, handoff.closed_at = status, resolution, utc(when)
    conversation = await session.get_one(Conversation, handoff.conversation_id)
    conversation.mode = "bot"
    if resolution == "resolved":
        conversation.survey_asked_at = utc(when)
    await session.flush()
    return handoff


def ticket_request(handoff: Handoff) -> TicketRequest:
    """What the handoff gathered, as a ticket: the incident fields if Carolina
    noted them, otherwise the reason the customer gave."""
    fields: Dict[str, Any] = dict(handoff.fields or {})
    if not fields.get("summary"):
        reason = (handoff.reason or "").strip() or "Live chat"
        fields["summary"] = reason[:200]
        fields.setdefault("description", reason)
    return TicketRequest(
        fields,
        handoff.impact or DEFAULT_LEVEL,
        handoff.urgency or DEFAULT_LEVEL,
        handoff.language,
        queue=handoff.queue,
    )


async def to_ticket(session: AsyncSession, handoff: Handoff, when: datetime) -> Ticket:
    """The handoff's ticket, with the transcript as it is now; one per handoff,
    however often it is asked for."""
    if handoff.ticket_id:
        return await session.get_one(Ticket, handoff.ticket_id)
    request = ticket_request(handoff)
    ticket, _ = await tickets.create_ticket(
        session, handoff.conversation_id, request, f"handoff:{handoff.id}", "", when, via="handoff"
    )
    handoff.ticket_id = ticket.id
    return ticket


async def record_survey(session: AsyncSession, conversation: Conversation, text: str, when: datetime) -> Optional[int]:
    """The customer's 0-10 answer to the survey asked at the end of a chat, if
    this message is one; anything else means they moved on (asked once)."""
    if conversation.survey_asked_at is None or conversation.satisfaction is not None:
        return None
    conversation.survey_asked_at = None
    found = answers.score(text)  # "10", "nota 9", "8/10", "dez!"
    if found is not None:
        conversation.satisfaction, conversation.satisfaction_at = found, utc(when)
        chat = (
            await session.execute(
                select(Handoff.queue).where(Handoff.conversation_id == conversation.id).order_by(Handoff.id.desc())
            )
        ).first()
        await report_events.record(
            session,
            "survey",
            conversation_id=conversation.id,
            queue=chat.queue if chat else None,
            language=conversation.language,
            score=found,
            text=survey_comment(text, conversation.language),
            channel="live_chat",
        )
        return conversation.satisfaction
    return None


def survey_comment(text: str, language: Optional[str]) -> Optional[str]:
    """The survey answer, masked, when it says more than the score ("10, muito
    atenciosa"); None for "nota 9", "8/10", "dez!"."""
    numbers = {word for phrases in answers.default_vocabulary().numbers.values() for p in phrases for word in p.words}
    said = [word for word in words(text) if len(word) > 3 and word not in numbers and word not in SCORE_WORDS]
    return mask_text(text.strip(), language) if said else None


async def queued_in(session: AsyncSession, queues: Sequence[str]) -> List[Handoff]:
    query = select(Handoff).where(Handoff.status == "queued", Handoff.queue.in_(list(queues)))
    return list((await session.execute(query.order_by(Handoff.id))).scalars())


async def held_by_agent(session: AsyncSession, agent_id: int) -> List[Handoff]:
    query = select(Handoff).where(Handoff.status == "accepted", Handoff.agent_id == agent_id)
    return list((await session.execute(query.order_by(Handoff.id))).scalars())


async def closing_queues(session: AsyncSession, calendar: Calendar, when: datetime) -> List[Handoff]:
    """Queued handoffs whose queue has closed and whose customer was not yet offered a ticket."""
    query = select(Handoff).where(Handoff.status == "queued", Handoff.ticket_offered_at.is_(None))
    return [h for h in (await session.execute(query)).scalars() if not calendar.is_open(h.queue, when)]


def handoff_summary(handoff: Handoff) -> Dict[str, Any]:
    """A handoff as a conversation's record lists it (the API's conversation, the console's transcript)."""
    return {
        "id": handoff.id,
        "queue": handoff.queue,
        "status": handoff.status,
        "resolution": handoff.resolution,
        "reason": handoff.reason,
        "fields": handoff.fields,
    }


async def handoff_json(session: AsyncSession, handoff: Handoff, public_url: str) -> Dict[str, Any]:
    """A handoff as the analysts' API shows it: who, what, where in line, and the link to the transcript."""
    conversation = await session.get_one(Conversation, handoff.conversation_id)
    contact = await session.get(Contact, conversation.contact_id) if conversation and conversation.contact_id else None
    agent = await session.get(Agent, handoff.agent_id) if handoff.agent_id else None
    ticket = await session.get(Ticket, handoff.ticket_id) if handoff.ticket_id else None
    noted = handoff.transfer_note and handoff.transferred_by
    noted_by = await session.get(Agent, handoff.transferred_by) if noted else None
    impact, urgency = handoff.impact, handoff.urgency
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "queue": handoff.queue,
        "status": handoff.status,
        "resolution": handoff.resolution,
        "reason": handoff.reason,
        "fields": handoff.fields,
        "impact": impact,
        "urgency": urgency,
        "criticality": tickets.criticality(impact, urgency) if impact and urgency else None,
        "language": handoff.language,
        "position": await position(session, handoff) if handoff.status == "queued" else None,
        "customer": contact and {"name": contact.name, "email": contact.email, "company": contact.company},
        "agent": agent and {"id": agent.id, "name": agent.name},
        "ticket": ticket and ticket.number,
        # What the analyst who transferred it left for the next one.
        "transfer_note": handoff.transfer_note and {"text": handoff.transfer_note, "by": noted_by and noted_by.name},
        "created_at": utc(handoff.created_at).isoformat(),
        "accepted_at": handoff.accepted_at and utc(handoff.accepted_at).isoformat(),
        "closed_at": handoff.closed_at and utc(handoff.closed_at).isoformat(),
        "transcript_url": f"{public_url}/api/agent/handoffs/{handoff.id}",
    }
