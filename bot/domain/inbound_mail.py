"""A customer's e-mail reply to a ticket: read it (the standard library's email
package), keep only what they wrote (no quoted message, no signature, in the
ways Gmail, Outlook and Apple Mail quote in Portuguese, Spanish and English),
and add it to the ticket's thread; a reply to a closed ticket opens a follow-up
with it. The SMTP side (bot/adapters/inbound_smtp.py) has already checked the
signed reply address (bot/domain/signing.py) before the message was sent."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Attachment, Ticket, TicketMessage
from bot.domain import attachments, mail_queue, ticket_mail, ticket_thread, tickets
from bot.domain.errors import DomainError
from bot.domain.redaction import mask_text
from bot.settings import Settings
from common.ids import short_id

logger = logging.getLogger(__name__)

# --- Keeping only what the customer wrote -------------------------------------------------

# "On <date>, <name> wrote:" and its Portuguese and Spanish forms (Gmail, Apple Mail,
# Thunderbird); Gmail may wrap a long one over two or three lines.
ATTRIBUTION_START = re.compile(r"^\s*(On|Em|El)\s", re.IGNORECASE)
ATTRIBUTION_END = re.compile(r"(wrote|escreveu|escribió|escribio)\s*:\s*$", re.IGNORECASE)
# Outlook's block of the replied message's headers: "From:" / "De:" then, within a few
# lines, one of the others.
HEADER_FROM = re.compile(r"^\s*\*?(From|De)\s*:\*?\s", re.IGNORECASE)
HEADER_OTHER = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|Cc|Enviado|Enviada|Enviado el|Data|Fecha|Para|Assunto|Asunto)\s*:",
    re.IGNORECASE,
)
# A line that ends the reply wherever it is: the older separators, the signature
# delimiter ("-- "), the mobile clients' signatures, Outlook's underscore rule.
CUT_LINE = re.compile(
    r"^\s*("
    r"-{2,}\s*(Original Message|Mensagem original|Mensaje original|Forwarded message|Mensagem encaminhada"
    r"|Mensaje reenviado)\s*-{2,}"
    r"|_{20,}"
    r"|Sent from my .*|Enviado do meu .*|Enviado desde mi .*|Enviado de meu .*"
    r"|Get Outlook for .*|Obter o Outlook para .*|Obtener Outlook para .*|Baixe o Outlook para .*"
    r")\s*$",
    re.IGNORECASE,
)
SIGNATURE_DELIMITER = "-- "


def _attribution_at(lines: List[str], index: int) -> int:
    """How many lines an attribution starting at `index` spans (0: none there)."""
    if not ATTRIBUTION_START.match(lines[index]):
        return 0
    for span in range(1, 4):
        if index + span > len(lines):
            break
        joined = " ".join(line.strip() for line in lines[index : index + span])
        if ATTRIBUTION_END.search(joined):
            return span
        if span > 1 and not lines[index + span - 1].strip():
            break
    return 0


def _outlook_headers_at(lines: List[str], index: int) -> bool:
    if not HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return any(HEADER_OTHER.match(line) for line in following[:4])


def strip_quoted(text: str) -> str:
    """What the sender wrote in a reply: no quoted message (">" lines, an
    "On ... wrote:" attribution, Outlook's header block and everything after
    it, "-----Original Message-----"), no signature after "-- " or "Sent from
    my phone". An answer written below the quote (">" lines) is kept."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: List[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.rstrip() == SIGNATURE_DELIMITER.rstrip() or CUT_LINE.match(line):
            break
        if _outlook_headers_at(lines, index):
            break
        span = _attribution_at(lines, index)
        if span:
            after = [other for other in lines[index + span :] if other.strip()]
            if after and not after[0].lstrip().startswith(">"):
                # The quoted message follows unmarked: all of it goes.
                break
            index += span
            continue
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
        index += 1
    joined = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", joined)


class _HtmlText(HTMLParser):
    """An HTML body as text: blocks become lines, quoted blocks (blockquote,
    Gmail's gmail_quote, Outlook's reply header div) and what follows the
    latter go, scripts and styles are skipped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "hr"}
    SKIPPED = {"script", "style", "head", "title", "blockquote"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: List[str] = []
        self.skipping: List[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        if self.done:
            return
        named = {k: (v or "") for k, v in attrs}
        if "gmail_quote" in named.get("class", "") or named.get("id", "") in ("divRplyFwdMsg", "appendonsend"):
            self.done = True
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in self.SKIPPED:
            self.skipping.append(tag)
        elif self.skipping and tag not in self.VOID:
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:  # <br/> "ends" too: it must not close what is skipped
            return
        if self.skipping:
            # Up to the element this closes (HTML leaves some, like <p>, unclosed).
            while tag in self.skipping and self.skipping.pop() != tag:
                pass
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.done and not self.skipping:
            self.parts.append(" ".join(data.split()) if data.strip() else (" " if data else ""))


def html_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- Reading the message -------------------------------------------------------------------

# Out-of-office and other machine replies: they must not reopen a ticket or fill its thread.
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


@dataclass
class Inbound:
    message_id: str
    sender: str
    sender_name: str
    text: str
    automatic: bool
    attachments: List[Tuple[str, str, bytes]] = field(default_factory=list)

    def author_name(self, language: Optional[str]) -> str:
        """Who wrote, as the thread shows it: the name they give and their address half hidden."""
        return author_name(self.sender_name, self.sender, language)


def masked_address(address: str) -> str:
    """ana.souza@example.com -> a***@example.com (enough for an analyst to tell two people apart)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if local and domain else ""


def author_name(name: str, address: str, language: Optional[str]) -> str:
    hidden = masked_address(address)
    shown = mask_text(" ".join(name.split()), language)[:120] if name else ""
    return (f"{shown} ({hidden})" if shown and hidden else shown or hidden)[:200]


def is_automatic(message: EmailMessage, envelope_from: Optional[str]) -> bool:
    """An auto-reply, a bounce or a delivery report (RFC 3834 and the usual headers)."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        submitted != "no"
        or precedence in AUTOMATIC_PRECEDENCE
        or any(message.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"))
        or message.get_content_type() == "multipart/report"
        or envelope_from is not None
        and envelope_from.strip("<> ") == ""
    )


def body_of(message: EmailMessage) -> str:
    """The message's text: its text/plain part, else its HTML part as text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    return html_text(content) if part.get_content_type() == "text/html" else content


def attachments_of(message: EmailMessage) -> List[Tuple[str, str, bytes]]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            found.append((part.get_filename() or "attachment", part.get_content_type(), payload))
    return found


def parse(raw: bytes, envelope_from: Optional[str] = None) -> Inbound:
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    name, sender = parseaddr(str(message.get("From", "")))
    # Without a Message-ID, the same bytes delivered twice are still one message.
    message_id = str(message.get("Message-ID", "")).strip()[:250] or "sha256:" + hashlib.sha256(raw).hexdigest()
    return Inbound(
        message_id=message_id,
        sender=sender,
        sender_name=name,
        text=strip_quoted(body_of(message)),
        automatic=is_automatic(message, envelope_from),
        attachments=attachments_of(message),
    )


# --- Adding it to the ticket ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of a reply: "added" (to `number`'s thread), "follow_up" (opened
    `number`), "duplicate", "automatic" (ignored), "empty" (nothing was written)."""

    kind: str
    number: Optional[str] = None


async def ticket_by_number(session: AsyncSession, number: str) -> Optional[Ticket]:
    return (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one_or_none()


async def exists(session: AsyncSession, number: str) -> bool:
    return await ticket_by_number(session, number) is not None


def email_key(message_id: str) -> str:
    """What the thread line keeps of a reply's Message-ID (ticket_messages.email_id, unique)."""
    key = f"mail:{message_id}"
    return (
        key if len(key) <= 250 else "mail:sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    )


def follow_up_key(message_id: str) -> str:
    return "email:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()


async def already_received(session: AsyncSession, message_id: str) -> bool:
    seen = await session.execute(
        select(TicketMessage.id).where(TicketMessage.email_id == email_key(message_id)).limit(1)
    )
    if seen.first() is not None:
        return True
    return await tickets.by_key(session, Ticket, follow_up_key(message_id)) is not None


async def store_files(
    session: AsyncSession, inbound: Inbound, ticket: Ticket, settings: Settings
) -> Tuple[List[Attachment], List[str]]:
    """The e-mail's files, stored through the attachments' checks (bot/domain/attachments.py):
    (those taken, what the customer is told of those refused, in their language)."""
    taken: List[Attachment] = []
    refused: List[str] = []
    storage = attachments.storage_of(settings)
    for filename, _, content in inbound.attachments:
        try:
            stored = await attachments.store(
                session,
                storage,
                settings,
                filename=filename,
                content=content,
                uploaded_by="customer",
                conversation_id=ticket.conversation_id,
                ticket_id=ticket.id,
                language=ticket.language,
            )
        except DomainError as error:
            refused.append(error.message)
            continue
        taken.append(stored)
    return taken, refused


async def receive(session: AsyncSession, inbound: Inbound, number: str, settings: Settings, when: datetime) -> Outcome:
    """Adds the reply (and its files) to ticket `number`'s thread, or opens a
    follow-up of a closed ticket with it; once per Message-ID; in the caller's
    transaction. `when`: the hub's clock (a follow-up's number is of its year)."""
    ticket = await ticket_by_number(session, number)
    if ticket is None:
        raise DomainError(404, "no_ticket", "no such ticket")
    if inbound.automatic:
        logger.info("Ticket %s: an automatic reply from %s was ignored", number, short_id(inbound.sender))
        return Outcome("automatic", number)
    if await already_received(session, inbound.message_id):
        return Outcome("duplicate", number)
    if not inbound.text and not inbound.attachments:
        return Outcome("empty", number)
    if ticket.status == "closed":
        return await _follow_up(session, ticket, inbound, settings, when)
    files, refused = await store_files(session, inbound, ticket, settings)
    text = "\n\n".join([inbound.text, *(f"[{notice}]" for notice in refused)]).strip()
    if not text and not files:
        return Outcome("empty", number)
    await ticket_thread.add_message(
        session,
        ticket,
        author="customer",
        text=text[: tickets.TEXT_LIMIT],
        via="email",
        author_name=inbound.author_name(ticket.language),
        attachment_ids=[file.public_id for file in files],
        settings=settings,
        email_id=email_key(inbound.message_id),
    )
    return Outcome("added", number)


async def _follow_up(
    session: AsyncSession, parent: Ticket, inbound: Inbound, settings: Settings, when: datetime
) -> Outcome:
    """The guides' answer to a closed problem that came back: a new ticket that
    continues it, with the reply as its description (and its files)."""
    if parent.conversation_id is None or not inbound.text:
        raise DomainError(409, "closed", "the ticket is closed and the reply cannot open a follow-up")
    request = tickets.follow_up_request(parent, inbound.text[: tickets.TEXT_LIMIT], parent.language)
    key = follow_up_key(inbound.message_id)
    body: Any = {"follow_up_of": parent.number, "description": inbound.text}
    created, _ = await tickets.create_ticket(
        session, parent.conversation_id, request, key, tickets.body_hash(body), when, parent=parent, via="follow_up"
    )
    await store_files(session, inbound, created, settings)
    await ticket_mail.queue_news_email(session, created, "follow_up", settings, mail_queue.real_now())
    logger.info("Ticket %s is closed: a reply by e-mail opened %s", parent.number, created.number)
    return Outcome("follow_up", created.number)
