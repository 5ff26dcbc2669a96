"""Folding customer text the same way everywhere: case and accents do not
change what a word is ("Não", "nao", "NÃO")."""

from __future__ import annotations

import re
import unicodedata
from typing import List

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Letters and digits together ("8/10", "opção 2"); apostrophes vanish first,
# so "don't" and "dont" are the same token.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_APOSTROPHES = re.compile(r"['’`´]")


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Não' -> 'nao'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> List[str]:
    """The folded words of `text`, letters only."""
    return _WORD.findall(fold(text))


def tokens(text: str) -> List[str]:
    """The folded words and numbers of `text`."""
    return _TOKEN.findall(_APOSTROPHES.sub("", fold(text)))
