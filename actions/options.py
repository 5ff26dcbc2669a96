"""The option questions as the actions ask them: each one's buttons, read from
domain.yml in every language, made a common.answers.Question. The buttons
Carolina shows and the options a typed answer is read against are the same
data, so a title changed in domain.yml is understood the moment it is shown."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from common.answers import Option, Question, question_from_buttons


def buttons(domain: Mapping[str, Any], response: str) -> Dict[str, List[Dict[str, Any]]]:
    """A response's buttons per language ("pt" is the default variation)."""
    found: Dict[str, List[Dict[str, Any]]] = {}
    for variant in (domain.get("responses") or {}).get(response) or []:
        conditions = variant.get("condition") or []
        lang = next((c.get("value") for c in conditions if c.get("name") == "language"), "pt")
        if variant.get("buttons"):
            found.setdefault(str(lang), list(variant["buttons"]))
    return found


def asked(domain: Mapping[str, Any], slot: str, lang: str) -> Optional[Question]:
    """The question `utter_ask_<slot>` asks, if it has buttons."""
    by_language = buttons(domain, f"utter_ask_{slot}")
    return question_from_buttons(slot, by_language, lang) if by_language else None


def labelled(
    name: str, values: Sequence[str], titles: Mapping[str, Sequence[str]], payloads: Mapping[str, str]
) -> Question:
    """A question whose buttons the action builds (articles, field names):
    `titles[value]` are its titles, the conversation's language first."""
    return Question(name, tuple(Option(v, tuple(titles[v]), payloads.get(v, "")) for v in values))
