"""The demo portal page (`/`) that embeds the widget, the agent console
(`/console`, one page over the agent API), and the OpenAPI description."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

routes = web.RouteTableDef()
STATIC = Path(__file__).resolve().parent.parent / "static"


@routes.get("/", name="demo")
async def demo(request: web.Request) -> web.Response:
    return web.FileResponse(STATIC / "demo.html")


@routes.get("/console", name="console")
async def console(request: web.Request) -> web.Response:
    reply = web.FileResponse(STATIC / "console.html")
    # Customer text is escaped by the console's code; this is the second line of defence.
    reply.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'"
    )
    reply.headers["X-Frame-Options"] = "DENY"
    return reply


@routes.get("/api/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(json.loads((STATIC / "openapi.json").read_text(encoding="utf-8")))
