"""Finding 1 of issue 17, the gate in front of Rasa: when every slot is taken the
customer's message is kept and Carolina says at once, in the customer's language,
that many customers are writing (an error reply, "busy"), instead of a wait that
piles up to Rasa's 20 s timeout. Resent, the message is answered."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict

from tests.security.widget_harness import Hub, Widget, run_hub


def test_a_full_gate_answers_at_once_and_keeps_the_message(tmp_path):
    async def scenario(hub: Hub) -> Dict[str, Any]:
        hub.rasa.hold = asyncio.Event()
        first, second, third = [await Widget.open(hub, f"203.0.113.{i}") for i in (1, 2, 3)]
        for widget in (first, second, third):
            await widget.start(language="en")
        await first.send("one", message_id="a-1")
        await second.send("two", message_id="b-1")
        while hub.rasa.in_flight < 2:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        busy = await third.say("three", message_id="c-1", language="en")
        waited = time.monotonic() - started
        stored_before_release = list(hub.rasa.received)
        hub.rasa.hold.set()
        answers = [await first.turn(), await second.turn()]
        hub.rasa.hold = None
        again = await third.say("three", message_id="c-1", language="en")
        for widget in (first, second, third):
            await widget.close()
        return {"busy": busy, "waited": waited, "answers": answers, "again": again, "before": stored_before_release}

    result = run_hub(tmp_path, scenario, rasa_concurrency=2)
    busy = result["busy"]
    assert len(busy) == 1 and busy[0]["metadata"]["error"] == "busy"
    assert "many" in busy[0]["text"].lower(), busy[0]["text"]
    assert result["waited"] < 3.0, "answered at once, not after Rasa's timeout"
    assert "three" not in result["before"], "Rasa was not asked while every slot was taken"
    assert [[r["text"] for r in a] for a in result["answers"]] == [["echo: one"], ["echo: two"]]
    # The same message resent (same client message id) is answered now, not replayed as "busy".
    assert [r["text"] for r in result["again"]] == ["echo: three"]


def test_busy_is_said_in_each_language():
    from bot.domain.texts import TEXTS

    assert set(TEXTS["busy"]) == {"pt", "es", "en"}
    assert all(TEXTS["busy"][lang] != TEXTS["rasa_down"][lang] for lang in ("pt", "es", "en"))
