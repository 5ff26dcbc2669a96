"""Data-subject requests (LGPD art. 18, issue 18): everything the hub holds
about one person, exported as JSON or erased.

The person is found by e-mail (every contact with that address, whatever the
case) or by the portal's contact id. What is theirs: their contact rows, the
conversations those rows own (messages, handoffs, the satisfaction survey,
deflections), the tickets they opened or that came from their conversations
(updates, transcripts), the e-mails to them or about their tickets (rows and
outbox files), and Rasa's events of their conversations (the conversation id
is Rasa's sender id).

Erasing keeps what support and the statistics need and no person in it: ticket
numbers, queues, categories, statuses, criticality, dates and the company code
(a company, not a person); conversations' channel, language, times and
satisfaction score. It deletes the messages, Rasa's events and the e-mails;
empties the tickets' summary, fields and transcripts and the handoffs' reason
and fields; anonymises the contact (a returning portal user gets a new one);
and blanks the person's e-mail, name and portal id wherever the audit log
quoted them (a search's filters), keeping who did what when."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set

from sqlalchemy import Text, cast, delete, func, or_, select
from sqlalchemy import update as update_rows
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.adapters.tracker_store import TrackerStore, open_store
from bot.db.models import (
    Attachment,
    AuditEntry,
    Contact,
    Conversation,
    Deflection,
    Handoff,
    Message,
    OutgoingMail,
    ReportEvent,
    Ticket,
    TicketMessage,
    TicketUpdate,
    utc,
)
from bot.db.session import session_clock
from bot.domain import attachments, audit
from bot.domain.errors import DomainError
from bot.domain.messages import message_json
from bot.domain.retention import chunked, count_in, delete_files, outbox_file
from bot.settings import Settings
from common.actions_token import METADATA_KEY

FORMAT = "carolina-personal-data/1"
# What stands where personal content was.
ERASED = "[erased]"
# A ticket update keeps its status change; its note, fields and transcript go.
UPDATE_KEEPS = ("status", "previous_status")
# An identifier this short is blanked in the audit log only where it is a whole
# value: as a part of longer text it would hit unrelated words ("Ana" in "Banana").
SHORT = 5
# Erasure's counts, in the order they are shown.
ERASE_COUNTS = (
    "contacts",
    "conversations",
    "messages",
    "handoffs",
    "tickets",
    "ticket_updates",
    "ticket_messages",
    "attachments",
    "outgoing_mail",
    "audit_log",
    "tracker_events",
    "outbox_files",
    "attachment_files",
)


@dataclass(frozen=True)
class Wanted:
    """Who the request is about: exactly one of an e-mail or a portal contact id."""

    email: Optional[str] = None
    contact_id: Optional[str] = None

    @classmethod
    def of(cls, email: Optional[str] = None, contact_id: Optional[str] = None) -> Wanted:
        email, contact_id = (email or "").strip() or None, (contact_id or "").strip() or None
        if (email is None) == (contact_id is None):
            raise DomainError(422, "invalid", "name the person by email or by contact_id (one of them)")
        return cls(email.lower() if email else None, contact_id)


@dataclass
class Person:
    """What the hub holds about one person (found by `find`)."""

    contacts: List[Contact]
    conversations: List[Conversation]
    tickets: List[Ticket]
    # Their addresses, lower case: e-mails to them are theirs.
    emails: Set[str] = field(default_factory=set)

    @property
    def target(self) -> str:
        """How the audit log names them: the contact rows' ids (no personal data, and erasure keeps them)."""
        return ("contact:" + ",".join(str(contact.id) for contact in self.contacts))[:100]

    @property
    def conversation_ids(self) -> List[str]:
        return [conversation.id for conversation in self.conversations]

    @property
    def ticket_ids(self) -> List[int]:
        return [ticket.id for ticket in self.tickets]

    def identifiers(self) -> Set[str]:
        """Strings that name them (for the audit log): e-mails, names, portal ids."""
        found = set(self.emails)
        for contact in self.contacts:
            found.update(value for value in (contact.name, contact.external_id) if value and value.strip())
        return {value.strip() for value in found}


async def find(session: AsyncSession, wanted: Wanted) -> Person:
    """The person's records, or 404 when the hub knows nobody by that e-mail or contact id."""
    if wanted.email:
        query = select(Contact).where(func.lower(Contact.email) == wanted.email)
    else:
        query = select(Contact).where(Contact.external_id == wanted.contact_id)
    contacts = list((await session.execute(query.order_by(Contact.id))).scalars())
    if not contacts:
        raise DomainError(404, "no_person", "the hub holds nobody with that e-mail or contact id")
    ids = [contact.id for contact in contacts]
    conversations = list(
        (
            await session.execute(
                select(Conversation).where(Conversation.contact_id.in_(ids)).order_by(Conversation.started_at)
            )
        ).scalars()
    )
    conversation_ids = [conversation.id for conversation in conversations]
    mine: ColumnElement[bool] = Ticket.contact_id.in_(ids)
    if conversation_ids:
        mine = or_(mine, Ticket.conversation_id.in_(conversation_ids))
    tickets = list((await session.execute(select(Ticket).where(mine).order_by(Ticket.id))).scalars())
    emails = {contact.email.strip().lower() for contact in contacts if contact.email}
    return Person(contacts, conversations, tickets, emails | ({wanted.email} if wanted.email else set()))


async def mails_of(session: AsyncSession, person: Person) -> List[OutgoingMail]:
    conditions = []
    if person.emails:
        conditions.append(func.lower(OutgoingMail.recipient).in_(sorted(person.emails)))
    if person.tickets:
        conditions.append(OutgoingMail.ticket_id.in_(person.ticket_ids))
    if not conditions:
        return []
    return list(
        (await session.execute(select(OutgoingMail).where(or_(*conditions)).order_by(OutgoingMail.id))).scalars()
    )


async def updates_of(session: AsyncSession, person: Person) -> List[TicketUpdate]:
    """Updates of their tickets, and those their conversations added to anyone's."""
    conditions = []
    if person.tickets:
        conditions.append(TicketUpdate.ticket_id.in_(person.ticket_ids))
    if person.conversations:
        conditions.append(TicketUpdate.conversation_id.in_(person.conversation_ids))
    if not conditions:
        return []
    return list(
        (await session.execute(select(TicketUpdate).where(or_(*conditions)).order_by(TicketUpdate.id))).scalars()
    )


async def thread_of(session: AsyncSession, person: Person) -> List[TicketMessage]:
    """The threads of the person's tickets (replies, notes, status lines)."""
    if not person.ticket_ids:
        return []
    query = select(TicketMessage).where(TicketMessage.ticket_id.in_(person.ticket_ids))
    return list((await session.execute(query.order_by(TicketMessage.id))).scalars())


async def files_of(session: AsyncSession, person: Person) -> List[Attachment]:
    """The files sent in the person's conversations or on their tickets."""
    where = attachments.of_rows(person.ticket_ids, person.conversation_ids)
    if where is None:
        return []
    return list((await session.execute(select(Attachment).where(where).order_by(Attachment.id))).scalars())


async def rows_of(session: AsyncSession, model: Any, conversations: Sequence[str]) -> List[Any]:
    found: List[Any] = []
    for batch in chunked(conversations):
        found.extend((await session.execute(select(model).where(model.conversation_id.in_(batch)))).scalars())
    return sorted(found, key=lambda row: row.id)


def outbox_files_to(outbox: Path, emails: Set[str]) -> List[Path]:
    """The outbox's .eml files addressed to one of `emails` (read by their headers)."""
    if not emails or not outbox.is_dir():
        return []
    parser = BytesHeaderParser(policy=default)
    found = []
    for path in sorted(outbox.glob("*.eml")):
        try:
            with path.open("rb") as file:
                headers = parser.parse(file)
        except OSError:
            continue
        recipients = [str(value) for name in ("To", "Cc", "Bcc") for value in headers.get_all(name) or []]
        if any(address.lower() in emails for _, address in getaddresses(recipients)):
            found.append(path)
    return found


def without_keys(value: Any) -> Any:
    """Rasa's event data without the hub's conversation key (metadata hub_token):
    it opens the conversation's record in the hub's API, so it leaves no export."""
    if isinstance(value, dict):
        return {key: without_keys(item) for key, item in value.items() if key != METADATA_KEY}
    if isinstance(value, list):
        return [without_keys(item) for item in value]
    return value


def when(moment: Optional[datetime]) -> Optional[str]:
    return utc(moment).isoformat() if moment is not None else None


def contact_json(contact: Contact) -> Dict[str, Any]:
    return {
        "external_id": contact.external_id,
        "name": contact.name,
        "email": contact.email,
        "company": contact.company,
        "company_code": contact.company_code,
        "language": contact.language,
        "can_open_tickets": contact.can_open_tickets,
        "created_at": when(contact.created_at),
        "updated_at": when(contact.updated_at),
    }


def handoff_json(handoff: Handoff, numbers: Dict[int, str]) -> Dict[str, Any]:
    return {
        "queue": handoff.queue,
        "reason": handoff.reason,
        "fields": handoff.fields,
        "impact": handoff.impact,
        "urgency": handoff.urgency,
        "language": handoff.language,
        "status": handoff.status,
        "resolution": handoff.resolution,
        "transfer_note": handoff.transfer_note,
        "ticket": numbers.get(handoff.ticket_id) if handoff.ticket_id else None,
        "created_at": when(handoff.created_at),
        "accepted_at": when(handoff.accepted_at),
        "closed_at": when(handoff.closed_at),
    }


def thread_json(message: TicketMessage) -> Dict[str, Any]:
    return {
        "author": message.author,
        "author_name": message.author_name,
        "visibility": message.visibility,
        "text": message.text,
        "via": message.via,
        "status_from": message.status_from,
        "status_to": message.status_to,
        "created_at": when(message.created_at),
    }


def ticket_json(
    ticket: Ticket, updates: Sequence[TicketUpdate], numbers: Dict[int, str], thread: Sequence[TicketMessage] = ()
) -> Dict[str, Any]:
    return {
        "number": ticket.number,
        "follows_up": numbers.get(ticket.parent_id) if ticket.parent_id else None,
        "conversation_id": ticket.conversation_id,
        "queue": ticket.queue,
        "category": ticket.category,
        "status": ticket.status,
        "summary": ticket.summary,
        "fields": ticket.fields,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "criticality": ticket.criticality,
        "company": ticket.company,
        "company_code": ticket.company_code,
        "language": ticket.language,
        "transcript": ticket.transcript,
        "updates": [
            {"fields": u.fields, "transcript": u.transcript, "created_at": when(u.created_at)}
            for u in updates
            if u.ticket_id == ticket.id
        ],
        "thread": [thread_json(m) for m in thread if m.ticket_id == ticket.id],
        "cc": ticket.cc,
        "survey": {"score": ticket.survey_score, "comment": ticket.survey_comment, "at": when(ticket.survey_at)},
        "emailed_at": when(ticket.emailed_at),
        "created_at": when(ticket.created_at),
        "updated_at": when(ticket.updated_at),
        "closed_at": when(ticket.closed_at),
    }


async def export(session: AsyncSession, person: Person, tracker: Optional[TrackerStore]) -> Dict[str, Any]:
    """Everything held about the person, as one JSON-ready dict."""
    conversation_ids = person.conversation_ids
    messages = await rows_of(session, Message, conversation_ids)
    handoffs = await rows_of(session, Handoff, conversation_ids)
    deflections = await rows_of(session, Deflection, conversation_ids)
    updates = await updates_of(session, person)
    mails = await mails_of(session, person)
    thread = await thread_of(session, person)
    files = await files_of(session, person)
    linked = {h.ticket_id for h in handoffs if h.ticket_id} | {t.parent_id for t in person.tickets if t.parent_id}
    linked |= {u.ticket_id for u in updates} | {m.ticket_id for m in mails if m.ticket_id}
    numbers = {ticket.id: ticket.number for ticket in person.tickets}
    missing = sorted(linked - set(numbers))
    if missing:
        numbers.update(
            dict((await session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(missing)))).tuples())
        )
    theirs = set(person.ticket_ids)
    conversations = []
    for conversation in person.conversations:
        conversations.append(
            {
                "id": conversation.id,
                "channel": conversation.channel,
                "language": conversation.language,
                "mode": conversation.mode,
                "started_at": when(conversation.started_at),
                "ended_at": when(conversation.ended_at),
                "satisfaction": conversation.satisfaction,
                "satisfaction_at": when(conversation.satisfaction_at),
                "survey_asked_at": when(conversation.survey_asked_at),
                "messages": [message_json(m) for m in messages if m.conversation_id == conversation.id],
                "handoffs": [handoff_json(h, numbers) for h in handoffs if h.conversation_id == conversation.id],
                "deflections": [
                    {"article_id": d.article_id, "created_at": when(d.created_at)}
                    for d in deflections
                    if d.conversation_id == conversation.id
                ],
                "ticket_updates": [
                    {
                        "ticket": numbers.get(u.ticket_id),
                        "fields": u.fields,
                        "transcript": u.transcript,
                        "created_at": when(u.created_at),
                    }
                    for u in updates
                    if u.conversation_id == conversation.id and u.ticket_id not in theirs
                ],
            }
        )
    events = await tracker.events_of(conversation_ids) if tracker is not None and conversation_ids else []
    return {
        "format": FORMAT,
        "generated_at": utc(session_clock(session).now()).isoformat(),
        "contacts": [contact_json(contact) for contact in person.contacts],
        "conversations": conversations,
        "tickets": [ticket_json(ticket, updates, numbers, thread) for ticket in person.tickets],
        # What was sent and when; the files themselves are given on request (they may be large).
        "attachments": [
            {
                **attachments.summary(row),
                "uploaded_by": row.uploaded_by,
                "conversation_id": row.conversation_id,
                "ticket": numbers.get(row.ticket_id) if row.ticket_id else None,
                "created_at": when(row.created_at),
                "purged_at": when(row.purged_at),
            }
            for row in files
        ],
        "outgoing_mail": [
            {
                "recipient": mail.recipient,
                "subject": mail.subject,
                "ticket": numbers.get(mail.ticket_id) if mail.ticket_id else None,
                "message": mail.raw,
                "created_at": when(mail.created_at),
                "sent_at": when(mail.sent_at),
            }
            for mail in mails
        ],
        "tracker_events": [
            {
                "sender_id": event["sender_id"],
                "type_name": event["type_name"],
                "timestamp": event["timestamp"],
                "intent_name": event["intent_name"],
                "action_name": event["action_name"],
                "data": without_keys(event["data"]),
            }
            for event in events
        ],
    }


def export_counts(data: Dict[str, Any]) -> Dict[str, int]:
    """How much an export held (for its audit entry: counts, never the data)."""
    return {
        "contacts": len(data["contacts"]),
        "conversations": len(data["conversations"]),
        "messages": sum(len(c["messages"]) for c in data["conversations"]),
        "tickets": len(data["tickets"]),
        "outgoing_mail": len(data["outgoing_mail"]),
        "tracker_events": len(data["tracker_events"]),
    }


async def exported(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, wanted: Wanted, record_as: Optional[str] = None
) -> tuple[Person, Dict[str, Any]]:
    """(the person, their data). With `record_as` (the command line: "command
    line"), the export is written to the audit log as the system's, with its counts."""
    async with open_store(settings.tracker_store_url) as tracker:
        async with sessions.begin() as session:
            person = await find(session, wanted)
            data = await export(session, person, tracker)
            if record_as:
                detail = {"by": record_as, "counts": export_counts(data)}
                await audit.record(session, "privacy_export", person.target, actor="system", detail=detail)
    return person, data


# --- erasure ----------------------------------------------------------------


def anonymous_id(external_id: str) -> str:
    """What replaces a portal contact id: portal ids are often sequential, so a
    plain hash of one could be found by trying them all; the random salt (kept
    nowhere) makes it a one-way name that still never collides with a real id."""
    return "erased-" + hashlib.sha256(secrets.token_bytes(16) + external_id.encode()).hexdigest()[:32]


def blanked(value: Any, identifiers: Sequence[str]) -> Any:
    """`value` (an audit entry's target or detail) with every identifier replaced by ERASED."""
    if isinstance(value, dict):
        return {key: blanked(item, identifiers) for key, item in value.items()}
    if isinstance(value, list):
        return [blanked(item, identifiers) for item in value]
    if not isinstance(value, str):
        return value
    for identifier in identifiers:
        if len(identifier) < SHORT:
            if value.strip().lower() == identifier.lower():
                return ERASED
        else:
            value = re.sub(re.escape(identifier), ERASED, value, flags=re.IGNORECASE)
    return value


async def audit_entries_naming(session: AsyncSession, identifiers: Sequence[str]) -> List[AuditEntry]:
    """Audit entries whose target or detail quotes one of the identifiers (a superset: `blanked` decides)."""
    conditions = []
    for identifier in identifiers:
        lowered = identifier.lower()
        # The detail is stored as JSON text, non-ASCII escaped (\\u00e3).
        escaped = json.dumps(identifier)[1:-1].lower()
        conditions.append(func.lower(AuditEntry.target).contains(lowered, autoescape=True))
        conditions.append(func.lower(cast(AuditEntry.detail, Text)).contains(escaped, autoescape=True))
    if not conditions:
        return []
    return list((await session.execute(select(AuditEntry).where(or_(*conditions)))).scalars())


@dataclass
class Erasure:
    """What an erasure changed (or, planned, would change) in the hub's database,
    and what it leaves to do after the commit."""

    counts: Dict[str, int]
    tracker_senders: List[str]
    outbox_files: List[Path]
    # The storage keys of the person's files, deleted after the commit.
    attachment_keys: List[str] = field(default_factory=list)


async def erase(
    session: AsyncSession,
    person: Person,
    settings: Settings,
    tracker: Optional[TrackerStore],
    dry_run: bool = False,
) -> Erasure:
    """Erases the person in the hub's database (nothing with `dry_run`); the
    tracker events and outbox files are the caller's, after the commit."""
    conversation_ids = person.conversation_ids
    handoffs = await rows_of(session, Handoff, conversation_ids)
    updates = await updates_of(session, person)
    mails = await mails_of(session, person)
    thread = await thread_of(session, person)
    sent_files = await files_of(session, person)
    outbox = Path(settings.outbox_dir)
    files = {path for mail in mails if (path := outbox_file(outbox, mail.delivered_to)) and path.exists()}
    files.update(outbox_files_to(outbox, person.emails))
    identifiers = sorted(person.identifiers(), key=len, reverse=True)
    named = [
        entry
        for entry in await audit_entries_naming(session, identifiers)
        if blanked([entry.target, entry.detail], identifiers) != [entry.target, entry.detail]
    ]
    counts = {
        "contacts": len(person.contacts),
        "conversations": len(conversation_ids),
        "messages": await count_in(session, Message.conversation_id, conversation_ids),
        "handoffs": len(handoffs),
        "tickets": len(person.tickets),
        "ticket_updates": len(updates),
        "ticket_messages": len(thread),
        "attachments": len(sent_files),
        "outgoing_mail": len(mails),
        "audit_log": len(named),
        "tracker_events": await tracker.count_events_of(conversation_ids)
        if tracker is not None and conversation_ids
        else 0,
        "outbox_files": len(files),
    }
    keys = [row.storage_key for row in sent_files if row.purged_at is None]
    counts["attachment_files"] = len(keys)
    result = Erasure(counts, conversation_ids if tracker is not None else [], sorted(files), keys)
    if dry_run:
        return result
    for entry in named:
        # New objects: SQLAlchemy sees a JSON column change only when it is assigned.
        entry.target, entry.detail = blanked(entry.target, identifiers), blanked(entry.detail, identifiers)
    for mail in mails:
        await session.delete(mail)
    for update in updates:
        kept = {
            key: update.fields[key] for key in UPDATE_KEEPS if isinstance(update.fields, dict) and key in update.fields
        }
        update.fields, update.transcript = kept or None, None
    for row in sent_files:
        await session.delete(row)
    for message in thread:
        # The status lines keep the ticket's history; what anyone wrote goes.
        message.text, message.author_name = (ERASED if message.text else ""), None
    for ticket in person.tickets:
        ticket.summary, ticket.fields, ticket.transcript, ticket.company = ERASED, None, None, None
        ticket.cc, ticket.survey_comment = None, None
    for handoff in handoffs:
        handoff.reason, handoff.fields, handoff.transfer_note = None, None, None
    for batch in chunked(conversation_ids):
        await session.execute(delete(Message).where(Message.conversation_id.in_(batch)))
        # The reports keep their counts; the questions and comments they quoted go.
        await session.execute(update_rows(ReportEvent).where(ReportEvent.conversation_id.in_(batch)).values(text=None))
    for conversation in person.conversations:
        # The widget's resume token no longer opens it.
        conversation.resume_hash, conversation.resume_expires_at = None, None
    for contact in person.contacts:
        contact.external_id = anonymous_id(contact.external_id)
        contact.name = contact.email = contact.company = None
    await session.flush()
    return result


async def erase_person(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    wanted: Wanted,
    dry_run: bool = False,
    record_as: Optional[str] = None,
) -> tuple[Person, Dict[str, int]]:
    """(the person, the counts of what went). The database first, in one
    transaction, then Rasa's events and the outbox files. With `record_as` (the
    command line), the erasure is written to the audit log as the system's, in
    the same transaction; the API's entry is the audit middleware's."""
    async with open_store(settings.tracker_store_url) as tracker:
        async with sessions.begin() as session:
            person = await find(session, wanted)
            erasure = await erase(session, person, settings, tracker, dry_run)
            if dry_run:
                return person, erasure.counts
            if record_as:
                detail = {"by": record_as, "counts": erasure.counts}
                await audit.record(session, "privacy_erase", person.target, actor="system", detail=detail)
        if tracker is not None and erasure.tracker_senders:
            erasure.counts["tracker_events"] = await tracker.delete_events_of(erasure.tracker_senders)
    erasure.counts["outbox_files"] = delete_files(erasure.outbox_files)
    storage = attachments.storage_of(settings)
    erasure.counts["attachment_files"] = sum(storage.delete(key) for key in erasure.attachment_keys)
    return person, erasure.counts
