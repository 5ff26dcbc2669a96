"""The events the reports count (issue 20): one table, this one writer.

Each is noted where the hub learns of it, in the transaction of the change it
reports, so a rolled-back change leaves no event behind. Texts are the hub's
masked ones (the customer's question, a survey comment); no names or e-mail
addresses. The kinds, and what each carries besides the columns (in `data`):

- answer: article_id, language [confidence] -- an article given as *the* answer
- suggestions: language, text = the question [articles] -- a list offered instead
- no_answer: language, text = the question -- nothing found
- helpful: article_id, language, text = the question it answered [helpful: bool]
- deflection: article_id -- an article solved a problem before a ticket
- handoff_requested: queue, language -- the customer asked for a person (before
  the hub decides whether anyone can chat)
- handoff_queued: queue, language [handoff_id, requeued]
- handoff_accepted: queue [handoff_id, agent_id, wait_seconds]
- handoff_abandoned: queue [handoff_id, stage: queued|accepted, waited_seconds, handle_seconds]
- handoff_closed: queue [handoff_id, agent_id, stage, handle_seconds, resolution]
- ticket_created: queue, language [ticket_number, category, criticality, via: intake|handoff|follow_up]
- ticket_status: queue [ticket_number, from, to] -- an analyst changed a ticket's status
- survey: score, text = comment or None, language [channel: live_chat|ticket]
- presence: [agent_id, status: online|away|offline]
"""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ReportEvent

KINDS = frozenset(
    {
        "answer",
        "suggestions",
        "no_answer",
        "helpful",
        "deflection",
        "handoff_requested",
        "handoff_queued",
        "handoff_accepted",
        "handoff_abandoned",
        "handoff_closed",
        "ticket_created",
        "ticket_status",
        "survey",
        "presence",
    }
)
# What the action server reports on Carolina's replies (bot/domain/conversations.py).
KB_KINDS = frozenset({"answer", "suggestions", "no_answer", "helpful"})


def event(
    kind: str,
    *,
    conversation_id: Optional[str] = None,
    language: Optional[str] = None,
    queue: Optional[str] = None,
    article_id: Optional[str] = None,
    score: Optional[int] = None,
    text: Optional[str] = None,
    **data: Any,
) -> ReportEvent:
    """A new event, not yet in any session (the presence hook adds it from an attribute event)."""
    if kind not in KINDS:
        raise ValueError(f"unknown report event kind {kind!r}")
    return ReportEvent(
        kind=kind,
        conversation_id=conversation_id,
        language=language,
        queue=queue,
        article_id=article_id,
        score=score,
        text=text,
        data=data or None,
    )


async def record(
    session: AsyncSession,
    kind: str,
    *,
    conversation_id: Optional[str] = None,
    language: Optional[str] = None,
    queue: Optional[str] = None,
    article_id: Optional[str] = None,
    score: Optional[int] = None,
    text: Optional[str] = None,
    **data: Any,
) -> ReportEvent:
    """Notes an event in the caller's session and transaction; its created_at is
    the session's clock at flush time, like every row's. ValueError on an unknown kind."""
    found = event(
        kind,
        conversation_id=conversation_id,
        language=language,
        queue=queue,
        article_id=article_id,
        score=score,
        text=text,
        **data,
    )
    session.add(found)
    return found


async def latest(
    session: AsyncSession, kind: str, conversation_id: str, queue: Optional[str] = None, **matching: Any
) -> Optional[ReportEvent]:
    """The conversation's newest event of `kind` (of `queue`) whose data has these values (few per conversation)."""
    query = select(ReportEvent).where(ReportEvent.kind == kind, ReportEvent.conversation_id == conversation_id)
    if queue is not None:
        query = query.where(ReportEvent.queue == queue)
    for found in (await session.execute(query.order_by(ReportEvent.id.desc()))).scalars():
        data = found.data if isinstance(found.data, dict) else {}
        if all(data.get(key) == value for key, value in matching.items()):
            return found
    return None
