"""The hub's record, with the design's names: Contact, Conversation, Message,
Handoff, Ticket, Agent. Messages are append-only; their integer id is the order
both sides saw them in."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can refer to them on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Base(DeclarativeBase):
    metadata = metadata


def utc(moment: datetime) -> datetime:
    """A time to store or compare: SQLite keeps no offset, so everything the
    hub compares is stored in UTC and read back as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    name: Mapped[Optional[str]] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(320))
    company: Mapped[Optional[str]] = mapped_column(String(200))
    company_code: Mapped[Optional[str]] = mapped_column(String(100))
    language: Mapped[Optional[str]] = mapped_column(String(5))
    can_open_tickets: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Conversation(Base):
    __tablename__ = "conversations"
    # Also the sender id Rasa knows the conversation by; never the widget's session id (resume_hash).
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contact_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("contacts.id"), index=True)
    mode: Mapped[str] = mapped_column(String(10), nullable=False, default="bot")  # bot | queued | agent
    language: Mapped[Optional[str]] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="widget")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # The satisfaction survey after a live chat: asked when the analyst closes,
    # answered 0-10 (the seeds' NPS question) with the customer's next message.
    survey_asked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    satisfaction: Mapped[Optional[int]] = mapped_column(Integer)
    satisfaction_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # The widget resumes the conversation with a random token of its own, never
    # with the id (which Rasa and the logs know): only its SHA-256 is kept here,
    # and it stops working after resume_expires_at (bot/domain/resume.py).
    resume_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    resume_expires_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    sender: Mapped[str] = mapped_column(String(10), nullable=False)  # customer | bot | agent | system
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Buttons, quick replies, attachment, the analyst's display name...
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    # Set by the widget on customer messages: a resent message is stored once.
    client_message_id: Mapped[Optional[str]] = mapped_column(String(100))
    # What NLU understood, for customer messages.
    intent: Mapped[Optional[str]] = mapped_column(String(100))
    confidence: Mapped[Optional[float]] = mapped_column(Float)
    language: Mapped[Optional[str]] = mapped_column(String(5))
    # The button the customer clicked, as its title read (text holds the payload
    # sent, "/inform{...}"): what people read in transcripts. Masked like text.
    title: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Handoff(Base):
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    queue: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    # The incident fields Carolina gathered (the ticket's, if it becomes one).
    fields: Mapped[Any] = mapped_column(JSON, nullable=True)
    impact: Mapped[Optional[str]] = mapped_column(String(10))
    urgency: Mapped[Optional[str]] = mapped_column(String(10))
    language: Mapped[Optional[str]] = mapped_column(String(5))
    # queued | accepted | closed | abandoned
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="queued")
    # How a closed handoff ended: resolved | returned (to Carolina) | ticket | queue_closed
    resolution: Mapped[Optional[str]] = mapped_column(String(20))
    agent_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("agents.id"))
    ticket_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("tickets.id"))
    # When the customer was offered a ticket because the queue closed (once).
    ticket_offered_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # The note an analyst left for the next one when transferring (masked), and who left it.
    transfer_note: Mapped[Optional[str]] = mapped_column(Text)
    transferred_by: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class Ticket(Base):
    __tablename__ = "tickets"
    # The number customers see is year + sequence ("2026-000123"); the pair is
    # unique, so two tickets created at once cannot get the same number.
    __table_args__ = (UniqueConstraint("year", "sequence"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    contact_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("contacts.id"), index=True)
    # Copied from the contact at creation: who may see the ticket later.
    company: Mapped[Optional[str]] = mapped_column(String(200))
    company_code: Mapped[Optional[str]] = mapped_column(String(100), index=True)
    conversation_id: Mapped[Optional[str]] = mapped_column(String(32), ForeignKey("conversations.id"), index=True)
    # A follow-up points at the closed ticket it continues.
    parent_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("tickets.id"))
    queue: Mapped[str] = mapped_column(String(40), nullable=False)
    category: Mapped[Optional[str]] = mapped_column(String(20))
    summary: Mapped[Optional[str]] = mapped_column(Text)
    fields: Mapped[Any] = mapped_column(JSON, nullable=True)
    impact: Mapped[Optional[str]] = mapped_column(String(10))
    urgency: Mapped[Optional[str]] = mapped_column(String(10))
    criticality: Mapped[Optional[str]] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(30), nullable=False, default="open")
    language: Mapped[Optional[str]] = mapped_column(String(5))
    # The conversation's messages when the ticket was created.
    transcript: Mapped[Any] = mapped_column(JSON, nullable=True)
    # A retried create with the same key returns this ticket instead of a new one.
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    request_hash: Mapped[Optional[str]] = mapped_column(String(64))
    emailed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The next automatic move (awaiting customer -> validation -> closed), stored
    # with the row so any hub's job claims it once (bot/domain/ticket_status.py);
    # NULL: nothing moves by itself. warn_at: when the customer is told it will.
    deadline_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), index=True)
    warn_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), index=True)
    warned_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # The survey at the end of the ticket: 0-10 and an optional comment, once.
    survey_score: Mapped[Optional[int]] = mapped_column(Integer)
    survey_comment: Mapped[Optional[str]] = mapped_column(Text)
    survey_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # Extra e-mail recipients, copied on every message of the ticket (the guides' "e-mails adicionais").
    cc: Mapped[Any] = mapped_column(JSON, nullable=True)
    # The customer's last word on the ticket (the "last interaction" of My tickets).
    last_customer_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class TicketMessage(Base):
    """The ticket's thread after its opening transcript: public replies the
    customer sees, internal notes analysts only, and the status changes."""

    __tablename__ = "ticket_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    author: Mapped[str] = mapped_column(String(10), nullable=False)  # customer | agent | carolina | system
    agent_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("agents.id"))
    # The analyst's name, or the e-mail sender as shown (masked).
    author_name: Mapped[Optional[str]] = mapped_column(String(200))
    visibility: Mapped[str] = mapped_column(String(10), nullable=False, default="public")  # public | internal
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    via: Mapped[str] = mapped_column(String(10), nullable=False)  # console | api | widget | email | link | auto
    # A status change this message records.
    status_from: Mapped[Optional[str]] = mapped_column(String(30))
    status_to: Mapped[Optional[str]] = mapped_column(String(30))
    # An e-mail reply's Message-ID: the same mail delivered twice adds one message.
    email_id: Mapped[Optional[str]] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # When a public message reached the customer's widget; NULL: still owed (told at the next visit).
    delivered_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class Attachment(Base):
    """A file a customer or an analyst sent, stored outside the web root under a
    random key (bot/adapters/file_storage.py); the row says whose it is."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What URLs and messages name: random, so ids cannot be walked.
    public_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    conversation_id: Mapped[Optional[str]] = mapped_column(
        String(32), ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("tickets.id"), index=True)
    ticket_message_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("ticket_messages.id"))
    message_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("messages.id", ondelete="SET NULL"))
    uploaded_by: Mapped[str] = mapped_column(String(10), nullable=False)  # customer | agent
    agent_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("agents.id"))
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(64), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    # The file is gone (retention); the row stays so the thread can say so.
    purged_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class TicketUpdate(Base):
    """New information added to an open ticket instead of opening a second one."""

    __tablename__ = "ticket_updates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    conversation_id: Mapped[Optional[str]] = mapped_column(String(32), ForeignKey("conversations.id"))
    fields: Mapped[Any] = mapped_column(JSON, nullable=True)
    transcript: Mapped[Any] = mapped_column(JSON, nullable=True)
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    request_hash: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Deflection(Base):
    """An intake that an article solved: a ticket nobody had to open."""

    __tablename__ = "deflections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    article_id: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="agent")  # agent | supervisor | admin
    queues: Mapped[Any] = mapped_column(JSON, nullable=True)
    presence: Mapped[str] = mapped_column(String(10), nullable=False, default="offline")
    # Set by an administrator: the analyst cannot log in, and every session ends.
    disabled_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AgentSession(Base):
    """A logged-in analyst: the cookie (or bearer token) holds the secret, the
    table only its SHA-256, so a copy of the database logs nobody in."""

    __tablename__ = "agent_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    agent_id: Mapped[int] = mapped_column(Integer, ForeignKey("agents.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Who read or changed what, when (bot/domain/audit.py writes it): every
    call an analyst or the action server makes to the API, every login, failed
    login and logout."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # agent | actions | anonymous (a failed login) | system
    actor: Mapped[str] = mapped_column(String(20), nullable=False, default="agent")
    agent_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("agents.id"), index=True)
    # The client's address (behind a trusted proxy, the one it forwarded).
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    target: Mapped[str] = mapped_column(String(100), nullable=False)
    detail: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class OutgoingMail(Base):
    """An e-mail to send: written in the same transaction as what it tells
    (a new ticket), sent after the commit by the mail job, retried with growing
    delays until the SMTP server takes it (bot/domain/mail_queue.py)."""

    __tablename__ = "outgoing_mail"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(500), nullable=False)
    # The whole message as RFC 5322 text, rendered when it was queued.
    raw: Mapped[str] = mapped_column(Text, nullable=False)
    ticket_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("tickets.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # "smtp" or the outbox file it was written to.
    delivered_to: Mapped[Optional[str]] = mapped_column(String(500))
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ReportEvent(Base):
    """Something the reports count, noted when the hub sees it happen, in the
    same transaction as the change it reports (bot/domain/report_events.py is
    the only writer; kinds and their fields are listed there). No personal
    data: texts are the hub's masked ones, never names or e-mail addresses."""

    __tablename__ = "report_events"
    # The reports read one kind over a date range.
    __table_args__ = (Index("ix_report_events_kind_created_at", "kind", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    # The figures outlive the conversation: when the retention purge deletes it, the event stays, unlinked.
    conversation_id: Mapped[Optional[str]] = mapped_column(
        String(32), ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[Optional[str]] = mapped_column(String(5))
    queue: Mapped[Optional[str]] = mapped_column(String(40))
    article_id: Mapped[Optional[str]] = mapped_column(String(100))
    score: Mapped[Optional[int]] = mapped_column(Integer)
    # The customer's question or survey comment, masked like every text the hub keeps.
    text: Mapped[Optional[str]] = mapped_column(Text)
    data: Mapped[Any] = mapped_column(JSON, nullable=True)
    # A knowledge gap a writer has dealt with (the gaps report leaves it out).
    handled_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CannedReply(Base):
    """A ready answer analysts pick in a chat, per customer language, in the
    order shown; administrators edit them (bot/domain/canned_replies.py)."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(5), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    agent_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("agents.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Deadline(Base):
    """Timed work, stored so that it outlives the hub that scheduled it and
    fires on one hub of several (bot/domain/deadlines.py; the job loop of
    bot/realtime/jobs.py claims the due ones). One table rather than a column on
    each row it concerns: a customer's abandon is per conversation, an analyst's
    grace per agent, and the periodic jobs ("job", their name) belong to no row;
    one claim query serves them all. Times are the real time, in UTC."""

    __tablename__ = "deadlines"
    # Scheduling a subject's deadline again replaces it.
    __table_args__ = (UniqueConstraint("kind", "subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    # The hub running it, until when: a hub that dies mid-way leaves it to another after that.
    claimed_by: Mapped[Optional[str]] = mapped_column(String(100))
    claimed_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class Connection(Base):
    """A socket open on some hub (bot/domain/connections.py): a customer's widget
    in a conversation, or an analyst's console. Each hub refreshes `seen_at` of
    its own sockets; a row nobody refreshed for a while is a dead hub's."""

    __tablename__ = "connections"
    __table_args__ = (Index("ix_connections_kind_subject", "kind", "subject"),)
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    hub_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # customer | agent
    # The conversation id (customer) or the agent id (agent).
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    # An analyst's console session (its token hash): logging out drops its sockets on every hub.
    agent_session: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
