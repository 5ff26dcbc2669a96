"""socket.io across hubs (issue 16): with REDIS_URL, python-socketio's Redis
manager carries every emit to a room to the sockets of that room on every hub.
Two in-process hubs on two ports share one database and one Redis (skipped
without Redis, except under CI=true); a customer with a tab on each hub sees,
in the tab on hub B, the message the tab on hub A sent and its answer."""

from __future__ import annotations

from typing import List

from bot import keys
from bot.realtime import rooms
from tests.cluster_support import redis_url  # noqa: F401 (fixture)
from tests.security.widget_harness import Hub, Widget, run_hubs


def test_an_emit_on_one_hub_reaches_a_socket_on_another(tmp_path, redis_url):  # noqa: F811
    # The Redis namespace comes from the database's name (bot/adapters/redis_store.py):
    # this test's own file, so parallel runs on one Redis never cross.

    async def scenario(hubs: List[Hub]) -> None:
        hub_a, hub_b = hubs
        widgets: List[Widget] = []
        try:
            on_b = await Widget.open(hub_b)
            widgets.append(on_b)
            on_b.client.on("session_info", on_b._collector("session_info"))
            token = await on_b.start()
            conversation_id = (await on_b.expect("session_info"))["conversation_id"]
            # The same customer's second tab, behind the load balancer on hub A.
            on_a = await Widget.open(hub_a)
            widgets.append(on_a)
            assert await on_a.start(token) == token
            assert [r["text"] for r in await on_a.say("oi")] == ["echo: oi"]
            # Hub A stored and answered it; the tab on hub B sees both.
            stored = await on_b.expect("user_stored")
            assert stored["text"] == "oi" and stored["metadata"]["replies"] == 1
            assert (await on_b.expect("bot_uttered"))["text"] == "echo: oi"
            # And any emit to the conversation's room from hub A reaches hub B's socket.
            await hub_a.app[keys.SIO].emit("bot_uttered", {"text": "de A"}, room=rooms.customer(conversation_id))
            assert (await on_b.expect("bot_uttered"))["text"] == "de A"
        finally:
            for widget in widgets:
                await widget.close()

    run_hubs(tmp_path, 2, scenario, redis_url=redis_url)
