"""Analysts' accounts and sessions. Passwords are argon2 hashes, computed and
checked in worker threads, at most PASSWORD_WORKERS at once, so logins never
stall the hub; wrong passwords slow down whoever sends them (growing delays
per address, per e-mail and address, and a gentle few seconds per e-mail:
bot/adapters/login_throttle.py), never lock an analyst out. A wrong password,
an unknown e-mail and a disabled account get the same answer in about the same
time. A session's secret lives only in the analyst's cookie (or bearer
header), the database keeps its SHA-256, and each session has its own CSRF
token. An administrator may disable an analyst (every session ends) and reset
a password; an analyst may change their own."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import weakref
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from bot.adapters.login_throttle import LoginThrottle
from bot.db.models import Agent, AgentSession, utc
from bot.domain import audit, report_events
from bot.domain.errors import DomainError
from bot.domain.hours import load_calendar

SESSION_HOURS = 12
MIN_PASSWORD = 8
# A supervisor works their queues like an agent and also reads the reports (bot/domain/reports.py).
ROLES = ("agent", "supervisor", "admin")
REPORT_ROLES = ("supervisor", "admin")
# argon2 computations at once (each takes ~0.1 s of a core and 64 MiB).
PASSWORD_WORKERS = 2

_hasher = PasswordHasher()
T = TypeVar("T")


class Throttled(DomainError):
    """Too many wrong passwords from here (or for this e-mail): wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "throttled", "too many attempts; wait a moment and try again")
        self.retry_after = retry_after


def bad_credentials() -> DomainError:
    return DomainError(401, "bad_credentials", "wrong e-mail or password")


class _Workers:
    """A semaphore per event loop (the tests run several loops, one after another)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        gate = self.gates.get(loop)
        if gate is None:
            gate = self.gates[loop] = asyncio.Semaphore(self.size)
        async with gate:
            return await asyncio.to_thread(work)


_workers = _Workers(PASSWORD_WORKERS)


@lru_cache(maxsize=1)
def _dummy() -> str:
    """Checked against when the e-mail is unknown, so a wrong e-mail takes as long as a wrong password."""
    return _hasher.hash("not a password anyone has")


async def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(422, "invalid", f"the password needs at least {MIN_PASSWORD} characters")
    return await _workers.run(lambda: _hasher.hash(password))


async def password_matches(stored: Optional[str], password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored or _dummy(), password)
        except (VerificationError, InvalidHashError):
            return False

    return await _workers.run(check) and stored is not None


def normal_email(email: Any) -> str:
    return str(email or "").strip().lower()[:320]


def token_hash(token: str) -> str:
    # surrogatepass: a cookie or header with undecodable bytes hashes to nothing stored, not a 500.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


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
    email = normal_email(email)
    if "@" not in email or not (name or "").strip():
        raise DomainError(422, "invalid", "an e-mail address and a name are required")
    if role not in ROLES:
        raise DomainError(422, "invalid", f"role must be one of {', '.join(ROLES)}")
    if (await session.execute(select(Agent).where(Agent.email == email))).scalar_one_or_none():
        raise DomainError(409, "exists", f"an analyst with e-mail {email} already exists")
    chosen = check_queues(queues)
    agent = Agent(
        email=email,
        name=name.strip(),
        password_hash=await hash_password(password),
        role=role,
        queues=chosen,
        presence="offline",
    )
    session.add(agent)
    await session.flush()
    return agent


async def _new_session(session: AsyncSession, agent: Agent, when: datetime) -> Tuple[str, str]:
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
    return token, csrf


async def login(
    session: AsyncSession,
    email: str,
    password: str,
    when: datetime,
    *,
    address: str = "unknown",
    throttle: Optional[LoginThrottle] = None,
) -> Tuple[Agent, str, str]:
    """(agent, session token, CSRF token); Throttled (nothing checked), or the
    one bad_credentials whatever was wrong. Each outcome is audited with the
    address; the caller commits even when this raises."""
    email, password = normal_email(email), str(password or "")
    throttle = throttle or LoginThrottle()
    wait = await throttle.attempt(email, address)
    if wait:
        await audit.record(session, "login_throttled", email, actor="anonymous", ip=address, detail={"wait": wait})
        raise Throttled(wait)
    agent = (await session.execute(select(Agent).where(Agent.email == email))).scalar_one_or_none()
    right = await password_matches(agent.password_hash if agent else None, password)
    if agent is None or not right or agent.disabled_at is not None:
        await audit.record(session, "login_failed", email, actor="anonymous", ip=address)
        raise bad_credentials()
    await throttle.succeeded(email, address)
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = await hash_password(password)
    token, csrf = await _new_session(session, agent, when)
    await audit.record(session, "login", email, agent_id=agent.id, ip=address)
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
    if agent is None or agent.disabled_at is not None:
        raise DomainError(401, "unauthorized", "log in first")
    return agent, row


async def logout(session: AsyncSession, agent: Agent, token: str, address: str) -> str:
    """Ends the session; its token's hash (its sockets go too)."""
    hashed = token_hash(token)
    await session.execute(delete(AgentSession).where(AgentSession.token_hash == hashed))
    await audit.record(session, "logout", agent.email, agent_id=agent.id, ip=address)
    return hashed


async def live_sessions(session: AsyncSession, hashes: Iterable[str], when: datetime) -> Set[str]:
    """Which of these sessions are still good: not ended, not expired, their analyst not disabled."""
    wanted = list(set(hashes))
    if not wanted:
        return set()
    rows = await session.execute(
        select(AgentSession.token_hash, AgentSession.expires_at)
        .join(Agent, Agent.id == AgentSession.agent_id)
        .where(AgentSession.token_hash.in_(wanted), Agent.disabled_at.is_(None))
    )
    return {hashed for hashed, expires in rows.all() if utc(expires) > utc(when)}


async def _end_sessions(session: AsyncSession, agent_id: int, keep: Optional[str] = None) -> None:
    ended = delete(AgentSession).where(AgentSession.agent_id == agent_id)
    if keep is not None:
        ended = ended.where(AgentSession.token_hash != keep)
    await session.execute(ended)


async def get_agent(session: AsyncSession, agent_id: int) -> Agent:
    agent = await session.get(Agent, agent_id)
    if agent is None:
        raise DomainError(404, "no_agent", "no such analyst")
    return agent


async def by_email(session: AsyncSession, email: str) -> Agent:
    agent = (await session.execute(select(Agent).where(Agent.email == normal_email(email)))).scalar_one_or_none()
    if agent is None:
        raise DomainError(404, "no_agent", f"no analyst with e-mail {normal_email(email)}")
    return agent


async def disable(session: AsyncSession, agent: Agent, when: datetime, by: Optional[Agent] = None) -> Agent:
    """The analyst cannot log in, and every session of theirs ends (the caller
    drops their sockets and gives their chats back to the queue)."""
    if by is not None and by.id == agent.id:
        raise DomainError(422, "invalid", "you cannot disable yourself")
    if agent.disabled_at is None:
        agent.disabled_at = utc(when)
    await _end_sessions(session, agent.id)
    return agent


def enable(agent: Agent) -> Agent:
    agent.disabled_at = None
    return agent


async def reset_password(session: AsyncSession, agent: Agent, password: str) -> Agent:
    """A new password; every session of the analyst ends."""
    agent.password_hash = await hash_password(password)
    await _end_sessions(session, agent.id)
    return agent


async def change_password(
    session: AsyncSession,
    agent: Agent,
    current: AgentSession,
    old: str,
    new: str,
    *,
    address: str = "unknown",
    throttle: Optional[LoginThrottle] = None,
) -> None:
    """The analyst's own change: the current password first (throttled like a
    login); their other sessions end, this one stays."""
    if len(new or "") < MIN_PASSWORD:
        raise DomainError(422, "invalid", f"the password needs at least {MIN_PASSWORD} characters")
    throttle = throttle or LoginThrottle()
    wait = await throttle.attempt(agent.email, address)
    if wait:
        raise Throttled(wait)
    if not await password_matches(agent.password_hash, str(old or "")):
        raise bad_credentials()
    await throttle.succeeded(agent.email, address)
    agent.password_hash = await hash_password(str(new or ""))
    await _end_sessions(session, agent.id, keep=current.token_hash)


def reports_allowed(agent: Agent) -> bool:
    return agent.role in REPORT_ROLES


def supervisor_or_admin(agent: Agent) -> None:
    """The reports are for supervisors and administrators: the same 403 as an admin-only call."""
    if not reports_allowed(agent):
        raise DomainError(403, "forbidden", "only a supervisor or an administrator may do this")


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
        "disabled": agent.disabled_at is not None,
    }


@event.listens_for(Agent.presence, "set")
def _presence_changed(agent: Agent, value: Any, old: Any, initiator: Any) -> None:
    """Every change of an analyst's presence is noted for the reports, in the
    session that makes it: the console's switch (bot/web/agent_api.py) and the
    analyst lost or disabled (bot/domain/live_chat.py) write the column, and
    this is the one hook for all of them."""
    session = object_session(agent)
    if session is None or not inspect(agent).persistent or value == old:
        return
    session.add(report_events.event("presence", agent_id=agent.id, status=value))
