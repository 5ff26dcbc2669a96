"""An in-process hub for the analysts' side of the security tests (issue 17,
findings 2, 4 and 8): analysts made in its database, logins from chosen client
addresses (the hub believes X-Forwarded-For from its loopback peer here, as
behind a reverse proxy), and /agent sockets (python-socketio's AsyncClient)
that notice when the hub drops them. On SQLite and PostgreSQL (`database_url`)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

import socketio
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot import keys
from bot.app import create_app
from bot.db.migrate import upgrade
from bot.domain.agents import create_agent
from bot.settings import Settings

PASSWORD = "correct horse battery"
ELSEWHERE = "198.51.100.20"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def analyst_settings(database_url: str, tmp_path: Path, **changes: Any) -> Settings:
    """The hub's settings for these tests; a setting this code does not have yet is left out
    (so a test written before its feature fails on the behaviour, not on a TypeError)."""
    upgrade(database_url)
    wanted: Dict[str, Any] = dict(
        database_url=database_url,
        rasa_url=f"http://127.0.0.1:{closed_port()}",
        outbox_dir=str(tmp_path / "outbox"),
        check_replies=True,
        trusted_proxy_header="X-Forwarded-For",
        agent_grace_seconds=60.0,
    )
    wanted.update(changes)
    known = {f.name for f in fields(Settings)}
    return replace(Settings(), **{name: value for name, value in wanted.items() if name in known})


class AgentSocket:
    """An analyst's console socket on /agent; `dropped` is set when the hub disconnects it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.dropped = asyncio.Event()
        self.client.on("disconnect", self._gone, namespace="/agent")

    async def _gone(self, *args: Any) -> None:
        self.dropped.set()

    async def connect(self, token: Optional[str], origin: Optional[str] = None) -> AgentSocket:
        headers = {"Origin": origin} if origin else {}
        auth = {"token": token} if token else None
        await self.client.connect(
            self.url, namespaces=["/agent"], transports=["websocket"], headers=headers, auth=auth, wait_timeout=10
        )
        return self

    async def is_dropped(self, within: float = 3.0) -> bool:
        try:
            await asyncio.wait_for(self.dropped.wait(), within)
        except asyncio.TimeoutError:
            return False
        return True

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


class Console:
    """The hub and what analysts do to it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.app = client.server.app
        self.url = str(client.make_url("")).rstrip("/")
        self.sockets: List[AgentSocket] = []

    async def add(self, email: str, role: str = "agent", queues: Sequence[str] = ("technical_support",)) -> int:
        async with self.app[keys.SESSIONS].begin() as session:
            return (await create_agent(session, email, email.split("@")[0].title(), PASSWORD, queues, role)).id

    async def login(
        self, email: str, password: str = PASSWORD, address: str = ELSEWHERE, headers: Optional[Dict[str, str]] = None
    ) -> ClientResponse:
        sent = {"X-Forwarded-For": address, **(headers or {})}
        reply = await self.client.post("/api/agent/login", json={"email": email, "password": password}, headers=sent)
        await reply.read()
        return reply

    async def session(self, email: str, password: str = PASSWORD, address: str = ELSEWHERE) -> Tuple[str, str]:
        """(token, CSRF token) of a fresh session."""
        reply = await self.login(email, password, address)
        assert reply.status == 200, await reply.text()
        data = await reply.json()
        return data["token"], data["csrf_token"]

    async def call(
        self, method: str, path: str, token: str, body: Optional[Dict[str, Any]] = None, address: str = ELSEWHERE
    ) -> ClientResponse:
        headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": address}
        reply = await self.client.request(method, path, json=body, headers=headers)
        await reply.read()
        return reply

    async def socket(self, token: Optional[str], origin: Optional[str] = None) -> AgentSocket:
        agent_socket = AgentSocket(self.url)
        self.sockets.append(agent_socket)
        return await agent_socket.connect(token, origin)


Scenario = Callable[[Console], Awaitable[Any]]


def runner(settings: Settings) -> Callable[[Scenario], Any]:
    async def with_console(scenario: Scenario) -> Any:
        client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
        await client.start_server()
        console = Console(client)
        try:
            return await scenario(console)
        finally:
            for agent_socket in console.sockets:
                await agent_socket.close()
            await client.close()

    return lambda scenario: asyncio.run(with_console(scenario))
