"""What the agent console needs beyond live chat, under /api/agent as well:
transcripts (search, view, export), tickets (list, view, change status with a
note), analysts (admins create them). Every transcript or ticket view is
written to the audit log. Thin handlers over bot/domain/transcripts.py."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot import keys
from bot.db.models import Agent, TicketUpdate
from bot.domain import agents, tickets, transcripts
from bot.domain.errors import DomainError
from bot.web.agent_api import signed_in
from bot.web.bodies import AgentCreate, ConsoleStatusChange, read

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
    async with request.app[keys.SESSIONS].begin() as session:
        record = await transcripts.transcript(session, agent, request.match_info["id"])
        await transcripts.audit(session, agent, f"export_{export}" if export else "view", record["conversation_id"])
    name = f"conversation-{record['conversation_id']}"
    if export == "txt":
        return web.Response(
            text=transcripts.as_text(record),
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
async def ticket_list(request: web.Request, agent: Agent) -> web.Response:
    async with request.app[keys.SESSIONS]() as session:
        found = await transcripts.ticket_list(session, agent, dict(request.query))
    return web.json_response({"tickets": found})


@routes.get("/api/agent/tickets/{number}", name="agent_ticket_view")
@signed_in
async def ticket_show(request: web.Request, agent: Agent) -> web.Response:
    async with request.app[keys.SESSIONS].begin() as session:
        found = await transcripts.ticket_for(session, agent, request.match_info["number"])
        updates = await tickets.updates_of(session, found)
        data = tickets.ticket_json(found, None, updates)
        await transcripts.audit(session, agent, "view_ticket", found.number)
    return web.json_response(data)


@routes.post("/api/agent/tickets/{number}/status", name="agent_ticket_status")
@signed_in
async def ticket_status(request: web.Request, agent: Agent) -> web.Response:
    change, _ = await read(request, ConsoleStatusChange)
    note = (change.note or "").strip()[:2000]
    async with request.app[keys.SESSIONS].begin() as session:
        found = await transcripts.ticket_for(session, agent, request.match_info["number"])
        before = found.status
        await tickets.set_status(session, found, change.status)
        session.add(
            TicketUpdate(
                ticket_id=found.id,
                conversation_id=found.conversation_id,
                fields={"status": found.status, "previous_status": before, "note": note, "by": agent.name},
            )
        )
        await transcripts.audit(session, agent, "ticket_status", found.number, {"from": before, "to": found.status})
        data = {"number": found.number, "status": found.status}
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
        await transcripts.audit(session, agent, "create_agent", created.email)
        data = agents.agent_json(created)
    return web.json_response({"agent": data}, status=201)
