"""Rate limits, flood caps and login delays shared by every hub (issue 16;
bot/adapters/ratelimit.py, bot/adapters/login_throttle.py): in cluster mode a
flooder or a password guesser sent by the load balancer to another hub gets no
fresh allowance there. The Redis cases are skipped without Redis, except under
CI=true; the in-memory ones keep today's token buckets."""

from __future__ import annotations

import asyncio
from typing import Any, List

from redis.asyncio import Redis

from bot.adapters.login_throttle import LoginThrottle
from bot.adapters.ratelimit import Limits, Rate, SharedLimits, SocketGate, hub_limits
from tests.cluster_support import redis_prefix, redis_url  # noqa: F401 (fixtures)
from tests.security.widget_harness import Hub, Widget, run_hubs

RATE = Rate("test", per_minute=60, burst=2)


def test_the_moving_window_has_the_buckets_burst_and_rate():
    # The window is the time an emptied bucket takes to refill: same burst, same long-run rate.
    assert Rate("messages", per_minute=30, burst=10).window_seconds == 20
    assert Rate("events", per_minute=120, burst=30).window_seconds == 15
    assert Rate("new conversations", per_minute=10, burst=10).window_seconds == 60
    assert Rate("notices", per_minute=120, burst=5).window_seconds == 3  # 2.5 s, in whole seconds
    assert type(hub_limits(None)) is Limits


def test_in_memory_the_limits_are_token_buckets():
    now = [0.0]
    limits = Limits(clock=lambda: now[0])
    narrow = Rate("narrow", per_minute=60, burst=1)

    async def scenario() -> None:
        assert await limits.allow((RATE, "a")) and await limits.allow((RATE, "a"))
        assert not await limits.allow((RATE, "a")) and await limits.allow((RATE, "b"))
        now[0] = 1.0  # one token back a second later
        assert await limits.allow((RATE, "a")) and not await limits.allow((RATE, "a"))
        # All or nothing: what one limit refuses costs nothing against the others.
        assert await limits.allow((RATE, "c"), (narrow, "c"))
        assert not await limits.allow((RATE, "c"), (narrow, "c"))
        assert await limits.allow((RATE, "c")), "the refused call took nothing from RATE"
        await limits.forget(RATE, "a")
        assert await limits.allow((RATE, "a")), "a forgotten key starts afresh"
        # A pause bars the key until it ends.
        gate = SocketGate(limits, per_minute=60, burst=5, pause_seconds=30)
        assert await gate.allow("203.0.113.1")
        await gate.pause("203.0.113.1")
        assert not await gate.allow("203.0.113.1") and await gate.allow("203.0.113.2")
        now[0] = 40.0
        assert await gate.allow("203.0.113.1")

    asyncio.run(scenario())


def two_hubs_limits(redis_url: str, prefix: str) -> List[SharedLimits]:  # noqa: F811
    made = [hub_limits(Redis.from_url(redis_url), f"{prefix}:") for _ in range(2)]
    assert all(isinstance(limits, SharedLimits) for limits in made)
    return made  # type: ignore[return-value]


def test_every_hub_counts_against_one_limit(redis_url, redis_prefix):  # noqa: F811
    async def scenario() -> None:
        a, b = two_hubs_limits(redis_url, redis_prefix)
        narrow = Rate("narrow", per_minute=60, burst=1)
        try:
            assert await a.allow((RATE, "flooder"))
            assert await b.allow((RATE, "flooder"))
            assert not await a.allow((RATE, "flooder")) and not await b.allow((RATE, "flooder"))
            assert await b.allow((RATE, "neighbour"))
            # All or nothing here too.
            assert await a.allow((RATE, "c"), (narrow, "c"))
            assert not await b.allow((RATE, "c"), (narrow, "c"))
            assert await b.allow((RATE, "c")), "the refused call took nothing from RATE"
            # A flooder's pause on one hub bars its new sockets on the other.
            gate_a, gate_b = (SocketGate(limits, 60, 5, pause_seconds=30) for limits in (a, b))
            await gate_a.pause("198.51.100.9")
            assert not await gate_b.allow("198.51.100.9") and await gate_b.allow("198.51.100.10")
            await b.forget(RATE, "flooder")
            assert await a.allow((RATE, "flooder")), "a closed socket's count goes for every hub"
        finally:
            for limits in (a, b):
                await limits.redis.aclose()

    asyncio.run(scenario())


def test_without_redis_the_limits_let_customers_through():
    """A Redis outage is logged, and customers are served rather than all refused."""

    async def scenario() -> None:
        limits = hub_limits(Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=1), "x:")
        try:
            assert await limits.allow((RATE, "a"))
            assert not await limits.paused("a")
        finally:
            await limits.redis.aclose()  # type: ignore[attr-defined]

    asyncio.run(scenario())


def test_a_password_guesser_gets_no_fresh_start_on_another_hub(redis_url, redis_prefix):  # noqa: F811
    async def scenario() -> None:
        clients = [Redis.from_url(redis_url) for _ in range(2)]
        a, b = (LoginThrottle(redis=client, prefix=f"{redis_prefix}:") for client in clients)
        try:
            # The pair's five free failures, spread over both hubs; the sixth attempt waits, on either.
            for attempt in range(5):
                assert await (a if attempt % 2 else b).attempt("ana@example.com", "203.0.113.5") == 0
            assert await a.attempt("ana@example.com", "203.0.113.5") >= 1
            assert await b.attempt("ana@example.com", "203.0.113.5") >= 1
            assert await b.attempt("ana@example.com", "203.0.113.6") == 0, "another address is another pair"
            # A success on one hub clears the pair for all.
            await a.succeeded("ana@example.com", "203.0.113.5")
            assert await b.attempt("ana@example.com", "203.0.113.5") == 0
        finally:
            for client in clients:
                await client.aclose()

    asyncio.run(scenario())


def test_a_flooding_address_is_limited_across_hubs(tmp_path, redis_url):  # noqa: F811
    """Two in-process hubs on one database and one Redis: the address's burst of
    messages is one, whichever hub its sockets reach."""

    async def scenario(hubs: List[Hub]) -> None:
        widgets: List[Widget] = []
        try:
            for hub in hubs:
                widgets.append(await Widget.open(hub, "198.51.100.20"))
                await widgets[-1].start()
            said: List[Any] = []
            for number in range(3):
                said.append(await widgets[number % 2].say(f"oi {number}"))
            assert all(replies[0]["text"].startswith("echo") for replies in said)
            # The address's burst is spent, on both hubs.
            for widget in widgets:
                [refusal] = await widget.say("mais uma")
                assert refusal["metadata"]["error"] == "rate_limited"
        finally:
            for widget in widgets:
                await widget.close()

    run_hubs(
        tmp_path,
        2,
        scenario,
        redis_url=redis_url,
        trusted_proxy_header="X-Forwarded-For",
        ip_burst=3,
        ip_rate_per_minute=1,
    )
