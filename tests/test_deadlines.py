"""Stored deadlines and presence rows (bot/domain/deadlines.py,
bot/domain/connections.py), in process, on SQLite and on PostgreSQL (skipped
without a server, failing under CI=true): two hubs claiming at once each get
a deadline once; a crashed claimer's deadline comes back after its lease; a
socket whose hub stopped refreshing it stops counting and is swept."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import List

from bot.db.migrate import upgrade
from bot.db.session import make_engine, make_sessions
from bot.domain import connections, deadlines
from bot.domain.deadlines import Claimed
from bot.realtime.jobs import JobLoop

T0 = datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc)


def run(database_url: str, scenario):
    upgrade(database_url)

    async def main():
        engine = make_engine(database_url)
        try:
            return await scenario(make_sessions(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_two_hubs_claiming_at_once_get_each_deadline_once(database_url):
    async def scenario(sessions):
        async with sessions.begin() as session:
            for n in range(40):
                await deadlines.schedule(session, "abandon", f"conversation-{n}", T0 + timedelta(seconds=n % 5))
            await deadlines.schedule(session, "abandon", "later", T0 + timedelta(minutes=5))

        async def hub(name: str) -> List[Claimed]:
            got: List[Claimed] = []
            for _ in range(10):  # small batches, so the two hubs' claims interleave
                async with sessions.begin() as session:
                    got += await deadlines.claim_due(session, name, T0 + timedelta(seconds=10), 60, limit=3)
                await asyncio.sleep(0)
            return got

        a, b = await asyncio.gather(hub("hub-a"), hub("hub-b"))
        async with sessions.begin() as session:
            again = await deadlines.claim_due(session, "hub-c", T0 + timedelta(seconds=20), 60)
        return a, b, again

    a, b, again = run(database_url, scenario)
    subjects = [c.subject for c in a + b]
    assert sorted(subjects) == sorted(f"conversation-{n}" for n in range(40))  # each once, "later" not yet due
    assert a and b, "both hubs took a share"
    assert again == []  # claimed and leased: nobody else takes them meanwhile


def test_a_finished_deadline_is_gone_a_crashed_claim_comes_back_and_a_rescheduled_one_stays(database_url):
    async def scenario(sessions):
        async with sessions.begin() as session:
            for subject in ("done", "crashed", "rescheduled"):
                await deadlines.schedule(session, "grace", subject, T0)
            claimed = {c.subject: c for c in await deadlines.claim_due(session, "hub-a", T0, 60)}
        async with sessions.begin() as session:
            await deadlines.finish(session, claimed["done"], "hub-a")
            # The analyst came and went again while hub-a was running the old deadline.
            await deadlines.schedule(session, "grace", "rescheduled", T0 + timedelta(seconds=30))
            await deadlines.finish(session, claimed["rescheduled"], "hub-a")
        async with sessions.begin() as session:
            before_lease = await deadlines.claim_due(session, "hub-b", T0 + timedelta(seconds=31), 60)
            after_lease = await deadlines.claim_due(session, "hub-b", T0 + timedelta(seconds=61), 60)
            nothing_left = await deadlines.next_due(session)
        return before_lease, after_lease, nothing_left

    before_lease, after_lease, next_due = run(database_url, scenario)
    assert [c.subject for c in before_lease] == ["rescheduled"]
    assert [c.subject for c in after_lease] == ["crashed"]
    assert next_due == T0 + timedelta(seconds=91)  # when the first of the two new leases ends


def test_a_periodic_job_runs_once_per_period_and_a_start_brings_it_forward(database_url):
    async def scenario(sessions):
        async with sessions.begin() as session:
            await deadlines.ensure(session, "job", "tickets", T0)
            await deadlines.ensure(session, "job", "tickets", T0 + timedelta(hours=1))  # a second hub: no change
        async with sessions.begin() as session:
            [claimed] = await deadlines.claim_due(session, "hub-a", T0, 60)
            await deadlines.again_at(session, claimed, "hub-a", T0 + timedelta(seconds=60))
        async with sessions.begin() as session:
            early = await deadlines.claim_due(session, "hub-b", T0 + timedelta(seconds=59), 60)
            await deadlines.bring_forward(session, "job", "tickets", T0 + timedelta(seconds=10))  # a hub starts
            started = await deadlines.claim_due(session, "hub-b", T0 + timedelta(seconds=10), 60)
        return early, started

    early, started = run(database_url, scenario)
    assert early == [] and [c.subject for c in started] == ["tickets"]


def test_a_socket_counts_while_its_hub_refreshes_it(database_url):
    async def scenario(sessions):
        async with sessions.begin() as session:
            await connections.connect(session, "sid-a", "hub-a", "agent", "7", T0, agent_session="hash-1")
            await connections.connect(session, "sid-b", "hub-b", "customer", "conv-1", T0)
        later = T0 + timedelta(seconds=connections.EXPIRES_SECONDS + 1)
        async with sessions.begin() as session:
            await connections.heartbeat(session, "hub-a", later - timedelta(seconds=1))  # hub-b has died
            seen = (
                await connections.connected(session, "agent", "7", later),
                await connections.connected(session, "customer", "conv-1", later),
                await connections.sockets_of(session, "agent", "7", later),
                await connections.agent_sockets(session, later),
            )
            swept = await connections.sweep(session, later)
            left = await connections.present(session, "customer", ["conv-1"], T0)
        async with sessions.begin() as session:
            gone = await connections.disconnect(session, "sid-a")
            again = await connections.disconnect(session, "sid-a")
        return seen, swept, left, gone, again

    seen, swept, left, gone, again = run(database_url, scenario)
    assert seen == (True, False, ["sid-a"], [("sid-a", "hash-1")])
    assert swept == {("customer", "conv-1")} and left == set()  # the dead hub's row is gone
    assert gone == ("agent", "7") and again is None


def test_two_hubs_job_loops_fire_each_deadline_once(database_url):
    """The job loop of bot/realtime/jobs.py, twice on one database: every deadline's handler runs once."""

    async def scenario(sessions):
        fired: List[str] = []

        async def gone(subject: str) -> None:
            fired.append(subject)

        loops = [JobLoop(sessions, hub) for hub in ("hub-a", "hub-b")]
        for loop in loops:
            loop.on("abandon", gone)
        async with sessions.begin() as session:
            for n in range(30):
                await deadlines.schedule(session, "abandon", f"conversation-{n}", deadlines.real_now())
        for loop in loops:
            await loop.start()
        try:
            # Until every deadline is finished (deleted) and no handler is still under way.
            for _ in range(500):
                async with sessions() as session:
                    left = await deadlines.next_due(session)
                if left is None and not any(loop.running for loop in loops):
                    break
                await asyncio.sleep(0.02)
        finally:
            for loop in loops:
                await loop.stop()
        return fired

    fired = run(database_url, scenario)
    assert sorted(fired) == sorted(f"conversation-{n}" for n in range(30))
