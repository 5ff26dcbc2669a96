"""The demo portal page (`/`) that embeds the widget, and the OpenAPI description."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

routes = web.RouteTableDef()
STATIC = Path(__file__).resolve().parent.parent / "static"


@routes.get("/", name="demo")
async def demo(request: web.Request) -> web.Response:
    return web.FileResponse(STATIC / "demo.html")


@routes.get("/api/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(json.loads((STATIC / "openapi.json").read_text(encoding="utf-8")))
