"""Finding 8 (headers, article HTML, JSON bodies, tokens): the hub in process on SQLite."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.db.migrate import upgrade
from bot.settings import Settings
from tests.conftest import ACTIONS_TOKEN, actions_auth

AUTH = actions_auth("nobody")
STATIC = Path(__file__).resolve().parents[2] / "bot" / "static"


@pytest.fixture
def hub(tmp_path):
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        actions_token=ACTIONS_TOKEN,
        outbox_dir=str(tmp_path / "outbox"),
        demo=True,
        identity_secret="s3",
        check_replies=True,
    )
    upgrade(settings.database_url)

    def run(scenario: Any) -> Any:
        async def with_client() -> Any:
            client = TestClient(TestServer(create_app(settings)))
            await client.start_server()
            try:
                return await scenario(client)
            finally:
                await client.close()

        return asyncio.run(with_client())

    return run


def first_article() -> str:
    from common.kb.search import default_index

    library = default_index().library
    return f"/kb/pt/{next(iter(library['pt']))}"


PAGES = [
    ("GET", "/"),
    ("GET", "/console"),
    ("GET", "/static/console.html"),
    ("GET", "/static/widget.js"),
    ("GET", "/static/demo.js"),
    ("GET", "/api/health"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/demo/customers"),
    ("GET", "/no/such/page"),
    ("GET", "/static/no-such-file.js"),
    ("GET", "/api/conversations/nobody"),
    ("POST", "/api/tickets"),
]


def test_every_response_carries_the_security_headers(hub):
    async def scenario(client: Any) -> Any:
        seen = {}
        for method, path in [*PAGES, ("GET", first_article())]:
            reply = await client.request(method, path)
            await reply.read()
            seen[path] = (reply.status, dict(reply.headers))
        return seen

    for path, (status, headers) in hub(scenario).items():
        policy = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, (path, status, policy)
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, path
        assert headers.get("X-Frame-Options") == "DENY", path
        assert headers.get("X-Content-Type-Options") == "nosniff", path
        assert headers.get("Referrer-Policy"), path


@pytest.mark.parametrize("page", ["demo.html", "console.html"])
def test_the_hubs_pages_need_no_inline_script_or_style(page):
    """What the policy (no 'unsafe-inline') would block: the pages must not rely on it."""
    html = (STATIC / page).read_text()
    assert not re.search(r"<style", html, re.I), "an inline <style> is blocked by the CSP"
    assert not re.search(r"<script(?![^>]*\bsrc=)", html, re.I), "an inline <script> is blocked by the CSP"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I) and " style=" not in html


def test_the_article_html_is_sanitised(hub, monkeypatch):
    import common.kb.search

    body = (
        "Texto **forte** e [um link](https://example.com/a) e [outro](javascript:alert(1)).\n\n"
        "<script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        '<iframe src="https://evil.example"></iframe>\n\n'
        "- item\n\nTexto.\n\n    code\n"
    )
    article = SimpleNamespace(lang="pt", title="Teste <b>", body=body, source="fonte")
    index = SimpleNamespace(library={"pt": {"evil": article}})
    monkeypatch.setattr(common.kb.search, "default_index", lambda: index)

    async def scenario(client: Any) -> Any:
        reply = await client.get("/kb/pt/evil")
        return reply.status, await reply.text()

    status, html = hub(scenario)
    assert status == 200
    assert "<script" not in html.replace('<script src="', "") and "alert('x')" not in html
    assert "onerror" not in html and "javascript:" not in html and "<iframe" not in html
    assert "<strong>forte</strong>" in html and 'href="https://example.com/a"' in html
    assert "<li>item</li>" in html and "<pre><code>code" in html
    assert "Teste &lt;b&gt;" in html


def test_json_bodies_must_say_they_are_json(hub):
    """A form or a body without a Content-Type (what a cross-site form can send) is refused."""

    async def scenario(client: Any) -> Any:
        results = {}
        json_text = '{"email": "a@example.com", "password": "whatever1"}'
        bare = await client.post("/api/agent/login", data=json_text, skip_auto_headers=["Content-Type"])
        results["login without a type"] = (bare.status, (await bare.json())["error"])
        form = await client.post(
            "/api/agent/login", data=json_text, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        results["login as a form"] = (form.status, (await form.json())["error"])
        ticket = await client.post(
            "/api/tickets", data='{"conversation_id": "nobody"}', headers=AUTH, skip_auto_headers=["Content-Type"]
        )
        results["ticket without a type"] = (ticket.status, (await ticket.json())["error"])
        charset = await client.post(
            "/api/tickets",
            data='{"conversation_id": "nobody", "form_turn": "1", "fields": {"summary": "x"}, '
            '"impact": "low", "urgency": "low"}',
            headers={**AUTH, "Content-Type": "application/json; charset=utf-8"},
        )
        results["json with a charset"] = (charset.status, (await charset.json())["error"])
        return results

    assert hub(scenario) == {
        "login without a type": (415, "unsupported_media_type"),
        "login as a form": (415, "unsupported_media_type"),
        "ticket without a type": (415, "unsupported_media_type"),
        "json with a charset": (404, "no_conversation"),
    }


@pytest.mark.parametrize("token", ["tökén", "\u2603" * 10, ACTIONS_TOKEN + "é"])
def test_a_non_ascii_token_is_401_not_500(hub, token):
    async def scenario(client: Any) -> Any:
        header = {"Authorization": f"Bearer {token}"}
        actions = await client.get("/api/conversations/nobody", headers=header)
        analyst = await client.get("/api/agent/me", headers=header)
        return actions.status, analyst.status

    assert hub(scenario) == (401, 401)


@pytest.mark.parametrize("path", ["/api/conversations/nobody", "/api/agent/me"])
def test_a_token_that_is_not_even_utf8_is_401_not_500(hub, path):
    """Raw header bytes the hub cannot decode (Latin-1 é), sent on a bare socket."""

    async def scenario(client: Any) -> Any:
        reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: hub\r\n".encode()
            + b"Authorization: Bearer t\xe9k\xe9n\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        return int(status_line.split()[1])

    assert hub(scenario) == 401
