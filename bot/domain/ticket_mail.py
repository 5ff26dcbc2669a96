"""The e-mail a customer gets when a ticket is opened: its number and a copy of
the conversation, in the ticket's language. It is queued in the transaction
that creates the ticket (bot/domain/mail_queue.py) and sent after the commit."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Dict, List, Optional

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.mailer import header_value, is_one_address
from bot.db.models import OutgoingMail
from bot.domain import mail_queue
from bot.domain.texts import text
from bot.settings import Settings
from common.ids import short_id

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
    # Header values are one line each: a summary's line break must not become a header of its own.
    email["Subject"] = header_value(text("ticket_email_subject", language, **values))
    email["From"] = settings.mail_from
    email["To"] = header_value(to)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="carolina.local")
    email.set_content("\n".join(lines))
    return email


def queue_ticket_email(
    session: AsyncSession, ticket: Dict[str, Any], ticket_id: int, to: Optional[str], settings: Settings, when: datetime
) -> Optional[OutgoingMail]:
    """The ticket's e-mail, queued in the caller's transaction (None: no address to send it to)."""
    if not to:
        return None
    if not is_one_address(to):
        logger.warning("Ticket %s: no e-mail, %s is not one address", ticket["number"], short_id(to))
        return None
    email = render(ticket, to, settings)
    return mail_queue.enqueue(session, to, str(email["Subject"]), email.as_string(), when, ticket_id=ticket_id)
