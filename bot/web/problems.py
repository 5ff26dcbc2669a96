"""The hub's one error path over HTTP: handlers (and the domain under them) raise
DomainError; this middleware turns it into the JSON problem response
{"error": code, "message": text} with its status. Also here: the one reader of a
JSON request body, with its content-type check and size cap."""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict

from aiohttp import web

from bot.domain.conversations import InputError
from bot.domain.errors import DomainError

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The largest JSON body the API accepts: a ticket with a long transcript fits.
MAX_JSON_BYTES = 256 * 1024


def problem(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as error:
        return problem(error.status, error.code, error.message)
    except InputError as error:
        return problem(422, error.key, "the text is empty, too long or not text")


async def json_object(request: web.Request) -> Dict[str, Any]:
    """The request's body as a JSON object, or the DomainError that says what is wrong with it."""
    # Only a body that says it is JSON: a cross-site form (text/plain, or no type at
    # all) cannot post JSON to the API with the analyst's cookie (login CSRF).
    if request.content_type != "application/json":
        raise DomainError(415, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)")
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise DomainError(413, "too_large", f"the body is larger than {MAX_JSON_BYTES} bytes")
    try:
        raw = await request.content.read(MAX_JSON_BYTES + 1)
    except ValueError as error:  # a body larger than the application's client_max_size
        raise DomainError(413, "too_large", f"the body is larger than {MAX_JSON_BYTES} bytes") from error
    if len(raw) > MAX_JSON_BYTES:
        raise DomainError(413, "too_large", f"the body is larger than {MAX_JSON_BYTES} bytes")
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise DomainError(400, "invalid", "the body must be JSON") from error
    if not isinstance(body, dict):
        raise DomainError(422, "invalid", "the body must be a JSON object")
    return body
