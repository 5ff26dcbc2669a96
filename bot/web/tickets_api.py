"""The tickets API under /api/tickets (and /api/deflections): thin handlers over
bot/domain/tickets.py. The caller is the action server, with the token of the
conversation the call is about (bot/web/api.py, for_actions); support changes a
ticket's status in the console (bot/web/console_api.py), not here. Creating is
idempotent: the same Idempotency-Key (or the same conversation + form turn)
returns the first ticket, never a second one."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, TypeVar

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot import keys
from bot.db.models import Contact, Ticket, utc
from bot.domain import mail_queue, ticket_status, ticket_thread, tickets
from bot.domain.errors import DomainError
from bot.domain.ticket_texts import status_label
from bot.domain.tickets import TicketRequest
from bot.web.api import for_actions
from bot.web.bodies import (
    Deflection,
    FollowUp,
    TicketCreate,
    TicketInformation,
    TicketReply,
    TicketSurvey,
    TicketValidation,
    read,
)
from common.ids import short_id

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()
T = TypeVar("T")
ATTEMPTS = 5
# How many open tickets "my tickets" lists.
MY_TICKETS = 10


def conversation_of(body: Dict[str, Any]) -> str:
    conversation_id = body.get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise DomainError(422, "invalid", "conversation_id is required")
    return conversation_id


def idempotency_key(request: web.Request, body: Dict[str, Any], scope: str) -> str:
    """The client's Idempotency-Key, or the conversation and the form turn."""
    header = request.headers.get("Idempotency-Key", "").strip()
    if header:
        if len(header) > 150:
            raise DomainError(422, "invalid", "Idempotency-Key is longer than 150 characters")
        return f"{scope}:key:{header}"
    turn = body.get("form_turn")
    if isinstance(turn, (str, int)) and str(turn):
        return f"{scope}:turn:{conversation_of(body)}:{turn}"
    raise DomainError(422, "invalid", "an Idempotency-Key header or form_turn is required")


async def in_transaction(request: web.Request, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(session)` in its own transaction, again if a concurrent request
    took the same number or key first (the unique constraints are the referee)."""
    for attempt in range(ATTEMPTS):
        try:
            async with request.app[keys.SESSIONS].begin() as session:
                return await work(session)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def _email(request: web.Request, ticket: Ticket, created: bool) -> bool:
    """Whether the ticket's e-mail (queued with the ticket) has gone out. A new
    ticket's is tried at once, after the commit; if that fails, the mail job
    retries it later, and a replay of the request reports how it went."""
    job = request.app[keys.MAIL]
    async with request.app[keys.SESSIONS]() as session:
        unsent = await mail_queue.unsent_of(session, ticket.id)
        stored = await session.get(Ticket, ticket.id)
    if unsent is None:
        return stored is not None and stored.emailed_at is not None
    if created:
        return await job.send_now(unsent.id)
    job.kick()
    return False


async def _created(
    request: web.Request, ticket: Ticket, created: bool, parent: Optional[Ticket] = None
) -> web.Response:
    return web.json_response(await created_json(request, ticket, created, parent), status=201 if created else 200)


async def created_json(
    request: web.Request, ticket: Ticket, created: bool, parent: Optional[Ticket] = None
) -> Dict[str, Any]:
    """The ticket as its creator sees it; a new ticket's e-mail is tried first (after the commit)."""
    async with request.app[keys.SESSIONS]() as session:
        contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    emailed = await _email(request, ticket, created)
    data = tickets.ticket_json(ticket, parent)
    data.update(created=created, emailed=emailed, email=contact and contact.email)
    return data


@routes.post("/api/tickets", name="create_ticket")
@for_actions
async def create_ticket(request: web.Request) -> web.Response:
    _, body = await read(request, TicketCreate)
    conversation_id = conversation_of(body)
    key = idempotency_key(request, body, "ticket")
    parsed = TicketRequest.parse(body)
    digest = tickets.body_hash(body)
    when = request.app[keys.CLOCK].now()
    ticket, created = await in_transaction(
        request,
        lambda session: tickets.create_ticket(
            session, conversation_id, parsed, key, digest, when, mail=request.app[keys.SETTINGS]
        ),
    )
    if created:
        logger.info("Ticket %s created for conversation %s", ticket.number, short_id(conversation_id))
    return await _created(request, ticket, created)


@routes.get("/api/tickets", name="similar_tickets")
@for_actions
async def similar_tickets(request: web.Request) -> web.Response:
    """The conversation's customer's open tickets like `similar_to` (same problem?);
    without `similar_to`, their company's open tickets, newest first (to pick
    from when the customer does not have the number)."""
    conversation_id = request.query.get("conversation_id", "")
    text = request.query.get("similar_to", "")
    if not conversation_id:
        raise DomainError(422, "invalid", "conversation_id is required")
    async with request.app[keys.SESSIONS]() as session:
        conversation, contact = await tickets.conversation_contact(session, conversation_id)
        if contact is None:
            found = []
        elif text:
            found = await tickets.similar_open(session, contact, text, request.query.get("product"))
        else:
            # mine=1 (the customer's "my tickets") is this list too, longer: their company's open tickets.
            limit = MY_TICKETS if request.query.get("mine") == "1" else tickets.PICK_LIMIT
            found = [(t, 1.0) for t in await tickets.company_open(session, contact, limit)]
        last = await ticket_thread.last_interactions(session, [t for t, _ in found])
    language = conversation.language
    return web.json_response(
        {
            "tickets": [
                {
                    "number": t.number,
                    "summary": t.summary,
                    "status": t.status,
                    "score": round(score, 3),
                    "status_label": status_label(t.status, language),
                    "updated_at": utc(t.updated_at).isoformat(),
                    "last_interaction_at": last[t.id].isoformat(),
                }
                for t, score in found
            ]
        }
    )


def number_of(request: web.Request) -> str:
    number = request.match_info["number"]
    if not tickets.NUMBER.match(number):
        raise DomainError(404, "no_ticket", "no such ticket for this customer")
    return number


@routes.get("/api/tickets/{number}", name="ticket")
@for_actions
async def ticket(request: web.Request) -> web.Response:
    """A ticket as the conversation's customer may see it (their company's only)."""
    number = number_of(request)
    async with request.app[keys.SESSIONS]() as session:
        _, contact = await tickets.conversation_contact(session, request.query.get("conversation_id", ""))
        found = await tickets.find_for(session, number, contact)
        parent = await session.get(Ticket, found.parent_id) if found.parent_id else None
        updates = await tickets.updates_of(session, found)
    return web.json_response(tickets.ticket_json(found, parent, updates))


async def customer_ticket(session: Any, number: str, conversation_id: str) -> Ticket:
    """The ticket, if the conversation's customer may see it (404 otherwise)."""
    _, contact = await tickets.conversation_contact(session, conversation_id)
    return await tickets.find_for(session, number, contact)


@routes.get("/api/tickets/{number}/thread", name="ticket_thread")
@for_actions
async def thread(request: web.Request) -> web.Response:
    """The ticket's public thread, for the customer (their company's tickets only)."""
    number = number_of(request)
    async with request.app[keys.SESSIONS]() as session:
        conversation, _ = await tickets.conversation_contact(session, request.query.get("conversation_id", ""))
        found = await customer_ticket(session, number, conversation.id)
        settings, now = request.app[keys.SETTINGS], request.app[keys.CLOCK].now()
        messages = await ticket_thread.thread_of(session, found, include_internal=False, settings=settings, now=now)
    return web.json_response(
        {
            "number": found.number,
            "status": found.status,
            "status_label": status_label(found.status, conversation.language or found.language),
            "deadline_at": utc(found.deadline_at).isoformat() if found.deadline_at else None,
            "messages": messages,
        }
    )


@routes.post("/api/tickets/{number}/replies", name="ticket_replies")
@for_actions
async def reply(request: web.Request) -> web.Response:
    """The customer's answer on the ticket, from the widget, with the files the
    conversation sent that are on no ticket yet; 409 "closed" on a closed ticket
    (a follow-up continues it). An Idempotency-Key makes a retry the same answer."""
    number = number_of(request)
    answer, body = await read(request, TicketReply)
    conversation_id = conversation_of(body)
    header = request.headers.get("Idempotency-Key", "").strip()
    if len(header) > 150:
        raise DomainError(422, "invalid", "Idempotency-Key is longer than 150 characters")
    key = f"api:{number}:{header}" if header else None
    settings = request.app[keys.SETTINGS]

    async def work(session: Any) -> Any:
        found = await customer_ticket(session, number, conversation_id)
        earlier = await ticket_thread.by_key(session, found, key) if key else None
        if earlier is not None:
            return found, earlier, False
        files = await ticket_thread.unlinked_attachments(session, conversation_id, found)
        message = await ticket_thread.add_message(
            session,
            found,
            author="customer",
            text=answer.text,
            via="widget",
            attachment_ids=files,
            settings=settings,
            conversation_id=conversation_id,
            email_id=key,
        )
        return found, message, True

    found, message, created = await in_transaction(request, work)
    async with request.app[keys.SESSIONS]() as session:
        shown = await ticket_thread.thread_of(
            session, found, include_internal=False, settings=settings, now=request.app[keys.CLOCK].now()
        )
    data = next(m for m in shown if m["id"] == message.id)
    return web.json_response(
        {"number": found.number, "status": found.status, "message": data}, status=201 if created else 200
    )


@routes.post("/api/tickets/{number}/validation", name="ticket_validation")
@for_actions
async def validation(request: web.Request) -> web.Response:
    """The customer's answer to a solution: accepted closes the ticket; not solved
    sends it back to analysis with the reason. 409 unless it awaits validation."""
    number = number_of(request)
    answer, body = await read(request, TicketValidation)
    conversation_id = conversation_of(body)
    settings = request.app[keys.SETTINGS]

    async def work(session: Any) -> Ticket:
        found = await customer_ticket(session, number, conversation_id)
        return await ticket_status.validate(session, found, answer.accepted, answer.reason, "widget", settings)

    found = await in_transaction(request, work)
    return web.json_response({"number": found.number, "status": found.status})


@routes.post("/api/tickets/{number}/survey", name="ticket_survey")
@for_actions
async def survey(request: web.Request) -> web.Response:
    """The 0-10 survey of a closed ticket, answered once (409 "answered"; 409 "not_closed")."""
    number = number_of(request)
    answer, body = await read(request, TicketSurvey)
    conversation_id = conversation_of(body)

    async def work(session: Any) -> Ticket:
        found = await customer_ticket(session, number, conversation_id)
        return await ticket_status.answer_survey(session, found, answer.score, answer.comment, "widget")

    found = await in_transaction(request, work)
    return web.json_response(
        {"number": found.number, "status": found.status, "survey": ticket_thread.survey_of(found)}, status=201
    )


@routes.post("/api/tickets/{number}/updates", name="ticket_updates")
@for_actions
async def add_update(request: web.Request) -> web.Response:
    """New information for an open ticket of the customer (instead of a duplicate)."""
    number = number_of(request)
    information, body = await read(request, TicketInformation)
    conversation_id = conversation_of(body)
    key = idempotency_key(request, body, f"update:{number}")
    fields = information.fields
    digest = tickets.body_hash(body)

    async def work(session: Any) -> Any:
        _, contact = await tickets.conversation_contact(session, conversation_id)
        found = await tickets.find_for(session, number, contact)
        update, created = await tickets.add_update(session, found, conversation_id, fields, key, digest)
        return found, created

    found, created = await in_transaction(request, work)
    return web.json_response(
        {"number": found.number, "status": found.status, "created": created}, status=201 if created else 200
    )


@routes.post("/api/tickets/{number}/follow-ups", name="ticket_follow_up")
@for_actions
async def follow_up(request: web.Request) -> web.Response:
    """A new ticket that continues a closed one, carrying its history."""
    number = number_of(request)
    follow, body = await read(request, FollowUp)
    conversation_id = conversation_of(body)
    key = idempotency_key(request, body, f"follow-up:{number}")
    description = follow.description
    digest = tickets.body_hash(body)
    when = request.app[keys.CLOCK].now()

    async def work(session: Any) -> Any:
        existing = await tickets.by_key(session, Ticket, key)
        if existing is not None:
            parent = await session.get(Ticket, existing.parent_id)
            return tickets.same_request(existing, digest), False, parent
        _, contact = await tickets.conversation_contact(session, conversation_id)
        parent = await tickets.find_for(session, number, contact)
        parsed = tickets.follow_up_request(parent, description, follow.language)
        created_ticket, created = await tickets.create_ticket(
            session, conversation_id, parsed, key, digest, when, parent=parent, mail=request.app[keys.SETTINGS]
        )
        return created_ticket, created, parent

    new_ticket, created, parent = await in_transaction(request, work)
    return await _created(request, new_ticket, created, parent)


@routes.post("/api/deflections", name="deflections")
@for_actions
async def deflection(request: web.Request) -> web.Response:
    """An article solved the customer's problem during the intake: no ticket."""
    deflected, _ = await read(request, Deflection)
    conversation_id, article_id = deflected.conversation_id, deflected.article_id
    await in_transaction(request, lambda session: tickets.record_deflection(session, conversation_id, article_id))
    return web.json_response({"conversation_id": conversation_id, "article_id": article_id}, status=201)
