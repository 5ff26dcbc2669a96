"""One conversation at a time, across hubs (issue 16; bot/adapters/locks.py):
a customer's messages are handled in the order they came, a dead hub's lock
lapses with its lease while a live hub's long turn keeps it, and the crash
catch-up answers each message once, whether two catch-ups run at once or one
meets a live turn. In process, on SQLite with the in-process locks and on
PostgreSQL with Redis locks (skipped without them, except under CI=true)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, List

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.adapters.locks import ConversationLocks, LockUnavailable, RedisConversationLocks, conversation_locks
from bot.adapters.rasa_client import RasaReply
from bot.db import queries
from bot.db.migrate import upgrade
from bot.db.models import Message
from bot.db.session import make_engine, make_sessions
from bot.domain import conversations
from bot.settings import Settings
from common.clock import Clock
from tests.cluster_support import postgres_url, redis_prefix, redis_url  # noqa: F401 (fixtures)


class SlowRasa:
    """Stands in for the hub's Rasa client: answers every message after `delay`,
    counting what it was asked (each message must be asked once)."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.asked: List[str] = []
        self.started = asyncio.Event()

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any], message_id: Any) -> RasaReply:
        self.asked.append(text)
        self.started.set()
        await asyncio.sleep(self.delay)
        return RasaReply([{"text": f"resposta a {text}"}])


def redis_locks(url: str, prefix: str, lease: float = 5.0, wait: float = 10.0) -> RedisConversationLocks:
    """One hub's locks: its own Redis client, the test's namespace."""
    return RedisConversationLocks(Redis.from_url(url), wait=wait, lease=lease, prefix=f"{prefix}:lock:")


async def close(*locks: ConversationLocks) -> None:
    for lock in locks:
        if isinstance(lock, RedisConversationLocks):
            await lock.redis.aclose()


async def in_order(locks: List[ConversationLocks]) -> List[int]:
    """Five turns of one conversation started one after another, spread over
    the hubs' locks; each takes a moment: the order in which they ran."""
    ran: List[int] = []

    async def turn(number: int, locks: ConversationLocks) -> None:
        async with locks.hold("c-1"):
            ran.append(number)
            await asyncio.sleep(0.05)

    tasks = []
    for number in range(5):
        tasks.append(asyncio.ensure_future(turn(number, locks[number % len(locks)])))
        await asyncio.sleep(0.01)  # they arrive one after another
    await asyncio.gather(*tasks)
    return ran


def test_a_customers_messages_wait_for_the_one_before():
    async def scenario() -> None:
        locks = ConversationLocks(wait=5)
        assert await in_order([locks]) == [0, 1, 2, 3, 4]

        # Another conversation is not held up by this one's turn.
        async with locks.hold("c-1"):
            async with locks.hold("c-2"):
                pass
        # A turn that cannot start within the wait is refused, not queued forever.
        impatient = ConversationLocks(wait=0.05)
        async with impatient.hold("c-1"):
            with pytest.raises(LockUnavailable):
                async with impatient.hold("c-1"):
                    pass

    asyncio.run(scenario())


def test_the_locks_follow_the_settings():
    assert type(conversation_locks(Settings())) is ConversationLocks
    locks = conversation_locks(Settings(rasa_timeout=20), Redis.from_url("redis://127.0.0.1:1"), "carolina:db:")
    assert isinstance(locks, RedisConversationLocks)
    # A lease longer than a turn (Rasa's timeout), a wait of several turns.
    assert locks.lease > 20 and locks.wait >= 2 * locks.lease
    assert locks.prefix == "carolina:db:conversation-lock:"


def test_redis_locks_order_a_conversation_across_hubs(redis_url, redis_prefix):  # noqa: F811
    async def scenario() -> None:
        one, two = redis_locks(redis_url, redis_prefix), redis_locks(redis_url, redis_prefix)
        try:
            # On one hub, in the order they came (the local lock in front of Redis's).
            assert await in_order([one]) == [0, 1, 2, 3, 4]
            # A turn on one hub keeps the other hub's turn of the same conversation waiting.
            events: List[str] = []

            async def turn(locks: ConversationLocks, name: str) -> None:
                async with locks.hold("c-2"):
                    events.append(f"{name} in")
                    await asyncio.sleep(0.2)
                    events.append(f"{name} out")

            first = asyncio.ensure_future(turn(one, "A"))
            await asyncio.sleep(0.05)
            await asyncio.gather(first, turn(two, "B"))
            assert events == ["A in", "A out", "B in", "B out"]
        finally:
            await close(one, two)

    asyncio.run(scenario())


def test_a_long_turn_keeps_its_lock_and_a_dead_hubs_lapses(redis_url, redis_prefix):  # noqa: F811
    async def scenario() -> None:
        live = redis_locks(redis_url, redis_prefix, lease=0.3)
        other = redis_locks(redis_url, redis_prefix, lease=0.3, wait=0.2)
        try:
            # A turn three leases long renews its lease: the other hub cannot get in.
            async with live.hold("c-3"):
                await asyncio.sleep(0.9)
                with pytest.raises(LockUnavailable):
                    async with other.hold("c-3"):
                        pass
            # A hub that died holding a lock renews nothing: it lapses after its lease.
            dead = Redis.from_url(redis_url)
            assert await dead.lock(f"{redis_prefix}:lock:c-4", timeout=0.3).acquire()
            await dead.aclose()
            patient = redis_locks(redis_url, redis_prefix, lease=0.3, wait=2)
            started = asyncio.get_running_loop().time()
            async with patient.hold("c-4"):
                assert asyncio.get_running_loop().time() - started < 1.0
            await close(patient)
        finally:
            await close(live, other)

    asyncio.run(scenario())


def test_redis_down_refuses_the_turn_instead_of_running_it_unlocked():
    async def scenario() -> None:
        locks = RedisConversationLocks(Redis.from_url("redis://127.0.0.1:1"), wait=1, lease=1, prefix="x:")
        try:
            with pytest.raises(LockUnavailable):
                async with locks.hold("c-5"):
                    pass
        finally:
            await close(locks)

    asyncio.run(scenario())


async def waiting_messages(sessions: Any, count: int) -> List[str]:
    """`count` conversations whose last message is a customer's, unanswered (a
    hub stopped before storing Carolina's reply), made a minute ago."""
    ids = []
    async with sessions.begin() as session:
        for number in range(count):
            conversation = await queries.create_conversation(session, None, "pt")
            await queries.add_message(session, conversation.id, "customer", f"pergunta {number}")
            ids.append(conversation.id)
    return ids


async def replies_by_conversation(sessions: Any) -> Dict[str, int]:
    async with sessions() as session:
        rows = (await session.execute(select(Message.conversation_id).where(Message.sender == "bot"))).scalars()
        counts: Dict[str, int] = {}
        for conversation_id in rows:
            counts[conversation_id] = counts.get(conversation_id, 0) + 1
        return counts


Scenario = Callable[[Any, Any, ConversationLocks, ConversationLocks], Awaitable[None]]


def two_hubs(database_url: str, scenario: Scenario, locks: Callable[[], ConversationLocks]) -> None:
    """scenario(sessions of hub A, of hub B, A's locks, B's locks) on a migrated database."""
    upgrade(database_url)

    async def main() -> None:
        engines = [make_engine(database_url) for _ in range(2)]
        one, two = locks(), locks()
        try:
            await scenario(make_sessions(engines[0]), make_sessions(engines[1]), one, two)
        finally:
            await close(one, two)
            for engine in engines:
                await engine.dispose()

    asyncio.run(main())


async def two_catch_ups_at_once(a: Any, b: Any, locks_a: ConversationLocks, locks_b: ConversationLocks) -> None:
    waiting = await waiting_messages(a, 4)
    rasa = SlowRasa()
    answered = await asyncio.gather(
        conversations.answer_unanswered(a, rasa, locks=locks_a),  # type: ignore[arg-type]
        conversations.answer_unanswered(b, rasa, locks=locks_b),  # type: ignore[arg-type]
    )
    assert sorted(rasa.asked) == [f"pergunta {n}" for n in range(4)], "each message asked once"
    assert sorted([*answered[0], *answered[1]]) == sorted(waiting), "each answer sent by one hub"
    assert await replies_by_conversation(a) == {c: 1 for c in waiting}


async def a_catch_up_meets_a_live_turn(a: Any, b: Any, locks_a: ConversationLocks, locks_b: ConversationLocks) -> None:
    [conversation_id] = await waiting_messages(a, 1)
    async with a.begin() as session:
        await queries.add_message(session, conversation_id, "bot", "resposta a pergunta 0")
    rasa = SlowRasa(delay=0.3)
    settings = Settings()
    # Hub A takes a new message of the conversation; hub B's catch-up starts while Carolina thinks.
    live = asyncio.ensure_future(
        conversations.handle_customer_message(a, rasa, settings, conversation_id, "e agora?", locks=locks_a)  # type: ignore[arg-type]
    )
    await rasa.started.wait()
    caught = await conversations.answer_unanswered(b, rasa, locks=locks_b)  # type: ignore[arg-type]
    outcome = await live
    assert caught == {}, "the message being answered by hub A is left to it"
    assert rasa.asked == ["e agora?"] and [r.text for r in outcome.replies] == ["resposta a e agora?"]
    assert await replies_by_conversation(a) == {conversation_id: 2}


@pytest.mark.parametrize("scenario", [two_catch_ups_at_once, a_catch_up_meets_a_live_turn])
def test_each_message_is_answered_once_in_one_hub(tmp_path, scenario):
    shared = ConversationLocks(wait=10)
    two_hubs(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", scenario, lambda: shared)


@pytest.mark.parametrize("scenario", [two_catch_ups_at_once, a_catch_up_meets_a_live_turn])
def test_each_message_is_answered_once_across_hubs(postgres_url, redis_url, redis_prefix, scenario):  # noqa: F811
    two_hubs(postgres_url, scenario, lambda: redis_locks(redis_url, redis_prefix))


def test_the_periodic_catch_up_leaves_recent_messages_alone(tmp_path):
    async def scenario(a: Any, b: Any, locks_a: ConversationLocks, locks_b: ConversationLocks) -> None:
        waiting = await waiting_messages(a, 1)
        rasa = SlowRasa(delay=0)
        # The periodic pass: a message stored just now is most likely a live hub's.
        recent = await conversations.answer_unanswered(a, rasa, locks=locks_a, min_age=timedelta(minutes=1))  # type: ignore[arg-type]
        assert recent == {} and rasa.asked == []
        # At start (no minimum age) it is answered.
        assert list(await conversations.answer_unanswered(a, rasa, locks=locks_a)) == waiting  # type: ignore[arg-type]

    shared = ConversationLocks(wait=10)
    two_hubs(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", scenario, lambda: shared)


def test_at_start_every_leftover_is_answered_whatever_clock_stored_it(tmp_path):
    """A hub with a running CAROLINA_CLOCK starts it again from the same moment
    after a crash, so the dead run stored its last messages "later" than the new
    run's now: they are still its leftovers (the fault bench lost two turns so)."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(database_url)
    start = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)

    async def main() -> None:
        engine = make_engine(database_url)
        try:
            dead_run = make_sessions(engine, Clock(fixed=start + timedelta(minutes=5)))
            waiting = await waiting_messages(dead_run, 1)
            rasa = SlowRasa(delay=0)
            restarted = make_sessions(engine, Clock(fixed=start))
            assert list(await conversations.answer_unanswered(restarted, rasa)) == waiting  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    asyncio.run(main())
