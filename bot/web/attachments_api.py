"""Attachments over HTTP: POST /api/attachments (multipart, the field `file`) and
GET /api/attachments/{public_id}. Thin handlers over bot/domain/attachments.py.

Two kinds of caller. The widget, on the portal's page (another origin, so the
routes answer CORS for the allowed origins), sends the conversation's upload
token in X-Carolina-Upload with ?conversation_id=; its file also becomes the
customer's message in the conversation (never sent to Rasa). Analysts come
with their session like every /api/agent call (cookie + X-CSRF-Token, or
bearer); with ?handoff_id= of a live chat they hold, the file becomes their
message in that chat, sent to the customer with a short-lived `?t=` link.
Either way the call is audited (bot/web/audit.py): customers as actor
"customer" with their conversation.

The upload is read as a stream, never whole in memory: the application's
client_max_size (JSON bodies) does not apply to it; the domain counts the
bytes and stops at the limit. A download is always a download:
Content-Disposition attachment, nosniff, and a sandbox policy should a browser
ever render it."""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Callable, Optional, Tuple

from aiohttp import BodyPartReader, web

from bot import keys
from bot.db import queries
from bot.db.models import Agent, Attachment
from bot.domain import attachments
from bot.domain.conversations import route
from bot.domain.errors import DomainError
from bot.realtime import widget
from bot.web import agent_api, audit
from bot.web.problems import problem
from common.languages import normalise_code

routes = web.RouteTableDef()
UPLOAD_HEADER = "X-Carolina-Upload"
CHUNK = 64 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """The portal's page may read the answer (only an allowed origin; no cookies cross)."""
    origin = request.headers.get("Origin")
    if origin and origin in request.app[keys.SETTINGS].allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Content-Disposition"
        response.headers["Vary"] = "Origin"
    return response


def cross_origin(handler: Handler) -> Handler:
    """Refusals too carry CORS, so the widget can show their message."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except DomainError as error:
            response = problem(error.status, error.code, error.message)
        return cors(request, response)

    return wrapper


async def preflight(request: web.Request) -> web.StreamResponse:
    response = web.Response(status=204)
    if request.headers.get("Origin") in request.app[keys.SETTINGS].allowed_origins:
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = UPLOAD_HEADER
        response.headers["Access-Control-Max-Age"] = "600"
    return cors(request, response)


routes.options("/api/attachments")(preflight)
routes.options("/api/attachments/{public_id}")(preflight)


def customer_conversation(request: web.Request) -> Optional[str]:
    """The conversation whose upload token the request carries; None: no token (an analyst, maybe)."""
    given = request.headers.get(UPLOAD_HEADER)
    if given is None:
        return None
    conversation_id = request.query.get("conversation_id", "")
    settings = request.app[keys.SETTINGS]
    if not conversation_id or not attachments.is_upload_token(settings, conversation_id, given):
        raise DomainError(401, "unauthorized", "missing or wrong upload token")
    audit.identified(request, "customer", target=conversation_id)
    return conversation_id


def handoff_of(request: web.Request) -> Optional[int]:
    """?handoff_id=: the analyst's file goes to that live chat's customer."""
    given = request.query.get("handoff_id")
    if given is None:
        return None
    if not given.isdigit():
        raise DomainError(422, "invalid", "handoff_id must be a number")
    return int(given)


async def file_part(request: web.Request) -> BodyPartReader:
    if request.content_type != "multipart/form-data":
        raise DomainError(415, "unsupported_media_type", "the body must be multipart/form-data with the field `file`")
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.name == "file":
            return part
    raise DomainError(422, "invalid", "the body has no `file` field")


async def chunks_of(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk


@routes.post("/api/attachments", name="attachment_upload")
@cross_origin
async def upload(request: web.Request) -> web.StreamResponse:
    app, settings = request.app, request.app[keys.SETTINGS]
    conversation_id = customer_conversation(request)
    agent: Optional[Agent] = None
    language = normalise_code(request.query.get("lang"))
    chat: Optional[int] = None  # an analyst's file for the customer of a live chat they hold
    if conversation_id is None:
        agent, _ = await agent_api.current(request)
        chat = handoff_of(request)
        if chat is not None:
            async with app[keys.SESSIONS]() as session:
                await attachments.live_chat_of(session, agent, chat)  # refused before the file is read
    else:
        async with app[keys.SESSIONS]() as session:
            conversation = await queries.get_conversation(session, conversation_id)
        if conversation is None:
            raise DomainError(404, "no_conversation", "no such conversation")
        language = language or conversation.language
    attachments.check_declared_size(None, request.content_length, settings, language)
    part = await file_part(request)
    storage = attachments.storage_of(settings)
    received = await attachments.receive(storage, settings, part.filename, chunks_of(part), language)
    try:
        async with app[keys.SESSIONS].begin() as session:
            held = await attachments.live_chat_of(session, agent, chat) if agent and chat is not None else None
            row = await attachments.record(
                session,
                received,
                uploaded_by="agent" if agent else "customer",
                conversation_id=conversation_id or held,
                agent_id=agent.id if agent else None,
            )
            message = None
            if agent is not None and held is not None:
                message = await attachments.agent_file_message(session, row, agent, settings, app[keys.CLOCK].now())
            elif conversation_id is not None:
                found = await queries.get_conversation(session, conversation_id)
                to_analyst = found is not None and route(found) == "analyst"
                payload = {"attachment": attachments.summary(row), **({"to": "analyst"} if to_analyst else {})}
                message = await queries.add_message(session, conversation_id, "customer", row.filename, payload)
                row.message_id = message.id
    except BaseException:
        storage.delete(received.key)
        raise
    audit.note(request, target=row.public_id, size=row.size, content_type=row.content_type)
    if message is not None and agent is not None:
        await app[keys.LIVE].notify.message(message)  # the customer's widget and the analyst's console
    elif message is not None:
        await widget.file_attached(app, message)
    return web.json_response(attachments.summary(row), status=201)


async def readable(request: web.Request) -> Tuple[Attachment, str]:
    """The attachment the caller may have, and who they are (customer | link | agent)."""
    app, settings = request.app, request.app[keys.SETTINGS]
    public_id = request.match_info["public_id"]
    token = request.query.get("t")
    conversation_id = customer_conversation(request)
    async with app[keys.SESSIONS]() as session:
        if conversation_id is not None:
            return await attachments.for_customer(session, public_id, conversation_id), "customer"
        if token is not None:
            if not attachments.is_download_token(settings, public_id, token, app[keys.CLOCK].now()):
                raise DomainError(404, "no_attachment", "no such attachment")
            audit.identified(request, "customer", target=public_id)
            return await attachments.find(session, public_id), "link"
    agent, _ = await agent_api.current(request)
    async with app[keys.SESSIONS]() as session:
        return await attachments.for_agent(session, agent, public_id), "agent"


@routes.get("/api/attachments/{public_id}", name="attachment")
@cross_origin
async def download(request: web.Request) -> web.StreamResponse:
    # Named first: a refused download is recorded under the same action.
    audit.note(request, "download_attachment", target=request.match_info["public_id"])
    row, _ = await readable(request)
    attachments.readable(row)
    try:
        content = attachments.storage_of(request.app[keys.SETTINGS]).open(row.storage_key)
    except FileNotFoundError as error:  # the purge removed it a moment ago
        raise DomainError(410, "purged", "the file was removed after its retention period") from error
    # The body is sent after the middlewares return: the audit entry is written first.
    return web.Response(
        body=content,
        content_type=row.content_type,
        headers={
            "Content-Disposition": attachments.content_disposition(row.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )
