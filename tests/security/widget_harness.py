"""An in-process hub on SQLite with a fake Rasa, and widgets speaking the real
socket.io protocol to it: for the limits, the gate in front of Rasa and the
error paths, where a real Rasa adds nothing but time."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar

import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.db.migrate import upgrade
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN

T = TypeVar("T")


class FakeRasa:
    """Rasa's hub channel: answers "echo: <message>" after `delay` seconds, or
    only once `hold` is set (to keep every slot of the gate busy)."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.hold: Optional[asyncio.Event] = None
        self.received: List[str] = []
        self.in_flight = 0
        self.app = web.Application()
        self.app.router.add_get("/webhooks/hub/", self.ready)
        # Through a lambda: a test may replace `webhook` (an outage, a spy).
        self.app.router.add_post("/webhooks/hub/webhook", lambda request: self.webhook(request))

    async def ready(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body["message"])
        self.in_flight += 1
        try:
            if self.hold is not None:
                await self.hold.wait()
            elif self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return web.json_response(
            {
                "messages": [{"text": f"echo: {body['message']}"}],
                "nlu": {"intent": "greet", "confidence": 0.9, "language": "pt"},
                "language": "pt",
            }
        )


class Hub:
    def __init__(self, server: TestServer, rasa: FakeRasa) -> None:
        self.server, self.rasa = server, rasa
        self.url = str(server.make_url("")).rstrip("/")
        self.app = server.app


def run_hub(tmp_path: Path, scenario: Callable[[Hub], Awaitable[T]], **changes: Any) -> T:
    """Runs `scenario` against a fresh hub whose settings are the defaults with `changes`."""
    return run_hubs(tmp_path, 1, lambda hubs: scenario(hubs[0]), **changes)


def run_hubs(tmp_path: Path, count: int, scenario: Callable[[List[Hub]], Awaitable[T]], **changes: Any) -> T:
    """Runs `scenario` against `count` hubs on one fresh database (and, with
    `redis_url` among the changes, one Redis: cluster mode's hubs in process)."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(database_url)

    async def main() -> T:
        rasa = FakeRasa()
        rasa_server = TestServer(rasa.app)
        await rasa_server.start_server()
        settings = replace(
            Settings(),
            database_url=database_url,
            rasa_url=str(rasa_server.make_url("")).rstrip("/"),
            actions_token=ACTIONS_TOKEN,
            outbox_dir=str(tmp_path / "outbox"),
            **changes,
        )
        servers: List[TestServer] = []
        try:
            for _ in range(count):
                servers.append(TestServer(create_app(settings)))
                await servers[-1].start_server()
            return await scenario([Hub(server, rasa) for server in servers])
        finally:
            for server in servers:
                await server.close()
            await rasa_server.close()

    return asyncio.run(main())


class Widget:
    """A customer's widget over a real socket.io connection (python-socketio's
    asyncio client), optionally claiming an address through X-Forwarded-For."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple] = asyncio.Queue()
        self.client = socketio.AsyncClient(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "user_stored", "history", "session_refused"):
            self.client.on(name, self._collector(name))
        self.session_id: Optional[str] = None

    def _collector(self, name: str) -> Callable[..., Awaitable[None]]:
        async def collect(data: Any = None) -> None:
            await self.events.put((name, data))

        return collect

    @classmethod
    async def open(cls, hub: Hub | str, address: Optional[str] = None) -> Widget:
        widget = cls()
        headers = {"X-Forwarded-For": address} if address else {}
        url = hub if isinstance(hub, str) else hub.url
        await widget.client.connect(url, transports=["websocket"], headers=headers, wait_timeout=10)
        return widget

    async def start(self, session_id: Optional[str] = None, **extra: Any) -> str:
        await self.client.emit("session_request", {"session_id": session_id, **extra})
        self.session_id = await self.expect("session_confirm")
        return self.session_id

    async def expect(self, name: str, timeout: float = 10) -> Any:
        while True:
            event, data = await asyncio.wait_for(self.events.get(), timeout)
            if event == name:
                return data

    async def send(self, text: str, message_id: Optional[str] = None, **custom: Any) -> None:
        await self.client.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": self.session_id,
                "message_id": message_id or str(uuid.uuid4()),
                "customData": custom,
            },
        )

    async def say(
        self, text: str, message_id: Optional[str] = None, timeout: float = 10, **custom: Any
    ) -> List[Dict[str, Any]]:
        await self.send(text, message_id, **custom)
        return await self.turn(timeout)

    async def turn(self, timeout: float = 10) -> List[Dict[str, Any]]:
        """The replies to the message just sent, ended by the count `user_stored`
        announces; a refusal (an error before any `user_stored`) is the whole turn."""
        replies: List[Dict[str, Any]] = []
        expected: Optional[int] = None
        while expected is None or len(replies) < expected:
            event, data = await asyncio.wait_for(self.events.get(), timeout)
            if event == "user_stored":
                expected = data["metadata"]["replies"]
            elif event == "bot_uttered":
                replies.append(data)
                if expected is None and (data.get("metadata") or {}).get("error"):
                    return replies
        return replies

    async def drain(self, seconds: float) -> List[tuple]:
        """Every event that arrives within `seconds`."""
        seen: List[tuple] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            try:
                seen.append(await asyncio.wait_for(self.events.get(), left))
            except asyncio.TimeoutError:
                break
        return seen

    async def until(self, done: Callable[[List[tuple]], bool], timeout: float = 10.0) -> List[tuple]:
        """Events until `done(seen)` holds, then whatever arrives in the next 0.1 s
        (a straggler the test must count): an end the test knows, not a second of silence."""
        seen: List[tuple] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done(seen) and (left := deadline - loop.time()) > 0:
            try:
                seen.append(await asyncio.wait_for(self.events.get(), left))
            except asyncio.TimeoutError:
                break
        return seen + await self.drain(0.1)

    async def close(self) -> None:
        await self.client.disconnect()
