"""Sends an e-mail through SMTP_URL; without one, writes it to the outbox folder
(CAROLINA_OUTBOX) so nothing is silently dropped, and the log says where.
Also the one cleaner of header values (Subject, To): a header is one line."""

from __future__ import annotations

import logging
import unicodedata
from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.settings import Settings
from common.addresses import is_one_address  # noqa: F401 (the hub's callers import it from here)
from common.ids import short_id
from common.private_files import write_private

logger = logging.getLogger(__name__)

# The longest header value the hub writes (a Subject stays readable, RFC 5322's lines stay short).
HEADER_LIMIT = 200


class MailUnavailable(Exception):
    """The SMTP server refused or could not be reached, or the outbox cannot be written."""


def header_value(text: str, limit: int = HEADER_LIMIT) -> str:
    """`text` as one header line: every line break, tab and line or paragraph
    separator (U+2028, U+2029, U+0085) becomes a space, other control and
    formatting characters go, runs of spaces become one, at most `limit` characters."""
    kept = []
    for char in str(text):
        kind = unicodedata.category(char)
        if char.isspace() or kind in ("Zl", "Zp"):
            kept.append(" ")
        elif kind not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    line = " ".join("".join(kept).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# Header lines up to RFC 5322's hard limit: at the default 78, Python breaks a
# long subject right after "Subject:", and some readers then see it start with a
# space (no longer with "[2026-000123]"). Header values are capped (HEADER_LIMIT).
POLICY = default.clone(max_line_length=998)


def parse(raw: str) -> EmailMessage:
    """A message stored as RFC 5322 text (bot/domain/mail_queue.py), ready to send."""
    message = message_from_string(raw, policy=POLICY)
    assert isinstance(message, EmailMessage)
    return message


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
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in str(email["Message-ID"]).strip("<>"))
    path = outbox / f"{name}.eml"
    write_private(path, bytes(email))
    logger.info("No SMTP_URL configured: e-mail to %s written to %s", short_id(str(email["To"])), path)
    return str(path)
