"""Retention (LGPD, issue 18): what the hub keeps, and for how long
(bot/settings.py, CAROLINA_RETENTION_*_DAYS), and the purge of what is older,
in the hub's database, Rasa's tracker store and the e-mail outbox.

- A conversation goes `retention_conversation_days` after its last message
  (when it has none, after it started), with its messages, handoffs and
  deflections, unless a ticket that is still kept points at it (the ticket's
  own conversation, one that added information to it, or a handoff that became it).
- A ticket goes `retention_ticket_days` after it was last updated (closing it is
  an update), with its updates and e-mails; never before a follow-up that
  continues it, since the follow-up shows its history.
- A contact goes with the last conversation and ticket that name it.
- An e-mail (outgoing_mail row and its outbox file) goes `retention_mail_days`
  after it was queued; an .eml file in the outbox that old goes too, whatever
  wrote it.
- An audit entry goes `retention_audit_days` after it was written.
- An attachment's file goes `retention_attachment_days` after it was sent; its
  row stays, marked purged, and a ticket's thread says the file was removed
  (bot/domain/attachments.py). Rows and files go at once with the conversation
  or ticket they belong to, and so does a ticket's thread.
- Rasa's events go with their conversation, and so do the events of a sender
  the hub never knew (Rasa's own rest and socketio channels, which bypass the
  hub) once its last event is `retention_conversation_days` old: they hold
  what a customer typed just the same, and nothing else would ever delete them.

Times: "now" is the session's clock (bot/db/session.py), rows are compared by
the times the hub stamped on them with that clock. Two things carry real time
instead: Rasa's event timestamps and the outbox files' modification times; in
production the clock is the real time, and a demo clock fixed in the past only
makes them look younger (kept longer), never older.

`plan` says what would go without changing anything (the dry run); `purge`
plans and deletes in one transaction, then deletes the tracker events and the
files, after the commit: if those fail, the next run finds them again (stale
events of a sender the hub no longer knows, old files)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
from bot.settings import Settings

logger = logging.getLogger(__name__)
# Ids per IN (...): well under SQLite's and asyncpg's limits on bound parameters.
CHUNK = 500
# The order the counts are shown in (the CLI's dry run, the job's log line).
TABLES = (
    "conversations",
    "messages",
    "handoffs",
    "deflections",
    "tickets",
    "ticket_updates",
    "ticket_messages",
    "attachments",
    "contacts",
    "outgoing_mail",
    "audit_log",
    "tracker_events",
    "outbox_files",
    "attachment_files",
)
Id = TypeVar("Id", int, str)


def chunked(ids: Iterable[Id]) -> Iterator[List[Id]]:
    batch: List[Id] = []
    for value in ids:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class PeriodError(ValueError):
    """A retention period under a day: a mistaken 0 would purge conversations still going on."""


@dataclass(frozen=True)
class Cutoffs:
    """What is older than these goes."""

    conversations: datetime
    tickets: datetime
    audit: datetime
    mail: datetime
    attachments: datetime

    @classmethod
    def of(cls, settings: Settings, now: datetime) -> Cutoffs:
        now = utc(now)
        for name in ("conversation", "ticket", "audit", "mail", "attachment"):
            days = getattr(settings, f"retention_{name}_days")
            if days < 1:
                raise PeriodError(f"CAROLINA_RETENTION_{name.upper()}_DAYS must be at least 1, not {days}")
        return cls(
            conversations=now - timedelta(days=settings.retention_conversation_days),
            tickets=now - timedelta(days=settings.retention_ticket_days),
            audit=now - timedelta(days=settings.retention_audit_days),
            mail=now - timedelta(days=settings.retention_mail_days),
            attachments=now - timedelta(days=settings.retention_attachment_days),
        )


@dataclass
class RetentionPlan:
    """What a purge removes (a dry run's answer): ids per table, and the counts."""

    now: datetime
    cutoffs: Cutoffs
    conversations: List[str] = field(default_factory=list)
    tickets: List[int] = field(default_factory=list)
    contacts: List[int] = field(default_factory=list)
    mails: List[int] = field(default_factory=list)
    tracker_senders: List[str] = field(default_factory=list)
    outbox_files: List[Path] = field(default_factory=list)
    # Attachment rows that go with their conversation or ticket, and the storage keys of their files.
    attachments: List[int] = field(default_factory=list)
    attachment_keys: List[str] = field(default_factory=list)
    counts: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """The counts as one line (no ids, no personal data: fit for a log)."""
        return ", ".join(f"{table} {self.counts[table]}" for table in TABLES)


# --- planning ---------------------------------------------------------------


async def tickets_to_purge(session: AsyncSession, before: datetime) -> Set[int]:
    """Tickets last updated before `before`, but none that a kept ticket continues (a follow-up's parent)."""
    old: Dict[int, Optional[int]] = {
        row.id: row.parent_id
        for row in await session.execute(select(Ticket.id, Ticket.parent_id).where(Ticket.updated_at < utc(before)))
    }
    blocked = set(
        (
            await session.execute(
                select(Ticket.parent_id).where(Ticket.parent_id.is_not(None), Ticket.updated_at >= utc(before))
            )
        ).scalars()
    )
    purge = set(old)
    while True:
        # An old ticket kept for its follow-up keeps its own parent too.
        kept = purge & blocked
        if not kept:
            return purge
        purge -= kept
        blocked = {parent for ticket in kept if (parent := old[ticket]) is not None}


async def idle_conversations(session: AsyncSession, before: datetime) -> List[str]:
    """Conversations whose last message (or, without messages, whose start) is older than `before`."""
    last = (
        select(Message.conversation_id, func.max(Message.created_at).label("last"))
        .group_by(Message.conversation_id)
        .subquery()
    )
    query = (
        select(Conversation.id)
        .outerjoin(last, last.c.conversation_id == Conversation.id)
        .where(func.coalesce(last.c.last, Conversation.started_at) < utc(before))
    )
    return list((await session.execute(query)).scalars())


async def ticket_links(session: AsyncSession, conversations: Sequence[str]) -> List[Tuple[str, int]]:
    """(conversation id, ticket id) for every way a ticket holds on to one of these conversations."""
    links: List[Tuple[str, int]] = []
    for batch in chunked(conversations):
        for query in (
            select(Ticket.conversation_id, Ticket.id).where(Ticket.conversation_id.in_(batch)),
            select(TicketUpdate.conversation_id, TicketUpdate.ticket_id).where(TicketUpdate.conversation_id.in_(batch)),
            select(Handoff.conversation_id, Handoff.ticket_id).where(
                Handoff.conversation_id.in_(batch), Handoff.ticket_id.is_not(None)
            ),
        ):
            links.extend((row[0], row[1]) for row in await session.execute(query))
    return links


async def contacts_to_purge(
    session: AsyncSession, before: datetime, conversations: Set[str], tickets: Set[int]
) -> List[int]:
    """Contacts made before `before` that no kept conversation or ticket names."""
    candidates = list((await session.execute(select(Contact.id).where(Contact.created_at < utc(before)))).scalars())
    named: Set[int] = set()
    for batch in chunked(candidates):
        for contact_id, conversation_id in await session.execute(
            select(Conversation.contact_id, Conversation.id).where(Conversation.contact_id.in_(batch))
        ):
            if contact_id is not None and conversation_id not in conversations:
                named.add(contact_id)
        for contact_id, ticket_id in await session.execute(
            select(Ticket.contact_id, Ticket.id).where(Ticket.contact_id.in_(batch))
        ):
            if contact_id is not None and ticket_id not in tickets:
                named.add(contact_id)
    return [contact for contact in candidates if contact not in named]


async def mails_to_purge(session: AsyncSession, before: datetime, tickets: Set[int]) -> List[Tuple[int, Optional[str]]]:
    """(id, where it was delivered) of the e-mails queued before `before` or about a purged ticket.
    Queued, not sent: sent_at is the real time (bot/domain/mail_queue.py), created_at the hub's
    clock, and a mail goes out seconds after it is queued or, after its last retry, never."""
    found = {
        row.id: row.delivered_to
        for row in await session.execute(
            select(OutgoingMail.id, OutgoingMail.delivered_to).where(OutgoingMail.created_at < utc(before))
        )
    }
    for batch in chunked(sorted(tickets)):
        for row in await session.execute(
            select(OutgoingMail.id, OutgoingMail.delivered_to).where(OutgoingMail.ticket_id.in_(batch))
        ):
            found[row.id] = row.delivered_to
    return sorted(found.items())


def outbox_file(outbox: Path, where: Optional[str]) -> Optional[Path]:
    """The file a mail was written to, if it is an .eml in the outbox: nothing
    outside it is ever deleted (delivered_to may be "smtp", or an older outbox)."""
    if not where or where == "smtp":
        return None
    path = Path(where)
    try:
        inside = path.resolve().parent == outbox.resolve()
    except OSError:
        return None
    return path if inside and path.suffix == ".eml" else None


def old_outbox_files(outbox: Path, before: datetime) -> List[Path]:
    """The outbox's .eml files last written before `before`."""
    if not outbox.is_dir():
        return []
    limit = before.timestamp()
    old = []
    for path in outbox.glob("*.eml"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                old.append(path)
        except OSError:
            continue  # gone meanwhile
    return old


async def count_in(session: AsyncSession, column: Any, ids: Sequence[Any]) -> int:
    total = 0
    for batch in chunked(ids):
        total += (await session.execute(select(func.count()).where(column.in_(batch)))).scalar_one()
    return total


async def tracker_senders(
    session: AsyncSession, tracker: Optional[TrackerStore], before: datetime, conversations: Sequence[str]
) -> List[str]:
    """The purged conversations, and the senders idle since `before` that the hub keeps no conversation of."""
    if tracker is None:
        return []
    going = set(conversations)
    idle = await tracker.senders_idle_since(before.timestamp())
    known: Set[str] = set()
    for batch in chunked(idle):
        known.update((await session.execute(select(Conversation.id).where(Conversation.id.in_(batch)))).scalars())
    return sorted(going | {sender for sender in idle if sender not in known or sender in going})


async def plan(
    session: AsyncSession, settings: Settings, tracker: Optional[TrackerStore] = None, now: Optional[datetime] = None
) -> RetentionPlan:
    """What a purge would remove now (the session's clock unless `now` is given); changes nothing."""
    moment = utc(now or session_clock(session).now())
    cut = Cutoffs.of(settings, moment)
    tickets = await tickets_to_purge(session, cut.tickets)
    idle = await idle_conversations(session, cut.conversations)
    held = {conversation for conversation, ticket in await ticket_links(session, idle) if ticket not in tickets}
    conversations = sorted(set(idle) - held)
    contacts = await contacts_to_purge(session, cut.conversations, set(conversations), tickets)
    mails = await mails_to_purge(session, cut.mail, tickets)
    outbox = Path(settings.outbox_dir)
    files = {path for _, where in mails if (path := outbox_file(outbox, where)) is not None and path.exists()}
    files.update(old_outbox_files(outbox, cut.mail))
    senders = await tracker_senders(session, tracker, cut.conversations, conversations)
    going, keys = await attachments_going(session, sorted(tickets), conversations)
    gone = set(going)
    expired = [row for row in await attachments.expired(session, settings, moment) if row.id not in gone]
    result = RetentionPlan(
        now=moment,
        cutoffs=cut,
        conversations=conversations,
        tickets=sorted(tickets),
        contacts=contacts,
        mails=[mail for mail, _ in mails],
        tracker_senders=senders,
        outbox_files=sorted(files),
        attachments=going,
        attachment_keys=keys,
    )
    audit_query = select(func.count(AuditEntry.id)).where(AuditEntry.created_at < utc(cut.audit))
    result.counts.update(
        conversations=len(conversations),
        messages=await count_in(session, Message.conversation_id, conversations),
        handoffs=await count_in(session, Handoff.conversation_id, conversations),
        deflections=await count_in(session, Deflection.conversation_id, conversations),
        tickets=len(tickets),
        ticket_updates=await count_in(session, TicketUpdate.ticket_id, result.tickets),
        ticket_messages=await count_in(session, TicketMessage.ticket_id, result.tickets),
        attachments=len(going),
        contacts=len(contacts),
        outgoing_mail=len(mails),
        audit_log=(await session.execute(audit_query)).scalar_one(),
        tracker_events=await tracker.count_events_of(senders) if tracker is not None and senders else 0,
        outbox_files=len(files),
        attachment_files=len(keys) + len(expired),
    )
    return result


async def attachments_going(
    session: AsyncSession, tickets: Sequence[int], conversations: Sequence[str]
) -> Tuple[List[int], List[str]]:
    """The attachment rows of these tickets and conversations, and the keys of
    their files still stored."""
    going: Dict[int, Optional[str]] = {}
    wheres = [attachments.of_rows(batch, []) for batch in chunked(tickets)]
    wheres += [attachments.of_rows([], batch) for batch in chunked(conversations)]
    for where in wheres:
        query = select(Attachment.id, Attachment.storage_key, Attachment.purged_at).where(where)
        for row in await session.execute(query):
            going[row.id] = None if row.purged_at is not None else row.storage_key
    return sorted(going), [key for _, key in sorted(going.items()) if key]


# --- purging ----------------------------------------------------------------


async def delete_rows(session: AsyncSession, plan: RetentionPlan) -> None:
    """The plan's rows, in an order no foreign key objects to; the caller commits."""
    # Attachments point at messages, conversations, tickets and ticket messages: first.
    for batch in chunked(plan.attachments):
        await session.execute(delete(Attachment).where(Attachment.id.in_(batch)))
    for batch in chunked(plan.tickets):
        # A kept handoff (of a conversation another ticket holds) forgets the ticket.
        await session.execute(update(Handoff).where(Handoff.ticket_id.in_(batch)).values(ticket_id=None))
        await session.execute(delete(OutgoingMail).where(OutgoingMail.ticket_id.in_(batch)))
        await session.execute(delete(TicketUpdate).where(TicketUpdate.ticket_id.in_(batch)))
        await session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(batch)))
        # Parents and follow-ups may fall in different batches.
        await session.execute(update(Ticket).where(Ticket.id.in_(batch)).values(parent_id=None))
    for batch in chunked(plan.mails):
        await session.execute(delete(OutgoingMail).where(OutgoingMail.id.in_(batch)))
    for batch in chunked(plan.tickets):
        await session.execute(delete(Ticket).where(Ticket.id.in_(batch)))
    for ids in chunked(plan.conversations):
        # The reports keep their counts, without the conversation or what it quoted.
        await session.execute(
            update(ReportEvent).where(ReportEvent.conversation_id.in_(ids)).values(text=None, conversation_id=None)
        )
        for model in (Message, Handoff, Deflection, TicketUpdate):
            await session.execute(delete(model).where(model.conversation_id.in_(ids)))
        await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    for batch in chunked(plan.contacts):
        await session.execute(delete(Contact).where(Contact.id.in_(batch)))
    await session.execute(delete(AuditEntry).where(AuditEntry.created_at < utc(plan.cutoffs.audit)))


def delete_files(paths: Iterable[Path]) -> int:
    """How many of the files were deleted (one already gone is not an error)."""
    deleted = 0
    for path in paths:
        try:
            os.unlink(path)
            deleted += 1
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("Could not delete an outbox file: %s", error.strerror)
    return deleted


async def purge(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, dry_run: bool = False, by: str = "retention job"
) -> RetentionPlan:
    """Removes what is older than its retention period (a dry run only plans);
    the plan says what went. "Now" is the sessions' clock. Rows deleted from the
    hub's database are recorded in the audit log (actor "system", the counts), in
    the same transaction; a run that deletes none writes nothing."""
    async with open_store(settings.tracker_store_url) as tracker:
        async with sessions.begin() as session:
            planned = await plan(session, settings, tracker)
            if dry_run or planned.total == 0:
                return planned
            await delete_rows(session, planned)
            # Expired files go before the commit that marks them (bot/domain/attachments.py).
            storage = attachments.storage_of(settings)
            expired_files = await attachments.purge_expired(session, storage, settings, planned.now)
            if any(planned.counts[table] for table in TABLES if table not in ("tracker_events", "outbox_files")):
                await audit.record(
                    session, "retention_purge", "-", actor="system", detail={"by": by, "counts": planned.counts}
                )
        if tracker is not None and planned.tracker_senders:
            planned.counts["tracker_events"] = await tracker.delete_events_of(planned.tracker_senders)
    planned.counts["outbox_files"] = delete_files(planned.outbox_files)
    planned.counts["attachment_files"] = expired_files + sum(storage.delete(key) for key in planned.attachment_keys)
    return planned
