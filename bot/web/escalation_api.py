"""POST /api/escalations: a conversation needs a person. The action server
asks; the hub decides (bot/domain/escalation.py) and either queues the conversation
for an analyst or, with the gathered ticket in the request, opens it. Without
a ticket in the request, "unavailable" says why, so Carolina can gather one.

Retried with the same form turn, it returns the same handoff or ticket."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

from aiohttp import web

from bot import keys
from bot.domain import handoffs, tickets
from bot.domain.errors import DomainError
from bot.domain.escalation import Decision
from bot.domain.texts import opens_at, queue_name
from bot.domain.tickets import TicketRequest
from bot.web.api import for_actions
from bot.web.bodies import Escalation, read
from bot.web.tickets_api import conversation_of, created_json, idempotency_key, in_transaction
from common.clock import ZONE

routes = web.RouteTableDef()


def explain(decision: Decision, language: Optional[str]) -> Dict[str, Any]:
    """The decision, with the words Carolina needs in the customer's language."""
    data = decision.as_json()
    local = decision.opens_at.astimezone(ZONE) if decision.opens_at else None
    data.update(queue_name=queue_name(decision.queue, language), opens=opens_at(local, language))
    return data


@routes.get("/api/escalations/decision", name="escalation_decision")
@for_actions
async def decision(request: web.Request) -> web.Response:
    """Whether an analyst of `queue` could take the conversation now, and if
    not why: asked before Carolina gathers anything, so the customer hears the
    truth first. Nothing is queued or created; the reports note the request
    for a person (the handoff form is the only caller)."""
    conversation_id = request.query.get("conversation_id") or ""
    queue = request.query.get("queue") or ""
    live = request.app[keys.LIVE]
    if queue not in live.calendar.queues:
        raise DomainError(422, "invalid", f"queue must be one of {', '.join(live.calendar.queues)}")
    language = request.query.get("language") if request.query.get("language") in ("pt", "es", "en") else None
    when = request.app[keys.CLOCK].now()
    async with request.app[keys.SESSIONS].begin() as session:
        conversation, _ = await tickets.conversation_contact(session, conversation_id)
        await handoffs.requested(session, conversation, queue, language, when)
        found = await handoffs.decide_for(session, live.calendar, queue, when)
    return web.json_response(explain(found, language or conversation.language))


@routes.post("/api/escalations", name="escalate")
@for_actions
async def escalate(request: web.Request) -> web.Response:
    _, body = await read(request, Escalation)
    conversation_id = conversation_of(body)
    reason = str(body.get("reason") or "").strip()[:2000]
    ticket_body = body.get("ticket")
    parsed: Optional[TicketRequest] = None
    if ticket_body is not None:
        parsed = TicketRequest.parse({**ticket_body, "queue": body.get("queue") or ticket_body.get("queue")})
    queue = body.get("queue") or (parsed and parsed.queue) or tickets.queue_for(parsed.fields if parsed else {})
    live = request.app[keys.LIVE]
    if queue not in live.calendar.queues:
        raise DomainError(422, "invalid", f"queue must be one of {', '.join(live.calendar.queues)}")
    language = body.get("language") if body.get("language") in ("pt", "es", "en") else None
    when = request.app[keys.CLOCK].now()

    async def work(session: Any) -> Dict[str, Any]:
        conversation, contact = await tickets.conversation_contact(session, conversation_id)
        # A visitor who is not logged in may chat with an analyst; tickets (and,
        # for a blocked company, product chats) need the portal's contact.
        if contact is not None or parsed is not None:
            tickets.check_may_open(contact, queue)
        lang = language or conversation.language
        if body.get("queue"):
            # The handoff form's escalation (the intake's names no queue: the customer asked for a ticket).
            await handoffs.requested(session, conversation, queue, lang, when)
        existing = await handoffs.live_handoff(session, conversation_id)
        if existing is not None:
            return {
                "outcome": "handoff",
                "handoff_id": existing.id,
                "position": await handoffs.position(session, existing),
            }
        decision = await handoffs.decide_for(session, live.calendar, queue, when)
        result: Dict[str, Any] = {"decision": explain(decision, lang)}
        if decision.live:
            handoff = await handoffs.start(session, conversation, queue, reason, parsed, when)
            return {**result, "outcome": "handoff", "handoff_id": handoff.id, "position": decision.position}
        if parsed is None:
            return {**result, "outcome": "unavailable"}
        key = idempotency_key(request, body, "ticket")
        ticket, created = await tickets.create_ticket(
            session,
            conversation_id,
            dataclasses.replace(parsed, queue=queue),
            key,
            tickets.body_hash(ticket_body or {}),
            when,
            mail=request.app[keys.SETTINGS],
        )
        return {**result, "outcome": "ticket", "ticket_obj": ticket, "created": created}

    result = await in_transaction(request, work)
    if result["outcome"] == "handoff":
        await live.queued(result["handoff_id"])
        return web.json_response(result, status=201)
    if result["outcome"] == "ticket":
        created = result.pop("created")
        ticket = await created_json(request, result.pop("ticket_obj"), created)
        return web.json_response({**result, "ticket": ticket}, status=201 if created else 200)
    return web.json_response(result)
