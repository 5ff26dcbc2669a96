"""The audit log's one writer: who read or changed what, when, from where."""

from __future__ import annotations

from typing import Any, Dict, Optional

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry


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
