"""The hub in the test's own process, on a loopback port, with widgets that
speak its socket.io protocol (python-socketio's AsyncClient). For what a real
`python -m bot serve` adds nothing to: no Rasa (its address answers nobody,
so a message gets the hub's apology at once)."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

import socketio
from aiohttp.test_utils import TestServer

from bot import keys
from bot.app import create_app
from bot.db.migrate import upgrade
from bot.settings import Settings

SECRET = "security-test-secret"
WIDGET_EVENTS = (
    "session_confirm",
    "session_info",
    "session_refused",
    "resume_offer",
    "bot_uttered",
    "user_stored",
    "history",
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_settings(tmp_path: Path, **changes: Any) -> Settings:
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        identity_secret=SECRET,
        rasa_url=f"http://127.0.0.1:{closed_port()}",
        rasa_timeout=2.0,
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
        **changes,
    )
    upgrade(settings.database_url)
    return settings


class Widget:
    """One browser tab: a socket and the events it received, in order."""

    def __init__(self, url: str, headers: Optional[Dict[str, str]] = None) -> None:
        self.url, self.headers = url, headers or {}
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[Tuple[str, Any]] = asyncio.Queue()
        for name in WIDGET_EVENTS:
            self.client.on(name, self._keeper(name))

    def _keeper(self, name: str) -> Any:
        async def keep(data: Any = None) -> None:
            await self.events.put((name, data))

        return keep

    async def connect(self) -> Widget:
        await self.client.connect(self.url, headers=self.headers, transports=["websocket"], wait_timeout=10)
        return self

    @property
    def sid(self) -> str:
        sid = self.client.get_sid()
        assert sid
        return sid

    async def expect(self, name: str, timeout: float = 10) -> Any:
        while True:
            event, data = await asyncio.wait_for(self.events.get(), timeout)
            if event == name:
                return data

    async def seen(self, within: float = 0.5) -> List[Tuple[str, Any]]:
        """Everything that arrives in the next `within` seconds."""
        got: List[Tuple[str, Any]] = []
        try:
            while True:
                got.append(await asyncio.wait_for(self.events.get(), within))
        except asyncio.TimeoutError:
            return got

    async def start(self, session_id: Optional[str] = None, **extra: Any) -> str:
        await self.client.emit("session_request", {"session_id": session_id, **extra})
        return await self.expect("session_confirm")

    async def close(self) -> None:
        await self.client.disconnect()


class Hub:
    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.app = server.app
        self.url = str(server.make_url("")).rstrip("/")
        self.sessions = self.app[keys.SESSIONS]
        self.sio = self.app[keys.SIO]
        self.widgets: List[Widget] = []

    async def widget(self, headers: Optional[Dict[str, str]] = None) -> Widget:
        widget = await Widget(self.url, headers).connect()
        self.widgets.append(widget)
        return widget

    async def conversation_of(self, widget: Widget) -> Optional[str]:
        """The conversation the hub has the widget's socket in (its own record, not the widget's word)."""
        for _ in range(50):
            state = await self.sio.get_session(widget.sid)
            if state.get("conversation_id"):
                return state["conversation_id"]
            await asyncio.sleep(0.02)
        return None


@asynccontextmanager
async def running_hub(settings: Settings) -> AsyncIterator[Hub]:
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    hub = Hub(server)
    try:
        yield hub
    finally:
        for widget in hub.widgets:
            if widget.client.connected:
                await widget.close()
        await server.close()
