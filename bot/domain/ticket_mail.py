"""The e-mail a customer gets when a ticket is opened: its number and a copy of
the conversation, in the ticket's language (sent by bot/adapters/mailer.py)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Dict, List, Optional

from bot.adapters import mailer
from bot.domain.texts import text
from bot.settings import Settings

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


async def send_ticket_email(ticket: Dict[str, Any], to: Optional[str], settings: Settings) -> Optional[str]:
    """Best effort: the ticket exists whatever happens to its e-mail."""
    if not to:
        return None
    try:
        return await mailer.send(render(ticket, to, settings), settings)
    except mailer.MailUnavailable as error:
        logger.warning("Ticket %s: e-mail to %s failed: %s", ticket["number"], to, error)
        return None
