"""The hub's timers, in this process: one pending task per key (scheduling a
key again replaces it), and loops that run a check every few seconds. A timer
that fails is logged, never lost silently."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Dict

from common.ids import short_id

logger = logging.getLogger(__name__)
Work = Callable[[], Awaitable[None]]


class Timers:
    def __init__(self) -> None:
        self.pending: Dict[str, asyncio.Task] = {}

    def schedule(self, key: str, delay: float, work: Work) -> None:
        self.cancel(key)

        async def later() -> None:
            try:
                await asyncio.sleep(delay)
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                kind, _, name = key.partition(":")  # customer:<conversation id>, agent:<id>
                logger.exception("Timer %s:%s failed", kind, short_id(name))
            finally:
                if self.pending.get(key) is asyncio.current_task():
                    del self.pending[key]

        self.pending[key] = asyncio.ensure_future(later())

    def cancel(self, key: str) -> None:
        task = self.pending.pop(key, None)
        if task is not None:
            task.cancel()

    def stop(self) -> None:
        for key in list(self.pending):
            self.cancel(key)


async def every(seconds: float, work: Work, what: str) -> None:
    """Runs `work` every `seconds` until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await work()
        except Exception:
            logger.exception("%s failed", what)
