"""The e-mail a customer gets when a ticket is opened: its number and a copy of
the conversation. Sent through SMTP_URL; without one, written to the outbox
folder (CAROLINA_OUTBOX) so nothing is silently dropped, and the log says where."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.settings import Settings
from bot.texts import text

logger = logging.getLogger(__name__)


def render(ticket: Dict[str, Any], to: str, settings: Settings) -> EmailMessage:
    language = ticket.get("language") or "pt"
    values = {"number": ticket["number"], "summary": ticket["summary"], "criticality": ticket["criticality"]}
    lines: List[str] = [text("ticket_email_intro", language, **values), "", text("ticket_email_transcript", language)]
    names = {"customer": text("sender_customer", language), "bot": "Carolina", "system": "—"}
    for message in ticket.get("transcript") or []:
        who = names.get(message["sender"], (message.get("payload") or {}).get("agent_name") or message["sender"])
        lines.append(f"[{message['created_at'][:16].replace('T', ' ')}] {who}: {message['text']}")
    lines += ["", text("ticket_email_footer", language, url=settings.public_url)]
    email = EmailMessage()
    email["Subject"] = text("ticket_email_subject", language, **values)
    email["From"] = settings.mail_from
    email["To"] = to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="carolina.local")
    email.set_content("\n".join(lines))
    return email


async def send(email: EmailMessage, settings: Settings) -> str:
    """Where the e-mail went: "smtp" or the outbox file's path."""
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


async def send_ticket_email(ticket: Dict[str, Any], to: Optional[str], settings: Settings) -> Optional[str]:
    """Best effort: the ticket exists whatever happens to its e-mail."""
    if not to:
        return None
    try:
        return await send(render(ticket, to, settings), settings)
    except (aiosmtplib.SMTPException, OSError) as error:
        logger.warning("Ticket %s: e-mail to %s failed: %s", ticket["number"], to, error)
        return None
