"""Issue 17, finding 8 (the analysts' parts): the session cookie is Secure
whenever the browser's request came over HTTPS, as a trusted reverse proxy
says, not only when the public URL is https; the /agent namespace accepts
only the hub's own pages (the portal's origin may open the widget's socket,
not the analysts')."""

from __future__ import annotations

import pytest
import socketio

from tests.security.analysts import Console, analyst_settings, runner

ANA = "ana@support.example"
PORTAL = "https://portal.example"


@pytest.fixture
def hub(database_url, tmp_path):
    settings = analyst_settings(
        database_url, tmp_path, public_url="http://localhost:8000", allowed_origins=(PORTAL, "http://localhost:8000")
    )
    return runner(settings)


def cookie_line(reply) -> str:
    return next(line for line in reply.headers.getall("Set-Cookie") if line.startswith("carolina_agent="))


def test_the_cookie_is_secure_when_a_trusted_proxy_says_https(hub):
    async def scenario(console: Console) -> None:
        await console.add(ANA)
        behind_tls = await console.login(ANA, headers={"X-Forwarded-Proto": "https"})
        assert behind_tls.status == 200
        assert "secure" in cookie_line(behind_tls).lower()
        plain = await console.login(ANA, address="198.51.100.2")
        assert "secure" not in cookie_line(plain).lower()

    hub(scenario)


def test_the_agent_namespace_refuses_a_foreign_origin(hub):
    async def scenario(console: Console) -> None:
        await console.add(ANA)
        token, _ = await console.session(ANA)
        # The portal may open the widget's socket...
        widget = socketio.AsyncClient(reconnection=False)
        await widget.connect(console.url, transports=["websocket"], headers={"Origin": PORTAL}, wait_timeout=10)
        assert widget.connected
        await widget.disconnect()
        # ...not the analysts'.
        with pytest.raises(socketio.exceptions.ConnectionError):
            await console.socket(token, origin=PORTAL)
        # The hub's own pages, and scripts that send no Origin, may.
        assert (await console.socket(token, origin="http://localhost:8000")).client.connected
        assert (await console.socket(token)).client.connected

    hub(scenario)
