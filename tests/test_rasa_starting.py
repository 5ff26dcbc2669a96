"""Issue 21: while Rasa starts (60-80 s loading its model, its port closed until
then) a customer's message is kept and answered at once with "Carolina is
starting, one moment" in the conversation's language, and then answered for
real as soon as Rasa is ready, without the customer writing again. A timeout
or a 5xx from a Rasa that is up stays the apology. In process: the hub, and a
stand-in for Rasa's hub channel that starts listening when the test says."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot import keys
from bot.adapters.rasa_client import RasaClient, RasaRefused, RasaStarting, RasaUnavailable, Readiness
from bot.app import create_app
from bot.db.migrate import upgrade
from bot.db.models import Message
from bot.domain.texts import TEXTS
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, free_port
from tests.security.widget_harness import FakeRasa, Widget

T = TypeVar("T")


class LateRasa(FakeRasa):
    """The fake Rasa channel on a port of its own that nothing listens on until `start()`
    (as a starting Rasa, which opens its port once its model is loaded); counts the probes."""

    def __init__(self) -> None:
        super().__init__()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.probes = 0
        self.runner: Optional[web.AppRunner] = None

    async def ready(self, request: web.Request) -> web.Response:
        self.probes += 1
        return await super().ready(request)

    async def webhook(self, request: web.Request) -> web.Response:
        """The fake's echo, with Carolina deciding the language the page asked for (not always pt)."""
        answer = await super().webhook(request)
        language = (await request.json())["metadata"].get("language") or "pt"
        body = json.loads(answer.text or "{}")
        return web.json_response({**body, "language": language})

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
            self.runner = None


class Hub:
    def __init__(self, server: TestServer, rasa: LateRasa) -> None:
        self.server, self.rasa, self.app = server, rasa, server.app
        self.url = str(server.make_url("")).rstrip("/")

    async def messages(self) -> List[Message]:
        async with self.app[keys.SESSIONS]() as session:
            return list((await session.execute(select(Message).order_by(Message.id))).scalars())


def run(tmp_path: Path, scenario: Callable[[Hub], Awaitable[T]], rasa_up: bool = False, **changes: Any) -> T:
    """`scenario` against a fresh hub whose Rasa is not listening yet (or is, with `rasa_up`)."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(database_url)

    async def main() -> T:
        rasa = LateRasa()
        if rasa_up:
            await rasa.start()
        settings = Settings(
            database_url=database_url,
            rasa_url=rasa.url,
            actions_token=ACTIONS_TOKEN,
            outbox_dir=str(tmp_path / "outbox"),
            **changes,
        )
        server = TestServer(create_app(settings))
        await server.start_server()
        try:
            return await scenario(Hub(server, rasa))
        finally:
            await server.close()
            await rasa.stop()

    return asyncio.run(main())


def starting(reply: Dict[str, Any], language: str) -> bool:
    return reply["metadata"].get("error") == "starting" and reply["text"] == TEXTS["rasa_starting"][language]


def test_a_message_while_rasa_starts_gets_the_notice_then_the_answer(tmp_path):
    async def scenario(hub: Hub) -> Dict[str, Any]:
        widgets = {language: await Widget.open(hub) for language in ("pt", "es", "en")}
        notices = {}
        for language, widget in widgets.items():
            await widget.start(language=language)
            notices[language] = await widget.say(f"first in {language}", language=language)
        # Two messages before Carolina is up: the last one is answered (the catch-up's rule).
        notices["pt-again"] = await widgets["pt"].say("second in pt", language="pt")
        await hub.rasa.start()
        answers = {language: await widget.expect("bot_uttered") for language, widget in widgets.items()}
        stored = await hub.messages()
        for widget in widgets.values():
            await widget.close()
        return {"notices": notices, "answers": answers, "asked": list(hub.rasa.received), "stored": stored}

    result = run(tmp_path, scenario)
    for language in ("pt", "es", "en"):
        [notice] = result["notices"][language]
        assert starting(notice, language), notice
    assert starting(result["notices"]["pt-again"][0], "pt")
    assert result["answers"]["pt"]["text"] == "echo: second in pt"
    assert result["answers"]["es"]["text"] == "echo: first in es"
    assert result["answers"]["en"]["text"] == "echo: first in en"
    assert sorted(result["asked"]) == ["first in en", "first in es", "second in pt"], "each asked once"
    assert [m.sender for m in result["stored"]].count("customer") == 4, "kept; nobody wrote again"
    assert not any((m.payload or {}).get("error") == "rasa_unavailable" for m in result["stored"]), "no apology"


def test_a_rasa_restarting_gets_the_notice_and_its_messages_are_answered_when_it_is_back(tmp_path):
    async def scenario(hub: Hub) -> Dict[str, Any]:
        widget = await Widget.open(hub)
        await widget.start(language="en")
        before = await widget.say("hello", language="en")
        probes = hub.rasa.probes
        for i in range(3):
            await widget.say(f"and {i}", language="en")
        probes_while_up = hub.rasa.probes - probes
        await hub.rasa.stop()
        notice = await widget.say("still there?", language="en")
        await hub.rasa.start()
        answer = await widget.expect("bot_uttered")
        await widget.close()
        return {"before": before, "probes": probes_while_up, "notice": notice, "answer": answer}

    result = run(tmp_path, scenario, rasa_up=True)
    assert [r["text"] for r in result["before"]] == ["echo: hello"]
    assert result["probes"] == 0, "no readiness probe per message while Rasa is up"
    assert starting(result["notice"][0], "en"), result["notice"]
    assert result["answer"]["text"] == "echo: still there?"


@pytest.mark.parametrize("failure", ["timeout", "5xx"])
def test_a_slow_or_failing_rasa_still_gets_the_apology(tmp_path, failure):
    async def scenario(hub: Hub) -> Dict[str, Any]:
        widget = await Widget.open(hub)
        await widget.start(language="es")
        assert [r["text"] for r in await widget.say("hola", language="es")] == ["echo: hola"]
        real = hub.rasa.webhook
        if failure == "timeout":
            hub.rasa.delay = 1.0
        else:

            async def failing(request: web.Request) -> web.Response:
                return web.Response(status=500)

            hub.rasa.webhook = failing  # type: ignore[method-assign]
        failed = await widget.say("¿sigues ahí?", language="es")
        hub.rasa.delay, hub.rasa.webhook = 0.0, real  # type: ignore[method-assign]
        after = await widget.say("otra", language="es")
        stored = await hub.messages()
        await widget.close()
        return {"failed": failed, "after": after, "stored": stored}

    result = run(tmp_path, scenario, rasa_up=True, rasa_timeout=0.5)
    [apology] = result["failed"]
    assert apology["metadata"]["error"] == "rasa_unavailable" and apology["text"] == TEXTS["rasa_down"]["es"]
    assert [r["text"] for r in result["after"]] == ["echo: otra"]
    assert [m.text for m in result["stored"] if m.sender == "bot"] == ["echo: hola", apology["text"], "echo: otra"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_rasa_refusing_for_longer_than_a_start_is_down_not_starting():
    """Refused within a start's time since the hub started (or since Rasa last
    answered), Rasa is starting; refused for longer, it is down: the apology,
    rather than promising an answer that may never come."""

    async def scenario() -> None:
        clock = Clock()
        url = f"http://127.0.0.1:{free_port()}"
        async with aiohttp.ClientSession() as http:
            client = RasaClient(http, (url,), 1.0, readiness=Readiness(seconds=100, clock=clock))
            with pytest.raises(RasaStarting):
                await client.send("c-1", "hi", {}, None)
            clock.now += 101
            with pytest.raises(RasaUnavailable) as refused:
                await client.send("c-1", "hi", {}, None)
            assert isinstance(refused.value, RasaRefused) and not isinstance(refused.value, RasaStarting)

    asyncio.run(scenario())


def test_the_notice_is_said_in_each_language_and_is_not_the_apology():
    assert set(TEXTS["rasa_starting"]) == {"pt", "es", "en"}
    assert all(TEXTS["rasa_starting"][lang] != TEXTS["rasa_down"][lang] for lang in ("pt", "es", "en"))
