"""Presence and the analysts' consoles across hubs (issue 16): two in-process
hubs in cluster mode, on one PostgreSQL database and one Redis (skipped without
them, failing under CI=true). An analyst's console is on hub B; what hub A does
reaches it: taking a chat puts the console in the chat's room, and logging out
drops it. When the console goes, the analyst's grace deadline fires once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any, List

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot import keys
from bot.app import create_app
from bot.db import queries
from bot.db.models import Agent, Deadline, Message
from bot.domain import handoffs
from tests.cluster_support import postgres_url, redis_url  # noqa: F401 (fixtures)
from tests.security.analysts import Console, analyst_settings

ANA = "ana@support.example"


def test_what_one_hub_does_reaches_a_console_on_another(postgres_url, redis_url, tmp_path: Path):  # noqa: F811
    settings = analyst_settings(postgres_url, tmp_path, redis_url=redis_url, agent_grace_seconds=0.5)
    assert settings.cluster

    async def main() -> None:
        clients: List[TestClient] = []
        consoles: List[Console] = []
        try:
            for hub_id in ("hub-a", "hub-b"):
                clients.append(TestClient(TestServer(create_app(replace(settings, hub_id=hub_id)), host="127.0.0.1")))
                await clients[-1].start_server()
            consoles += [Console(client) for client in clients]
            a, b = consoles
            ana = await a.add(ANA)
            token, _ = await a.session(ANA)
            assert (await a.call("PUT", "/api/agent/presence", token, {"presence": "online"})).status == 200
            on_b = await b.socket(token)
            said: asyncio.Queue[Any] = asyncio.Queue()
            on_b.client.on("message", said.put, namespace="/agent")

            # Ana takes a chat through hub A: her console on hub B follows it.
            async with a.app[keys.SESSIONS].begin() as session:
                conversation = await queries.create_conversation(session, None, "pt")
                handoff = await handoffs.start(
                    session, conversation, "technical_support", "it freezes", None, a.app[keys.CLOCK].now()
                )
            assert (await a.call("POST", f"/api/agent/handoffs/{handoff.id}/accept", token)).status == 200
            async with a.app[keys.SESSIONS].begin() as session:
                message = await queries.add_message(session, conversation.id, "customer", "still frozen")
            await a.app[keys.LIVE].notify.customer_message(message)
            texts = [(await asyncio.wait_for(said.get(), 5))["text"] for _ in range(2)]
            assert "entrou na conversa" in texts[0] and texts[1] == "still frozen"  # A's system message, then hers

            # She logs out through hub A: her console on hub B goes at once.
            assert (await a.call("POST", "/api/agent/logout", token)).status == 200
            assert await on_b.is_dropped(), "the console on the other hub outlived its session"

            # No console left anywhere: after the grace period, offline and the chat back in line, once.
            for _ in range(100):
                async with a.app[keys.SESSIONS]() as session:
                    agent = await session.get_one(Agent, ana, populate_existing=True)
                    pending = await session.execute(select(Deadline.id).where(Deadline.kind == "grace"))
                    if agent.presence == "offline" and pending.first() is None:
                        break
                await asyncio.sleep(0.1)
            async with a.app[keys.SESSIONS]() as session:
                said_by_hub = await session.execute(
                    select(Message.text).where(Message.conversation_id == conversation.id, Message.sender == "system")
                )
                assert agent.presence == "offline" and len(said_by_hub.all()) == 2  # Ana joined; Ana was lost, once
        finally:
            for console in consoles:
                for agent_socket in console.sockets:
                    await agent_socket.close()
            for client in clients:
                await client.close()

    asyncio.run(main())
