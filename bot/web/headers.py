"""The security headers of every response the hub sends (pages, the API, static
files, errors, socket.io's): a Content-Security-Policy that allows the hub's own
scripts, styles and sockets only and no framing, plus X-Frame-Options,
X-Content-Type-Options and Referrer-Policy. Set on aiohttp's
on_response_prepare signal, which sees even the responses no handler made
(static files, 404s, a 500 from an unexpected error).

Portals embed the widget with a <script> tag (their page's policy applies to
it, not this one), so no hub page needs to be framed."""

from __future__ import annotations

from aiohttp import web

# Customer text is escaped by the pages' code; the policy is the second line of defence.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # The socket.io client: its long-polling is 'self'; its WebSocket is named apart,
        # since browsers before CSP 3 (older Safari) do not count ws:/wss: as 'self'.
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Conversation ids and article links stay on the hub's pages.
    "Referrer-Policy": "no-referrer",
}


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(security_headers)
