"""Tickets: who may open them, their numbers, criticality, idempotent creation,
"is this the same problem?", status and follow-ups. Plain functions over an
AsyncSession; bot/web/tickets_api.py is the HTTP side."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.mailer import is_one_address
from bot.db import queries
from bot.db.models import Contact, Conversation, Deflection, Message, Ticket, TicketUpdate
from bot.db.session import session_clock
from bot.domain import mail_queue, report_events, ticket_mail
from bot.domain.errors import DomainError
from bot.domain.hours import load_calendar
from bot.domain.messages import shown
from bot.domain.redaction import mask_fields, mask_text
from bot.settings import Settings
from common.addresses import CC_MAX
from common.text import words
from common.vocabulary import LEVELS, STATUSES, vocabulary

# The vocabulary's names (common/vocabulary.yml) this module validates against.
CATEGORIES = vocabulary().ticket_categories
FIELDS = tuple(f.name for f in vocabulary().fields)
TRANSITIONS = vocabulary().transitions
CHOICES = {f.name: f.choices for f in vocabulary().fields if f.kind == "choice" and f.name != "category"}
UNKNOWN = vocabulary().unknown

# Criticality from impact (rows) x urgency (columns), the usual service-desk
# priority matrix: it is never asked, and one level of either axis moves it one
# step. The seeds' table of response times per level was an image, so levels
# carry no deadline here.
CRITICALITY: Dict[str, Dict[str, str]] = {
    "high": {"high": "critical", "medium": "high", "low": "medium"},
    "medium": {"high": "high", "medium": "medium", "low": "low"},
    "low": {"high": "medium", "medium": "low", "low": "low"},
}

TEXT_LIMIT = 4000
# Two summaries this alike (overlap of word stems) are taken for the same problem.
SIMILAR = 0.5


@dataclass(frozen=True)
class TicketRequest:
    fields: Dict[str, Any]
    impact: str
    urgency: str
    language: Optional[str] = None
    # Which queue answers it; by default technical support (or cloud, from the fields).
    queue: Optional[str] = None
    # Who else gets a copy of every e-mail about it (the guides' "E-MAILS ADICIONAIS").
    cc: Tuple[str, ...] = ()

    @classmethod
    def parse(cls, body: Any) -> TicketRequest:
        if not isinstance(body, dict):
            raise DomainError(422, "invalid", "the body must be a JSON object")
        fields = body.get("fields")
        if not isinstance(fields, dict):
            raise DomainError(422, "invalid", "fields must be an object")
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise DomainError(422, "invalid", f"unknown fields: {', '.join(sorted(unknown))}")
        for name, value in fields.items():
            if value is not None and not isinstance(value, (str, bool)):
                raise DomainError(422, "invalid", f"{name} must be a string or a boolean")
            if isinstance(value, str) and len(value) > TEXT_LIMIT:
                raise DomainError(422, "invalid", f"{name} is longer than {TEXT_LIMIT} characters")
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise DomainError(422, "invalid", "fields.summary is required")
        if fields.get("category") == "suggestion":
            raise DomainError(
                422, "suggestion", "improvement suggestions go to the collaboration portal, not to a ticket"
            )
        if fields.get("category") not in (None, UNKNOWN, *CATEGORIES):
            raise DomainError(422, "invalid", f"category must be one of {', '.join(CATEGORIES)}")
        for name, choices in CHOICES.items():
            if fields.get(name) not in (None, UNKNOWN, *choices):
                raise DomainError(422, "invalid", f"{name} must be one of {', '.join(choices)}")
        impact, urgency = body.get("impact"), body.get("urgency")
        if impact not in LEVELS or urgency not in LEVELS:
            raise DomainError(422, "invalid", f"impact and urgency must be one of {', '.join(LEVELS)}")
        language = body.get("language")
        queue = body.get("queue")
        if queue is not None and queue not in load_calendar().queues:
            raise DomainError(422, "invalid", f"queue must be one of {', '.join(load_calendar().queues)}")
        language = language if language in ("pt", "es", "en") else None
        return cls(mask_fields(fields, language), impact, urgency, language, queue, copies_of(body.get("cc")))


def copies_of(raw: Any) -> Tuple[str, ...]:
    """The extra recipients as asked: a list of at most CC_MAX bare addresses,
    each kept once (case aside), in the order given."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > CC_MAX:
        raise DomainError(422, "invalid", f"cc must be a list of at most {CC_MAX} e-mail addresses")
    kept: Dict[str, str] = {}
    for item in raw:
        address = item.strip() if isinstance(item, str) else item
        if not is_one_address(address):
            raise DomainError(422, "invalid", "each cc must be one e-mail address (local@domain)")
        kept.setdefault(address.lower(), address)
    return tuple(kept.values())


def criticality(impact: str, urgency: str) -> str:
    return CRITICALITY[impact][urgency]


def queue_for(fields: Mapping[str, Any]) -> str:
    """Cloud-hosted customers have their own (24x7) queue."""
    return "cloud" if fields.get("cloud") is True else "technical_support"


def body_hash(body: Mapping[str, Any]) -> str:
    """What makes two requests "the same" for their idempotency key: the body
    without form_turn, which is part of the key itself."""
    same = {k: v for k, v in body.items() if k != "form_turn"}
    return hashlib.sha256(json.dumps(same, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def format_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:06d}"


NUMBER = re.compile(r"^(\d{4})-(\d{6})$")


def transcript_of(messages: Sequence[Message]) -> List[Dict[str, Any]]:
    """Every message, in order, as the API shows it (with its time and, for the customer's, what NLU understood)."""
    return [shown(m) for m in messages]


async def conversation_contact(session: AsyncSession, conversation_id: str) -> Tuple[Conversation, Optional[Contact]]:
    conversation = await queries.get_conversation(session, conversation_id)
    if conversation is None:
        raise DomainError(404, "no_conversation", "no such conversation")
    contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    return conversation, contact


def check_may_open(contact: Optional[Contact], queue: Optional[str] = None) -> Contact:
    """Tickets are for logged-in customers; a company blocked for pending
    payments may still write to the administrative queue, which unblocks it."""
    if contact is None:
        raise DomainError(403, "anonymous", "the customer is not logged in to the portal")
    if not contact.can_open_tickets and queue != "administrative":
        raise DomainError(403, "blocked", "the company has pending financial issues and cannot open product tickets")
    return contact


async def _next_sequence(session: AsyncSession, year: int) -> int:
    highest = (await session.execute(select(func.max(Ticket.sequence)).where(Ticket.year == year))).scalar()
    return (highest or 0) + 1


async def by_key(session: AsyncSession, model: Any, key: str) -> Any:
    return (await session.execute(select(model).where(model.idempotency_key == key))).scalar_one_or_none()


def same_request(existing: Any, request_hash: str) -> Any:
    """The earlier result of a retried request, or a refusal if the key was reused for another body."""
    if existing.request_hash != request_hash:
        raise DomainError(422, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
    return existing


async def create_ticket(
    session: AsyncSession,
    conversation_id: str,
    request: TicketRequest,
    key: str,
    request_hash: str,
    when: datetime,
    parent: Optional[Ticket] = None,
    mail: Optional[Settings] = None,
    via: Optional[str] = None,
) -> Tuple[Ticket, bool]:
    """(the ticket, whether it was created now). A unique-constraint race (same
    key or same number at once) raises IntegrityError; the caller retries.
    The same request again from the same conversation, under another key (the
    action server's retry comes with a new form turn), is the same ticket too.
    With `mail` (the hub's settings), the customer's e-mail is queued in this
    transaction, to be sent after the commit (bot/domain/mail_queue.py).
    `via`, for the reports: "handoff" (a live chat's), "follow_up" (with a
    parent) or "intake" (Carolina gathered it)."""
    existing = await by_key(session, Ticket, key)
    if existing is not None:
        return same_request(existing, request_hash), False
    repeated = await same_request_again(session, conversation_id, request_hash, parent)
    if repeated is not None:
        return repeated, False
    conversation, contact = await conversation_contact(session, conversation_id)
    queue = request.queue or queue_for(request.fields)
    contact = check_may_open(contact, queue)
    messages = await queries.transcript(session, conversation.id)
    sequence = await _next_sequence(session, when.year)
    ticket = Ticket(
        number=format_number(when.year, sequence),
        year=when.year,
        sequence=sequence,
        contact_id=contact.id,
        company=contact.company,
        company_code=contact.company_code,
        conversation_id=conversation.id,
        parent_id=parent.id if parent else None,
        queue=queue,
        category=request.fields.get("category"),
        summary=str(request.fields["summary"]).strip(),
        fields=request.fields,
        cc=list(request.cc) or None,
        impact=request.impact,
        urgency=request.urgency,
        criticality=criticality(request.impact, request.urgency),
        status="open",
        language=request.language or conversation.language,
        transcript=transcript_of(messages),
        idempotency_key=key,
        request_hash=request_hash,
    )
    session.add(ticket)
    await session.flush()
    # The files the customer sent in the conversation travel with the ticket.
    # (Imported here: attachments reads transcripts, which reads handoffs, which opens tickets.)
    from bot.domain import attachments

    await attachments.link_to_ticket(session, conversation.id, ticket.id)
    await report_events.record(
        session,
        "ticket_created",
        conversation_id=conversation.id,
        queue=ticket.queue,
        language=ticket.language,
        ticket_number=ticket.number,
        category=ticket.category,
        criticality=ticket.criticality,
        via=via or ("follow_up" if parent else "intake"),
    )
    if mail is not None:
        ticket_mail.queue_ticket_email(
            session, ticket_json(ticket), ticket.id, contact.email, mail, mail_queue.real_now(), cc=ticket.cc
        )
        await session.flush()
    return ticket, True


async def same_request_again(
    session: AsyncSession, conversation_id: str, request_hash: str, parent: Optional[Ticket]
) -> Optional[Ticket]:
    """The conversation's ticket made from this very request (its body hash), if any."""
    if not request_hash:
        return None
    query = select(Ticket).where(
        Ticket.conversation_id == conversation_id,
        Ticket.request_hash == request_hash,
        Ticket.parent_id == parent.id if parent is not None else Ticket.parent_id.is_(None),
    )
    return (await session.execute(query.order_by(Ticket.id).limit(1))).scalars().first()


def visible_to(ticket: Ticket, contact: Optional[Contact]) -> bool:
    """A ticket is the business of its company's contacts (or, without a company
    code, of the contact who opened it)."""
    if contact is None:
        return False
    if ticket.company_code and contact.company_code:
        return ticket.company_code == contact.company_code
    return ticket.contact_id == contact.id


async def find_for(session: AsyncSession, number: str, contact: Optional[Contact]) -> Ticket:
    """The ticket with this number if the contact may see it; otherwise "not found",
    so numbers of other companies' tickets reveal nothing."""
    ticket = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one_or_none()
    if ticket is None or not visible_to(ticket, contact):
        raise DomainError(404, "no_ticket", "no such ticket for this customer")
    return ticket


def _stems(text: str) -> set:
    # Five-letter stems: "emitir"/"emitindo", "factura"/"facturas" meet.
    return {w[:5] for w in words(text) if len(w) > 2}


def similarity(a: str, b: str) -> float:
    first, second = _stems(a), _stems(b)
    if not first or not second:
        return 0.0
    common = len(first & second)
    return common / min(len(first), len(second)) if common >= 2 else 0.0


# How many open tickets a customer who lost the number is shown to pick from.
PICK_LIMIT = 5


async def company_open(session: AsyncSession, contact: Contact, limit: int = PICK_LIMIT) -> List[Ticket]:
    """The open tickets of the contact's company (the tickets they may see), newest first."""
    same_company = Ticket.company_code == contact.company_code if contact.company_code else None
    mine = Ticket.contact_id == contact.id
    whose = mine if same_company is None else (same_company | mine)
    query = select(Ticket).where(whose, Ticket.status != "closed").order_by(Ticket.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def similar_open(
    session: AsyncSession, contact: Contact, text: str, product: Optional[str] = None
) -> List[Tuple[Ticket, float]]:
    """The contact's open tickets that look like the same problem, most alike first."""
    rows = (
        await session.execute(
            select(Ticket).where(Ticket.contact_id == contact.id, Ticket.status != "closed").order_by(Ticket.id)
        )
    ).scalars()
    found = []
    for ticket in rows:
        other_product = (ticket.fields or {}).get("product")
        if product and other_product and product != other_product:
            continue
        score = similarity(text, ticket.summary or "")
        if score >= SIMILAR:
            found.append((ticket, score))
    return sorted(found, key=lambda pair: pair[1], reverse=True)


async def add_update(
    session: AsyncSession,
    ticket: Ticket,
    conversation_id: str,
    fields: Mapping[str, Any],
    key: str,
    request_hash: str,
) -> Tuple[TicketUpdate, bool]:
    existing = await by_key(session, TicketUpdate, key)
    if existing is not None:
        return same_request(existing, request_hash), False
    if ticket.status == "closed":
        raise DomainError(409, "closed", "the ticket is closed; open a follow-up instead")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise DomainError(422, "invalid", f"unknown fields: {', '.join(sorted(unknown))}")
    update = TicketUpdate(
        ticket_id=ticket.id,
        conversation_id=conversation_id,
        fields=mask_fields(fields, ticket.language),
        transcript=transcript_of(await queries.transcript(session, conversation_id)),
        idempotency_key=key,
        request_hash=request_hash,
    )
    session.add(update)
    ticket.updated_at = session_clock(session).now()
    await session.flush()
    return update, True


async def updates_of(session: AsyncSession, ticket: Ticket) -> List[TicketUpdate]:
    return list(
        (
            await session.execute(
                select(TicketUpdate).where(TicketUpdate.ticket_id == ticket.id).order_by(TicketUpdate.id)
            )
        ).scalars()
    )


def follow_up_request(parent: Ticket, description: str, language: Optional[str]) -> TicketRequest:
    """A follow-up carries the closed ticket's fields, with what is still wrong as its description."""
    if parent.status != "closed":
        raise DomainError(409, "not_closed", "only a closed ticket gets a follow-up; add the information to it instead")
    text = description.strip()
    if not text:
        raise DomainError(422, "invalid", "description is required")
    fields = dict(parent.fields or {})
    fields.update(description=mask_text(text, language)[:TEXT_LIMIT], summary=(parent.summary or "")[:TEXT_LIMIT])
    return TicketRequest(fields, parent.impact or "medium", parent.urgency or "medium", language or parent.language)


async def record_deflection(session: AsyncSession, conversation_id: str, article_id: str) -> Deflection:
    conversation = await queries.get_conversation(session, conversation_id)
    if conversation is None:
        raise DomainError(404, "no_conversation", "no such conversation")
    deflection = Deflection(conversation_id=conversation_id, article_id=article_id)
    session.add(deflection)
    await report_events.record(
        session, "deflection", conversation_id=conversation_id, language=conversation.language, article_id=article_id
    )
    await session.flush()
    return deflection


async def set_status(session: AsyncSession, ticket: Ticket, status: str) -> Ticket:
    """A status the ticket's current one may move to (the same one again changes nothing)."""
    if status not in STATUSES:
        raise DomainError(422, "invalid", f"status must be one of {', '.join(STATUSES)}")
    if status != ticket.status and status not in TRANSITIONS.get(ticket.status, ()):
        allowed = ", ".join(TRANSITIONS.get(ticket.status, ())) or "none: a follow-up opens a new ticket"
        raise DomainError(409, "transition", f"a ticket {ticket.status} cannot become {status} (allowed: {allowed})")
    if status != ticket.status:
        moved: Dict[str, Any] = {"from": ticket.status, "to": status}  # "from" is a keyword
        await report_events.record(
            session,
            "ticket_status",
            conversation_id=ticket.conversation_id,
            queue=ticket.queue,
            language=ticket.language,
            ticket_number=ticket.number,
            **moved,
        )
    ticket.status = status
    await session.flush()
    return ticket


def ticket_json(
    ticket: Ticket, parent: Optional[Ticket] = None, updates: Sequence[TicketUpdate] = ()
) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "number": ticket.number,
        "status": ticket.status,
        "queue": ticket.queue,
        "category": ticket.category,
        "summary": ticket.summary,
        "fields": ticket.fields,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "criticality": ticket.criticality,
        "company": ticket.company,
        "language": ticket.language,
        "conversation_id": ticket.conversation_id,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "transcript": ticket.transcript,
        "updates": [
            {"fields": u.fields, "transcript": u.transcript, "created_at": u.created_at.isoformat()} for u in updates
        ],
        "parent": None,
    }
    if parent is not None:
        # A follow-up shows the history it continues.
        data["parent"] = {
            "number": parent.number,
            "summary": parent.summary,
            "status": parent.status,
            "fields": parent.fields,
            "transcript": parent.transcript,
        }
    return data
