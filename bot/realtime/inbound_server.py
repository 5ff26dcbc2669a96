"""The hub's inbound SMTP server (bot/adapters/inbound_smtp.py) as long as the
hub runs, when CAROLINA_INBOUND_SMTP names where: a recipient is taken only if
it is a signed reply address (bot/domain/signing.py) of a ticket that exists;
a message is added to that ticket (bot/domain/inbound_mail.py), after which
the mail job is kicked for the e-mails it queued (a follow-up's)."""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator, Optional

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot import keys
from bot.adapters import inbound_smtp
from bot.domain import inbound_mail, signing
from bot.domain.errors import DomainError
from common.ids import short_id

logger = logging.getLogger(__name__)

# What the sender hears when the message cannot become a ticket reply (a person reads the bounce).
EMPTY = "550 5.6.0 No reply text was found above the quoted message"
NOT_TAKEN = "550 5.7.1 This reply could not be added to the ticket"


def accepts(app: web.Application) -> inbound_smtp.Accepts:
    settings = app[keys.SETTINGS]

    async def check(address: str) -> bool:
        number = signing.ticket_of_address(address, settings)
        if number is None:
            return False
        async with app[keys.SESSIONS]() as session:
            return await inbound_mail.exists(session, number)

    return check


def deliverer(app: web.Application) -> inbound_smtp.Deliver:
    settings, clock = app[keys.SETTINGS], app[keys.CLOCK]

    async def deliver(raw: bytes, mail_from: str, recipient: str) -> Optional[str]:
        number = signing.ticket_of_address(recipient, settings)
        if number is None:
            return inbound_smtp.REFUSED
        # Reading a large message is CPU work: off the event loop.
        inbound = await asyncio.get_running_loop().run_in_executor(None, inbound_mail.parse, raw, mail_from)
        try:
            async with app[keys.SESSIONS].begin() as session:
                outcome = await inbound_mail.receive(session, inbound, number, settings, clock.now())
        except IntegrityError:  # the same message delivered twice at once: the other one added it
            outcome = inbound_mail.Outcome("duplicate", number)
        except DomainError as error:
            logger.info("A reply to ticket %s was refused: %s %s", number, error.status, error.code)
            return inbound_smtp.REFUSED if error.status == 404 else NOT_TAKEN
        logger.info(
            "Reply by e-mail to ticket %s from %s: %s %s",
            number,
            short_id(inbound.sender),
            outcome.kind,
            outcome.number or "",
        )
        if outcome.kind == "empty":
            return EMPTY
        if keys.MAIL in app:
            app[keys.MAIL].kick()
        return None

    return deliver


async def serve(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context: the server listens while the hub runs (nothing without CAROLINA_INBOUND_SMTP)."""
    settings = app[keys.SETTINGS]
    if not settings.inbound_smtp:
        yield
        return
    server = await inbound_smtp.start(settings.inbound_smtp, accepts(app), deliverer(app), settings.reply_domain)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()
