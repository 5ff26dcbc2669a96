"""The audit log's one writer: who read or changed what, when, from where."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry, utc
from bot.domain.errors import DomainError


async def record(
    session: AsyncSession,
    action: str,
    target: str,
    *,
    actor: str = "agent",
    agent_id: Optional[int] = None,
    ip: Optional[str] = None,
    detail: Optional[Dict[str, Any]] = None,
) -> None:
    """actor: agent (with agent_id) | actions (the action server) | anonymous | system."""
    entry = AuditEntry(actor=actor, agent_id=agent_id, action=action[:40], target=(target or "-")[:100], ip=ip)
    entry.detail = detail
    session.add(entry)
    await session.flush()


LIMIT = 200


async def entries(session: AsyncSession, query: Mapping[str, str]) -> List[Dict[str, Any]]:
    """The newest entries (at most LIMIT) that match the filters: actor, agent_id,
    action, target (exact), since and until (days, like 2026-12-01)."""
    selected = select(AuditEntry)
    for key, column in (("actor", AuditEntry.actor), ("action", AuditEntry.action), ("target", AuditEntry.target)):
        if query.get(key):
            selected = selected.where(column == query[key])
    if query.get("agent_id"):
        try:
            selected = selected.where(AuditEntry.agent_id == int(query["agent_id"]))
        except ValueError as error:
            raise DomainError(422, "invalid", "agent_id must be a number") from error
    for key in ("since", "until"):
        if not query.get(key):
            continue
        try:
            day = date.fromisoformat(query[key])
        except ValueError as error:
            raise DomainError(422, "invalid", f"{key} must be a date like 2026-12-01") from error
        if key == "since":
            selected = selected.where(AuditEntry.created_at >= datetime.combine(day, time.min))
        else:
            until = datetime.combine(day + timedelta(days=1), time.min)
            selected = selected.where(AuditEntry.created_at < until)
    rows = (await session.execute(selected.order_by(AuditEntry.id.desc()).limit(LIMIT))).scalars()
    return [
        {
            "id": e.id,
            "created_at": utc(e.created_at).isoformat(),
            "actor": e.actor,
            "agent_id": e.agent_id,
            "ip": e.ip,
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
        }
        for e in rows
    ]
