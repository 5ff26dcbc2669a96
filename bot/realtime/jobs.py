"""The hub's one job loop: every hub runs it, and the stored deadlines
(bot/domain/deadlines.py) make each piece of timed work run on one of them.

- Deadlines of a kind (a customer's abandon, an analyst's grace) go to the
  handler registered for the kind, with their subject.
- Periodic jobs (the closed-queue check, the ticket job...) are deadlines of
  kind "job" named after the job: the hub that claims one runs it and sets its
  next run, so with several hubs each runs once per period, not once per hub.
- Work of this hub alone (refreshing its sockets' presence) runs here too,
  without a claim.

The loop sleeps until the next deadline it knows of, at most POLL_SECONDS (a
deadline another hub scheduled is seen that late), and wakes at once when this
hub schedules one (`poke`). A claimed deadline runs in its own task, so a long
job does not hold up a grace period; a failure is logged, and the deadline,
still claimed, runs again when its lease ends."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Dict, List, Optional, Set

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import deadlines
from bot.domain.deadlines import Claimed
from common.ids import short_id

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# A claim lasts this long: longer than any job takes, short enough that a dead hub's work is not long late.
LEASE_SECONDS = 300.0
# How many due deadlines one claim takes (the loop claims again at once when it took that many).
BATCH = 50
JOB = "job"

Work = Callable[[], Awaitable[object]]
Handler = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Periodic:
    seconds: float
    work: Work
    # Run when a hub starts (what fell due while none ran), not only a period later.
    at_start: bool


@dataclass
class Local:
    seconds: float
    work: Work
    next: float = 0.0  # time.monotonic()


class JobLoop:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub_id: str,
        now: Callable[[], datetime] = deadlines.real_now,
        release_every_hub: bool = False,
    ) -> None:
        self.sessions, self.hub_id, self.now = sessions, hub_id, now
        # Alone on its database (not cluster mode), a starting hub knows every claim left is a dead run's.
        self.release_every_hub = release_every_hub
        self.handlers: Dict[str, Handler] = {}
        self.periodic: Dict[str, Periodic] = {}
        self.local: List[Local] = []
        self.wake = asyncio.Event()
        self.running: Set[asyncio.Task] = set()
        self.loop: Optional[asyncio.Task] = None
        self.stopping = False

    def on(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    def every(self, name: str, seconds: float, work: Work, at_start: bool = False) -> None:
        """A periodic job, once per `seconds` across hubs (0 or less: off)."""
        if seconds > 0:
            self.periodic[name] = Periodic(seconds, work, at_start)

    def here_every(self, seconds: float, work: Work) -> None:
        """Work of this hub alone, every `seconds`."""
        self.local.append(Local(seconds, work))

    def poke(self) -> None:
        """A deadline was scheduled here: the loop looks again now, not at its next poll."""
        self.wake.set()

    async def start(self) -> None:
        """The periodic jobs' rows (a job new to the database runs a period from now, or
        now if it runs at start), the claims a previous run of this hub left, and the loop."""
        now = self.now()
        async with self.sessions.begin() as session:
            await deadlines.release(session, None if self.release_every_hub else self.hub_id)
            for name, job in self.periodic.items():
                if job.at_start:
                    await deadlines.bring_forward(session, JOB, name, now)
                else:
                    await deadlines.ensure(session, JOB, name, now + timedelta(seconds=job.seconds))
        self.loop = asyncio.ensure_future(self._run_loop())

    async def _run_loop(self) -> None:
        """Until stopped; it stops between two rounds, never inside a transaction."""
        while not self.stopping:
            self.wake.clear()
            wait = POLL_SECONDS
            try:
                await self._local_work()
                # Claiming writes (SQLite: it takes the database's one write lock): only when something is due.
                if await self._seconds_to_next() <= 0:
                    async with self.sessions.begin() as session:
                        claimed = await deadlines.claim_due(session, self.hub_id, self.now(), LEASE_SECONDS, BATCH)
                    for item in claimed:
                        task = asyncio.ensure_future(self._run(item))
                        self.running.add(task)
                        task.add_done_callback(self.running.discard)
                    if len(claimed) == BATCH:
                        continue
                # Never a busy loop: a deadline another hub is claiming right now is its, in a moment.
                wait = max(await self._seconds_to_next(), 0.01)
            except Exception:
                logger.exception("The job loop failed; it tries again in %s s", POLL_SECONDS)
            if self.stopping:
                break
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        """The loop ends, and the work under way is cancelled: its claims end with their
        lease (or at this hub's next start), and another hub runs it then. (No write
        here: a task cancelled mid-transaction may still hold SQLite's lock.)"""
        self.stopping = True
        self.wake.set()
        if self.loop is not None:
            await self.loop
        for task in list(self.running):
            task.cancel()
        await asyncio.gather(*self.running, return_exceptions=True)

    async def _local_work(self) -> None:
        for local in self.local:
            if time.monotonic() >= local.next:
                local.next = time.monotonic() + local.seconds
                await local.work()

    async def _seconds_to_next(self) -> float:
        """Until the next deadline or this hub's next local work, at most POLL_SECONDS (0 or less: now)."""
        async with self.sessions() as session:
            due = await deadlines.next_due(session)
        wait = POLL_SECONDS
        if due is not None:
            wait = min(wait, (due - self.now()).total_seconds())
        if self.local:
            wait = min(wait, min(local.next for local in self.local) - time.monotonic())
        return wait

    async def _run(self, claimed: Claimed) -> None:
        job = self.periodic.get(claimed.subject) if claimed.kind == JOB else None
        handler = self.handlers.get(claimed.kind)
        if job is None and handler is None:
            # A job turned off here (or a kind this version no longer has): nobody will run it.
            async with self.sessions.begin() as session:
                await deadlines.finish(session, claimed, self.hub_id)
            return
        try:
            if job is not None:
                await job.work()
            elif handler is not None:
                await handler(claimed.subject)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A job by its name; a deadline's subject (a conversation, an analyst) never in clear.
            logger.exception("%s %s failed", claimed.kind, claimed.subject if job else short_id(claimed.subject))
            if job is None:
                return  # claimed still: it runs again when the lease ends
        try:
            async with self.sessions.begin() as session:
                if job is not None:
                    await deadlines.again_at(session, claimed, self.hub_id, self.now() + timedelta(seconds=job.seconds))
                else:
                    await deadlines.finish(session, claimed, self.hub_id)
        except Exception:  # the database went away: the claim ends with its lease, and the work runs again
            logger.exception("Could not finish %s", claimed.kind)
        self.poke()
