"""Data-subject requests over the analysts' API, for administrators: export
everything the hub holds about a person, or erase it (the same as
`python -m bot privacy export|erase`). Thin handlers over
bot/domain/data_subject.py.

Both are audited like every analyst's call (bot/web/audit.py), as
privacy_export and privacy_erase about "contact:<ids>", with the counts. The
e-mail or portal id asked for stays out of the entry (the audit log outlives an
erasure): the query's values are withheld before anything else can refuse the
call, and an erasure's body is never recorded."""

from __future__ import annotations

from aiohttp import web

from bot import keys
from bot.db.models import Agent
from bot.domain import data_subject
from bot.domain.errors import DomainError
from bot.web import audit
from bot.web.agent_api import signed_in
from bot.web.bodies import PrivacyErase, read
from bot.web.console_api import admin_only

routes = web.RouteTableDef()
WITHHELD = "[withheld]"
# A person's data is for whoever asked, never for a cache on the way.
PRIVATE = {"Cache-Control": "no-store"}


@routes.get("/api/agent/privacy/export", name="agent_privacy_export")
@signed_in
async def export(request: web.Request, agent: Agent) -> web.Response:
    """?email=... or ?contact_id=...: everything held about the person, as JSON."""
    audit.note(request, "privacy_export", query={key: WITHHELD for key in request.query})
    admin_only(agent)
    wanted = data_subject.Wanted.of(request.query.get("email"), request.query.get("contact_id"))
    app = request.app
    person, data = await data_subject.exported(app[keys.SESSIONS], app[keys.SETTINGS], wanted)
    audit.note(request, target=person.target, counts=data_subject.export_counts(data))
    return web.json_response(data, headers=PRIVATE)


@routes.post("/api/agent/privacy/erase", name="agent_privacy_erase")
@signed_in
async def erase(request: web.Request, agent: Agent) -> web.Response:
    """{email | contact_id, confirm: true}: the person's data erased or anonymised; the counts."""
    audit.note(request, "privacy_erase")
    admin_only(agent)
    wanted, _ = await read(request, PrivacyErase)
    if not wanted.confirm:
        raise DomainError(400, "confirm_required", "an erasure cannot be undone: send confirm: true")
    person_of = data_subject.Wanted.of(wanted.email, wanted.contact_id)
    app = request.app
    person, counts = await data_subject.erase_person(app[keys.SESSIONS], app[keys.SETTINGS], person_of)
    audit.note(request, target=person.target, counts=counts)
    return web.json_response({"erased": counts})
