"""Query functions: the caller owns the session (and its transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Protocol, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Contact, Conversation, Message, utc


class ContactFacts(Protocol):
    """What the portal says about a customer (bot/domain/identity.py's Identity)."""

    @property
    def external_id(self) -> str: ...

    @property
    def name(self) -> Optional[str]: ...

    @property
    def email(self) -> Optional[str]: ...

    @property
    def company(self) -> Optional[str]: ...

    @property
    def company_code(self) -> Optional[str]: ...

    @property
    def language(self) -> Optional[str]: ...

    @property
    def can_open_tickets(self) -> bool: ...


async def upsert_contact(session: AsyncSession, identity: ContactFacts) -> Contact:
    contact = (
        await session.execute(select(Contact).where(Contact.external_id == identity.external_id))
    ).scalar_one_or_none()
    if contact is None:
        contact = Contact(external_id=identity.external_id)
        session.add(contact)
    contact.name = identity.name
    contact.email = identity.email
    contact.company = identity.company
    contact.company_code = identity.company_code
    contact.language = identity.language
    contact.can_open_tickets = identity.can_open_tickets
    await session.flush()
    return contact


async def get_conversation(session: AsyncSession, conversation_id: str) -> Optional[Conversation]:
    return await session.get(Conversation, conversation_id)


async def conversation_by_resume_hash(session: AsyncSession, resume_hash: str) -> Optional[Conversation]:
    return (
        await session.execute(select(Conversation).where(Conversation.resume_hash == resume_hash))
    ).scalar_one_or_none()


async def has_messages(session: AsyncSession, conversation_id: str) -> bool:
    found = await session.execute(select(Message.id).where(Message.conversation_id == conversation_id).limit(1))
    return found.first() is not None


async def create_conversation(
    session: AsyncSession, contact_id: Optional[int], language: Optional[str], channel: str = "widget"
) -> Conversation:
    conversation = Conversation(contact_id=contact_id, language=language, channel=channel, mode="bot")
    session.add(conversation)
    await session.flush()
    return conversation


async def find_customer_message(
    session: AsyncSession, conversation_id: str, client_message_id: str
) -> Optional[Message]:
    return (
        await session.execute(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.client_message_id == client_message_id
            )
        )
    ).scalar_one_or_none()


async def add_message(
    session: AsyncSession,
    conversation_id: str,
    sender: str,
    text: str,
    payload: Optional[Any] = None,
    client_message_id: Optional[str] = None,
    title: Optional[str] = None,
) -> Message:
    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        text=text,
        payload=payload,
        client_message_id=client_message_id,
        title=title,
    )
    session.add(message)
    await session.flush()
    return message


async def record_understanding(
    session: AsyncSession,
    message_id: int,
    intent: Optional[str],
    confidence: Optional[float],
    language: Optional[str],
    payload: Any = None,
) -> None:
    values: Dict[str, Any] = {"intent": intent, "confidence": confidence, "language": language}
    if payload is not None:
        values["payload"] = payload
    await session.execute(update(Message).where(Message.id == message_id).values(**values))


async def transcript(session: AsyncSession, conversation_id: str, after_id: int = 0) -> List[Message]:
    return list(
        (
            await session.execute(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.id > after_id)
                .order_by(Message.id)
            )
        ).scalars()
    )


async def unanswered_customer_messages(session: AsyncSession, since: datetime) -> List[Tuple[int, str]]:
    """(message id, conversation id) of customer messages stored since `since`
    that are still the last message of a conversation with Carolina."""
    # Only recent messages are grouped (start-up should not scan every conversation
    # ever held): any later message of a conversation would be recent as well.
    last = (
        select(Message.conversation_id, func.max(Message.id).label("id"))
        .where(Message.created_at >= utc(since))
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await session.execute(
        select(Message.id, Message.conversation_id)
        .join(last, Message.id == last.c.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.sender == "customer", Conversation.mode == "bot")
        .order_by(Message.id)
    )
    return [(row.id, row.conversation_id) for row in rows]


async def replies_after(session: AsyncSession, message: Message) -> List[Message]:
    """The messages that answered `message`: everything after it up to the
    customer's next message."""
    replies = []
    for later in await transcript(session, message.conversation_id, message.id):
        if later.sender == "customer":
            break
        replies.append(later)
    return replies


async def recent_buttons(session: AsyncSession, conversation_id: str, last: int = 5) -> List[Dict[str, Any]]:
    """The buttons of Carolina's last few messages, newest first: what a
    customer's click can have been."""
    rows = (
        await session.execute(
            select(Message.payload)
            .where(Message.conversation_id == conversation_id, Message.sender == "bot")
            .order_by(Message.id.desc())
            .limit(last)
        )
    ).scalars()
    found: List[Dict[str, Any]] = []
    for payload in rows:
        for button in (payload or {}).get("buttons") or (payload or {}).get("quick_replies") or []:
            if isinstance(button, dict):
                found.append(button)
    return found
