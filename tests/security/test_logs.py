"""Issue 17, finding 6: the hub's log (its own lines and the access log) names
conversations and resume tokens only by a short hash. A real `python -m bot
serve`, since the access log is set up where the server starts; no Rasa (the
message gets the apology, which is logged)."""

from __future__ import annotations

import sqlite3
import time

import requests
import socketio

from bot.domain.identity import Identity, sign
from tests.conftest import ACTIONS_TOKEN, HUB_PYTHON, IDENTITY_SECRET, Service, free_port

AUTH = {"Authorization": f"Bearer {ACTIONS_TOKEN}"}


def test_the_hub_log_and_access_log_name_no_conversation_or_token_in_full(tmp_path, server_env):
    database = tmp_path / "hub.db"
    env = dict(
        server_env,
        CAROLINA_PORT=str(free_port()),
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        RASA_URL=f"http://127.0.0.1:{free_port()}",  # nobody there: "Carolina is starting", and a log line
        RASA_TIMEOUT="2",
        CAROLINA_IDENTITY_SECRET=IDENTITY_SECRET,
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        CAROLINA_OUTBOX=str(tmp_path / "outbox"),
    )
    hub = Service(
        "hub", [str(HUB_PYTHON), "-m", "bot", "serve"], int(env["CAROLINA_PORT"]), "/api/health", env, tmp_path
    )
    hub.start(timeout=60)
    try:
        events: list = []
        client = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "user_stored"):
            client.on(name, lambda data=None, name=name: events.append((name, data)))
        client.connect(hub.url, transports=["websocket"], wait_timeout=10)
        identity = sign(Identity("c-log", name="Ana", language="en"), IDENTITY_SECRET)
        client.emit("session_request", {"session_id": None, "token": identity})
        for _ in range(100):
            if any(name == "session_confirm" for name, _ in events):
                break
            time.sleep(0.05)
        token = next(data for name, data in events if name == "session_confirm")
        client.emit("user_uttered", {"message": "my invoice does not save", "message_id": "m-1"})
        for _ in range(100):
            if any(name == "bot_uttered" for name, _ in events):
                break
            time.sleep(0.05)
        client.emit("session_request", {"session_id": token, "token": identity})
        time.sleep(0.5)
        client.disconnect()
        with sqlite3.connect(database) as db:
            (conversation_id,) = db.execute("SELECT id FROM conversations").fetchone()
        # Answered or refused, each request is in the access log with its path.
        requests.get(f"{hub.url}/api/conversations/{conversation_id}", headers=AUTH, timeout=10)
        requests.get(f"{hub.url}/api/tickets", params={"conversation_id": conversation_id}, headers=AUTH, timeout=10)
        requests.get(f"{hub.url}/api/conversations/{conversation_id}/nothing-here", headers=AUTH, timeout=10)
    finally:
        hub.stop()
    log = hub.log.read_text()
    assert "/api/conversations/" in log, "the access log is on"
    assert "Rasa starting: conversation" in log, "the line that names the conversation (shortened)"
    assert conversation_id not in log
    assert token not in log


def test_short_ids_and_the_access_logs_paths():
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from bot.web.access_log import safe_path
    from common.ids import short_id

    conversation_id = "c545ad5574d44331a22449f791befb68"
    assert short_id(conversation_id) == short_id(conversation_id) != conversation_id[:10]
    assert len(short_id(conversation_id)) == 10 and short_id(None) == "-"
    unmatched = make_mocked_request(
        "GET", f"/api/conversations/{conversation_id}/x?conversation_id={conversation_id}&EIO=4"
    )
    assert safe_path(unmatched) == (
        f"/api/conversations/~{short_id(conversation_id)}/x?conversation_id=~{short_id(conversation_id)}&EIO=4"
    )
    app = web.Application()
    route = app.router.add_get("/api/conversations/{conversation_id}", lambda request: web.Response())
    match_info = web.UrlMappingMatchInfo({"conversation_id": conversation_id}, route)
    matched = make_mocked_request("GET", f"/api/conversations/{conversation_id}", match_info=match_info)
    assert safe_path(matched) == f"/api/conversations/~{short_id(conversation_id)}"
