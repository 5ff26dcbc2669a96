"""The words the assistant's NLU was taught for each intent (data/nlu). NLU
always names some intent, and to a message with no word it knows ("qwzx plof",
"asdf jkl") it often names "affirm" with confidence: a yes or a no in a message
with none of the words it was taught for them is a guess about gibberish, not
the customer's answer, and must not open a ticket."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Set

import yaml

from common.text import tokens

NLU = Path(__file__).resolve().parent.parent / "data" / "nlu"
# [shown text](entity) or [shown text]{"entity": ...}: the shown text is what customers write.
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
CHECKED = ("affirm", "deny")


@lru_cache(maxsize=1)
def taught() -> Dict[str, FrozenSet[str]]:
    found: Dict[str, Set[str]] = {}
    for path in sorted(NLU.glob("*/*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if item.get("intent") in CHECKED:
                for line in str(item.get("examples") or "").splitlines():
                    example = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- "))
                    found.setdefault(item["intent"], set()).update(tokens(example))
    return {intent: frozenset(words) for intent, words in found.items()}


def believed(intent: Optional[str], text: str) -> Optional[str]:
    """NLU's intent for the message, unless it is a yes or a no said with none
    of the words taught for it (a button's payload is always believed; so is a
    message of no words at all, a 👍)."""
    if intent not in CHECKED or text.startswith("/"):
        return intent
    said = tokens(text)
    if not said or set(said) & taught().get(intent, frozenset()):
        return intent
    return None
