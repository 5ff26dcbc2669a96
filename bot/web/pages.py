"""The demo portal page (`/`) that embeds the widget, the agent console
(`/console`, one page over the agent API), and the OpenAPI description."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot import keys
from bot.domain import demo as samples
from bot.web.openapi import document as openapi_document

routes = web.RouteTableDef()
STATIC = Path(__file__).resolve().parent.parent / "static"


@routes.get("/", name="demo")
async def demo(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "demo.html")


@routes.get("/api/demo/customers", name="demo_customers")
async def demo_customers(request: web.Request) -> web.Response:
    """The sample customers of demo mode (404 when the hub is not in demo mode)."""
    if not request.app[keys.SETTINGS].demo:
        raise web.HTTPNotFound(text="demo mode is off")
    return web.json_response({"customers": [{"key": s.key, "label": s.label} for s in samples.SAMPLE_CUSTOMERS]})


@routes.post("/api/demo/customers/{key}/token", name="demo_token")
async def demo_token(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    if not settings.demo or not settings.identity_secret:
        raise web.HTTPNotFound(text="demo mode is off")
    token = samples.token_for(request.match_info["key"], settings)
    if token is None:
        raise web.HTTPNotFound(text="no such sample customer")
    return web.json_response({"token": token or None})


@routes.get("/console", name="console")
async def console(request: web.Request) -> web.StreamResponse:
    # Its Content-Security-Policy and X-Frame-Options come with every response (bot/web/headers.py).
    return web.FileResponse(STATIC / "console.html")


@routes.get("/api/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
