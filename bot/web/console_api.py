"""What the agent console needs beyond live chat, under /api/agent as well:
transcripts (search, view, export), tickets (list, view with their thread,
public replies and internal notes, change status with a note), analysts
(admins create, disable, enable them and reset their passwords), the audit
log (admins read it). Every call is written to the audit log (bot/web/audit.py); a transcript's view or
export, a ticket's view, message and status change and an analyst's creation
under the names view, export_<format>, view_ticket, ticket_message,
ticket_status and create_agent.
Thin handlers over bot/domain/transcripts.py."""

from __future__ import annotations

from typing import Any, Dict

from aiohttp import web
from sqlalchemy import select

from bot import keys
from bot.db.models import Agent, Contact, TicketUpdate, utc
from bot.domain import (
    agent_edit,
    agents,
    canned_replies,
    customer_card,
    ticket_list,
    ticket_status,
    ticket_thread,
    tickets,
    transcripts,
)
from bot.domain import audit as audit_log
from bot.domain.errors import DomainError
from bot.domain.redaction import mask_text
from bot.realtime import agents as agent_sockets
from bot.realtime import ticket_news as ticket_news_sockets
from bot.web import audit
from bot.web.agent_api import signed_in
from bot.web.bodies import (
    AgentCreate,
    AgentEdit,
    CannedRepliesChange,
    ConsoleStatusChange,
    ConsoleTicketMessage,
    PasswordReset,
    read,
)

routes = web.RouteTableDef()


@routes.get("/api/agent/transcripts", name="agent_transcripts")
@signed_in
async def search(request: web.Request, agent: Agent) -> web.Response:
    """Handed-off and ticketed conversations: number, contact, company, q (words), language, since, until."""
    filters = transcripts.Filters.parse(dict(request.query))
    async with request.app[keys.SESSIONS]() as session:
        found = await transcripts.search(session, agent, filters)
    return web.json_response({"conversations": found})


@routes.get("/api/agent/transcripts/{id}", name="agent_transcript")
@signed_in
async def show(request: web.Request, agent: Agent) -> web.Response:
    """One transcript; ?format=txt or ?format=json downloads it."""
    export = request.query.get("format", "")
    async with request.app[keys.SESSIONS]() as session:
        record = await transcripts.transcript(session, agent, request.match_info["id"])
    audit.note(request, f"export_{export}" if export else "view", record["conversation_id"])
    name = f"conversation-{record['conversation_id']}"
    if export == "txt":
        return web.Response(
            text=transcripts.as_text(record, request.query.get("tz", "")),
            content_type="text/plain",
            headers={"Content-Disposition": f'attachment; filename="{name}.txt"'},
        )
    if export == "json":
        return web.Response(
            text=transcripts.as_json(record),
            content_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    return web.json_response(record)


@routes.get("/api/agent/tickets", name="agent_tickets")
@signed_in
async def ticket_page(request: web.Request, agent: Agent) -> web.Response:
    """A page of tickets (status, queue, criticality, page, per_page), most critical then oldest first."""
    async with request.app[keys.SESSIONS]() as session:
        found = await ticket_list.page_of(session, agent, dict(request.query))
    return web.json_response(found)


@routes.get("/api/agent/conversations/{id}/customer", name="agent_customer_card")
@signed_in
async def customer(request: web.Request, agent: Agent) -> web.Response:
    """The customer card of a conversation: who, their open tickets, recent conversations, last score."""
    async with request.app[keys.SESSIONS]() as session:
        found = await customer_card.card(session, agent, request.match_info["id"])
    return web.json_response(found)


@routes.get("/api/agent/canned-replies", name="agent_canned_replies")
@signed_in
async def canned(request: web.Request, agent: Agent) -> web.Response:
    """The ready answers per customer language."""
    async with request.app[keys.SESSIONS]() as session:
        found = await canned_replies.all_replies(session)
    return web.json_response({"replies": found})


@routes.put("/api/agent/canned-replies/{language}", name="agent_canned_replies_change")
@signed_in
async def canned_change(request: web.Request, agent: Agent) -> web.Response:
    """A language's new list of ready answers (administrators)."""
    admin_only(agent)
    wanted, _ = await read(request, CannedRepliesChange)
    language = request.match_info["language"]
    async with request.app[keys.SESSIONS].begin() as session:
        await canned_replies.replace(session, language, wanted.replies, agent, request.app[keys.CLOCK].now())
        found = await canned_replies.all_replies(session)
    audit.note(request, "canned_replies", language, count=len(found[language]))
    return web.json_response({"replies": found})


@routes.get("/api/agent/tickets/{number}", name="agent_ticket_view")
@signed_in
async def ticket_show(request: web.Request, agent: Agent) -> web.Response:
    """The ticket with its thread (internal notes too), its next automatic move and its survey."""
    async with request.app[keys.SESSIONS]() as session:
        found = await transcripts.ticket_for(session, agent, request.match_info["number"])
        updates = await tickets.updates_of(session, found)
        data = tickets.ticket_json(found, None, updates)
        data["thread"] = await ticket_thread.thread_of(session, found, include_internal=True)
        contact = await session.get(Contact, found.contact_id) if found.contact_id else None
    moves = ticket_status.deadline_of(found, found.status) if found.deadline_at else None
    data.update(
        deadline_at=utc(found.deadline_at).isoformat() if found.deadline_at else None,
        deadline_to=moves[0].then if moves else None,
        warn_at=utc(found.warn_at).isoformat() if found.warn_at else None,
        survey=ticket_thread.survey_of(found),
        cc=list(found.cc or []),
        customer=contact
        and {"name": contact.name, "email": contact.email, "company": contact.company, "language": contact.language},
    )
    audit.note(request, "view_ticket", found.number)
    return web.json_response(data)


@routes.post("/api/agent/tickets/{number}/messages", name="agent_ticket_message")
@signed_in
async def ticket_message(request: web.Request, agent: Agent) -> web.Response:
    """A public reply (the customer is e-mailed and told in the widget) or an
    internal note, optionally setting the ticket's status in the same step."""
    wanted, _ = await read(request, ConsoleTicketMessage)
    settings = request.app[keys.SETTINGS]
    async with request.app[keys.SESSIONS].begin() as session:
        found = await transcripts.ticket_for(session, agent, request.match_info["number"])
        before = found.status
        message = await ticket_thread.add_message(
            session,
            found,
            author="agent",
            text=wanted.text,
            via="console",
            visibility=wanted.visibility,
            agent=agent,
            attachment_ids=wanted.attachments,
            settings=settings,
            status=wanted.status,
        )
        shown = next(m for m in await ticket_thread.thread_of(session, found, True) if m["id"] == message.id)
        data = {"message": shown, "status": found.status}
    if wanted.visibility == "public" or found.status != before:
        request.app[keys.MAIL].kick()
        await ticket_news_sockets.deliver_quietly(
            request.app[keys.SIO], request.app[keys.SESSIONS], [found.contact_id], settings.clock.now()
        )
    detail: Dict[str, Any] = {"visibility": wanted.visibility, "attachments": len(wanted.attachments)}
    if found.status != before:
        detail.update({"from": before, "to": found.status})
    audit.note(request, "ticket_message", found.number, **detail)
    return web.json_response(data, status=201)


@routes.post("/api/agent/tickets/{number}/status", name="agent_ticket_status")
@signed_in
async def ticket_status_change(request: web.Request, agent: Agent) -> web.Response:
    """A new status (with an optional note, kept for analysts only); the customer
    is told of it and its deadline, if the status has one, starts now."""
    change, _ = await read(request, ConsoleStatusChange)
    note = (change.note or "").strip()[:2000]
    settings = request.app[keys.SETTINGS]
    async with request.app[keys.SESSIONS].begin() as session:
        found = await transcripts.ticket_for(session, agent, request.match_info["number"])
        before = found.status
        if change.status == before and not note:
            raise DomainError(422, "empty_change", "a change needs a new status or a note")
        if change.status != before:
            await ticket_status.change(session, found, change.status, by="agent", agent=agent, settings=settings)
        else:
            await tickets.set_status(session, found, change.status)  # the same one again changes nothing
        if note:
            await ticket_thread.add_message(
                session, found, author="agent", text=note, via="console", visibility="internal", agent=agent
            )
        session.add(
            TicketUpdate(
                ticket_id=found.id,
                conversation_id=found.conversation_id,
                fields={
                    "status": found.status,
                    "previous_status": before,
                    "note": mask_text(note, found.language),
                    "by": agent.name,
                },
            )
        )
        data = {"number": found.number, "status": found.status}
    if found.status != before:
        request.app[keys.MAIL].kick()
        await ticket_news_sockets.deliver_quietly(
            request.app[keys.SIO], request.app[keys.SESSIONS], [found.contact_id], settings.clock.now()
        )
    audit.note(request, "ticket_status", found.number, **{"from": before, "to": data["status"]})
    return web.json_response(data)


def admin_only(agent: Agent) -> None:
    if agent.role != "admin":
        raise DomainError(403, "forbidden", "only an administrator may do this")


@routes.get("/api/agent/agents", name="agent_list")
@signed_in
async def agent_list(request: web.Request, agent: Agent) -> web.Response:
    admin_only(agent)
    async with request.app[keys.SESSIONS]() as session:
        everyone = (await session.execute(select(Agent).order_by(Agent.id))).scalars()
        data = [agents.agent_json(a) for a in everyone]
    return web.json_response({"agents": data})


@routes.post("/api/agent/agents", name="agent_create")
@signed_in
async def agent_create(request: web.Request, agent: Agent) -> web.Response:
    admin_only(agent)
    wanted, _ = await read(request, AgentCreate)
    async with request.app[keys.SESSIONS].begin() as session:
        created = await agents.create_agent(
            session, wanted.email, wanted.name, wanted.password, wanted.queues, wanted.role
        )
        data = agents.agent_json(created)
    audit.note(request, "create_agent", data["email"])
    return web.json_response({"agent": data}, status=201)


def analyst_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError as error:
        raise DomainError(404, "no_agent", "no such analyst") from error


@routes.patch("/api/agent/agents/{id}", name="agent_edit")
@signed_in
async def agent_change(request: web.Request, agent: Agent) -> web.Response:
    """An administrator changes an analyst's name, role or queues (only the keys given)."""
    admin_only(agent)
    wanted, _ = await read(request, AgentEdit)
    async with request.app[keys.SESSIONS].begin() as session:
        target = await agents.get_agent(session, analyst_id(request))
        agent_edit.edit(target, agent, wanted.name, wanted.role, wanted.queues)
        data = agents.agent_json(target)
    audit.note(request, "edit_agent", data["email"], **wanted.model_dump(exclude_none=True))
    return web.json_response({"agent": data})


@routes.post("/api/agent/agents/{id}/disable", name="agent_disable")
@signed_in
async def agent_disable(request: web.Request, agent: Agent) -> web.Response:
    """The analyst can no longer log in: every session ends, their consoles drop
    at once, and the chats they held go back to the queue (as when a connection is lost)."""
    admin_only(agent)
    number = analyst_id(request)
    async with request.app[keys.SESSIONS].begin() as session:
        target = await agents.get_agent(session, number)
        await agents.disable(session, target, request.app[keys.CLOCK].now(), by=agent)
        data = agents.agent_json(target)
    await agent_sockets.drop_agent(request.app, number)
    await request.app[keys.LIVE].agent_gone(number)
    audit.note(request, "disable_agent", data["email"])
    return web.json_response({"agent": {**data, "presence": "offline"}})


@routes.post("/api/agent/agents/{id}/enable", name="agent_enable")
@signed_in
async def agent_enable(request: web.Request, agent: Agent) -> web.Response:
    admin_only(agent)
    async with request.app[keys.SESSIONS].begin() as session:
        target = agents.enable(await agents.get_agent(session, analyst_id(request)))
        data = agents.agent_json(target)
    audit.note(request, "enable_agent", data["email"])
    return web.json_response({"agent": data})


@routes.post("/api/agent/agents/{id}/password", name="agent_password_reset")
@signed_in
async def agent_password_reset(request: web.Request, agent: Agent) -> web.Response:
    """A new password for the analyst; their sessions end and their consoles drop
    (their chats go back to the queue if they do not log in again in time)."""
    admin_only(agent)
    wanted, _ = await read(request, PasswordReset)
    number = analyst_id(request)
    async with request.app[keys.SESSIONS].begin() as session:
        target = await agents.reset_password(session, await agents.get_agent(session, number), wanted.password)
        data = agents.agent_json(target)
    await agent_sockets.drop_agent(request.app, number)
    audit.note(request, "reset_password", data["email"])
    return web.json_response({"agent": data})


@routes.get("/api/agent/audit", name="agent_audit")
@signed_in
async def audit_entries(request: web.Request, agent: Agent) -> web.Response:
    """The audit log, newest first (admins only): actor, agent_id, action, target, since, until."""
    admin_only(agent)
    async with request.app[keys.SESSIONS]() as session:
        found = await audit_log.entries(session, request.query)
    return web.json_response({"entries": found})
