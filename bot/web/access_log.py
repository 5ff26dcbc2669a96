"""The hub's access log, without the ids in its paths: /api/conversations/{id}
and ?conversation_id=... name a conversation, the socket's ?sid=... an engine.io
session. A route's path is written as its pattern with each part a short hash
(common/ids.py: the same id gives the same hash, so requests still go
together); a path no route matched has every id-like segment hashed; query
values are hashed unless short and plain under a known key (EIO=4,
transport=websocket): a search box's words may be a customer's name."""

from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, Request, StreamResponse
from aiohttp.web_urldispatcher import DynamicResource

from common.ids import short_id

# A segment that could be an id or a token: long and made of id characters.
_ID_LIKE = re.compile(r"^[A-Za-z0-9_\-]{16,}$")
_PLAIN = re.compile(r"^([A-Za-z0-9_.]{0,12}|[0-9.]+)$")
# Query keys whose short plain values are protocol or filters (engine.io's,
# the API's): any other key's value may be what someone typed (a search for a
# customer's name, an e-mail address) and is hashed whatever it looks like.
_PLAIN_KEYS = frozenset({"EIO", "transport", "t", "format", "lang", "language", "queue", "status", "limit"})


def _hashed(value: str) -> str:
    return f"~{short_id(value)}"


def safe_path(request: BaseRequest) -> str:
    """The request's path and query as the log may show them."""
    path = request.path
    match = request.match_info if isinstance(request, Request) else None
    resource = match.route.resource if match is not None else None
    if match and isinstance(resource, DynamicResource):
        path = resource.canonical
        for name, value in match.items():
            path = path.replace(f"{{{name}}}", _hashed(value))
    else:
        path = "/".join(_hashed(part) if _ID_LIKE.match(part) else quote(part) for part in path.split("/"))
    if request.query:
        query = "&".join(
            f"{quote(key)}={value if key in _PLAIN_KEYS and _PLAIN.match(value) else _hashed(value)}"
            for key, value in request.query.items()
        )
        path = f"{path}?{query}"
    return path


class AccessLogger(AbstractAccessLogger):
    """`python -m bot serve`'s access log: address, request line (ids hashed),
    status, size, seconds, user agent."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if response.status == 429 and request.path.startswith("/socket.io/"):
            # A flood's refused sockets, hundreds a second: bot/web/handshakes.py
            # logs the address once a minute instead of a line each.
            return
        try:
            self.logger.info(
                '%s "%s %s HTTP/%d.%d" %d %d %.3fs "%s"',
                request.remote or "-",
                request.method,
                safe_path(request),
                request.version.major,
                request.version.minor,
                response.status,
                response.body_length,
                time,
                request.headers.get("User-Agent", "-"),
            )
        except Exception:  # a log line must never break a request
            self.logger.exception("Could not write an access log line")
