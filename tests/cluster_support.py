"""PostgreSQL and Redis for the cluster-mode tests (issue 16).

A test that needs them asks for a fixture; when the server is not reachable the
test is skipped with the reason, except under CI=true, where a missing server is
a failure (CI must prove cluster mode, not skip it silently). Fixtures defined
outside conftest.py are seen only where they are imported, so a test module does

    from tests.cluster_support import postgres_url, redis_url, redis_prefix  # noqa: F401 (fixtures)

- `postgres_url`: a fresh PostgreSQL database (postgresql+asyncpg://...), dropped
  afterwards (tests/conftest.py's `postgres_database`; CAROLINA_TEST_POSTGRES).
- `redis_url`: the test Redis (CAROLINA_TEST_REDIS, default redis://127.0.0.1:6379/0).
- `redis_prefix`: a name unique to this test, to prefix every key, lock and
  socket.io channel it makes, so parallel runs sharing one Redis never cross;
  its keys are deleted afterwards.
- `needs_redis`, `needs_postgres`: marks for a test that only needs the server up
  (it reads the address from the same fixtures).
"""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest

from tests.conftest import postgres_database

REDIS = os.environ.get("CAROLINA_TEST_REDIS", "redis://127.0.0.1:6379/0")


def missing(what: str) -> None:
    """Skip, or fail under CI=true where cluster mode must be proven."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI")
    pytest.skip(f"{what} is not available")


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        missing(f"Redis at {REDIS} ({error})")
    finally:
        client.close()
    return REDIS


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    import redis

    prefix = f"carolina-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url, drop = postgres_database()
    try:
        yield url
    finally:
        drop()


needs_redis = pytest.mark.usefixtures("redis_url")
needs_postgres = pytest.mark.usefixtures("postgres_url")
