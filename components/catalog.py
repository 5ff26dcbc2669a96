"""The product catalog (catalog/products.yml): products and databases by name and
alias, read by the NLU entity extractor and by the intake form's validation."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from components.language import fold

CATALOG_FILE = Path(__file__).resolve().parent.parent / "catalog" / "products.yml"

# Versions as the products number them: 12.1.2310, 12.1.33, 11.80, 2023.10.
VERSION_PATTERN = r"^v?\d{1,4}(\.\d{1,4}){1,3}$"
# Ticket numbers the hub gives: year, dash, six-digit sequence (bot/domain/tickets.py).
TICKET_NUMBER_PATTERN = r"^\d{4}-\d{6}$"


@dataclass(frozen=True)
class Catalog:
    # kind ("product" or "database") -> canonical name -> folded aliases (name included)
    names: Dict[str, Dict[str, Tuple[str, ...]]]

    def canonical(self, kind: str, text: str) -> str | None:
        """The catalog name `text` is (exactly, ignoring case and accents), if any."""
        wanted = fold(text).strip()
        for name, aliases in self.names[kind].items():
            if wanted in aliases:
                return name
        return None

    def closest(self, kind: str, text: str, limit: int = 3) -> List[str]:
        """Names that look like `text` (a typo, a partial name), best first."""
        by_alias = {alias: name for name, aliases in self.names[kind].items() for alias in aliases}
        matches = difflib.get_close_matches(fold(text).strip(), list(by_alias), n=limit * 3, cutoff=0.6)
        return list(dict.fromkeys(by_alias[m] for m in matches))[:limit]


def parse_catalog(raw: Dict) -> Catalog:
    names: Dict[str, Dict[str, Tuple[str, ...]]] = {}
    for kind, section in (("product", "products"), ("database", "databases")):
        names[kind] = {}
        for entry in raw.get(section) or []:
            aliases = [entry["name"], *(entry.get("aliases") or [])]
            names[kind][entry["name"]] = tuple(dict.fromkeys(fold(a).strip() for a in aliases))
    return Catalog(names)


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    return parse_catalog(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
