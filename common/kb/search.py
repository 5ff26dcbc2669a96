"""BM25 over spaCy lemmas, one document per article across its three languages.

Each article is indexed once, with the text of its pt, es and en versions, each
analysed by its own language's pipeline (lookup lemmas, stop words removed,
accents folded). A question in one language therefore also matches terms that
only another language's version uses: a product or screen name kept in
Portuguese in the English article, a Spanish label, a synonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, List, Sequence

import bm25s
import numpy as np

from common.kb.articles import LANGUAGES, Article, Library, article_ids
from common.lemmas import spacy_pipeline
from common.text import fold

# How many times each field's terms count: titles and tags name the topic, the
# body also mentions neighbouring topics.
FIELD_WEIGHTS = (("title", 3), ("tags", 2), ("examples", 2), ("summary", 1), ("body", 1))


def analyse(text: str, lang: str) -> List[str]:
    """Search terms of `text`: folded lemmas without stop words or punctuation,
    plus the folded surface form when it differs (keeps product names and forms
    the lookup tables do not know)."""
    terms: List[str] = []
    for token in spacy_pipeline(lang)(text):
        if token.is_stop or token.is_punct or token.is_space or len(token.text) < 2:
            continue
        lemma = fold(token.lemma_ or token.text)
        if not any(c.isalnum() for c in lemma):
            continue
        terms.append(lemma)
        surface = fold(token.text)
        if surface != lemma:
            terms.append(surface)
    return terms


def article_terms(versions: Iterable[Article]) -> List[str]:
    terms: List[str] = []
    for article in versions:
        fields = {
            "title": article.title,
            "tags": " ".join(article.tags),
            "examples": " \n".join(article.examples),
            "summary": article.summary,
            "body": article.body,
        }
        for field, weight in FIELD_WEIGHTS:
            terms += analyse(fields[field], article.lang) * weight
    return terms


@dataclass(frozen=True)
class Hit:
    article_id: str
    score: float


class KnowledgeBaseIndex:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.ids = article_ids(library)
        corpus = [article_terms(library[lang][i] for lang in LANGUAGES) for i in self.ids]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        self._vocabulary = set(self._bm25.vocab_dict)

    def search(self, query: str, lang: str, k: int = 5) -> List[Hit]:
        terms = [t for t in analyse(query, lang if lang in LANGUAGES else "pt") if t in self._vocabulary]
        if not terms:
            return []
        scores: Sequence[float] = self._bm25.get_scores(terms)
        order = np.argsort(scores)[::-1][:k]
        return [Hit(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]


@lru_cache(maxsize=1)
def default_index() -> KnowledgeBaseIndex:
    from common.kb.articles import load_library

    return KnowledgeBaseIndex(load_library())
