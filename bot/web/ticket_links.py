"""The pages of the signed links in ticket e-mails (bot/domain/signing.py):
"is it solved?" for a ticket in customer validation, and the 0-10 survey of a
closed one. GET only shows the question (mail scanners and link previews open
links on their own); only the form's POST acts, once. A forged link is "not
found" (404), an expired one "gone" (410), each with a page that says so in
the ticket's language (or the browser's, when there is no ticket to ask).

These pages are public: the token in the address is the customer's key."""

from __future__ import annotations

import logging
from html import escape
from typing import Any, Iterable, Optional, Tuple

from aiohttp import web
from sqlalchemy import select

from bot import keys
from bot.db.models import Ticket
from bot.domain import signing, ticket_status
from bot.domain.errors import DomainError
from bot.domain.ticket_texts import LANGUAGES, say, status_label

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

# The longest reason or comment a page takes (the form says so too).
TEXT_LIMIT = 2000
# What a refusal of ticket_status says on the page, by its code.
REFUSALS = {
    "not_in_validation": "page_not_in_validation",
    "answered": "page_answered",
    "not_closed": "page_not_closed",
    "invalid": "page_invalid",
    "empty": "page_invalid",
    "too_long": "page_invalid",
}


def browser_language(request: web.Request) -> str:
    """The first of pt/es/en the browser asks for (pt when none)."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "pt"


def page(language: str, title: str, body: str, status: int = 200) -> web.Response:
    html = (
        f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/ticket_link.css"></head>'
        f'<body><main><p class="brand">Carolina</p><h1>{escape(title)}</h1>{body}</main></body></html>\n'
    )
    response = web.Response(text=html, content_type="text/html", charset="utf-8", status=status)
    # The address is a key: no cache keeps the page, no search engine lists it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def notice(language: str, title: str, key: str, http_status: int, **values: Any) -> web.Response:
    return page(language, title, f"<p>{escape(say(key, language, **values))}</p>", http_status)


def _radio(name: str, value: str, label: str, checked: bool) -> str:
    mark = " checked" if checked else ""
    return (
        f'<label class="choice"><input type="radio" name="{name}" value="{escape(value)}" required{mark}> '
        f"{escape(label)}</label>"
    )


def _textarea(name: str, label: str) -> str:
    return (
        f'<label for="{name}">{escape(label)}</label>'
        f'<textarea id="{name}" name="{name}" rows="4" maxlength="{TEXT_LIMIT}"></textarea>'
    )


def _form(token: str, language: str, fields: Iterable[str]) -> str:
    inside = "".join(fields)
    send = escape(say("page_send", language))
    return f'<form method="post" action="/t/{escape(token)}">{inside}<button type="submit">{send}</button></form>'


def validation_form(token: str, ticket: Ticket, language: str, preselected: Optional[str]) -> str:
    choices = [
        _radio("answer", "solved", say("page_solved", language), preselected == "solved"),
        _radio("answer", "not_solved", say("page_not_solved", language), preselected == "not_solved"),
    ]
    return _form(
        token, language, [f"<fieldset>{''.join(choices)}</fieldset>", _textarea("reason", say("page_reason", language))]
    )


def survey_form(token: str, language: str) -> str:
    scores = "".join(
        f'<label class="score"><input type="radio" name="score" value="{n}" required> {n}</label>' for n in range(11)
    )
    question = escape(say("page_survey_question", language))
    return _form(
        token,
        language,
        [
            f"<fieldset><legend>{question}</legend>{scores}</fieldset>",
            _textarea("comment", say("page_comment", language)),
        ],
    )


def title_of(action: str, ticket: Ticket, language: str) -> str:
    return say("page_validate_title" if action == "validate" else "page_survey_title", language, number=ticket.number)


async def opened(request: web.Request) -> Tuple[str, Ticket, str]:
    """(action, ticket, language) of the link, or the DomainError of a link that opens nothing."""
    settings = request.app[keys.SETTINGS]
    number, action = signing.read_link(request.match_info["token"], settings, request.app[keys.CLOCK].now())
    async with request.app[keys.SESSIONS]() as session:
        ticket = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one_or_none()
    if ticket is None:  # signed by us, but the ticket is gone (retention)
        raise DomainError(404, "bad_link", "no such ticket")
    return action, ticket, ticket.language if ticket.language in LANGUAGES else "pt"


def refused_link(request: web.Request, error: DomainError) -> web.Response:
    language = browser_language(request)
    key = "page_expired" if error.status == 410 else "page_bad_link"
    return notice(language, "Carolina", key, 410 if error.status == 410 else 404)


@routes.get("/t/{token}", name="ticket_link")
async def show(request: web.Request) -> web.Response:
    """The question the link asks; nothing changes here."""
    try:
        action, ticket, language = await opened(request)
    except DomainError as error:
        return refused_link(request, error)
    title = title_of(action, ticket, language)
    values = {"number": ticket.number, "status": status_label(ticket.status, language)}
    token = request.match_info["token"]
    if action == "validate":
        if ticket.status != "customer_validation":
            return notice(language, title, "page_not_in_validation", 200, **values)
        preselected = request.query.get("answer")
        return page(language, title, validation_form(token, ticket, language, preselected))
    if ticket.status != "closed":
        return notice(language, title, "page_not_closed", 200, **values)
    if ticket.survey_at is not None:
        return notice(language, title, "page_answered", 200, **values)
    return page(language, title, survey_form(token, language))


def _text(form: Any, name: str) -> Optional[str]:
    value = form.get(name)
    return value.strip()[:TEXT_LIMIT] if isinstance(value, str) and value.strip() else None


def _score(form: Any) -> Optional[int]:
    value = form.get("score")
    return int(value) if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 2 else None


@routes.post("/t/{token}", name="ticket_link_answer")
async def answer(request: web.Request) -> web.Response:
    """The customer's answer: validates the ticket or answers its survey, once."""
    try:
        action, ticket, language = await opened(request)
    except DomainError as error:
        return refused_link(request, error)
    title = title_of(action, ticket, language)
    form = await request.post()
    settings = request.app[keys.SETTINGS]
    choice, score = form.get("answer"), _score(form)
    if (action == "validate" and choice not in ("solved", "not_solved")) or (action == "survey" and score is None):
        return notice(language, title, "page_invalid", 422)
    try:
        async with request.app[keys.SESSIONS].begin() as session:
            current = await session.get(Ticket, ticket.id, populate_existing=True) or ticket
            if action == "validate":
                await ticket_status.validate(
                    session, current, choice == "solved", _text(form, "reason"), "link", settings=settings
                )
            else:
                await ticket_status.answer_survey(session, current, score, _text(form, "comment"), "link")
    except DomainError as error:
        # The transaction was rolled back: the ticket as it stands is read again.
        async with request.app[keys.SESSIONS]() as session:
            now = await session.get(Ticket, ticket.id) or ticket
        values = {"number": ticket.number, "status": status_label(now.status, language)}
        return notice(language, title, REFUSALS.get(error.code, "page_invalid"), error.status, **values)
    if keys.MAIL in request.app:
        request.app[keys.MAIL].kick()  # the survey e-mail a close queued, the status e-mails
    if action == "survey":
        return notice(language, title, "page_surveyed", 200)
    return notice(
        language, title, "page_accepted" if choice == "solved" else "page_rejected", 200, number=ticket.number
    )
