"""The reports under /api/reports, for supervisors and administrators: each
report as JSON, or one of its lists as CSV (format=csv&table=...), and marking
knowledge gaps as handled. Thin handlers over bot/domain/reports.py and
bot/domain/knowledge_gaps.py; authenticated and audited like the console's
routes (signed_in)."""

from __future__ import annotations

import csv
import io
from typing import Any, List

from aiohttp import web

from bot import keys
from bot.db.models import Agent
from bot.domain import knowledge_gaps, reports
from bot.domain.agents import supervisor_or_admin
from bot.domain.errors import DomainError
from bot.web import audit
from bot.web.agent_api import signed_in
from bot.web.bodies import GapsHandled, read
from common.clock import ZONE
from common.languages import DEFAULT_LANGUAGE, LANGUAGES

routes = web.RouteTableDef()
# A spreadsheet would run a cell that starts like a formula (CSV injection): such text gets a leading '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def answer(request: web.Request, agent: Agent, name: str) -> web.Response:
    supervisor_or_admin(agent)
    query = request.query
    now = request.app[keys.CLOCK].now()
    period = reports.Period.parse(query, now.astimezone(ZONE).date())
    lang = (query.get("lang") or "").strip() or DEFAULT_LANGUAGE
    if lang not in LANGUAGES:
        raise DomainError(422, "invalid", f"lang must be one of {', '.join(LANGUAGES)}")
    wanted = (query.get("format") or "json").strip()
    if wanted not in ("json", "csv"):
        raise DomainError(422, "invalid", "format must be json or csv")
    table = (query.get("table") or "").strip()
    if wanted == "csv" and table not in reports.TABLES[name]:
        raise DomainError(422, "invalid", f"table must be one of {', '.join(reports.TABLES[name])}")
    async with request.app[keys.SESSIONS]() as session:
        data = await reports.report(session, name, period, now, lang)
    if wanted == "json":
        return web.json_response(data)
    header, rows = reports.table(name, table, data)
    filename = f"{name}-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return web.Response(
        body=as_csv(header, rows).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def as_csv(header: List[str], rows: List[List[Any]]) -> str:
    """RFC 4180 with a byte-order mark, so a spreadsheet reads the accents as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@routes.get("/api/reports/containment", name="reports_containment")
@signed_in
async def containment(request: web.Request, agent: Agent) -> web.Response:
    """Conversations per day: Carolina alone, handed to a person, ticketed."""
    return await answer(request, agent, "containment")


@routes.get("/api/reports/kb", name="reports_kb")
@signed_in
async def kb(request: web.Request, agent: Agent) -> web.Response:
    """Answers, suggestions, nothing found, votes; the articles most shown and least helpful."""
    return await answer(request, agent, "kb")


@routes.get("/api/reports/gaps", name="reports_gaps")
@signed_in
async def gaps(request: web.Request, agent: Agent) -> web.Response:
    """The questions Carolina could not answer, in topics, most frequent first."""
    return await answer(request, agent, "gaps")


@routes.get("/api/reports/live_chat", name="reports_live_chat")
@signed_in
async def live_chat(request: web.Request, agent: Agent) -> web.Response:
    """Requests, waits, abandonment and handle time per queue; analysts online by hour."""
    return await answer(request, agent, "live_chat")


@routes.get("/api/reports/tickets", name="reports_tickets")
@signed_in
async def tickets(request: web.Request, agent: Agent) -> web.Response:
    """Tickets opened per day by category and criticality, deflections, time in each status."""
    return await answer(request, agent, "tickets")


@routes.get("/api/reports/satisfaction", name="reports_satisfaction")
@signed_in
async def satisfaction(request: web.Request, agent: Agent) -> web.Response:
    """Live-chat and ticket surveys: responses, NPS, distribution, comments."""
    return await answer(request, agent, "satisfaction")


@routes.post("/api/reports/gaps/handled", name="reports_gaps_handled")
@signed_in
async def gaps_handled(request: web.Request, agent: Agent) -> web.Response:
    """{event_ids: [...]}: a writer dealt with these questions; they leave the gaps report."""
    supervisor_or_admin(agent)
    wanted, _ = await read(request, GapsHandled)
    async with request.app[keys.SESSIONS].begin() as session:
        done = await knowledge_gaps.mark_handled(session, wanted.event_ids, request.app[keys.CLOCK].now())
    audit.note(request, "gaps_handled", "report_events", event_ids=sorted(set(wanted.event_ids))[:200], handled=done)
    return web.json_response({"handled": done})
