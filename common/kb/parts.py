"""A message that asks two things ("qual o horário do suporte? e como recupero
minha senha?") is read as its questions, each answered on its own.

The whole message is a poor query for either: the ResponseSelector sees a mix
and BM25 ranks the articles of both halves together, so the customer got a
list of articles and neither answer. Parts are cut where a question ends
("?") or where a conjunction starts a new question ("... e como ...", "... y
de paso pásame ...", "... and how ..."); each part must be a question of its
own (three words or more).
"""

from __future__ import annotations

import re
from typing import List

# Words that start a new question after "e"/"y"/"and"/"also" (pt, es, en).
_STARTERS = (
    "qual", "quais", "como", "onde", "quando", "quanto", "quantos", "ate que", "até que", "o que", "tem", "existe",
    "posso", "me passa", "me passe", "manda", "me manda", "me diz", "me diga",
    "cual", "cuál", "cuales", "cuáles", "cómo", "donde", "dónde", "cuando", "cuándo", "cuanto", "cuánto",
    "de cuanto", "de cuánto", "hasta que", "hasta qué", "qué", "hay", "puedo", "pasame", "pásame",
    "dime", "me pasas", "me das",
    "what", "how", "where", "when", "which", "who", "is there", "are there", "do you", "can", "could",
    "send", "give me", "tell me", "until", "till", "up to what", "at what", "by what",
)  # fmt: skip
_JOINERS = r"(?:e|y|and|also|tambem|também|ademas|además|alem disso|além disso|plus)(?:\s+(?:de paso|de quebra|btw))?"
_SPLIT = re.compile(
    r"\?+|[,;]?\s+" + _JOINERS + r"\s+(?=(?:" + "|".join(re.escape(s) for s in _STARTERS) + r")\b)",
    re.IGNORECASE,
)
PART_MIN_WORDS = 3


def question_parts(text: str) -> List[str]:
    """The questions of a message, in order; one (the message) when it asks one thing."""
    parts = [part.strip(" ,.;:!¿¡") for part in _SPLIT.split(text or "")]
    parts = [part for part in parts if len(part.split()) >= PART_MIN_WORDS]
    return parts if len(parts) > 1 else [text]


# What the hub puts in place of personal data (bot/domain/masking.py: "[CPF]", "[cartão]").
_MASKED = re.compile(r"\[[^\[\]\s]{2,20}\]")
_CLAUSE = re.compile(r"(?<=[.;!?,])\s+")
# A clause this short around masked data only states it ("meu cpf é [CPF]").
STATED_DATA_MAX_WORDS = 6


# A greeting before the question says nothing of its topic ("oi, como abro um chamado?").
_GREETING = re.compile(
    r"^\s*(?:(?:(?:bom|boa|buen[oa]?s?|good)\s+(?:dia|d[ií]as|tarde|tardes|noite|noches|morning|afternoon|evening)"
    r"|oi|ol[aá]|hola|hi|hello|hey|buenas)[\s,.!]+)+",
    re.IGNORECASE,
)


def kb_query(text: str) -> str:
    """What the knowledge base should read of a message: no greeting before
    it, no personal data stated beside it; the message itself when nothing is left."""
    question = _GREETING.sub("", without_personal_data(text))
    return question if len(question.split()) >= PART_MIN_WORDS else text


def without_personal_data(text: str) -> str:
    """The question without the personal data the customer stated beside it:
    "hi, my cpf is [CPF]. who is the portal administrator?" is about the
    administrator, but the CPF pulled the data-protection article first. Short
    clauses that only state masked data go; elsewhere only the mark goes."""
    if not _MASKED.search(text or ""):
        return text
    kept = []
    for clause in _CLAUSE.split(text):
        if _MASKED.search(clause) and len(clause.split()) <= STATED_DATA_MAX_WORDS:
            continue
        kept.append(_MASKED.sub("", clause))
    cleaned = re.sub(r"\s+", " ", " ".join(kept)).strip(" ,;")
    return cleaned if len(cleaned.split()) >= PART_MIN_WORDS else text
