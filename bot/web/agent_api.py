"""The analysts' API under /api/agent: log in and out, one's password, presence, the queue,
and a chat's life (accept, messages, transfer, close, give back to Carolina,
turn into a ticket). Thin handlers over bot/domain/agents.py and bot/domain/live_chat.py.

A session is a cookie (HTTP-only, SameSite=Strict) for the console, or the
same token as `Authorization: Bearer` for scripts. Requests that change
something and come with the cookie must also carry the session's
`X-CSRF-Token` (given at login and by /api/agent/me); bearer requests need not,
since no browser sends that header by itself."""

from __future__ import annotations

import hmac
from typing import Awaitable, Callable, Tuple

from aiohttp import web

from bot import keys
from bot.adapters.clients import came_over_https, client_address
from bot.db.models import Agent, AgentSession
from bot.domain import agents, handoffs, workspace
from bot.domain.conversations import clean_text
from bot.domain.errors import DomainError
from bot.realtime import agents as agent_sockets
from bot.realtime.agents import COOKIE
from bot.web import audit
from bot.web.bodies import AgentMessage, Login, PasswordChange, Presence, Transfer, read
from bot.web.problems import problem

routes = web.RouteTableDef()
Handler = Callable[[web.Request, Agent], Awaitable[web.Response]]


def _token(request: web.Request) -> Tuple[str, bool]:
    """(token, whether it came in the cookie). Tokens are ASCII: anything else is
    simply wrong (401), never a 500 from hashing or comparing it."""
    bearer = request.headers.get("Authorization", "")
    if bearer.startswith("Bearer "):
        token, from_cookie = bearer.removeprefix("Bearer ").strip(), False
    else:
        token, from_cookie = request.cookies.get(COOKIE, ""), True
    if not token.isascii():
        raise DomainError(401, "unauthorized", "log in first")
    return token, from_cookie


async def current(request: web.Request) -> Tuple[Agent, AgentSession]:
    token, from_cookie = _token(request)
    async with request.app[keys.SESSIONS]() as session:
        agent, row = await agents.authenticate(session, token, request.app[keys.CLOCK].now())
    # From here on the call is the analyst's, and audited (bot/web/audit.py), refusals too.
    audit.identified(request, "agent", agent.id)
    if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        given = request.headers.get("X-CSRF-Token", "")
        # Compared as bytes: compare_digest refuses (TypeError, a 500) a str with non-ASCII characters.
        if not given or not given.isascii() or not hmac.compare_digest(given.encode(), row.csrf_token.encode()):
            raise DomainError(403, "csrf", "missing or wrong X-CSRF-Token header")
    return agent, row


def signed_in(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapper(request: web.Request) -> web.Response:
        agent, _ = await current(request)
        return await handler(request, agent)

    return wrapper


def handoff_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError as error:
        raise DomainError(404, "no_handoff", "no such handoff") from error


async def visible(request: web.Request, agent: Agent) -> int:
    """The handoff's id, if it is in one of the analyst's queues (admins: any)."""
    number = handoff_id(request)
    async with request.app[keys.SESSIONS]() as session:
        handoff = await handoffs.get(session, number)
        if not agents.serves(agent, handoff.queue) and handoff.agent_id != agent.id:
            raise DomainError(403, "forbidden", "this handoff is not in your queues")
    return number


def address(request: web.Request) -> str:
    return client_address(request.remote, request.headers, request.app[keys.SETTINGS])


def throttled(error: agents.Throttled) -> web.Response:
    """429 with Retry-After: the same for every e-mail, known or not."""
    reply = problem(error.status, error.code, error.message)
    reply.headers["Retry-After"] = str(error.retry_after)
    return reply


@routes.post("/api/agent/login", name="agent_login")
async def login(request: web.Request) -> web.Response:
    """Throttled per address and per e-mail (bot/adapters/login_throttle.py): 429
    with Retry-After, nothing checked; any wrong e-mail, password or disabled
    account is the same 401 bad_credentials."""
    credentials, _ = await read(request, Login)
    settings, failure = request.app[keys.SETTINGS], None
    # The audit entry of a failed or throttled login must be committed too.
    async with request.app[keys.SESSIONS].begin() as session:
        try:
            agent, token, csrf = await agents.login(
                session,
                credentials.email,
                credentials.password,
                request.app[keys.CLOCK].now(),
                address=address(request),
                throttle=request.app[keys.LOGIN_THROTTLE],
            )
            data = agents.agent_json(agent)
        except DomainError as error:
            failure = error
    if isinstance(failure, agents.Throttled):
        return throttled(failure)
    if failure is not None:
        raise failure
    reply = web.json_response({"agent": data, "token": token, "csrf_token": csrf})
    reply.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        # The browser's request was HTTPS (itself, or as a trusted proxy says), or the hub is public over HTTPS.
        secure=settings.public_url.startswith("https://")
        or came_over_https(request.scheme, request.remote, request.headers, settings),
        path="/",
        max_age=agents.SESSION_HOURS * 3600,
    )
    return reply


@routes.post("/api/agent/logout", name="agent_logout")
@signed_in
async def logout(request: web.Request, agent: Agent) -> web.Response:
    """The session ends, and its consoles' sockets drop at once."""
    async with request.app[keys.SESSIONS].begin() as session:
        ended = await agents.logout(session, agent, _token(request)[0], address(request))
    await agent_sockets.drop_session(request.app, ended)
    reply = web.json_response({"ok": True})
    reply.del_cookie(COOKIE, path="/")
    return reply


@routes.post("/api/agent/password", name="agent_password")
async def change_password(request: web.Request) -> web.Response:
    """The analyst's own password: the current one first (throttled like a
    login); their other sessions end and their sockets drop, this one stays."""
    agent, row = await current(request)
    wanted, _ = await read(request, PasswordChange)
    failure = None
    async with request.app[keys.SESSIONS].begin() as session:
        stored = await session.get_one(Agent, agent.id)
        try:
            await agents.change_password(
                session,
                stored,
                row,
                wanted.current_password,
                wanted.new_password,
                address=address(request),
                throttle=request.app[keys.LOGIN_THROTTLE],
            )
        except DomainError as error:
            failure = error  # nothing was changed
    if isinstance(failure, agents.Throttled):
        return throttled(failure)
    if failure is not None:
        raise failure
    audit.note(request, "change_password", agent.email)
    await agent_sockets.drop_agent(request.app, agent.id, keep=row.token_hash)
    return web.json_response({"ok": True})


@routes.get("/api/agent/me", name="agent_me")
async def me(request: web.Request) -> web.Response:
    agent, row = await current(request)
    return web.json_response({"agent": agents.agent_json(agent), "csrf_token": row.csrf_token})


@routes.put("/api/agent/presence", name="agent_presence")
@signed_in
async def presence(request: web.Request, agent: Agent) -> web.Response:
    wanted = (await read(request, Presence))[0].presence
    async with request.app[keys.SESSIONS].begin() as session:
        stored = await session.get_one(Agent, agent.id)
        stored.presence = wanted
        data = agents.agent_json(stored)
    return web.json_response({"agent": data})


@routes.get("/api/agent/handoffs", name="agent_handoffs")
@signed_in
async def queue(request: web.Request, agent: Agent) -> web.Response:
    """Waiting in the analyst's queues (oldest first), and the chats they hold, each
    with its last line and the customer's (the console's queue and rail)."""
    live = request.app[keys.LIVE]
    served = list(live.calendar.queues) if agent.role == "admin" else list(agent.queues or [])
    public_url = request.app[keys.SETTINGS].public_url
    async with request.app[keys.SESSIONS]() as session:
        queued, held = await handoffs.queued_in(session, served), await handoffs.held_by_agent(session, agent.id)
        facts = await workspace.chat_facts(session, queued + held)
        waiting = [{**await handoffs.handoff_json(session, h, public_url), **facts[h.id]} for h in queued]
        mine = [{**await handoffs.handoff_json(session, h, public_url), **facts[h.id]} for h in held]
    # The hub's "now": the console counts waits from it, not from the browser's clock.
    now = request.app[keys.CLOCK].now().isoformat()
    return web.json_response({"queued": waiting, "mine": mine, "now": now})


@routes.get("/api/agent/queues", name="agent_queues")
@signed_in
async def queues(request: web.Request, agent: Agent) -> web.Response:
    """Every queue now: open or not, analysts online, customers waiting (the transfer menu)."""
    live = request.app[keys.LIVE]
    async with request.app[keys.SESSIONS]() as session:
        states = await workspace.queue_states(session, live.calendar, request.app[keys.CLOCK].now())
    return web.json_response({"queues": states})


@routes.get("/api/agent/handoffs/{id}", name="agent_handoff")
@signed_in
async def show(request: web.Request, agent: Agent) -> web.Response:
    number = await visible(request, agent)
    return web.json_response(await request.app[keys.LIVE].describe(number, with_transcript=True))


@routes.post("/api/agent/handoffs/{id}/accept", name="agent_accept")
@signed_in
async def accept(request: web.Request, agent: Agent) -> web.Response:
    return web.json_response(await request.app[keys.LIVE].accept(agent, handoff_id(request)))


@routes.post("/api/agent/handoffs/{id}/messages", name="agent_message")
@signed_in
async def message(request: web.Request, agent: Agent) -> web.Response:
    text = clean_text((await read(request, AgentMessage))[0].text, request.app[keys.SETTINGS].max_message_chars)
    sent = await request.app[keys.LIVE].agent_says(agent, handoff_id(request), text)
    return web.json_response({"id": sent.id, "text": sent.text}, status=201)


@routes.post("/api/agent/handoffs/{id}/transfer", name="agent_transfer")
@signed_in
async def transfer(request: web.Request, agent: Agent) -> web.Response:
    wanted = (await read(request, Transfer))[0]
    return web.json_response(
        await request.app[keys.LIVE].transfer(agent, handoff_id(request), str(wanted.queue), wanted.note)
    )


@routes.post("/api/agent/handoffs/{id}/close", name="agent_close")
@signed_in
async def close(request: web.Request, agent: Agent) -> web.Response:
    """The chat is over: Carolina thanks the customer and asks the survey."""
    return web.json_response(await request.app[keys.LIVE].close(agent, handoff_id(request), "resolved"))


@routes.post("/api/agent/handoffs/{id}/release", name="agent_release")
@signed_in
async def release(request: web.Request, agent: Agent) -> web.Response:
    """Give the conversation back to Carolina, without the survey."""
    return web.json_response(await request.app[keys.LIVE].close(agent, handoff_id(request), "returned"))


@routes.post("/api/agent/handoffs/{id}/ticket", name="agent_ticket")
@signed_in
async def ticket(request: web.Request, agent: Agent) -> web.Response:
    """A chat that did not solve it becomes a ticket with the transcript (one per handoff)."""
    number = await visible(request, agent)
    await request.app[keys.LIVE].make_ticket(number, resolution="ticket", agent=agent)
    return web.json_response(await request.app[keys.LIVE].describe(number), status=201)
