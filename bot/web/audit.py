"""The audit of the API: one entry for every call an analyst or the action
server makes, whatever the route and however it ends.

Why a middleware keyed on authentication, and not each handler writing its own
entry (which is how reads came to be forgotten) or SQLAlchemy events on the
sensitive tables: nobody reaches an analyst's or the action server's data
without first proving who they are, and the two functions that check it
(`current` in bot/web/agent_api.py, `for_actions` in bot/web/api.py) call
`identified` here. This middleware then writes one entry for every request
so marked, after the handler, with the route's name, what the call was about
(the id or number in the path, the conversation the action server's token is
for), the filters of a list or search, and the status it ended with, refusals
and errors included. A new route cannot forget: to serve anything it must
authenticate, and authenticating is what gets it audited (tests/security/
test_audit_trail.py walks every route). Events on tables would see queries,
not calls: many per request, without the route, the filters or the outcome.

Handlers may name an entry's action and add detail (`note`): a transcript view
is "view", its export "export_txt", a ticket's status change carries from/to.
Logins, failed logins and logouts are written by the login code itself."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from aiohttp import web

from bot import keys
from bot.adapters.clients import client_address
from bot.domain import audit
from bot.web.problems import Handler, problem

logger = logging.getLogger(__name__)

ACTOR = "carolina.audit.actor"  # (actor, agent id, target or None)
NOTE = "carolina.audit.note"  # {"action": ..., "target": ..., "detail": {...}}
# Written by the login code (bot/web/agent_api.py) with its own words.
RECORDED_ELSEWHERE = frozenset({"agent_login", "agent_logout"})


def identified(request: web.Request, actor: str, agent_id: Optional[int] = None, target: Optional[str] = None) -> None:
    """Who is calling, once proven: "agent" (with the analyst's id) or "actions" (with the conversation)."""
    request[ACTOR] = (actor, agent_id, target)


def note(request: web.Request, action: Optional[str] = None, target: Optional[str] = None, **detail: Any) -> None:
    """The handler's words for its entry: another action name, the target, more detail."""
    noted = request.setdefault(NOTE, {"detail": {}})
    if action:
        noted["action"] = action
    if target is not None:
        noted["target"] = target
    noted["detail"].update(detail)


def entry_of(request: web.Request, status: int) -> Dict[str, Any]:
    actor, agent_id, target = request[ACTOR]
    route = request.match_info.route.name or request.path
    noted = request.get(NOTE) or {"detail": {}}
    path = dict(request.match_info)
    detail: Dict[str, Any] = {"route": route, "method": request.method, "status": status}
    if path:
        detail["path"] = path
    if request.query:
        detail["query"] = dict(request.query)
    detail.update(noted["detail"])
    if target is None:
        target = path.get("id") or path.get("number") or request.query.get("conversation_id") or "-"
    return {
        "action": noted.get("action") or route,
        "target": str(noted.get("target") or target),
        "actor": actor,
        "agent_id": agent_id,
        "detail": detail,
    }


@web.middleware
async def audited(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outside the problems middleware, so it sees the status the caller gets."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        await write(request, error.status)
        raise
    except Exception:
        await write(request, 500)
        raise
    if not await write(request, response.status):
        # No read or change goes out unrecorded.
        return problem(500, "audit_failed", "the call could not be written to the audit log")
    return response


async def write(request: web.Request, status: int) -> bool:
    if ACTOR not in request or (request.match_info.route.name or "") in RECORDED_ELSEWHERE:
        return True
    entry = entry_of(request, status)
    settings = request.app[keys.SETTINGS]
    try:
        async with request.app[keys.SESSIONS].begin() as session:
            await audit.record(
                session,
                entry["action"],
                entry["target"],
                actor=entry["actor"],
                agent_id=entry["agent_id"],
                ip=client_address(request.remote, request.headers, settings),
                detail=entry["detail"],
            )
    except Exception:
        logger.exception("Could not write the audit entry of %s %s", request.method, entry["detail"]["route"])
        return False
    return True
