"""Personal data out of everything the hub keeps or passes on (LGPD).

The detector (bot/domain/masking.py) finds CPF, CNPJ, card numbers and
passwords; this module applies it at the hub's doors, before the first write
and before Rasa sees anything: the customer's messages (with a kind word to the
customer, once per conversation and kind of data), the analyst's messages, the
fields the action server sends for tickets, updates and handoffs, an analyst's
note on a status change. Whatever is built later from those (ticket
transcripts, e-mails, the outbox, Rasa's tracker store) then holds only markers.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import queries
from bot.db.models import Message
from bot.domain.masking import Masked, mask
from bot.domain.texts import text as hub_text

# Which notice a kind of data gets: documents and cards one, a password its own
# (it must also be changed). Each is said at most once in a conversation.
NOTICE_OF = {"cpf": "privacy_data", "cnpj": "privacy_data", "card": "privacy_data", "password": "privacy_password"}
PAYLOAD_KEY = "privacy_notice"


def mask_text(text: str, language: Optional[str]) -> str:
    return mask(text, language).text


def mask_fields(fields: Mapping[str, Any], language: Optional[str]) -> Dict[str, Any]:
    """A ticket's or handoff's fields with every text value masked (choices and flags pass as they are)."""
    return {name: mask(value, language).text if isinstance(value, str) else value for name, value in fields.items()}


async def notices_for(
    session: AsyncSession, conversation_id: str, masked: Masked, language: Optional[str]
) -> List[Message]:
    """The notices this message earns, stored as system messages: the ones the
    conversation has not had yet, so a customer who pastes a second document is
    not lectured twice."""
    wanted = sorted({NOTICE_OF[kind] for kind in masked.kinds if kind in NOTICE_OF})
    if not wanted:
        return []
    said = await session.execute(
        select(Message.payload).where(Message.conversation_id == conversation_id, Message.sender == "system")
    )
    already = {payload.get(PAYLOAD_KEY) for (payload,) in said if isinstance(payload, dict)}
    return [
        await queries.add_message(session, conversation_id, "system", hub_text(key, language), {PAYLOAD_KEY: key})
        for key in wanted
        if key not in already
    ]
