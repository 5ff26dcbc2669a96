"""The hub's own SMTP server (aiosmtpd), where customers' e-mail replies to
tickets arrive (CAROLINA_INBOUND_SMTP). It relays nothing and takes mail for
nobody but the tickets: each recipient is asked of `accepts` at RCPT time, so a
forged, unsigned or unknown address is refused with 550 before any message is
sent, and a message larger than MAX_BYTES with 552 by aiosmtpd itself. What
arrives goes to `deliver` (the realtime layer adds it to the ticket).

It runs in the hub's own event loop (not aiosmtpd's Controller thread), so the
callbacks use the hub's database engine as every handler does."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional, Tuple

from aiosmtpd.smtp import SMTP

from common.ids import short_id

logger = logging.getLogger(__name__)

# The guides' 20 MB file, base64-encoded (4/3) with room for the text around it.
MAX_BYTES = 28 * 1024 * 1024
# A reply goes to one ticket; a few recipients are tolerated (Cc to the same ticket).
MAX_RECIPIENTS = 5
# How long a silent client keeps its connection.
TIMEOUT_SECONDS = 60.0

Accepts = Callable[[str], Awaitable[bool]]
# (message bytes, envelope sender, recipient) -> None when taken, else the SMTP reply to give.
Deliver = Callable[[bytes, str, str], Awaitable[Optional[str]]]

REFUSED = "550 5.1.1 Not a ticket reply address here"
LATER = "451 4.3.0 Temporary failure, try again later"


class Handler:
    """aiosmtpd's hooks: who may be written to, and what to do with a message."""

    def __init__(self, accepts: Accepts, deliver: Deliver) -> None:
        self.accepts, self.deliver = accepts, deliver

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            accepted = await self.accepts(address)
        except Exception:  # the database is away: the sender tries again later
            logger.exception("Checking the recipient %s failed", short_id(address))
            return LATER
        if not accepted:
            logger.info("Inbound mail to %s refused: not a signed ticket address", short_id(address))
            return REFUSED
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8", "replace")
        for recipient in envelope.rcpt_tos:
            try:
                refused = await self.deliver(raw, envelope.mail_from or "", recipient)
            except Exception:
                logger.exception("Taking a reply to %s failed", short_id(recipient))
                return LATER
            if refused:
                return refused
        return "250 OK"


def host_port(spec: str) -> Tuple[str, int]:
    """ "host:port" (or ":port", "[::1]:port") as a pair."""
    host, _, port = spec.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"CAROLINA_INBOUND_SMTP must be host:port, not {spec!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


async def start(spec: str, accepts: Accepts, deliver: Deliver, hostname: str) -> asyncio.AbstractServer:
    """Listens on `spec` ("host:port") until the returned server is closed."""
    host, port = host_port(spec)
    handler = Handler(accepts, deliver)

    def protocol() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=MAX_BYTES,
            enable_SMTPUTF8=True,
            hostname=hostname,
            ident="Carolina",
            timeout=TIMEOUT_SECONDS,
        )

    server = await asyncio.get_running_loop().create_server(protocol, host, port)
    logger.info("Receiving ticket replies by SMTP on %s:%s", host, port)
    return server
