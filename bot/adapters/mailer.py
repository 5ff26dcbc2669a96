"""Sends an e-mail through SMTP_URL; without one, writes it to the outbox folder
(CAROLINA_OUTBOX) so nothing is silently dropped, and the log says where."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.settings import Settings

logger = logging.getLogger(__name__)


class MailUnavailable(Exception):
    """The SMTP server refused or could not be reached, or the outbox cannot be written."""


async def send(email: EmailMessage, settings: Settings) -> str:
    """Where the e-mail went: "smtp" or the outbox file's path."""
    try:
        return await _send(email, settings)
    except (aiosmtplib.SMTPException, OSError) as error:
        raise MailUnavailable(str(error) or type(error).__name__) from error


async def _send(email: EmailMessage, settings: Settings) -> str:
    if settings.smtp_url:
        url = urlsplit(settings.smtp_url)
        await aiosmtplib.send(
            email,
            hostname=url.hostname or "127.0.0.1",
            port=url.port or (465 if url.scheme == "smtps" else 25),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=url.scheme == "smtps",
            start_tls=True if url.scheme == "smtp+starttls" else None if url.scheme == "smtp" else False,
            timeout=settings.smtp_timeout,
        )
        return "smtp"
    outbox = Path(settings.outbox_dir)
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{email['Message-ID'].strip('<>').replace('@', '_')}.eml"
    path.write_bytes(bytes(email))
    logger.info("No SMTP_URL configured: e-mail to %s written to %s", email["To"], path)
    return str(path)
