"""Carolina's three languages and how the portal and the widget may spell them."""

from __future__ import annotations

from typing import Tuple

LANGUAGES: Tuple[str, ...] = ("pt", "es", "en")
DEFAULT_LANGUAGE = "pt"


def normalise_code(value: object) -> str | None:
    """'pt-BR', 'es_AR', 'EN' -> 'pt', 'es', 'en'; anything else -> None."""
    if not isinstance(value, str) or not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None
