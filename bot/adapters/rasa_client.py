"""Talks to the Rasa server through the project's own channel (channels/hub.py),
which returns the replies and what NLU understood in one call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) is down, failing or too slow."""


@dataclass(frozen=True)
class Understood:
    intent: Optional[str] = None
    confidence: Optional[float] = None
    language: Optional[str] = None


@dataclass(frozen=True)
class RasaReply:
    messages: List[Dict[str, Any]] = field(default_factory=list)
    understood: Understood = Understood()
    language: Optional[str] = None  # the conversation's language Carolina decided
    failed_actions: List[str] = field(default_factory=list)  # custom actions that failed this turn


@dataclass(frozen=True)
class RasaClient:
    """Rasa's hub channel at `url`, over the hub's one HTTP client session."""

    http: aiohttp.ClientSession
    url: str
    timeout: float

    async def send(
        self, conversation_id: str, text: str, metadata: Dict[str, Any], message_id: Optional[str]
    ) -> RasaReply:
        return await send(self.http, self.url, conversation_id, text, metadata, message_id, self.timeout)

    async def wait_ready(self, seconds: float) -> bool:
        return await wait_ready(self.http, self.url, seconds)


async def send(
    http: aiohttp.ClientSession,
    rasa_url: str,
    conversation_id: str,
    text: str,
    metadata: Dict[str, Any],
    message_id: Optional[str],
    timeout: float,
) -> RasaReply:
    body = {"sender": conversation_id, "message": text, "metadata": metadata, "message_id": message_id}
    try:
        async with http.post(
            f"{rasa_url}/webhooks/hub/webhook", json=body, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            if response.status != 200:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
            data = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise RasaUnavailable(str(error) or type(error).__name__) from error
    nlu = data.get("nlu") or {}
    return RasaReply(
        messages=[m for m in data.get("messages") or [] if isinstance(m, dict)],
        understood=Understood(nlu.get("intent"), nlu.get("confidence"), nlu.get("language")),
        language=data.get("language"),
        failed_actions=[str(a) for a in data.get("failed_actions") or []],
    )


async def wait_ready(http: aiohttp.ClientSession, rasa_url: str, seconds: float) -> bool:
    """Whether the hub channel of Rasa answers within `seconds` (asked once a second)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            async with http.get(f"{rasa_url}/webhooks/hub/", timeout=aiohttp.ClientTimeout(total=5)) as response:
                if response.status == 200:
                    return True
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(1)
