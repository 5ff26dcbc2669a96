"""New socket connections per client address, refused before socket.io sees them.

A flooder whose socket the hub closed comes straight back; refusing it in the
`connect` handler still costs an engine.io handshake, a WebSocket upgrade and a
socket.io packet on the hub's one event loop, hundreds a second. Here a new
engine.io session (a request to /socket.io/ without its `sid`) that the socket
gate refuses (bot/adapters/ratelimit.py SocketGate: the address's pace, and a
pause after one of its sockets was closed for flooding; across hubs in cluster
mode) gets a plain 429 before
any of that; requests of a session already open pass. The 429 comes after a
second's wait: a client that ignores Retry-After and asks again at once (a
flood, hundreds a second) is slowed to the pace of its own connections, at the
cost of a sleeping coroutine each."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import keys
from bot.adapters.clients import client_address
from bot.adapters.ratelimit import RateLimiter
from bot.web.problems import Handler
from common.ids import short_id

logger = logging.getLogger(__name__)
SOCKET_PATH = "/socket.io/"
REFUSAL_DELAY_SECONDS = 1.0
# One log line per address and minute at most: the flood must not fill the log
# either (this hub's log: kept in its memory).
_logged = RateLimiter(1, 1)


@web.middleware
async def handshake_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(SOCKET_PATH) and "sid" not in request.query:
        address = client_address(request.remote, request.headers, request.app[keys.SETTINGS])
        if not await request.app[keys.SOCKET_GATE].allow(address):
            if _logged.allow(address):
                logger.warning("Refused new sockets from %s: over the limit per address", short_id(address))
            await asyncio.sleep(REFUSAL_DELAY_SECONDS)
            return web.Response(status=429, text="too many connections", headers={"Retry-After": "1"})
    return await handler(request)
