"""INSERT … ON CONFLICT (an upsert, or an insert unless the row exists): both
databases have it, each in its own dialect's construct."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, model: Any) -> Any:
    """The session's database's INSERT for `model`, with on_conflict_do_update/do_nothing."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
