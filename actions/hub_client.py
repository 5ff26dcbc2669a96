"""The action server's one client for the hub's API (bot/web/): tickets,
conversations, deflections. The action server keeps nothing; the hub does.

It holds no key of its own either: with each customer message the hub sends
Rasa that conversation's token (metadata "hub_token", common/actions_token.py),
and every call here shows the token of the message being answered, for that
conversation only. It is read from the latest message only, never from older
events, so a message sent to Rasa by anyone but the hub opens nothing."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import aiohttp
from rasa_sdk import Tracker

from actions.config import hub_timeout, hub_url
from common.actions_token import METADATA_KEY


class HubError(Exception):
    """The hub refused (status, code from its JSON) or could not be reached (status 0)."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code} {message}".strip())
        self.status, self.code = status, code


class Conversation(str):
    """A conversation's id (it is one: logged, sent in bodies) that carries the
    token the hub gave its latest message."""

    token: str

    def __new__(cls, conversation_id: str, token: str) -> Conversation:
        made = super().__new__(cls, conversation_id)
        made.token = token
        return made


def about(tracker: Tracker) -> Conversation:
    """The conversation of the action being run, with its token."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    token = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return Conversation(tracker.sender_id, str(token or ""))


async def call(
    conversation: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: Optional[Dict[str, str]] = None,
    idempotency_key: Optional[str] = None,
) -> Any:
    headers = {"Authorization": f"Bearer {getattr(conversation, 'token', '')}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    timeout = aiohttp.ClientTimeout(total=hub_timeout())
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.request(method, hub_url() + path, json=body, params=params, headers=headers) as reply:
                data = await reply.json(content_type=None)
                if reply.status >= 400:
                    data = data if isinstance(data, dict) else {}
                    raise HubError(reply.status, str(data.get("error", "error")), str(data.get("message", "")))
                return data
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise HubError(0, "unreachable", str(error)) from error


async def conversation(conversation_id: str) -> Dict[str, Any]:
    return await call(conversation_id, "GET", f"/api/conversations/{conversation_id}")


async def similar_tickets(conversation_id: str, text: str, product: Optional[str]) -> List[Dict[str, Any]]:
    params = {"conversation_id": conversation_id, "similar_to": text}
    if product:
        params["product"] = product
    return (await call(conversation_id, "GET", "/api/tickets", params=params))["tickets"]


async def open_tickets(conversation_id: str) -> List[Dict[str, Any]]:
    """The customer's company's open tickets, newest first: {number, summary, status}."""
    found = await call(conversation_id, "GET", "/api/tickets", params={"conversation_id": conversation_id})
    return found.get("tickets") or []


async def my_tickets(conversation_id: str) -> List[Dict[str, Any]]:
    """The company's open tickets for "my tickets": {number, summary, status,
    status_label, updated_at, last_interaction_at}, newest first."""
    params = {"conversation_id": conversation_id, "mine": "1"}
    found = await call(conversation_id, "GET", "/api/tickets", params=params)
    return found.get("tickets") or []


async def thread(conversation_id: str, number: str) -> Optional[Dict[str, Any]]:
    """{number, status, status_label, deadline_at, messages: the public thread}, None if not theirs."""
    try:
        params = {"conversation_id": conversation_id}
        return await call(conversation_id, "GET", f"/api/tickets/{number}/thread", params=params)
    except HubError as error:
        if error.status == 404:
            return None
        raise


async def reply(conversation_id: str, number: str, text: str, form_turn: str) -> Dict[str, Any]:
    """The customer's answer on a ticket: {number, status, message}; 409 "closed" on a closed one."""
    body = {"conversation_id": conversation_id, "text": text, "form_turn": form_turn}
    key = f"reply:{conversation_id}:{form_turn}"
    return await call(conversation_id, "POST", f"/api/tickets/{number}/replies", body=body, idempotency_key=key)


async def validation(
    conversation_id: str, number: str, accepted: bool, reason: Optional[str], form_turn: str
) -> Dict[str, Any]:
    """The customer's verdict on a proposed solution (only in customer validation, else 409)."""
    body: Dict[str, Any] = {"conversation_id": conversation_id, "accepted": accepted, "form_turn": form_turn}
    if reason:
        body["reason"] = reason
    key = f"validation:{conversation_id}:{form_turn}"
    return await call(conversation_id, "POST", f"/api/tickets/{number}/validation", body=body, idempotency_key=key)


async def survey(
    conversation_id: str, number: str, score: int, comment: Optional[str], form_turn: str
) -> Dict[str, Any]:
    """The 0–10 survey of a closed ticket (409 "not_closed", or "answered" the second time)."""
    body: Dict[str, Any] = {"conversation_id": conversation_id, "score": score, "form_turn": form_turn}
    if comment:
        body["comment"] = comment
    key = f"survey:{conversation_id}:{form_turn}"
    return await call(conversation_id, "POST", f"/api/tickets/{number}/survey", body=body, idempotency_key=key)


async def ticket(conversation_id: str, number: str) -> Optional[Dict[str, Any]]:
    try:
        params = {"conversation_id": conversation_id}
        return await call(conversation_id, "GET", f"/api/tickets/{number}", params=params)
    except HubError as error:
        if error.status == 404:
            return None
        raise


async def add_update(number: str, conversation_id: str, fields: Dict[str, Any], form_turn: str) -> Dict[str, Any]:
    body = {"conversation_id": conversation_id, "fields": fields, "form_turn": form_turn}
    return await call(conversation_id, "POST", f"/api/tickets/{number}/updates", body=body)


async def follow_up(
    number: str, conversation_id: str, description: str, language: str, form_turn: str
) -> Dict[str, Any]:
    body = {
        "conversation_id": conversation_id,
        "description": description,
        "language": language,
        "form_turn": form_turn,
    }
    return await call(conversation_id, "POST", f"/api/tickets/{number}/follow-ups", body=body)


async def record_praise(conversation: Conversation, text: str) -> None:
    """Praise for the team, in the customer's words (the hub checks they said it here)."""
    await call(conversation, "POST", f"/api/conversations/{conversation}/praise", body={"text": text})


async def record_deflection(conversation_id: str, article_id: str) -> None:
    body = {"conversation_id": conversation_id, "article_id": article_id}
    await call(conversation_id, "POST", "/api/deflections", body=body)


async def decision(conversation_id: str, queue: str, language: str) -> Dict[str, Any]:
    """Whether an analyst of `queue` could chat now: {"live", "why", "queue_name", "opens", ...}."""
    params = {"conversation_id": conversation_id, "queue": queue, "language": language}
    return await call(conversation_id, "GET", "/api/escalations/decision", params=params)


async def escalate(
    conversation_id: str,
    queue: Optional[str],
    reason: str,
    language: str,
    form_turn: str,
    ticket: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The hub decides: {"outcome": "handoff" | "ticket" | "unavailable", "decision": {...}, ...}."""
    body: Dict[str, Any] = {
        "conversation_id": conversation_id,
        "reason": reason,
        "language": language,
        "form_turn": form_turn,
    }
    if queue:
        body["queue"] = queue
    if ticket is not None:
        body["ticket"] = ticket
    return await call(conversation_id, "POST", "/api/escalations", body=body)
