"""A follow-up on the topic just answered: "e no Chile?", "¿y en México?",
"and on Saturdays?", "what about cloud customers?".

Alone, such a message names no topic: the ResponseSelector guesses and BM25
finds at most the one word ("Chile" is in no article), so the customer who had
just been given the phone numbers abroad got "I don't know". Read after the
answer it follows, it asks the same article about another case; the article
(actions/knowledge.py gives it again) says what it covers and where to go when
a case is not in it. A follow-up is short and opens with "and" or "what
about", without a question word of its own: "e como abro um chamado?" is a new
question and is read as one.
"""

from __future__ import annotations

import re

from common.text import tokens

FOLLOW_UP_MAX_WORDS = 6

# "e"/"y"/"and" then a word that continues the last question rather than asking
# a new one (a preposition, an article, "se"/"si"/"if"); or "what about",
# "e quanto a", "¿y qué tal ...?" (pt, es, en; accents folded).
_OPENINGS = (
    r"e\s+(?:no|na|nos|nas|em|pro|pra|para|pros|pras|o|a|os|as|do|da|se|quanto\s+a|quanto\s+ao|sobre|com|no\s+caso)",
    r"y\s+(?:en|para|el|la|los|las|del|de|si|con|sobre|que\s+tal|en\s+el\s+caso)",
    r"and\s+(?:in|on|for|the|if|with|at|from|during|outside|about)",
    r"(?:what|how)\s+about",
    r"e\s+quanto\s+(?:a|ao|aos)",
)
_FOLLOW_UP = re.compile(r"^(?:" + "|".join(_OPENINGS) + r")\b")


def is_follow_up(text: str) -> bool:
    """Whether `text` continues the question before it instead of asking its own."""
    words = tokens(text or "")
    return 0 < len(words) <= FOLLOW_UP_MAX_WORDS and bool(_FOLLOW_UP.match(" ".join(words)))
