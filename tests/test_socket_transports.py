"""The browser side's socket.io client (socket.io-client, vendored in
bot/static/vendor/socket.io/) in headless Chromium, on a portal page of another
origin: behind a proxy that refuses WebSockets, the widget falls back to
long-polling and a whole exchange with Carolina goes through; on a page with
its own `io` and an AMD loader, the widget loads its client without touching
either. The console's use of the client is covered by its own browser tests
(tests/console/test_workspace.py, tests/test_console.py)."""

from __future__ import annotations

import asyncio
import threading
from typing import Iterator, List, Optional, Tuple

import aiohttp
import pytest
from aiohttp import web

from tests.test_hub_browser import browser, page  # noqa: F401  (the fixtures)

# Headers of one hop, which a proxy does not pass on.
HOP = {"host", "connection", "keep-alive", "upgrade", "transfer-encoding", "content-length", "proxy-connection"}


class NoWebSocketProxy:
    """An HTTP proxy in front of the hub that refuses every WebSocket upgrade with
    a 403, as some corporate proxies do, and passes every other request on."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.refused = 0
        self.socket_requests: List[Tuple[str, Optional[str], Optional[str]]] = []  # method, transport, sid
        self.origin = ""
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self.session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.forward)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.origin = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def forward(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            self.refused += 1
            return web.Response(status=403, text="WebSockets are not allowed here")
        if request.path.startswith("/socket.io/"):
            self.socket_requests.append((request.method, request.query.get("transport"), request.query.get("sid")))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        async with self.session.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as reply:
            body = await reply.read()
            kept = {k: v for k, v in reply.headers.items() if k.lower() not in HOP}
            return web.Response(status=reply.status, body=body, headers=kept)

    async def _stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def no_websocket_proxy(hub_service) -> Iterator[NoWebSocketProxy]:
    proxy = NoWebSocketProxy(hub_service.url)
    yield proxy
    proxy.close()


def errors_of(opened) -> List[str]:
    errors: List[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_widget_chats_over_long_polling_when_websockets_are_refused(no_websocket_proxy, portal_server, page):  # noqa: F811
    proxy = no_websocket_proxy
    (portal_server.root / "polling.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title></head>'
        f'<body><h1>Portal</h1><script src="{proxy.origin}/static/widget.js" async></script></body></html>'
    )
    errors = errors_of(page)
    page.goto(f"{portal_server.origin}/polling.html")
    page.get_by_role("button", name="Open the chat with Carolina").click()
    page.wait_for_function("document.querySelector('.carolina').dataset.conversation", timeout=60_000)
    box = page.get_by_label("Type your message…")
    box.fill("hello there")
    box.press("Enter")
    page.locator(".carolina-bot", has_text="I'm Carolina").first.wait_for(timeout=120_000)
    assert page.locator(".carolina-customer", has_text="hello there").count() == 1

    assert proxy.refused >= 1, "the widget did not try a WebSocket first"
    # The whole session went over long-polling: the customer's events were POSTed to the
    # hub, and the replies came back on the session's GETs.
    sessions = {sid for method, transport, sid in proxy.socket_requests if transport == "polling" and sid}
    assert sessions, proxy.socket_requests
    assert any(method == "POST" for method, _, sid in proxy.socket_requests if sid in sessions)
    assert page.evaluate("'io' in window") is False, "the widget left its client in the page's globals"
    assert errors == [] and page.dialogs == []


def test_the_widget_leaves_the_pages_own_io_and_amd_loader_alone(hub_service, portal_server, page):  # noqa: F811
    (portal_server.root / "amd.html").write_text(
        '<!doctype html><html lang="pt"><head><meta charset="utf-8"><title>Portal</title>'
        "<script>"
        'window.io = "the portal\'s own io"; window.defined = [];'
        "window.define = function (factory) { window.defined.push(String(factory).slice(0, 60)); };"
        "window.define.amd = {}; window.portalDefine = window.define;"
        "</script></head>"
        f'<body><h1>Portal</h1><script src="{hub_service.url}/static/widget.js" async></script></body></html>'
    )
    errors = errors_of(page)
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.goto(f"{portal_server.origin}/amd.html")
    page.wait_for_function("document.querySelector('.carolina').dataset.conversation", timeout=60_000)
    assert f"{hub_service.url}/static/vendor/socket.io/socket.io.min.js" in loaded
    assert page.evaluate("window.io") == "the portal's own io"
    assert page.evaluate("window.define === window.portalDefine") is True
    assert page.evaluate("window.defined") == [], "the client was handed to the page's AMD loader"
    # The page's loader still works for the page.
    page.evaluate("window.define(function () { return 1; })")
    assert len(page.evaluate("window.defined")) == 1
    assert errors == [] and page.dialogs == []
