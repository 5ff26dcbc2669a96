"""Rasa's own NLU for a piece of a message (POST /model/parse): a message
with two questions is read part by part (common/kb/parts.py). Best effort: an
unreachable Rasa means the message is answered as a whole, as before."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import aiohttp

from actions.config import hub_timeout, rasa_url

logger = logging.getLogger(__name__)


async def parse(text: str) -> Optional[Dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=hub_timeout())
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(f"{rasa_url()}/model/parse", json={"text": text}) as reply:
                if reply.status != 200:
                    logger.warning("Rasa could not parse a part (%s)", reply.status)
                    return None
                return await reply.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        logger.warning("Rasa unreachable for a part: %s", error)
        return None
