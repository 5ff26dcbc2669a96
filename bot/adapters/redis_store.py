"""The hub's Redis (REDIS_URL, cluster mode): its client, and the namespace of
every key and channel the hubs of one deployment share there.

The hubs of one deployment share one database, so its name is the namespace:
two deployments, or two test runs, on one Redis never see each other's locks,
rate limits or socket.io messages (Redis's numbered databases would not keep
the socket.io messages apart: pub/sub channels ignore them)."""

from __future__ import annotations

from typing import Optional

from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from bot.settings import Settings


def namespace(settings: Settings) -> str:
    return f"carolina:{make_url(settings.database_url).database}:"


def connect(settings: Settings) -> Optional[Redis]:
    """A client (connections are opened on first use), or None without REDIS_URL."""
    return Redis.from_url(settings.redis_url) if settings.redis_url else None
