"""The ready answers analysts pick in a chat, in the customer's language (a
chat in Spanish gets the Spanish ones whatever the analyst reads the console
in). Administrators replace a language's list; until they do, the hub's own
list below is used."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, CannedReply, utc
from bot.domain.errors import DomainError
from common.languages import LANGUAGES

MOST = 30
TEXT_LIMIT = 1000
DEFAULTS: Dict[str, List[str]] = {
    "pt": [
        "Olá! Sou analista do suporte e já li o que você contou à Carolina.",
        "Pode me mandar um print da mensagem de erro?",
        "Vou verificar e já volto, só um momento.",
        "Consegue testar de novo, por favor?",
    ],
    "es": [
        "¡Hola! Soy analista de soporte y ya leí lo que le contaste a Carolina.",
        "¿Puedes enviarme una captura del mensaje de error?",
        "Voy a verificarlo y ya vuelvo, un momento.",
        "¿Puedes probar de nuevo, por favor?",
    ],
    "en": [
        "Hi! I'm a support analyst and I've read what you told Carolina.",
        "Could you send me a screenshot of the error message?",
        "I'll check and be right back, one moment.",
        "Could you try again, please?",
    ],
}


async def all_replies(session: AsyncSession) -> Dict[str, List[str]]:
    """Every language's list, in order."""
    stored: Dict[str, List[str]] = {}
    rows = await session.execute(select(CannedReply).order_by(CannedReply.language, CannedReply.position))
    for row in rows.scalars():
        stored.setdefault(row.language, []).append(row.text)
    return {lang: stored.get(lang, DEFAULTS[lang]) for lang in LANGUAGES}


async def replace(session: AsyncSession, language: str, texts: Sequence[str], agent: Agent, now: datetime) -> List[str]:
    """A language's new list (administrators): blank lines dropped; 422 for an
    unknown language, too many replies or one too long."""
    if language not in LANGUAGES:
        raise DomainError(422, "invalid", f"language must be one of {', '.join(LANGUAGES)}")
    clean = [" ".join(str(t).split()) for t in texts if str(t).strip()]
    if len(clean) > MOST:
        raise DomainError(422, "invalid", f"at most {MOST} replies per language")
    if any(len(t) > TEXT_LIMIT for t in clean):
        raise DomainError(422, "too_long", f"a reply is longer than {TEXT_LIMIT} characters")
    await session.execute(delete(CannedReply).where(CannedReply.language == language))
    for position, text in enumerate(clean):
        session.add(
            CannedReply(language=language, position=position, text=text, agent_id=agent.id, updated_at=utc(now))
        )
    await session.flush()
    return clean
