"""The tickets API under /api/tickets (and /api/deflections): thin handlers over
bot/domain/tickets.py. Callers are the action server (and, later, the console), with
the actions token. Creating is idempotent: the same Idempotency-Key (or the same
conversation + form turn) returns the first ticket, never a second one."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, TypeVar

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import keys
from bot.db.models import Contact, Ticket
from bot.domain import ticket_mail, tickets
from bot.domain.errors import DomainError
from bot.domain.tickets import TicketRequest
from bot.web.api import require_actions_token
from bot.web.bodies import Deflection, FollowUp, StatusChange, TicketCreate, TicketInformation, read

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()
T = TypeVar("T")
ATTEMPTS = 5


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


def for_actions(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Only the action server (with the actions token) may call the handler."""

    async def wrapper(request: web.Request) -> web.Response:
        require_actions_token(request)
        return await handler(request)

    return wrapper


async def _email(request: web.Request, ticket: Ticket, contact_email: Optional[str]) -> Optional[str]:
    sent = await ticket_mail.send_ticket_email(tickets.ticket_json(ticket), contact_email, request.app[keys.SETTINGS])
    if sent:
        async with request.app[keys.SESSIONS].begin() as session:
            stored = await session.get_one(Ticket, ticket.id)
            stored.emailed_at = request.app[keys.CLOCK].now()
    return sent


async def _created(
    request: web.Request, ticket: Ticket, created: bool, parent: Optional[Ticket] = None
) -> web.Response:
    return web.json_response(await created_json(request, ticket, created, parent), status=201 if created else 200)


async def created_json(
    request: web.Request, ticket: Ticket, created: bool, parent: Optional[Ticket] = None
) -> Dict[str, Any]:
    """The ticket as its creator sees it; a new ticket is e-mailed to the customer first."""
    emailed = None
    async with request.app[keys.SESSIONS]() as session:
        contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    if created:
        emailed = await _email(request, ticket, contact.email if contact else None)
    data = tickets.ticket_json(ticket, parent)
    data.update(
        created=created, emailed=bool(emailed) or ticket.emailed_at is not None, email=contact and contact.email
    )
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
        request, lambda session: tickets.create_ticket(session, conversation_id, parsed, key, digest, when)
    )
    if created:
        logger.info("Ticket %s created for conversation %s", ticket.number, conversation_id)
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
        _, contact = await tickets.conversation_contact(session, conversation_id)
        if contact is None:
            found = []
        elif text:
            found = await tickets.similar_open(session, contact, text, request.query.get("product"))
        else:
            found = [(t, 1.0) for t in await tickets.company_open(session, contact)]
    return web.json_response(
        {
            "tickets": [
                {"number": t.number, "summary": t.summary, "status": t.status, "score": round(score, 3)}
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
            session, conversation_id, parsed, key, digest, when, parent=parent
        )
        return created_ticket, created, parent

    new_ticket, created, parent = await in_transaction(request, work)
    return await _created(request, new_ticket, created, parent)


@routes.post("/api/tickets/{number}/status", name="ticket_status")
@for_actions
async def change_status(request: web.Request) -> web.Response:
    """Support's side of a ticket's life (the console uses it; so do tests)."""
    number = number_of(request)
    change, _ = await read(request, StatusChange)

    async def work(session: Any) -> Ticket:
        found = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one_or_none()
        if found is None:
            raise DomainError(404, "no_ticket", "no such ticket")
        return await tickets.set_status(session, found, change.status)

    changed = await in_transaction(request, work)
    return web.json_response({"number": changed.number, "status": changed.status})


@routes.post("/api/deflections", name="deflections")
@for_actions
async def deflection(request: web.Request) -> web.Response:
    """An article solved the customer's problem during the intake: no ticket."""
    deflected, _ = await read(request, Deflection)
    conversation_id, article_id = deflected.conversation_id, deflected.article_id
    await in_transaction(request, lambda session: tickets.record_deflection(session, conversation_id, article_id))
    return web.json_response({"conversation_id": conversation_id, "article_id": article_id}, status=201)
