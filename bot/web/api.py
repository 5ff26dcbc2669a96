"""REST API under /api (JSON), described by /api/openapi.json, and the article pages."""

from __future__ import annotations

import hmac
from html import escape

import markdown
from aiohttp import web
from sqlalchemy import select

from bot import keys
from bot.db import queries
from bot.db.models import Contact, Deflection, Handoff, Ticket
from bot.domain.errors import DomainError
from bot.domain.handoffs import handoff_summary
from bot.domain.messages import message_json
from bot.web.bodies import Note, read
from common.vocabulary import vocabulary

routes = web.RouteTableDef()

ARTICLE_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/static/article.css"></head>
<body><main><article><h1>{title}</h1>{body}</article>
<p class="source">{source}</p></main></body></html>"""


def require_actions_token(request: web.Request) -> None:
    expected = request.app[keys.SETTINGS].actions_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given, expected):
        raise DomainError(401, "unauthorized", "missing or wrong token")


@routes.get("/api/vocabulary", name="vocabulary")
async def vocabulary_json(request: web.Request) -> web.Response:
    """Queues, categories, statuses (and where each may go), levels, criticalities and
    incident fields with their labels (common/vocabulary.yml): the console's words."""
    return web.json_response(vocabulary().as_json())


@routes.get("/api/health", name="health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/api/conversations/{id}", name="conversation")
async def conversation(request: web.Request) -> web.Response:
    require_actions_token(request)
    async with request.app[keys.SESSIONS]() as session:
        found = await queries.get_conversation(session, request.match_info["id"])
        if found is None:
            raise DomainError(404, "not_found", "no such conversation")
        messages = await queries.transcript(session, found.id)
        contact = await session.get(Contact, found.contact_id) if found.contact_id else None
        deflections = (
            await session.execute(select(Deflection.article_id).where(Deflection.conversation_id == found.id))
        ).scalars()
        tickets = (
            await session.execute(select(Ticket).where(Ticket.conversation_id == found.id).order_by(Ticket.id))
        ).scalars()
        handoffs = (
            await session.execute(select(Handoff).where(Handoff.conversation_id == found.id).order_by(Handoff.id))
        ).scalars()
    return web.json_response(
        {
            "id": found.id,
            # Who the customer is (null: anonymous), and whether they may open tickets.
            "contact": contact
            and {
                "name": contact.name,
                "email": contact.email,
                "company": contact.company,
                "can_open_tickets": contact.can_open_tickets,
            },
            "mode": found.mode,
            # The 0-10 answer to the survey after a live chat (null: not asked or not answered).
            "satisfaction": found.satisfaction,
            # Articles that solved the customer's problem during an intake (no ticket).
            "deflections": list(deflections),
            # What the conversation led to: tickets opened and requests for an analyst.
            "tickets": [
                {
                    "number": t.number,
                    "queue": t.queue,
                    "category": t.category,
                    "criticality": t.criticality,
                    "status": t.status,
                    "summary": t.summary,
                    "fields": t.fields,
                }
                for t in tickets
            ],
            "handoffs": [handoff_summary(h) for h in handoffs],
            "language": found.language,
            "channel": found.channel,
            "started_at": found.started_at.isoformat(),
            "messages": [message_json(m) for m in messages],
        }
    )


@routes.post("/api/conversations/{id}/notes", name="add_note")
async def add_note(request: web.Request) -> web.Response:
    require_actions_token(request)
    text = (await read(request, Note))[0].text
    if not text.strip():
        raise DomainError(422, "invalid", "text is required")
    async with request.app[keys.SESSIONS].begin() as session:
        if await queries.get_conversation(session, request.match_info["id"]) is None:
            raise DomainError(404, "not_found", "no such conversation")
        note = await queries.add_message(session, request.match_info["id"], "system", text.strip())
    return web.json_response(message_json(note), status=201)


@routes.get("/api/kb/search", name="kb_search")
async def kb_search(request: web.Request) -> web.Response:
    from common.kb.search import default_index

    query = request.query.get("q", "").strip()
    lang = request.query.get("lang", "pt")
    if not query or lang not in ("pt", "es", "en"):
        raise DomainError(400, "invalid", "q and lang (pt, es, en) are required")
    index = default_index()
    base = request.app[keys.SETTINGS].public_url
    return web.json_response(
        [
            {
                "id": hit.article_id,
                "score": round(hit.score, 3),
                "title": index.library[lang][hit.article_id].title,
                "summary": index.library[lang][hit.article_id].summary,
                "link": f"{base}/kb/{lang}/{hit.article_id}",
            }
            for hit in index.search(query, lang)
        ]
    )


@routes.get("/kb/{lang}/{id}", name="article")
async def article(request: web.Request) -> web.Response:
    from common.kb.search import default_index

    library = default_index().library
    found = library.get(request.match_info["lang"], {}).get(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound(text="Article not found")
    # Articles are written by the operator, not by customers; Markdown may hold HTML.
    body = markdown.markdown(found.body)
    html = ARTICLE_PAGE.format(lang=found.lang, title=escape(found.title), body=body, source=escape(found.source))
    return web.Response(text=html, content_type="text/html")
