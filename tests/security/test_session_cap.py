"""Issue 17, finding 1 (the part in session_request): new conversations are
capped per client address and minute, and a socket that starts another
session leaves the old conversation's room."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.db.models import Conversation
from bot.domain import connections
from bot.domain.deadlines import real_now
from bot.realtime import rooms
from tests.security.inprocess import hub_settings, running_hub


def test_more_new_conversations_than_the_cap_from_one_address_are_refused(tmp_path):
    settings = hub_settings(tmp_path, new_conversations_per_ip_per_minute=3)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            first = await hub.widget()
            token = await first.start(language="es")
            for _ in range(2):
                await (await hub.widget()).start(language="es")
            flooder = await hub.widget()
            await flooder.client.emit("session_request", {"session_id": None, "language": "es"})
            got = dict(await flooder.seen())
            assert got.get("session_refused") == {"reason": "rate_limited"} and "session_confirm" not in got
            said = got["bot_uttered"]
            assert said["metadata"]["error"] == "rate_limited" and "Espera" in said["text"]
            assert not (await hub.sio.get_session(flooder.sid)).get("conversation_id")
            async with hub.sessions() as session:
                assert (await session.execute(select(func.count(Conversation.id)))).scalar() == 3
            # Resuming is not a new conversation: the first customer carries on.
            back = await hub.widget()
            assert await back.start(session_id=token) == token

    asyncio.run(scenario())


def test_a_socket_that_starts_another_session_leaves_the_old_room(tmp_path):
    settings = hub_settings(tmp_path)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            widget = await hub.widget()
            await widget.start()
            old = await hub.conversation_of(widget)
            await widget.start()
            new = await hub.conversation_of(widget)
            assert old and new and old != new
            await widget.seen(0.2)
            await hub.sio.emit("bot_uttered", {"text": "to the old room"}, room=rooms.customer(old))
            await hub.sio.emit("bot_uttered", {"text": "to the new room"}, room=rooms.customer(new))
            texts = [data["text"] for name, data in await widget.seen() if name == "bot_uttered"]
            assert texts == ["to the new room"]
            async with hub.sessions() as session:  # presence is stored (bot/domain/connections.py)
                now = real_now()
                assert widget.sid not in await connections.sockets_of(session, connections.CUSTOMER, old, now)
                assert widget.sid in await connections.sockets_of(session, connections.CUSTOMER, new, now)

    asyncio.run(scenario())
