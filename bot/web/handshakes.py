"""New socket connections per client address, refused before socket.io sees them.

A flooder whose socket the hub closed comes straight back; refusing it in the
`connect` handler still costs an engine.io handshake, a WebSocket upgrade and a
socket.io packet on the hub's one event loop, hundreds a second. Here a new
engine.io session (a request to /socket.io/ without its `sid`) over the limit
gets a plain 429 before any of that; requests of a session already open pass.
The pace is the address's message pace (CAROLINA_IP_RATE_PER_MINUTE and
CAROLINA_IP_BURST): a page opens one socket, and reconnects are rare."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot import keys
from bot.adapters.clients import client_address
from bot.adapters.ratelimit import RateLimiter
from bot.web.problems import Handler
from common.ids import short_id

logger = logging.getLogger(__name__)
SOCKET_PATH = "/socket.io/"


def handshake_limit(settings_rate: int, settings_burst: int) -> Middleware:
    connections = RateLimiter(settings_rate, settings_burst)
    # One log line per address and minute at most: the flood must not fill the log either.
    logged = RateLimiter(1, 1)

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(SOCKET_PATH) and "sid" not in request.query:
            address = client_address(request.remote, request.headers, request.app[keys.SETTINGS])
            if not connections.allow(address):
                if logged.allow(address):
                    logger.warning("Refused new sockets from %s: over the limit per address", short_id(address))
                return web.Response(status=429, text="too many connections", headers={"Retry-After": "1"})
        return await handler(request)

    return limit
