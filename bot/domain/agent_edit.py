"""An administrator changes an analyst's name, role or queues (creating,
disabling and resetting a password are bot/domain/agents.py's)."""

from __future__ import annotations

from typing import Iterable, Optional

from bot.db.models import Agent
from bot.domain.agents import ROLES, check_queues
from bot.domain.errors import DomainError


def edit(
    target: Agent,
    by: Agent,
    name: Optional[str] = None,
    role: Optional[str] = None,
    queues: Optional[Iterable[str]] = None,
) -> Agent:
    """What is given changes; 422 for a blank name, an unknown role or queue;
    409 when administrators would take their own role away (nobody would be left to give it back)."""
    if name is not None:
        if not name.strip():
            raise DomainError(422, "invalid", "a name is required")
        target.name = " ".join(name.split())[:200]
    if role is not None:
        if role not in ROLES:
            raise DomainError(422, "invalid", f"role must be one of {', '.join(ROLES)}")
        if target.id == by.id and role != target.role:
            raise DomainError(409, "own_role", "administrators cannot change their own role")
        target.role = role
    if queues is not None:
        target.queues = check_queues(queues)
    return target
