"""Demo mode: on for `make run` as it comes, off once an operator sets the
portal's secret; its sample customers' tokens are signed by the hub itself."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.db.migrate import upgrade
from bot.domain.identity import verify
from bot.settings import Settings


def test_demo_mode_is_the_default_and_an_operator_secret_turns_it_off():
    plain = Settings.from_env({"CAROLINA_ACTIONS_TOKEN": "t"})
    assert plain.demo and plain.identity_secret, "a secret of its own, for the sample customers"
    assert Settings.from_env({"CAROLINA_ACTIONS_TOKEN": "t"}).identity_secret != plain.identity_secret
    operated = Settings.from_env({"CAROLINA_ACTIONS_TOKEN": "t", "CAROLINA_IDENTITY_SECRET": "portal"})
    assert not operated.demo and operated.identity_secret == "portal"
    assert not Settings.from_env({"CAROLINA_ACTIONS_TOKEN": "t", "CAROLINA_DEMO": "0"}).demo


def call(settings: Settings, method: str, path: str):
    async def scenario():
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            reply = await client.request(method, path)
            return reply.status, (await reply.json()) if reply.status == 200 else None
        finally:
            await client.close()

    return asyncio.run(scenario())


def test_sample_customers_and_their_tokens(tmp_path):
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        demo=True,
        identity_secret="s3",
        check_replies=True,
    )
    upgrade(settings.database_url)
    status, body = call(settings, "GET", "/api/demo/customers")
    assert status == 200 and [c["key"] for c in body["customers"]] == ["maria", "lucia", "john", "anonymous"]
    status, body = call(settings, "POST", "/api/demo/customers/lucia/token")
    assert status == 200 and verify(body["token"], settings).can_open_tickets is False
    assert call(settings, "POST", "/api/demo/customers/anonymous/token") == (200, {"token": None})
    assert call(settings, "POST", "/api/demo/customers/nobody/token")[0] == 404
    off = replace(settings, demo=False)
    assert call(off, "GET", "/api/demo/customers")[0] == 404
    assert call(off, "POST", "/api/demo/customers/maria/token")[0] == 404
