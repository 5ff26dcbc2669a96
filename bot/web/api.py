"""REST API under /api (JSON), described by /api/openapi.json, and the article pages."""

from __future__ import annotations

import hmac
from html import escape
from typing import Awaitable, Callable, Set

import markdown
import nh3
from aiohttp import web
from sqlalchemy import select

from bot import keys
from bot.db import queries
from bot.db.models import Contact, Deflection, Handoff, Ticket
from bot.domain.errors import DomainError
from bot.domain.handoffs import handoff_summary
from bot.domain.messages import message_json
from bot.domain.praise import record_praise
from bot.web import audit
from bot.web.bodies import Praise, json_body, read
from common.actions_token import conversation_token
from common.vocabulary import vocabulary

routes = web.RouteTableDef()
ActionsHandler = Callable[[web.Request], Awaitable[web.Response]]

ARTICLE_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/static/article.css"></head>
<body><main><article><h1>{title}</h1>{body}</article>
<p class="source">{source}</p></main></body></html>"""


# What an article's Markdown may become: its usual tags and links, nothing that runs.
ARTICLE_TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code"),
    *("strong", "em", "b", "i", "u", "s", "del", "sub", "sup", "kbd", "abbr", "span"),
    *("ul", "ol", "li", "dl", "dt", "dd", "a", "img"),
    *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
}
ARTICLE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}


def article_html(text: str) -> str:
    """An article's Markdown as HTML, sanitised (nh3): articles are the operator's,
    but a knowledge base imported from elsewhere must not bring scripts into the hub's pages."""
    return nh3.clean(
        markdown.markdown(text),
        tags=ARTICLE_TAGS,
        attributes=ARTICLE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def require_actions_token(request: web.Request, conversation_id: str) -> None:
    """The request carries `conversation_id`'s own token (common/actions_token.py)."""
    expected = conversation_token(request.app[keys.SETTINGS].actions_token, conversation_id)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    # Compared as bytes: compare_digest refuses (TypeError, a 500) a str with non-ASCII characters.
    if not given or not given.isascii() or not hmac.compare_digest(given.encode(), expected.encode()):
        raise DomainError(401, "unauthorized", "missing or wrong token")


async def named_conversation(request: web.Request) -> str:
    """The one conversation an actions call is about: the path's {id}, the query's
    conversation_id, the JSON body's conversation_id (all that are given must agree)."""
    named: Set[str] = set()
    if "id" in request.match_info:
        named.add(request.match_info["id"])
    if "conversation_id" in request.query:
        named.add(request.query["conversation_id"])
    if request.method == "POST":
        given = (await json_body(request)).get("conversation_id")
        if given is not None:
            named.add(str(given))
    if len(named) != 1 or not next(iter(named)):
        raise DomainError(403, "forbidden", "the call must name exactly one conversation, the token's")
    return named.pop()


def for_actions(handler: ActionsHandler) -> ActionsHandler:
    """Only the action server, for the conversation the call is about, may call
    the handler. It holds no master key: with each customer message the hub sends
    Rasa that conversation's token (bot/adapters/rasa_client.py), and the actions
    send it back (actions/hub_client.py). Rasa's tracker store keeps the messages'
    metadata, so whoever reads it holds the tokens of the conversations in it; each
    opens its own conversation only: its record, its customer's tickets (read, add
    to, follow up, open), deflections and escalation. No ticket status changes, no
    other conversation, nothing of the analysts' API."""

    async def wrapper(request: web.Request) -> web.Response:
        conversation_id = await named_conversation(request)
        require_actions_token(request, conversation_id)
        audit.identified(request, "actions", target=conversation_id)
        return await handler(request)

    return wrapper


@routes.get("/api/vocabulary", name="vocabulary")
async def vocabulary_json(request: web.Request) -> web.Response:
    """Queues, categories, statuses (and where each may go), levels, criticalities and
    incident fields with their labels (common/vocabulary.yml): the console's words."""
    return web.json_response(vocabulary().as_json())


@routes.get("/api/health", name="health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/api/conversations/{id}", name="conversation")
@for_actions
async def conversation(request: web.Request) -> web.Response:
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


@routes.post("/api/conversations/{id}/praise", name="praise")
@for_actions
async def praise(request: web.Request) -> web.Response:
    """Praise the customer gave (in their own words, said in this conversation), recorded for the team."""
    text = (await read(request, Praise))[0].text
    async with request.app[keys.SESSIONS].begin() as session:
        line, created = await record_praise(session, request.match_info["id"], text)
    return web.json_response(message_json(line), status=201 if created else 200)


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
    # Markdown may hold HTML: what runs is removed (article_html).
    body = article_html(found.body)
    html = ARTICLE_PAGE.format(lang=found.lang, title=escape(found.title), body=body, source=escape(found.source))
    return web.Response(text=html, content_type="text/html")
