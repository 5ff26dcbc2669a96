"""Articles: data/kb/<lang>/<id>.md, Markdown with YAML front matter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from common.languages import LANGUAGES
from common.vocabulary import QUEUES

REQUIRED = ("id", "title", "queue", "product", "tags", "source", "summary", "examples")
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "data" / "kb"


class KnowledgeBaseError(ValueError):
    """An article file is missing, malformed, or disagrees with its translations."""


@dataclass(frozen=True)
class Article:
    id: str
    lang: str
    title: str
    queue: str
    product: str
    tags: Tuple[str, ...]
    source: str
    summary: str
    examples: Tuple[str, ...]
    body: str


Library = Dict[str, Dict[str, Article]]  # lang -> id -> article


def parse_article(path: Path, lang: str) -> Article:
    text = path.read_text(encoding="utf-8")
    parts = text.split("\n---", 1)
    if not text.startswith("---") or len(parts) != 2:
        raise KnowledgeBaseError(f"{path}: front matter must open and close with '---'")
    try:
        meta = yaml.safe_load(parts[0][3:]) or {}
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path}: invalid front matter: {error}") from error
    missing = [key for key in REQUIRED if not meta.get(key)]
    if missing:
        raise KnowledgeBaseError(f"{path}: missing {', '.join(missing)}")
    if meta["id"] != path.stem:
        raise KnowledgeBaseError(f"{path}: id {meta['id']!r} differs from the file name")
    if meta["queue"] not in QUEUES:
        raise KnowledgeBaseError(f"{path}: queue must be one of {', '.join(QUEUES)}")
    return Article(
        id=meta["id"],
        lang=lang,
        title=str(meta["title"]).strip(),
        queue=meta["queue"],
        product=str(meta["product"]),
        tags=tuple(str(t) for t in meta["tags"]),
        source=str(meta["source"]),
        summary=" ".join(str(meta["summary"]).split()),
        examples=tuple(str(e).strip() for e in meta["examples"]),
        body=parts[1].lstrip("-").strip(),
    )


def load_library(root: Path = DEFAULT_ROOT) -> Library:
    library: Library = {}
    for lang in LANGUAGES:
        library[lang] = {p.stem: parse_article(p, lang) for p in sorted((root / lang).glob("*.md"))}
    ids = {lang: set(articles) for lang, articles in library.items()}
    every = set().union(*ids.values())
    for lang, present in ids.items():
        if present != every:
            raise KnowledgeBaseError(
                f"data/kb/{lang} lacks {sorted(every - present)}: every article needs all three languages"
            )
    if not every:
        raise KnowledgeBaseError(f"no articles under {root}")
    return library


def article_ids(library: Library) -> List[str]:
    return sorted(library[LANGUAGES[0]])
