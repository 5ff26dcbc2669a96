"""One conversation's customer messages handled one at a time, in order.

A turn (store the message, ask Carolina, store her replies) must not interleave
with another turn of the same conversation, or replies would answer the wrong
message and the crash catch-up would answer a message twice.

In one hub an asyncio.Lock per conversation does it: its waiters wake in the
order they came, so a customer's second message waits for the first.

With several hubs (cluster mode) one conversation can be on two of them at once
(two tabs behind the load balancer, a live turn on one hub and the catch-up of
another), so the lock is also a Redis key (redis-py's Lock: SET NX with a lease).
The lease is what frees a dead hub's conversations: it lasts a turn and a
margin, and a live holder renews it while its turn goes on, so a turn longer
than one lease (Rasa slow, a retry on another Rasa server) keeps it. The local
lock stays in front of the Redis one: Redis's waiters poll, in no order, so
without it a customer's third message could overtake the second on the same
hub; with it only the head of each hub's queue polls Redis.

A lock not had within `wait` seconds (or Redis unreachable) raises
LockUnavailable: the caller tells the customer (whose message was not stored
yet) to send it again, or, for the catch-up, leaves the message for its next pass.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, AsyncIterator, Optional

from redis.exceptions import LockError, LockNotOwnedError, RedisError

from bot.settings import Settings
from common.ids import short_id

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.lock import Lock

logger = logging.getLogger(__name__)

# The lease beyond Rasa's timeout: the database writes before and after the call.
LEASE_MARGIN_SECONDS = 10.0
# A message waits at most this many leases for the turns before it.
WAIT_LEASES = 3
# How often a waiting hub asks Redis again (redis-py polls; 0.1 s by default).
POLL_SECONDS = 0.05


class LockUnavailable(Exception):
    """The conversation stayed locked (by this hub or another) longer than the
    wait, or Redis could not be asked."""


class ConversationLocks:
    """The locks of one hub: in-process, enough when it is the only one."""

    def __init__(self, wait: float = WAIT_LEASES * (Settings.rasa_timeout + LEASE_MARGIN_SECONDS)) -> None:
        self.wait = wait
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        async with self._held(conversation_id, asyncio.get_running_loop().time() + self.wait):
            yield

    @asynccontextmanager
    async def _held(self, conversation_id: str, give_up_at: float) -> AsyncIterator[None]:
        lock = self._local.get(conversation_id)
        if lock is None:
            lock = self._local[conversation_id] = asyncio.Lock()
        try:
            async with asyncio.timeout_at(give_up_at):
                await lock.acquire()
        except TimeoutError as error:
            raise LockUnavailable(conversation_id) from error
        try:
            yield
        finally:
            lock.release()


class RedisConversationLocks(ConversationLocks):
    """The locks of one hub among several: in-process, then in Redis."""

    def __init__(self, redis: Redis, wait: float, lease: float, prefix: str) -> None:
        super().__init__(wait)
        self.redis, self.lease, self.prefix = redis, lease, prefix

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        give_up_at = asyncio.get_running_loop().time() + self.wait
        async with self._held(conversation_id, give_up_at):
            # One Lock object per turn: its token is this turn's, so no other turn releases it.
            lock = self.redis.lock(
                self.prefix + conversation_id, timeout=self.lease, sleep=POLL_SECONDS, thread_local=False
            )
            remaining = max(0.0, give_up_at - asyncio.get_running_loop().time())
            try:
                acquired = await lock.acquire(blocking_timeout=remaining)
            except RedisError as error:
                raise LockUnavailable(conversation_id) from error
            if not acquired:
                raise LockUnavailable(conversation_id)
            renewing = asyncio.ensure_future(self._renew(lock, conversation_id))
            try:
                yield
            finally:
                renewing.cancel()
                await asyncio.gather(renewing, return_exceptions=True)
                try:
                    await lock.release()
                except (LockError, RedisError) as error:
                    # The lease ran out (a stall past it): another hub may be in the conversation.
                    logger.warning("Lost the lock of conversation %s: %s", short_id(conversation_id), error)

    async def _renew(self, lock: Lock, conversation_id: str) -> None:
        """Resets the lease every third of it while the turn goes on; a Redis
        hiccup is tried again at the next third, a lease already lost is not."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await lock.reacquire()
            except LockNotOwnedError:
                logger.warning("Lost the lock of conversation %s while holding it", short_id(conversation_id))
                return
            except RedisError as error:
                logger.warning("Could not renew the lock of conversation %s: %s", short_id(conversation_id), error)


def conversation_locks(settings: Settings, redis: Optional[Redis] = None, namespace: str = "") -> ConversationLocks:
    """The hub's locks: in Redis too when there is one (cluster mode), under
    `namespace` (bot/adapters/redis_store.py)."""
    lease = settings.rasa_timeout + LEASE_MARGIN_SECONDS
    if redis is None:
        return ConversationLocks(wait=WAIT_LEASES * lease)
    return RedisConversationLocks(redis, WAIT_LEASES * lease, lease, f"{namespace}conversation-lock:")
