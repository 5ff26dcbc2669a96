"""The e-mails a customer gets about a ticket, in the ticket's language: the
one when it is opened (its number and a copy of the conversation) and the news
after it (an analyst's reply, a status change and what to do about it, the
warning before an automatic move, the survey when it closes, a follow-up
opened by a reply to a closed ticket). Each is queued in the transaction that
decided it (bot/domain/mail_queue.py) and sent after the commit.

Every one comes from settings.mail_from, copies the ticket's extra recipients
(ticket.cc), starts its subject with "[<number>]" and answers to the ticket's
signed reply address (bot/domain/signing.py): replying adds to the thread
(bot/domain/inbound_mail.py)."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters import mailer
from bot.adapters.mailer import header_value, is_one_address
from bot.db.models import Contact, OutgoingMail, Ticket, TicketMessage
from bot.domain import mail_queue, signing
from bot.domain.texts import text
from bot.domain.ticket_texts import long_date, say, status_label
from bot.settings import Settings
from common.ids import short_id

logger = logging.getLogger(__name__)

KINDS = ("reply", "status", "warning", "survey", "follow_up")
# A thread line longer than this is cut in the e-mail (the whole of it is in the portal).
QUOTE_LIMIT = 3000


def takes_replies(settings: Settings) -> bool:
    """Whether a customer may answer a ticket's e-mail: only with the hub's own
    inbound server on; otherwise the texts send them to the portal's chat."""
    return bool(settings.inbound_smtp)


def _portal(key: str, settings: Settings) -> str:
    return key if takes_replies(settings) else f"{key}_portal"


def _envelope(number: str, subject: str, to: str, cc: List[str], body: str, settings: Settings) -> EmailMessage:
    """The headers every ticket e-mail carries, around its body."""
    email = EmailMessage(policy=mailer.POLICY)
    # Header values are one line each: a summary's line break must not become a header of its own.
    email["Subject"] = header_value(f"[{number}] {subject}")
    email["From"] = settings.mail_from
    email["To"] = header_value(to)
    if cc:
        email["Cc"] = ", ".join(cc)
    if takes_replies(settings):
        email["Reply-To"] = signing.reply_address(number, settings)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=settings.reply_domain)
    # One thread per ticket in the customer's mail program.
    thread = f"<ticket-{number}@{settings.reply_domain}>"
    email["References"] = thread
    email["In-Reply-To"] = thread
    # A machine's message (RFC 3834): out-of-office replies should not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(body)
    return email


def render(ticket: Dict[str, Any], to: str, settings: Settings, cc: Optional[List[str]] = None) -> EmailMessage:
    """The e-mail of a ticket just opened."""
    language = ticket.get("language") or "pt"
    values = {"number": ticket["number"], "summary": ticket["summary"], "criticality": ticket["criticality"]}
    lines: List[str] = [text("ticket_email_intro", language, **values), "", text("ticket_email_transcript", language)]
    names = {"customer": text("sender_customer", language), "bot": "Carolina", "system": "—"}
    for message in ticket.get("transcript") or []:
        who = names.get(message["sender"], (message.get("payload") or {}).get("agent_name") or message["sender"])
        lines.append(f"[{message['created_at'][:16].replace('T', ' ')}] {who}: {message['text']}")
    lines += ["", text(_portal("ticket_email_footer", settings), language, url=settings.public_url)]
    subject = say("subject_opened", language, summary=ticket["summary"])
    return _envelope(ticket["number"], subject, to, cc or [], "\n".join(lines), settings)


def copies(ticket_cc: Any, to: str) -> List[str]:
    """The ticket's extra recipients that are one address each, without the customer's own."""
    found: List[str] = []
    for address in ticket_cc or []:
        if is_one_address(address) and address.lower() != to.lower() and address.lower() not in map(str.lower, found):
            found.append(address)
    return found


def queue_ticket_email(
    session: AsyncSession,
    ticket: Dict[str, Any],
    ticket_id: int,
    to: Optional[str],
    settings: Settings,
    when: datetime,
    cc: Any = None,
) -> Optional[OutgoingMail]:
    """The opening e-mail, queued in the caller's transaction (None: no address to send it to)."""
    if not _deliverable(to, ticket["number"]):
        return None
    assert to is not None
    email = render(ticket, to, settings, copies(cc, to))
    return mail_queue.enqueue(session, to, str(email["Subject"]), email.as_string(), when, ticket_id=ticket_id)


def _deliverable(to: Optional[str], number: str) -> bool:
    if not to:
        return False
    if not is_one_address(to):
        logger.warning("Ticket %s: no e-mail, %s is not one address", number, short_id(to))
        return False
    return True


async def last_public_text(session: AsyncSession, ticket: Ticket) -> Optional[str]:
    """The last thing said on the ticket that the customer may read (a status line has no text)."""
    query = (
        select(TicketMessage.text)
        .where(TicketMessage.ticket_id == ticket.id, TicketMessage.visibility == "public", TicketMessage.text != "")
        .order_by(TicketMessage.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def last_agent_name(session: AsyncSession, ticket: Ticket) -> Optional[str]:
    query = (
        select(TicketMessage.author_name)
        .where(TicketMessage.ticket_id == ticket.id, TicketMessage.author == "agent")
        .order_by(TicketMessage.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


def _quoted(message: str) -> List[str]:
    cut = message if len(message) <= QUOTE_LIMIT else message[: QUOTE_LIMIT - 1].rstrip() + "…"
    return ["    " + line if line.strip() else "" for line in cut.splitlines()]


def _links(ticket: Ticket, language: str, settings: Settings) -> List[str]:
    """The two answers to a solution, each a signed link to a page that asks before it acts."""
    page = f"{settings.public_url}/t/{signing.link_token(ticket.number, 'validate', settings)}"
    return [
        f"  {say('link_solved', language)}: {page}?answer=solved",
        f"  {say('link_not_solved', language)}: {page}?answer=not_solved",
    ]


def news_body(
    ticket: Ticket,
    kind: str,
    settings: Settings,
    contact_name: Optional[str],
    message: Optional[str],
    author: Optional[str] = None,
    parent: Optional[str] = None,
) -> str:
    """What an e-mail about the ticket says: what happened, the thread's last
    public message, and what the customer can do now."""
    language = ticket.language or "pt"
    first_name = (contact_name or "").split()[0] if (contact_name or "").strip() else ""
    values = {"number": ticket.number, "summary": ticket.summary or "", "parent": parent or ""}
    date = long_date(ticket.deadline_at, language) if ticket.deadline_at is not None else ""
    lines = [say("hello", language, name=first_name) if first_name else say("hello_nameless", language), ""]
    if kind == "reply":
        lines.append(say("reply_intro", language, author=author or say("support_team", language), **values))
        lines += [""] + _quoted(message or "") + ["", say("reply_next", language)]
    else:
        status = status_label(ticket.status, language)
        if kind == "status":
            lines.append(say("status_intro", language, status=status, **values))
        elif kind == "warning":
            lines.append(say(f"warning_{ticket.status}", language, date=date, **values))
        elif kind == "survey":
            token = signing.link_token(ticket.number, "survey", settings)
            lines += [say("survey_intro", language, **values), f"  {settings.public_url}/t/{token}"]
        elif kind == "follow_up":
            lines.append(say("follow_up_intro", language, **values))
        if message and kind != "survey":
            lines += ["", say("last_message", language)] + _quoted(message)
        lines.append("")
        lines += _what_now(ticket, kind, language, date, settings)
    lines += ["", say(_portal("footer", settings), language, url=settings.public_url), "", "Carolina"]
    return "\n".join(lines)


def _what_now(ticket: Ticket, kind: str, language: str, date: str, settings: Settings) -> List[str]:
    if ticket.status == "customer_validation" and kind in ("status", "warning"):
        if kind == "warning":  # its opening line said it all; the links are the way out
            return _links(ticket, language, settings)
        deadline = say("validation_deadline", language, date=date) if date else say("validation_undated", language)
        return [say("status_customer_validation", language), *_links(ticket, language, settings), "", deadline]
    if kind == "warning":
        return []
    if ticket.status == "awaiting_customer":
        return [say(_portal("status_awaiting_customer", settings), language, date=date or "—", number=ticket.number)]
    if ticket.status == "closed":
        return [say("status_closed", language)]
    if ticket.status == "in_progress" and kind == "status":
        return [say("status_in_progress", language)]
    return [say("status_other", language)]


async def queue_news_email(
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    settings: Settings,
    when: datetime,
    message_text: Optional[str] = None,
) -> Optional[OutgoingMail]:
    """Queues the e-mail about the ticket (kind: reply | status | warning |
    survey | follow_up) in the caller's transaction, to the customer and the
    ticket's extra recipients. `message_text`: the line it reports (by default
    the thread's last public message). None: the customer has no address."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id is not None else None
    to = contact.email if contact is not None else None
    if not _deliverable(to, ticket.number):
        return None
    assert to is not None and contact is not None
    message = message_text if message_text is not None else await last_public_text(session, ticket)
    author = await last_agent_name(session, ticket) if kind == "reply" else None
    parent = await session.get(Ticket, ticket.parent_id) if kind == "follow_up" and ticket.parent_id else None
    language = ticket.language or "pt"
    subjects = {
        "reply": say("subject_reply", language, summary=ticket.summary or ""),
        "status": say("subject_status", language, status=status_label(ticket.status, language)),
        "warning": say("subject_warning", language),
        "survey": say("subject_survey", language),
        "follow_up": say("subject_follow_up", language, parent=parent.number if parent else ""),
    }
    body = news_body(ticket, kind, settings, contact.name, message, author, parent.number if parent else None)
    email = _envelope(ticket.number, subjects[kind], to, copies(ticket.cc, to), body, settings)
    return mail_queue.enqueue(session, to, str(email["Subject"]), email.as_string(), when, ticket_id=ticket.id)
