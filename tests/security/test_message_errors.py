"""Finding 10 of issue 17: errors never leave a customer in silence. A database
error storing the customer's message or Carolina's replies, an over-long client
message id or language code: the customer gets the apology in their language
and the log says why; a resent message whose replies were lost is answered."""

from __future__ import annotations

import logging
from typing import Any, Dict

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot import keys
from bot.db import queries
from bot.db.models import Conversation, Message
from tests.security.widget_harness import Hub, Widget, run_hub


def failing_add_message(monkeypatch, sender: str, times: int = 1_000) -> Dict[str, int]:
    """queries.add_message fails like a database gone away, for messages of `sender`, `times` times."""
    original = queries.add_message
    count = {"failed": 0}

    async def add_message(session: Any, conversation_id: str, who: str, *args: Any, **kwargs: Any) -> Message:
        if who == sender and count["failed"] < times:
            count["failed"] += 1
            raise OperationalError("INSERT INTO messages", {}, Exception("database is locked"))
        return await original(session, conversation_id, who, *args, **kwargs)

    monkeypatch.setattr(queries, "add_message", add_message)
    return count


async def records(hub: Hub) -> list:
    async with hub.app[keys.SESSIONS]() as session:
        return list((await session.execute(select(Message).order_by(Message.id))).scalars())


def test_a_database_error_storing_the_message_gets_the_apology(tmp_path, monkeypatch, caplog):
    failing_add_message(monkeypatch, "customer")

    async def scenario(hub: Hub) -> Any:
        widget = await Widget.open(hub)
        await widget.start(language="es")
        replies = await widget.say("hola", language="es")
        await widget.close()
        return replies

    with caplog.at_level(logging.WARNING):
        replies = run_hub(tmp_path, scenario)
    assert len(replies) == 1 and replies[0]["metadata"]["error"] == "not_stored"
    assert "mensaje" in replies[0]["text"] and "de nuevo" in replies[0]["text"]
    assert any(
        "database is locked" in r.getMessage() or "database is locked" in (r.exc_text or "") for r in caplog.records
    )


def test_a_failure_storing_the_replies_gets_the_apology_and_the_resend_is_answered(tmp_path, monkeypatch, caplog):
    failing_add_message(monkeypatch, "bot")

    async def scenario(hub: Hub) -> Dict[str, Any]:
        widget = await Widget.open(hub)
        await widget.start(language="en")
        first = await widget.say("hello", message_id="m-1", language="en")
        monkeypatch.undo()  # the database is back
        again = await widget.say("hello", message_id="m-1", language="en")
        stored = await records(hub)
        await widget.close()
        return {"first": first, "again": again, "stored": stored}

    with caplog.at_level(logging.WARNING):
        result = run_hub(tmp_path, scenario)
    assert len(result["first"]) == 1 and result["first"][0]["metadata"]["error"] == "reply_not_stored"
    assert "technical problem" in result["first"][0]["text"]
    assert any("database is locked" in (r.exc_text or r.getMessage()) for r in caplog.records)
    assert [r["text"] for r in result["again"]] == ["echo: hello"]
    assert [(m.sender, m.text) for m in result["stored"]] == [("customer", "hello"), ("bot", "echo: hello")]


def test_a_resent_message_apologised_for_is_answered_now(tmp_path):
    # Rasa down for the first try: an apology; up for the resend: the answer.
    async def outage(hub: Hub) -> Dict[str, Any]:
        widget = await Widget.open(hub)
        await widget.start(language="pt")
        real = hub.rasa.webhook
        hub.rasa.delay = 0
        down = True

        async def flaky(request: Any) -> Any:
            from aiohttp import web

            if down:
                return web.Response(status=500)
            return await real(request)

        hub.rasa.webhook = flaky  # type: ignore[method-assign]
        first = await widget.say("oi", message_id="m-1")
        down = False
        again = await widget.say("oi", message_id="m-1")
        await widget.close()
        return {"first": first, "again": again}

    result = run_hub(tmp_path, outage)
    assert result["first"][0]["metadata"]["error"] == "rasa_unavailable"
    assert [r["text"] for r in result["again"]] == ["echo: oi"]


def test_an_over_long_message_id_is_refused_with_a_reason(tmp_path, caplog):
    async def scenario(hub: Hub) -> Dict[str, Any]:
        widget = await Widget.open(hub)
        await widget.start(language="en")
        replies = await widget.say("hello", message_id="x" * 300, language="en")
        stored = await records(hub)
        await widget.close()
        return {"replies": replies, "stored": stored}

    with caplog.at_level(logging.WARNING):
        result = run_hub(tmp_path, scenario)
    assert result["replies"][0]["metadata"]["error"] == "bad_request"
    assert "browser" in result["replies"][0]["text"]
    assert result["stored"] == []
    assert any("message id" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("language", ["pt-BR-x-" + "a" * 40, "klingon", 42])
def test_an_odd_language_code_is_not_passed_on(tmp_path, language):
    async def scenario(hub: Hub) -> Dict[str, Any]:
        seen: list = []
        real = hub.rasa.webhook

        async def spy(request: Any) -> Any:
            seen.append((await request.json())["metadata"])
            return await real(request)

        hub.rasa.webhook = spy  # type: ignore[method-assign]
        widget = await Widget.open(hub)
        await widget.start()
        replies = await widget.say("oi", language=language)
        async with hub.app[keys.SESSIONS]() as session:
            conversation = (await session.execute(select(Conversation))).scalar_one()
        await widget.close()
        return {"replies": replies, "metadata": seen, "language": conversation.language}

    result = run_hub(tmp_path, scenario)
    assert [r["text"] for r in result["replies"]] == ["echo: oi"]
    sent = result["metadata"][0].get("language")
    assert sent in (None, "pt"), sent
