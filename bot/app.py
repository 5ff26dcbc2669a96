"""create_app(settings): the hub's aiohttp application."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path
from typing import AsyncIterator

import aiohttp
import socketio
from aiohttp import web
from sqlalchemy import func, select

from bot import keys
from bot.adapters import redis_store
from bot.adapters.locks import conversation_locks
from bot.adapters.login_throttle import LoginThrottle
from bot.adapters.rasa_client import Gate, RasaClient
from bot.adapters.ratelimit import SocketGate, hub_limits
from bot.db.models import Agent
from bot.db.session import make_engine, make_sessions
from bot.domain import agents, reports
from bot.domain.live_chat import LiveChat
from bot.realtime import agents as agent_sockets
from bot.realtime import inbound_server, retention_job, ticket_job, widget
from bot.realtime.jobs import JobLoop
from bot.realtime.mail_job import MailJob
from bot.realtime.notifier import SocketNotifier
from bot.realtime.presence import Presence
from bot.settings import Settings
from bot.web import (
    agent_api,
    api,
    attachments_api,
    console_api,
    escalation_api,
    headers,
    pages,
    privacy_api,
    reports_api,
    ticket_links,
    tickets_api,
)
from bot.web.audit import audited
from bot.web.handshakes import handshake_limit
from bot.web.problems import MAX_JSON_BYTES, problems
from bot.web.replies import check_replies

STATIC = Path(__file__).resolve().parent / "static"
# How long an address whose socket was closed for flooding may open no new one.
FLOOD_PAUSE_SECONDS = 30.0
logger = logging.getLogger(__name__)


async def database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[keys.SETTINGS].database_url)
    app[keys.ENGINE] = engine
    app[keys.SESSIONS] = make_sessions(engine, app[keys.SETTINGS].clock)
    await first_admin(app)
    yield
    await engine.dispose()


async def first_admin(app: web.Application) -> None:
    """CAROLINA_ADMIN_EMAIL and CAROLINA_ADMIN_PASSWORD make the first
    administrator when there is none yet (or use `python -m bot agents create --admin`)."""
    settings = app[keys.SETTINGS]
    if not settings.admin_email or not settings.admin_password:
        return
    async with app[keys.SESSIONS].begin() as session:
        if (await session.execute(select(func.count(Agent.id)).where(Agent.role == "admin"))).scalar():
            return
        email, password = settings.admin_email, settings.admin_password
        await agents.create_agent(session, email, settings.admin_name, password, [], "admin")
        logger.info("Created the first administrator, %s", settings.admin_email)


async def live(app: web.Application) -> AsyncIterator[None]:
    """Live chat and who is connected; at start, the answers a crash left owed are caught up."""
    settings = app[keys.SETTINGS]
    # Alone on its database (not cluster mode), a starting hub may take back every claim a dead run left.
    jobs = JobLoop(app[keys.SESSIONS], settings.hub_id, release_every_hub=not settings.cluster)
    presence = Presence(app[keys.SIO], app[keys.SESSIONS], settings, jobs)
    chat = LiveChat(app[keys.SESSIONS], settings, SocketNotifier(app[keys.SIO], presence))
    presence.bind(chat)
    app[keys.LIVE], app[keys.PRESENCE], app[keys.JOBS] = chat, presence, jobs
    await presence.start()
    catch_up = asyncio.ensure_future(widget.answer_unanswered(app))
    yield
    catch_up.cancel()


async def mail(app: web.Application) -> AsyncIterator[None]:
    """The mail job sends the queued e-mails (new tickets') and retries the failed ones."""
    job = MailJob(app[keys.SESSIONS], app[keys.SETTINGS], app[keys.CLOCK])
    app[keys.MAIL] = job
    task = asyncio.ensure_future(job.run())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def periodic_jobs(app: web.Application) -> AsyncIterator[None]:
    """The job loop (bot/realtime/jobs.py), with the periodic jobs each run by one hub
    of several (a period of 0 turns one off): the closed-queue check, the analysts'
    session check, the ticket job (moves tickets past their deadlines, warns the day
    before) and the retention purge, both also at start."""
    settings, sessions, jobs = app[keys.SETTINGS], app[keys.SESSIONS], app[keys.JOBS]
    jobs.every("closed_queues", settings.queue_check_seconds, app[keys.LIVE].sweep_closed_queues)
    jobs.every("sessions", settings.session_check_seconds, partial(agent_sockets.check_sessions, app))
    tickets = partial(ticket_job.run_once, app[keys.SIO], sessions, settings, app[keys.MAIL])
    jobs.every("tickets", settings.ticket_check_seconds, tickets, at_start=True)
    retained = partial(retention_job.check, sessions, settings)
    jobs.every("retention", settings.retention_check_hours * 3600, retained, at_start=True)
    await jobs.start()
    yield
    await jobs.stop()


# The knowledge-gap report's first grouping loads spaCy's lookup tables and the
# articles' examples (about 4 s of CPU): done in a thread this long after start,
# so the first Reports page does not pay it, and a start (or a test's short-lived
# hub) does not either.
WARM_REPORTS_AFTER_SECONDS = 30.0


async def reports_warm(app: web.Application) -> AsyncIterator[None]:
    async def later() -> None:
        await asyncio.sleep(WARM_REPORTS_AFTER_SECONDS)
        try:
            async with app[keys.SESSIONS]() as session:
                await reports.warm(session, app[keys.SETTINGS].clock.now().astimezone(reports.ZONE).date())
        except Exception:  # an early page load would only be slower; never a reason to stop
            logger.exception("Could not prepare the reports")

    task = asyncio.ensure_future(later())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def http_client(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[keys.HTTP] = session
        settings = app[keys.SETTINGS]
        app[keys.RASA] = RasaClient(
            session,
            settings.rasa_servers,
            settings.rasa_timeout,
            gate=Gate(settings.rasa_concurrency),
            token=settings.rasa_token,
            actions_secret=settings.actions_token,
        )
        # Cluster mode: the conversation locks, rate limits and login delays in
        # Redis, shared by every hub (bot/adapters/locks.py, ratelimit.py, login_throttle.py).
        redis = redis_store.connect(settings)
        namespace = redis_store.namespace(settings)
        app[keys.LOCKS] = conversation_locks(settings, redis, namespace)
        app[keys.LIMITS] = limits = hub_limits(redis, namespace)
        app[keys.SOCKET_GATE] = SocketGate(limits, settings.ip_rate_per_minute, settings.ip_burst, FLOOD_PAUSE_SECONDS)
        app[keys.LOGIN_THROTTLE] = LoginThrottle(redis=redis, prefix=namespace)
        yield
        if redis is not None:
            await redis.aclose()


async def close_sockets(app: web.Application) -> None:
    """Stop socket.io's background tasks before the server stops (python-socketio asks for it)."""
    await app[keys.SIO].shutdown()


def create_app(settings: Settings) -> web.Application:
    # The replies' check is outermost: it sees the problem responses too.
    checks = [check_replies] if settings.check_replies else []
    # The audit sits outside the problems middleware: it records the status the caller gets.
    # New sockets over the limit per address are refused first, before any other work.
    middlewares = [handshake_limit, *checks, audited, problems]
    app = web.Application(client_max_size=MAX_JSON_BYTES, middlewares=middlewares)
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = settings.clock
    app.cleanup_ctx.extend([database, http_client, live])
    app.cleanup_ctx.append(mail)
    # Customers' e-mail replies to tickets (nothing listens without CAROLINA_INBOUND_SMTP).
    app.cleanup_ctx.append(inbound_server.serve)
    app.cleanup_ctx.append(periodic_jobs)
    app.cleanup_ctx.append(reports_warm)
    # CSP, X-Frame-Options and the like on every response, static files and errors too.
    headers.setup(app)
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        # Only the portal's pages may open a socket (cross-site WebSocket hijacking).
        # The agent console is served by the hub itself, so its own origin is allowed too.
        cors_allowed_origins=list(dict.fromkeys([*settings.allowed_origins, settings.public_url])),
        # The largest legitimate event is a message of max_message_chars; leave room for JSON.
        max_http_buffer_size=64 * 1024,
        logger=settings.debug_socketio,
        engineio_logger=settings.debug_socketio,
        # Cluster mode: emits to a room reach its sockets on every hub.
        client_manager=socketio.AsyncRedisManager(
            settings.redis_url, channel=f"{redis_store.namespace(settings)}socketio"
        )
        if settings.redis_url
        else None,
    )
    sio.attach(app, socketio_path="socket.io")
    app[keys.SIO] = sio
    app.on_shutdown.append(close_sockets)
    widget.attach(app, sio)
    agent_sockets.attach(app, sio)
    app.add_routes(api.routes)
    app.add_routes(tickets_api.routes)
    app.add_routes(attachments_api.routes)
    app.add_routes(escalation_api.routes)
    app.add_routes(agent_api.routes)
    app.add_routes(console_api.routes)
    app.add_routes(privacy_api.routes)
    app.add_routes(reports_api.routes)
    app.add_routes(ticket_links.routes)
    app.add_routes(pages.routes)
    app.router.add_static("/static/", STATIC, name="static")
    return app
