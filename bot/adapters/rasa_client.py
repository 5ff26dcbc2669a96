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

Rasa opens its port only once its model is loaded (60-80 s after it starts):
until then a connection is refused. Each server's readiness is known to the
hub (Readiness): none is ready when the hub starts, a server is ready once it
answers (a message, or the probe of its channel, GET /webhooks/hub/), and not
ready again once it refuses a connection. A refusal by a server not ready for
less than a start's time is RasaStarting, which the customer hears as "Carolina
is starting" rather than the apology; `watch` probes, in the background, only
the servers that are not ready, and says when one is, so the messages kept
meanwhile are answered then. A server that answers costs no probe at all.

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
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

import aiohttp

from common.actions_token import METADATA_KEY, conversation_token

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) is down, failing or too slow."""


class RasaDown(RasaUnavailable):
    """The server refused or dropped the connection, or failed (5xx): the
    message can be asked of another server. Not a timeout: the slow server may
    still be answering it, and asking twice would answer twice."""


class RasaRefused(RasaDown):
    """Nothing listens at the server's address: it is stopped, or still starting."""


class RasaStarting(RasaRefused):
    """The server refused the connection and has not been ready for less than a
    start's time (STARTING_SECONDS): it is loading its model, the message is
    worth answering once it is ready (`RasaClient.watch`)."""


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


# How long a server may refuse connections and still be "starting": since the
# hub started, or since the server last answered. A cold start takes 60-80 s on
# two cores (loading the model); over twice that leaves room for a slow machine.
# Refused for longer, the server is down, not starting: the apology, rather than
# promising an answer that may not come.
STARTING_SECONDS = 180.0
# How often a server that is not ready is probed: a customer kept waiting hears
# from Carolina at most this long after she is ready, and a refused connection
# to a server starting costs next to nothing.
PROBE_SECONDS = 1.0


@dataclass
class Readiness:
    """Which servers answered since the hub started and refused no connection since (each hub learns it for itself)."""

    seconds: float = STARTING_SECONDS
    clock: Callable[[], float] = time.monotonic
    ready: Dict[str, bool] = field(default_factory=dict)
    # Since when a server has not been ready: the hub's start, or its first refusal after it answered.
    since: Dict[str, float] = field(default_factory=dict)
    started: float = field(init=False)
    # Set when a server is (or turns) not ready, cleared by its watch only (RasaClient.watch_server)
    # once it is ready: a server lost and found again while the watch was busy is still seen to have been lost.
    _lost: Dict[str, asyncio.Event] = field(default_factory=dict)
    _some_ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def lost(self, url: str) -> asyncio.Event:
        if url not in self._lost:
            self._lost[url] = asyncio.Event()
            if not self.ready.get(url):
                self._lost[url].set()
        return self._lost[url]

    def answered(self, url: str) -> None:
        if not self.ready.get(url):
            logger.info("Rasa at %s is ready", url)
        self.ready[url] = True
        self.since.pop(url, None)
        self._some_ready.set()

    def refused(self, url: str) -> None:
        if self.ready.get(url):
            logger.warning("Rasa at %s refuses connections: not ready until it answers again", url)
            self.ready[url] = False
            self.since[url] = self.clock()
            if not any(self.ready.values()):
                self._some_ready.clear()
        self.lost(url).set()

    def starting(self, url: str) -> bool:
        """Whether a server that refuses connections is (most likely) starting rather than down."""
        return not self.ready.get(url) and self.clock() - self.since.get(url, self.started) < self.seconds

    async def wait_any(self, seconds: float) -> bool:
        """Whether a server is ready within `seconds` (found so by its watch, or by a message)."""
        try:
            await asyncio.wait_for(self._some_ready.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True


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
    readiness: Readiness = field(default_factory=Readiness)

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
        """One server's answer; a server that is down is noted as such, one that refuses as not ready."""
        try:
            reply = await send(self.http, url, conversation_id, text, metadata, message_id, self.timeout, self.token)
        except RasaDown as error:
            self.downtime.failed(url, error)
            if isinstance(error, RasaRefused):
                self.readiness.refused(url)
                if self.readiness.starting(url):
                    raise RasaStarting(f"{error} (starting)") from error
            raise
        self.readiness.answered(url)
        return reply

    def with_token(self, conversation_id: str, metadata: Dict[str, Any]) -> Dict[str, Any]:
        if not self.actions_secret:
            return metadata
        return {**metadata, METADATA_KEY: conversation_token(self.actions_secret, conversation_id)}

    async def watch(self, ready: Callable[[str], Awaitable[None]]) -> None:
        """Until cancelled: each server that is not ready (every one at first,
        one again once it refuses a connection) is probed every PROBE_SECONDS
        until it answers, or a message does; then `ready(url)` is awaited (the
        hub answers the messages kept meanwhile)."""
        await asyncio.gather(*(self.watch_server(url, ready) for url in self.servers))

    async def watch_server(self, url: str, ready: Callable[[str], Awaitable[None]]) -> None:
        lost = self.readiness.lost(url)
        while True:
            await lost.wait()
            while not self.readiness.ready.get(url):
                if await probe(self.http, url, self.token):
                    self.readiness.answered(url)
                    break
                await asyncio.sleep(PROBE_SECONDS)
            lost.clear()  # the refusals while it started are answered by this one `ready`
            # Its conversations come back to it now, not when its downtime lapses.
            self.downtime.until.pop(url, None)
            try:
                await ready(url)
            except Exception:  # the watch goes on: a server lost again must be noticed again
                logger.exception("What was to follow Rasa at %s being ready failed", url)

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
    except aiohttp.ClientConnectorError as error:  # no connection made: the message never reached Rasa
        raise RasaRefused(str(error) or type(error).__name__) from error
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
        if await probe(http, rasa_url, token):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(1)


async def probe(http: aiohttp.ClientSession, rasa_url: str, token: Optional[str] = None) -> bool:
    """Whether the hub channel of Rasa answers now: its health route, which needs
    no model (Rasa listens only once its model is loaded, so an answer means ready)."""
    try:
        async with http.get(
            f"{rasa_url}/webhooks/hub/", headers=authorization(token), timeout=aiohttp.ClientTimeout(total=5)
        ) as response:
            return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False
