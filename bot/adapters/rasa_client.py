"""Talks to the Rasa server through the project's own channel (channels/hub.py),
which returns the replies and what NLU understood in one call. It is the only
part of Rasa the hub uses (not Rasa's HTTP API), so production runs Rasa without
--enable-api; the channel's token (RASA_TOKEN) goes with every call.

With several Rasa servers (RASA_URLS, docs/scaling.md) each conversation has a
server of its own while that one is up (rendezvous hashing: every hub picks the
same one, and a server that goes moves only its own conversations), which keeps
its tracker warm in that server's cache. Rasa's state is in the shared tracker
store, serialised by the Redis lock store, so any server can go on with any
conversation: when one refuses the connection or fails (5xx), it is left alone
for a while and the message is asked once more of the next server.

Every message also carries, in its metadata, the token of its conversation for
the hub's actions API (common/actions_token.py): the actions send it back, so
the action server needs no master key. Added here, where every message to Rasa
passes (a customer's, the catch-up after a crash), so no caller can forget it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Sequence, Tuple

import aiohttp

from common.actions_token import METADATA_KEY, conversation_token

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) is down, failing or too slow."""


class RasaDown(RasaUnavailable):
    """The server refused or dropped the connection, or failed (5xx): the
    message can be asked of another server. Not a timeout: the slow server may
    still be answering it, and asking twice would answer twice."""


class RasaBusy(RasaUnavailable):
    """Every slot of the gate in front of Rasa is taken: the message was not sent."""


# How long a message may wait for a free slot before Carolina says she is busy.
# Rasa answers a turn in a fraction of a second, so a slot taken now is usually
# free within one: a second's wait absorbs a momentary peak (sixteen customers
# pressing enter together) that an answer of "busy" would turn into a failure
# for one of them, and it stays short beside the 20 s a full Rasa would make
# everyone wait. Longer would only rebuild the queue the gate is there to refuse.
SLOT_WAIT_SECONDS = 1.0


class Gate:
    """At most `slots` messages with Rasa at once; the next waits `wait` seconds
    for a slot at most, then is refused (RasaBusy)."""

    def __init__(self, slots: int, wait: float = SLOT_WAIT_SECONDS) -> None:
        self.slots, self.wait = max(1, slots), wait
        self._free = asyncio.Semaphore(self.slots)

    @property
    def busy(self) -> int:
        """How many slots are taken."""
        return self.slots - self._free._value

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait)
        except asyncio.TimeoutError:
            raise RasaBusy(f"all {self.slots} slots with Rasa taken for {self.wait:g} s") from None
        try:
            yield
        finally:
            self._free.release()


@dataclass(frozen=True)
class Understood:
    intent: Optional[str] = None
    confidence: Optional[float] = None
    language: Optional[str] = None
    # The form's question the message answered (channels/hub.py), if one was asked.
    form_slot: Optional[str] = None


@dataclass(frozen=True)
class RasaReply:
    messages: List[Dict[str, Any]] = field(default_factory=list)
    understood: Understood = Understood()
    language: Optional[str] = None  # the conversation's language Carolina decided
    failed_actions: List[str] = field(default_factory=list)  # custom actions that failed this turn


# How long a server that failed is passed over. Long enough not to knock on a
# dead server's door at every message, short enough that a restarted one
# (about a minute to load its model) gets its conversations back soon after.
DOWN_SECONDS = 15.0


def ranked(servers: Sequence[str], conversation_id: str) -> List[str]:
    """The servers in the conversation's order of preference (rendezvous hashing):
    the same order in every hub, and taking a server out leaves the others' order alone."""

    def weight(url: str) -> bytes:
        return hashlib.blake2b(f"{url} {conversation_id}".encode(), digest_size=8).digest()

    return sorted(servers, key=weight, reverse=True)


@dataclass
class Downtime:
    """Which servers failed lately, in this hub (each hub learns it for itself)."""

    seconds: float = DOWN_SECONDS
    clock: Callable[[], float] = time.monotonic
    until: Dict[str, float] = field(default_factory=dict)

    def down(self, url: str) -> bool:
        return self.until.get(url, 0.0) > self.clock()

    def failed(self, url: str, error: Exception) -> None:
        if not self.down(url):
            logger.warning("Rasa at %s failed (%s): its conversations go elsewhere for %g s", url, error, self.seconds)
        self.until[url] = self.clock() + self.seconds


@dataclass(frozen=True)
class RasaClient:
    """Rasa's hub channel on `servers` (one, or several sharing their stores), over the hub's HTTP client session."""

    http: aiohttp.ClientSession
    servers: Tuple[str, ...]
    timeout: float
    gate: Gate = field(default_factory=lambda: Gate(16))
    token: Optional[str] = None  # RASA_TOKEN: the hub channel's, when Rasa's side requires one
    actions_secret: Optional[str] = None  # the actions token, which each conversation's token is made from
    downtime: Downtime = field(default_factory=Downtime)

    def order(self, conversation_id: str) -> List[str]:
        """Where to ask, first to last: the conversation's servers that are up, then the ones that are not."""
        preferred = ranked(self.servers, conversation_id)
        return sorted(preferred, key=self.downtime.down)  # a stable sort: the preference stays within each

    async def send(
        self, conversation_id: str, text: str, metadata: Dict[str, Any], message_id: Optional[str]
    ) -> RasaReply:
        """Carolina's answer; RasaBusy at once when the gate is full, RasaUnavailable when Rasa fails
        (on two servers, when there are several)."""
        metadata = self.with_token(conversation_id, metadata)
        async with self.gate.slot():
            *first, last = self.order(conversation_id)[:2]
            for url in first:
                with contextlib.suppress(RasaDown):
                    return await self.ask(url, conversation_id, text, metadata, message_id)
            return await self.ask(last, conversation_id, text, metadata, message_id)

    async def ask(
        self, url: str, conversation_id: str, text: str, metadata: Dict[str, Any], message_id: Optional[str]
    ) -> RasaReply:
        """One server's answer; a server that is down is noted as such."""
        try:
            return await send(self.http, url, conversation_id, text, metadata, message_id, self.timeout, self.token)
        except RasaDown as error:
            self.downtime.failed(url, error)
            raise

    def with_token(self, conversation_id: str, metadata: Dict[str, Any]) -> Dict[str, Any]:
        if not self.actions_secret:
            return metadata
        return {**metadata, METADATA_KEY: conversation_token(self.actions_secret, conversation_id)}

    async def wait_ready(self, seconds: float) -> bool:
        """Whether one of the servers answers within `seconds`: the others' conversations go to it meanwhile."""
        ready = [asyncio.ensure_future(wait_ready(self.http, url, seconds, self.token)) for url in self.servers]
        try:
            for next_done in asyncio.as_completed(ready):
                if await next_done:
                    return True
            return False
        finally:
            for task in ready:
                task.cancel()


def authorization(token: Optional[str]) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def send(
    http: aiohttp.ClientSession,
    rasa_url: str,
    conversation_id: str,
    text: str,
    metadata: Dict[str, Any],
    message_id: Optional[str],
    timeout: float,
    token: Optional[str] = None,
) -> RasaReply:
    body = {"sender": conversation_id, "message": text, "metadata": metadata, "message_id": message_id}
    try:
        async with http.post(
            f"{rasa_url}/webhooks/hub/webhook",
            json=body,
            headers=authorization(token),
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            if response.status >= 500:
                raise RasaDown(f"Rasa answered HTTP {response.status}")
            if response.status != 200:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
            data = await response.json()
    except asyncio.TimeoutError as error:  # first: aiohttp's ServerTimeoutError is a connection error too
        raise RasaUnavailable(str(error) or type(error).__name__) from error
    except aiohttp.ClientConnectionError as error:
        raise RasaDown(str(error) or type(error).__name__) from error
    except (aiohttp.ClientError, ValueError) as error:
        raise RasaUnavailable(str(error) or type(error).__name__) from error
    nlu = data.get("nlu") or {}
    return RasaReply(
        messages=[m for m in data.get("messages") or [] if isinstance(m, dict)],
        understood=Understood(
            nlu.get("intent"),
            nlu.get("confidence"),
            nlu.get("language"),
            nlu.get("form_slot") if isinstance(nlu.get("form_slot"), str) else None,
        ),
        language=data.get("language"),
        failed_actions=[str(a) for a in data.get("failed_actions") or []],
    )


async def wait_ready(http: aiohttp.ClientSession, rasa_url: str, seconds: float, token: Optional[str] = None) -> bool:
    """Whether the hub channel of Rasa answers within `seconds` (asked once a second)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            async with http.get(
                f"{rasa_url}/webhooks/hub/", headers=authorization(token), timeout=aiohttp.ClientTimeout(total=5)
            ) as response:
                if response.status == 200:
                    return True
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(1)
