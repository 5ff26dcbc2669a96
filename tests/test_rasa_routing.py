"""The hub's Rasa client over several servers (RASA_URLS): a conversation stays on
its server while that one is up, goes to another when it is not, and a message
is asked at most twice. The servers are stand-ins for Rasa's hub channel at the
HTTP level (in process): what is tested is the client's routing, not Rasa;
tests/test_cluster.py kills a real Rasa server."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Dict, List, Optional

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.rasa_client import Downtime, RasaClient, RasaUnavailable, ranked
from tests.conftest import free_port


class StandIn:
    """Rasa's hub channel, played: answers with its own name, or the way `mode` says."""

    def __init__(self, name: str) -> None:
        self.name, self.mode = name, "ok"
        self.asked: List[str] = []  # the senders of the messages it was asked
        self.app = web.Application()
        self.app.router.add_post("/webhooks/hub/webhook", self.webhook)
        self.app.router.add_get("/webhooks/hub/", self.health)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.runner: Optional[web.AppRunner] = None

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", int(self.url.rsplit(":", 1)[1])).start()

    async def stop(self) -> None:
        """Gone: its port refuses connections."""
        if self.runner:
            await self.runner.cleanup()
            self.runner = None

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.asked.append(body["sender"])
        if self.mode == "fail":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(5)
        return web.json_response({"messages": [{"text": f"{self.name} on {body['message']}"}], "nlu": {}})

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


Scenario = Callable[[RasaClient, List[StandIn], Clock], Awaitable[None]]


def run(scenario: Scenario, servers: int = 2, timeout: float = 2.0) -> None:
    async def main() -> None:
        stand_ins = [StandIn(f"rasa{i}") for i in range(servers)]
        for s in stand_ins:
            await s.start()
        clock = Clock()
        try:
            async with aiohttp.ClientSession() as http:
                client = RasaClient(
                    http, tuple(s.url for s in stand_ins), timeout, downtime=Downtime(seconds=15, clock=clock)
                )
                await scenario(client, stand_ins, clock)
        finally:
            for s in stand_ins:
                await s.stop()

    asyncio.run(main())


async def say(client: RasaClient, conversation_id: str, text: str = "hi") -> str:
    reply = await client.send(conversation_id, text, {}, None)
    return reply.messages[0]["text"].split()[0]


def conversation_on(servers: List[StandIn], name: str, nth: int = 0) -> str:
    """The `nth` conversation id whose first choice is the server `name`."""
    urls = {s.url: s.name for s in servers}
    return [c for c in (f"c{i}" for i in range(1000)) if urls[ranked(list(urls), c)[0]] == name][nth]


def test_a_conversation_stays_on_its_server_and_conversations_spread_over_all():
    async def scenario(client: RasaClient, servers: List[StandIn], clock: Clock) -> None:
        homes: Dict[str, str] = {}
        for i in range(40):
            homes[f"conversation-{i}"] = await say(client, f"conversation-{i}")
        for conversation_id, home in homes.items():
            assert await say(client, conversation_id) == home
        assert set(homes.values()) == {"rasa0", "rasa1"}
        for s in servers:
            assert len(s.asked) == 2 * list(homes.values()).count(s.name)

    run(scenario)


def test_every_hub_picks_the_same_server_and_a_server_gone_moves_only_its_own_conversations():
    servers = ["http://a:5005", "http://b:5005", "http://c:5005"]
    conversations = [f"conversation-{i}" for i in range(300)]
    first: Dict[str, str] = {c: ranked(servers, c)[0] for c in conversations}
    assert first == {c: ranked(list(reversed(servers)), c)[0] for c in conversations}, "order of RASA_URLS ignored"
    without_b = {c: ranked([s for s in servers if s != "http://b:5005"], c)[0] for c in conversations}
    assert all(without_b[c] == first[c] for c in conversations if first[c] != "http://b:5005")
    assert all(ranked(servers, c).count(first[c]) == 1 for c in conversations)


def test_a_server_that_refuses_is_passed_over_and_the_message_goes_to_the_next_once():
    async def scenario(client: RasaClient, servers: List[StandIn], clock: Clock) -> None:
        conversation_id = conversation_on(servers, "rasa0")
        assert await say(client, conversation_id) == "rasa0"
        await servers[0].stop()
        assert await say(client, conversation_id) == "rasa1", "asked again on the next server"
        other = conversation_on(servers, "rasa0", nth=1)
        assert await say(client, other) == "rasa1", "the others' conversations skip it at once"
        assert servers[1].asked == [conversation_id, other]
        # Back after a restart: once its downtime is over, its conversations return to it.
        await servers[0].start()
        assert await say(client, conversation_id) == "rasa1"
        clock.now += 16
        assert await say(client, conversation_id) == "rasa0"

    run(scenario)


def test_a_failing_server_is_passed_over_and_two_failures_are_the_apology():
    async def scenario(client: RasaClient, servers: List[StandIn], clock: Clock) -> None:
        conversation_id = conversation_on(servers, "rasa1")
        servers[1].mode = "fail"
        assert await say(client, conversation_id) == "rasa0"
        servers[0].mode = "fail"
        clock.now += 16  # rasa1 is tried first again
        with pytest.raises(RasaUnavailable):
            await say(client, conversation_id)
        assert (len(servers[0].asked), len(servers[1].asked)) == (2, 2)

    run(scenario)


def test_a_message_is_asked_of_two_servers_at_most():
    async def scenario(client: RasaClient, servers: List[StandIn], clock: Clock) -> None:
        for s in servers:
            s.mode = "fail"
        with pytest.raises(RasaUnavailable):
            await say(client, "conversation")
        assert sorted(len(s.asked) for s in servers) == [0, 1, 1]

    run(scenario, servers=3)


def test_a_slow_server_is_not_asked_twice():
    """A timeout is no proof the server dropped the message: asking another one
    could answer it twice. The apology it is."""

    async def scenario(client: RasaClient, servers: List[StandIn], clock: Clock) -> None:
        conversation_id = conversation_on(servers, "rasa0")
        servers[0].mode = "slow"
        with pytest.raises(RasaUnavailable):
            await say(client, conversation_id)
        assert servers[1].asked == []

    run(scenario, timeout=0.5)


def test_one_server_is_asked_once_as_before():
    async def scenario(client: RasaClient, servers: List[StandIn], clock: Clock) -> None:
        assert await say(client, "conversation") == "rasa0"
        servers[0].mode = "fail"
        with pytest.raises(RasaUnavailable):
            await say(client, "conversation")
        assert servers[0].asked == ["conversation", "conversation"]

    run(scenario, servers=1)


def test_ready_when_one_server_answers():
    async def scenario(client: RasaClient, servers: List[StandIn], clock: Clock) -> None:
        await servers[1].stop()
        assert await client.wait_ready(3)
        await servers[0].stop()
        assert not await client.wait_ready(1)

    run(scenario)
