"""Who is on the other end of a request or a socket: the client's address and
whether it came over HTTPS. Behind a reverse proxy the peer is the proxy, so
the proxy's headers are believed, but only when the peer is one of
CAROLINA_TRUSTED_PROXIES and CAROLINA_TRUSTED_PROXY_HEADER names the header:
anyone else could write them."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from bot.settings import Settings


def _trusted(peer: Optional[str], settings: Settings) -> bool:
    return bool(settings.trusted_proxy_header) and peer in settings.trusted_proxies


def client_address(peer: Optional[str], headers: Mapping[str, str], settings: Settings) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last
    address its header names that is not itself a trusted proxy (the leftmost
    entries are whatever the client wrote)."""
    if _trusted(peer, settings):
        forwarded = headers.get(settings.trusted_proxy_header or "", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        for hop in reversed(hops):
            if hop not in settings.trusted_proxies:
                return hop[:64]
    return (peer or "unknown")[:64]


def came_over_https(scheme: str, peer: Optional[str], headers: Mapping[str, str], settings: Settings) -> bool:
    """Whether the browser's request was HTTPS: its own scheme, or what a trusted proxy says."""
    if scheme == "https":
        return True
    if _trusted(peer, settings):
        return headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"
    return False


def socket_address(environ: Mapping[str, Any], settings: Settings) -> str:
    """A socket.io connection's client address. engine.io's environ says
    127.0.0.1 for every peer; the aiohttp request under it knows the real one."""
    request = environ.get("aiohttp.request")
    if request is None:
        return "unknown"
    return client_address(request.remote, request.headers, settings)
