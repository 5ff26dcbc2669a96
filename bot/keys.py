"""Every web.AppKey of the hub, in one place."""

from __future__ import annotations

from aiohttp import ClientSession, web
from socketio import AsyncServer
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker)
HTTP = web.AppKey("http", ClientSession)
SIO = web.AppKey("sio", AsyncServer)
# bot.live_chat.LiveChat (typed loosely: it imports the web modules that read these keys).
LIVE = web.AppKey("live", object)
