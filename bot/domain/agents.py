"""Analysts' accounts and sessions. Passwords are argon2 hashes; after
MAX_FAILURES wrong passwords in a row the account is locked for LOCK_MINUTES;
a session's secret lives only in the analyst's cookie (or bearer header), the
database keeps its SHA-256, and each session has its own CSRF token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, AgentSession, utc
from bot.domain.errors import DomainError
from bot.domain.hours import load_calendar

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12
MIN_PASSWORD = 8
ROLES = ("agent", "admin")

_hasher = PasswordHasher()
# Checked against when the e-mail is unknown, so a wrong e-mail takes as long as a wrong password.
_DUMMY = _hasher.hash("not a password anyone has")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_queues(queues: Iterable[str]) -> List[str]:
    known = load_calendar().queues
    chosen = [q.strip() for q in queues if q and q.strip()]
    unknown = [q for q in chosen if q not in known]
    if unknown:
        raise DomainError(422, "invalid", f"unknown queues: {', '.join(unknown)}; known: {', '.join(known)}")
    return chosen


async def create_agent(
    session: AsyncSession, email: str, name: str, password: str, queues: Iterable[str], role: str = "agent"
) -> Agent:
    email = (email or "").strip().lower()
    if "@" not in email or not (name or "").strip():
        raise DomainError(422, "invalid", "an e-mail address and a name are required")
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(422, "invalid", f"the password needs at least {MIN_PASSWORD} characters")
    if role not in ROLES:
        raise DomainError(422, "invalid", f"role must be one of {', '.join(ROLES)}")
    if (await session.execute(select(Agent).where(Agent.email == email))).scalar_one_or_none():
        raise DomainError(409, "exists", f"an analyst with e-mail {email} already exists")
    agent = Agent(
        email=email,
        name=name.strip(),
        password_hash=_hasher.hash(password),
        role=role,
        queues=check_queues(queues),
        presence="offline",
        failed_logins=0,
    )
    session.add(agent)
    await session.flush()
    return agent


async def login(session: AsyncSession, email: str, password: str, when: datetime) -> Tuple[Agent, str, str]:
    """(agent, session token, CSRF token), or DomainError."""
    agent = (
        await session.execute(select(Agent).where(Agent.email == str(email or "").strip().lower()))
    ).scalar_one_or_none()
    if agent is None:
        try:
            _hasher.verify(_DUMMY, str(password or ""))
        except VerificationError:
            pass
        raise DomainError(401, "bad_credentials", "wrong e-mail or password")
    if agent.locked_until is not None and utc(agent.locked_until) > utc(when):
        raise DomainError(423, "locked", "too many failed logins; try again later")
    try:
        _hasher.verify(agent.password_hash, str(password or ""))
    except (VerificationError, InvalidHashError) as error:
        agent.failed_logins = (agent.failed_logins or 0) + 1
        if agent.failed_logins >= MAX_FAILURES:
            agent.locked_until = utc(when) + timedelta(minutes=LOCK_MINUTES)
            agent.failed_logins = 0
        raise DomainError(401, "bad_credentials", "wrong e-mail or password") from error
    agent.failed_logins, agent.locked_until = 0, None
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = _hasher.hash(str(password))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(
        AgentSession(
            token_hash=token_hash(token),
            csrf_token=csrf,
            agent_id=agent.id,
            created_at=utc(when),
            expires_at=utc(when) + timedelta(hours=SESSION_HOURS),
        )
    )
    await session.flush()
    return agent, token, csrf


async def authenticate(session: AsyncSession, token: Optional[str], when: datetime) -> Tuple[Agent, AgentSession]:
    if not token:
        raise DomainError(401, "unauthorized", "log in first")
    row = (
        await session.execute(select(AgentSession).where(AgentSession.token_hash == token_hash(token)))
    ).scalar_one_or_none()
    if row is None or utc(row.expires_at) <= utc(when):
        raise DomainError(401, "unauthorized", "the session has expired; log in again")
    agent = await session.get(Agent, row.agent_id)
    if agent is None:
        raise DomainError(401, "unauthorized", "log in first")
    return agent, row


async def logout(session: AsyncSession, token: str) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.token_hash == token_hash(token)))


def serves(agent: Agent, queue: str) -> bool:
    return agent.role == "admin" or queue in (agent.queues or [])


def agent_json(agent: Agent) -> Dict[str, Any]:
    return {
        "id": agent.id,
        "email": agent.email,
        "name": agent.name,
        "role": agent.role,
        "queues": list(agent.queues or []),
        "presence": agent.presence,
    }
