"""Issue 17, finding 4: an analyst's session can be ended, and its /agent
socket (which carries customers' names, e-mails and messages) goes with it:
logout, expiry, an administrator disabling the analyst or resetting their
password, the analyst changing their own."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bot import keys
from bot.db import queries
from bot.db.models import AgentSession, Handoff
from bot.domain import handoffs
from tests.security.analysts import PASSWORD, Console, analyst_settings, runner

ANA = "ana@support.example"
ADMIN = "admin@support.example"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def hub(database_url, tmp_path):
    return runner(analyst_settings(database_url, tmp_path, session_check_seconds=0.2))


def test_logout_drops_the_sessions_socket_at_once(hub):
    async def scenario(console: Console) -> None:
        await console.add(ANA)
        token, _ = await console.session(ANA)
        other, _ = await console.session(ANA)
        mine, elsewhere = await console.socket(token), await console.socket(other)
        assert (await console.call("POST", "/api/agent/logout", token)).status == 200
        assert await mine.is_dropped(), "the logged-out console still receives customers' messages"
        assert not await elsewhere.is_dropped(within=0.5), "another session of the same analyst stays"

    hub(scenario)


def test_an_expired_sessions_socket_is_dropped(hub):
    async def scenario(console: Console) -> None:
        await console.add(ANA)
        token, _ = await console.session(ANA)
        agent_socket = await console.socket(token)
        async with console.app[keys.SESSIONS].begin() as session:
            past = datetime.now(timezone.utc) - timedelta(minutes=1)
            await session.execute(update(AgentSession).values(expires_at=past))
        assert await agent_socket.is_dropped(within=3), "the socket outlived its session"

    hub(scenario)


async def held_chat(console: Console, token: str) -> int:
    """A customer's handoff in technical support, accepted by the token's analyst."""
    async with console.app[keys.SESSIONS].begin() as session:
        conversation = await queries.create_conversation(session, None, "pt")
        when = console.app[keys.CLOCK].now()
        handoff = await handoffs.start(session, conversation, "technical_support", "it freezes", None, when)
        number = handoff.id
    assert (await console.call("POST", f"/api/agent/handoffs/{number}/accept", token)).status == 200
    return number


def test_an_admin_disables_an_analyst_and_enables_them_again(hub):
    async def scenario(console: Console) -> None:
        ana = await console.add(ANA)
        await console.add(ADMIN, role="admin")
        admin, _ = await console.session(ADMIN)
        token, _ = await console.session(ANA)
        agent_socket = await console.socket(token)
        number = await held_chat(console, token)
        reply = await console.call("POST", f"/api/agent/agents/{ana}/disable", admin)
        assert reply.status == 200 and (await reply.json())["agent"]["disabled"] is True
        assert await agent_socket.is_dropped(), "a disabled analyst's socket stays"
        assert (await console.call("GET", "/api/agent/me", token)).status == 401
        refused = await console.login(ANA)
        assert refused.status == 401 and (await refused.json())["error"] == "bad_credentials"
        async with console.app[keys.SESSIONS]() as session:
            handoff = await session.get_one(Handoff, number)
            assert (handoff.status, handoff.agent_id) == ("queued", None), "the held chat went back to the queue"
        listed = await (await console.call("GET", "/api/agent/agents", admin)).json()
        assert [a["disabled"] for a in listed["agents"] if a["id"] == ana] == [True]
        # Analysts may not do it; an admin enables Ana again.
        assert (await console.call("POST", f"/api/agent/agents/{ana}/enable", token)).status == 401
        reply = await console.call("POST", f"/api/agent/agents/{ana}/enable", admin)
        assert reply.status == 200 and (await reply.json())["agent"]["disabled"] is False
        assert (await console.login(ANA)).status == 200

    hub(scenario)


def test_only_an_admin_disables_and_not_themselves(hub):
    async def scenario(console: Console) -> None:
        ana = await console.add(ANA)
        boss = await console.add(ADMIN, role="admin")
        token, _ = await console.session(ANA)
        admin, _ = await console.session(ADMIN)
        assert (await console.call("POST", f"/api/agent/agents/{boss}/disable", token)).status == 403
        assert (await console.call("POST", f"/api/agent/agents/{boss}/disable", admin)).status == 422
        assert (await console.call("POST", "/api/agent/agents/999/disable", admin)).status == 404
        assert (await console.call("GET", "/api/agent/me", token)).status == 200
        assert ana

    hub(scenario)


def test_an_admins_password_reset_ends_the_analysts_sessions(hub):
    async def scenario(console: Console) -> None:
        ana = await console.add(ANA)
        await console.add(ADMIN, role="admin")
        admin, _ = await console.session(ADMIN)
        token, _ = await console.session(ANA)
        agent_socket = await console.socket(token)
        short = await console.call("POST", f"/api/agent/agents/{ana}/password", admin, {"password": "short"})
        assert short.status == 422
        reply = await console.call("POST", f"/api/agent/agents/{ana}/password", admin, {"password": NEW_PASSWORD})
        assert reply.status == 200
        assert await agent_socket.is_dropped()
        assert (await console.call("GET", "/api/agent/me", token)).status == 401
        assert (await console.login(ANA, PASSWORD, address="198.51.100.30")).status == 401
        assert (await console.login(ANA, NEW_PASSWORD, address="198.51.100.31")).status == 200

    hub(scenario)


def test_an_analyst_changes_their_password_and_their_other_sessions_end(hub):
    async def scenario(console: Console) -> None:
        await console.add(ANA)
        here, _ = await console.session(ANA)
        there, _ = await console.session(ANA, address="198.51.100.40")
        this_console, other_console = await console.socket(here), await console.socket(there)
        wrong = await console.call(
            "POST", "/api/agent/password", here, {"current_password": "guess", "new_password": NEW_PASSWORD}
        )
        assert wrong.status == 401 and (await wrong.json())["error"] == "bad_credentials"
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        assert (await console.call("POST", "/api/agent/password", here, body)).status == 200
        assert await other_console.is_dropped()
        assert not await this_console.is_dropped(within=0.5)
        assert (await console.call("GET", "/api/agent/me", here)).status == 200
        assert (await console.call("GET", "/api/agent/me", there)).status == 401
        assert (await console.login(ANA, NEW_PASSWORD, address="198.51.100.41")).status == 200

    hub(scenario)


def test_the_command_line_disables_enables_and_resets(database_url, tmp_path, monkeypatch):
    from bot.__main__ import main

    settings = analyst_settings(database_url, tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def scenario(console: Console) -> None:
        await console.add(ANA)

    runner(settings)(scenario)
    assert main(["agents", "disable", "--email", ANA]) == 0

    async def refused(console: Console) -> None:
        assert (await console.login(ANA)).status == 401

    runner(settings)(refused)
    monkeypatch.setenv("CAROLINA_AGENT_PASSWORD", NEW_PASSWORD)
    assert main(["agents", "enable", "--email", ANA]) == 0
    assert main(["agents", "reset-password", "--email", ANA]) == 0
    assert main(["agents", "disable", "--email", "nobody@support.example"]) == 2

    async def again(console: Console) -> None:
        assert (await console.login(ANA, NEW_PASSWORD)).status == 200
        await asyncio.sleep(0)

    runner(settings)(again)
