"""The hub's Redis (REDIS_URL, cluster mode): its client, and the namespace of
every key and channel the hubs of one deployment share there.

The hubs of one deployment share one database, so its name is the namespace:
two deployments, or two test runs, on one Redis never see each other's locks,
rate limits or socket.io messages (Redis's numbered databases would not keep
the socket.io messages apart: pub/sub channels ignore them)."""

from __future__ import annotations

from typing import Optional

from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.engine import make_url

from bot.settings import Settings


def namespace(settings: Settings) -> str:
    return f"carolina:{make_url(settings.database_url).database}:"


# At most this many connections per hub; a command beyond them waits for one up
# to POOL_WAIT_SECONDS. (redis-py's default pool refuses the 101st at once with
# "Too many connections": 200 customers arriving together at one hub made their
# rate-limit checks and conversation locks fail, measured by `bench cluster`.)
POOL_SIZE = 64
POOL_WAIT_SECONDS = 10.0


def connect(settings: Settings) -> Optional[Redis]:
    """A client (connections are opened on first use), or None without REDIS_URL."""
    if not settings.redis_url:
        return None
    pool = BlockingConnectionPool.from_url(settings.redis_url, max_connections=POOL_SIZE, timeout=POOL_WAIT_SECONDS)
    return Redis.from_pool(pool)  # the client owns the pool: closing it closes them
