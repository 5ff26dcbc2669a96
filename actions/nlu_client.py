"""Rasa's own NLU for a piece of a message (POST /webhooks/hub/parse, the hub
channel's, so that production needs no Rasa HTTP API): a message with two
questions is read part by part (common/kb/parts.py). Best effort: an
unreachable Rasa means the message is answered as a whole, as before."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import aiohttp

from actions.config import hub_timeout, rasa_token, rasa_url

logger = logging.getLogger(__name__)


async def parse(text: str) -> Optional[Dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=hub_timeout())
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            headers = {"Authorization": f"Bearer {rasa_token()}"} if rasa_token() else {}
            url = f"{rasa_url()}/webhooks/hub/parse"
            async with session.post(url, json={"text": text}, headers=headers) as reply:
                if reply.status != 200:
                    logger.warning("Rasa could not parse a part (%s)", reply.status)
                    return None
                return await reply.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        logger.warning("Rasa unreachable for a part: %s", error)
        return None
