"""The hub's record, with the design's names: Contact, Conversation, Message,
Handoff, Ticket, Agent. Messages are append-only; their integer id is the order
both sides saw them in."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

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
Base = declarative_base(metadata=metadata)


def now() -> datetime:
    return datetime.now(timezone.utc)


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
    id = Column(Integer, primary_key=True)
    external_id = Column(String(200), nullable=False, unique=True)
    name = Column(String(200))
    email = Column(String(320))
    company = Column(String(200))
    company_code = Column(String(100))
    language = Column(String(5))
    can_open_tickets = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now, onupdate=now)


class Conversation(Base):
    __tablename__ = "conversations"
    # Also the sender id Rasa knows the conversation by, and the widget's session id.
    id = Column(String(32), primary_key=True, default=new_id)
    contact_id = Column(Integer, ForeignKey("contacts.id"), index=True)
    mode = Column(String(10), nullable=False, default="bot")  # bot | queued | agent
    language = Column(String(5))
    channel = Column(String(20), nullable=False, default="widget")
    started_at = Column(DateTime(timezone=True), nullable=False, default=now)
    ended_at = Column(DateTime(timezone=True))
    # The satisfaction survey after a live chat: asked when the analyst closes,
    # answered 0-10 (the seeds' NPS question) with the customer's next message.
    survey_asked_at = Column(DateTime(timezone=True))
    satisfaction = Column(Integer)
    satisfaction_at = Column(DateTime(timezone=True))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_message_id"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    sender = Column(String(10), nullable=False)  # customer | bot | agent | system
    text = Column(Text, nullable=False, default="")
    # Buttons, quick replies, attachment, the analyst's display name...
    payload = Column(JSON)
    # Set by the widget on customer messages: a resent message is stored once.
    client_message_id = Column(String(100))
    # What NLU understood, for customer messages.
    intent = Column(String(100))
    confidence = Column(Float)
    language = Column(String(5))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)


class Handoff(Base):
    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    queue = Column(String(40), nullable=False, index=True)
    reason = Column(Text)
    # The incident fields Carolina gathered (the ticket's, if it becomes one).
    fields = Column(JSON)
    impact = Column(String(10))
    urgency = Column(String(10))
    language = Column(String(5))
    status = Column(String(12), nullable=False, default="queued")  # queued | accepted | closed | abandoned
    # How a closed handoff ended: resolved | returned (to Carolina) | ticket | queue_closed
    resolution = Column(String(20))
    agent_id = Column(Integer, ForeignKey("agents.id"))
    ticket_id = Column(Integer, ForeignKey("tickets.id"))
    # When the customer was offered a ticket because the queue closed (once).
    ticket_offered_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    accepted_at = Column(DateTime(timezone=True))
    closed_at = Column(DateTime(timezone=True))


class Ticket(Base):
    __tablename__ = "tickets"
    # The number customers see is year + sequence ("2026-000123"); the pair is
    # unique, so two tickets created at once cannot get the same number.
    __table_args__ = (UniqueConstraint("year", "sequence"),)
    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)
    year = Column(Integer, nullable=False)
    sequence = Column(Integer, nullable=False)
    contact_id = Column(Integer, ForeignKey("contacts.id"), index=True)
    # Copied from the contact at creation: who may see the ticket later.
    company = Column(String(200))
    company_code = Column(String(100), index=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), index=True)
    # A follow-up points at the closed ticket it continues.
    parent_id = Column(Integer, ForeignKey("tickets.id"))
    queue = Column(String(40), nullable=False)
    category = Column(String(20))
    summary = Column(Text)
    fields = Column(JSON)
    impact = Column(String(10))
    urgency = Column(String(10))
    criticality = Column(String(10))
    status = Column(String(30), nullable=False, default="open")
    language = Column(String(5))
    # The conversation's messages when the ticket was created.
    transcript = Column(JSON)
    # A retried create with the same key returns this ticket instead of a new one.
    idempotency_key = Column(String(200), unique=True)
    request_hash = Column(String(64))
    emailed_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now, onupdate=now)


class TicketUpdate(Base):
    """New information added to an open ticket instead of opening a second one."""

    __tablename__ = "ticket_updates"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id"))
    fields = Column(JSON)
    transcript = Column(JSON)
    idempotency_key = Column(String(200), unique=True)
    request_hash = Column(String(64))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)


class Deflection(Base):
    """An intake that an article solved: a ticket nobody had to open."""

    __tablename__ = "deflections"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id"), nullable=False, index=True)
    article_id = Column(String(100), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)


class Agent(Base):
    __tablename__ = "agents"
    id = Column(Integer, primary_key=True)
    email = Column(String(320), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    password_hash = Column(String(200), nullable=False)
    role = Column(String(10), nullable=False, default="agent")  # agent | admin
    queues = Column(JSON)
    presence = Column(String(10), nullable=False, default="offline")
    # Lockout after repeated failed logins.
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)


class AgentSession(Base):
    """A logged-in analyst: the cookie (or bearer token) holds the secret, the
    table only its SHA-256, so a copy of the database logs nobody in."""

    __tablename__ = "agent_sessions"
    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    csrf_token = Column(String(64), nullable=False)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
    expires_at = Column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Who looked at or changed what, when: every transcript an analyst opens or
    exports, every ticket status they change, every analyst an admin creates."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False, index=True)
    action = Column(String(40), nullable=False)
    target = Column(String(100), nullable=False)
    detail = Column(JSON)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)
