"""Finding 9: identity tokens name their audience and issuer, live a bounded
time, and carry at most one e-mail address."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Dict

import jwt
import pytest

from bot.domain import demo
from bot.domain.identity import Identity, IdentityError, sign, verify
from bot.settings import Settings

SECRET = "identity-test-secret"
SETTINGS = replace(Settings(), identity_secret=SECRET, identity_audience="carolina", identity_issuer="portal")


def token(**changes: Any) -> str:
    now = int(time.time())
    claims: Dict[str, Any] = {
        "sub": "c-1",
        "email": "ana@example.com",
        "aud": "carolina",
        "iss": "portal",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, SECRET, algorithm="HS256")


def test_a_complete_token_is_accepted():
    identity = verify(token(), SETTINGS)
    assert identity.external_id == "c-1" and identity.email == "ana@example.com"
    assert verify(token(email=None), SETTINGS).email is None


@pytest.mark.parametrize("claim", ["aud", "iss", "iat", "exp", "sub"])
def test_each_required_claim_must_be_there(claim):
    with pytest.raises(IdentityError):
        verify(token(**{claim: None}), SETTINGS)


@pytest.mark.parametrize(
    "changes", [{"aud": "another-app"}, {"aud": ["another-app"]}, {"iss": "someone-else"}, {"iss": "portal "}]
)
def test_another_audience_or_issuer_is_refused(changes):
    with pytest.raises(IdentityError):
        verify(token(**changes), SETTINGS)


def test_the_audience_and_issuer_are_settings():
    ours = replace(SETTINGS, identity_audience="helpdesk", identity_issuer="https://portal.example")
    assert verify(token(aud="helpdesk", iss="https://portal.example"), ours).external_id == "c-1"
    with pytest.raises(IdentityError):
        verify(token(), ours)


def test_a_token_that_lives_too_long_is_refused():
    now = int(time.time())
    limit = SETTINGS.identity_max_lifetime_seconds
    assert verify(token(iat=now, exp=now + limit), SETTINGS)
    with pytest.raises(IdentityError):
        verify(token(iat=now, exp=now + limit + 1), SETTINGS)
    with pytest.raises(IdentityError):
        verify(token(iat=now - 10 * 365 * 86400, exp=now + 3600), SETTINGS)


@pytest.mark.parametrize(
    "email",
    [
        "ana@example.com, bob@example.com",
        "ana@example.com,bob@example.com",
        "ana@example.com;bob@example.com",
        "ana@example.com bob@example.com",
        "Ana <ana@example.com>",
        "ana@bob@example.com",
        "ana@example.com\nBcc: bob@example.com",
        "not-an-address",
        "",
        ["ana@example.com"],
        42,
    ],
)
def test_the_email_claim_is_exactly_one_address(email):
    with pytest.raises(IdentityError):
        verify(token(email=email), SETTINGS)


def test_sign_names_audience_issuer_and_issue_time():
    claims = jwt.decode(
        sign(Identity("c-9", email="x@example.com"), SECRET),
        SECRET,
        algorithms=["HS256"],
        audience="carolina",
        issuer="portal",
    )
    assert claims["iat"] <= time.time() < claims["exp"]
    assert verify(sign(Identity("c-9"), SECRET), SETTINGS).external_id == "c-9"


def test_the_demo_hub_signs_for_its_own_audience_and_issuer():
    ours = replace(SETTINGS, identity_audience="demo-aud", identity_issuer="demo-iss")
    signed = demo.token_for("maria", ours)
    assert signed and verify(signed, ours).email == "maria@padariapaobom.example"
    with pytest.raises(IdentityError):
        verify(signed, SETTINGS)


def test_the_widget_refuses_a_token_without_audience_and_accepts_a_signed_one(tmp_path):
    """Through the hub's socket, in process: verify() is what session_request uses."""
    import asyncio

    import socketio
    from aiohttp.test_utils import TestServer

    from bot.app import create_app
    from bot.db.migrate import upgrade

    settings = replace(
        SETTINGS,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        rasa_url="http://127.0.0.1:9",
        outbox_dir=str(tmp_path / "outbox"),
    )
    upgrade(settings.database_url)

    async def answer(server: Any, token: str) -> str:
        client = socketio.AsyncClient(reconnection=False)
        answers: asyncio.Queue = asyncio.Queue()
        for event in ("session_confirm", "session_refused"):
            client.on(event, lambda data=None, event=event: answers.put_nowait(event))
        await client.connect(f"http://127.0.0.1:{server.port}", transports=["websocket"], wait_timeout=10)
        try:
            await client.emit("session_request", {"token": token})
            return await asyncio.wait_for(answers.get(), timeout=10)
        finally:
            await client.disconnect()

    async def scenario() -> Any:
        server = TestServer(create_app(settings))
        await server.start_server()
        try:
            return await answer(server, token(aud=None)), await answer(server, sign(Identity("c-7"), SECRET))
        finally:
            await server.close()

    assert asyncio.run(scenario()) == ("session_refused", "session_confirm")
