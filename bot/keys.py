"""Every web.AppKey of the hub, in one place."""

from __future__ import annotations

from aiohttp import ClientSession, web
from socketio import AsyncServer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters.locks import ConversationLocks
from bot.adapters.login_throttle import LoginThrottle
from bot.adapters.rasa_client import RasaClient
from bot.adapters.ratelimit import Limits, SocketGate
from bot.domain.live_chat import LiveChat
from bot.realtime.jobs import JobLoop
from bot.realtime.mail_job import MailJob
from bot.realtime.presence import Presence
from bot.settings import Settings
from common.clock import Clock

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("sessions")
HTTP = web.AppKey("http", ClientSession)
RASA = web.AppKey("rasa", RasaClient)
SIO = web.AppKey("sio", AsyncServer)
LIVE = web.AppKey("live", LiveChat)
PRESENCE = web.AppKey("presence", Presence)
MAIL = web.AppKey("mail", MailJob)
JOBS = web.AppKey("jobs", JobLoop)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
SOCKET_GATE = web.AppKey("socket_gate", SocketGate)
LOCKS = web.AppKey("locks", ConversationLocks)
LIMITS = web.AppKey("limits", Limits)
