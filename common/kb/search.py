"""BM25 over spaCy lemmas, one document per article across its three languages.

Each article is indexed once, with the text of its pt, es and en versions, each
analysed by its own language's pipeline (lookup lemmas, stop words removed,
accents folded). A question in one language therefore also matches terms that
only another language's version uses: a product or screen name kept in
Portuguese in the English article, a Spanish label, a synonym.

The lemmas are spaCy's lookup tables (common/lemmas.py), of which the index keeps
only the entries that can change a search: the whole tables would be most of the
action server's memory.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Dict, Iterable, List, Mapping, Sequence, Set

import numpy as np

from common.imports import import_without
from common.kb.articles import LANGUAGES, Article, Library, article_ids
from common.lemmas import lemma_lookup, lemma_of, tokenizer
from common.text import fold

# How many times each field's terms count: titles and tags name the topic, the
# body also mentions neighbouring topics.
FIELD_WEIGHTS = (("title", 3), ("tags", 2), ("examples", 2), ("summary", 1), ("body", 1))

_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
# lang -> word -> lemma: the part of spaCy's lookup table a text is read with.
Lemmas = Mapping[str, Mapping[str, str]]


def analyse(text: str, lang: str, lemmas: Mapping[str, str]) -> List[str]:
    """Search terms of `text`: folded lemmas without stop words or punctuation,
    plus the folded surface form when it differs (keeps product names and forms
    the lookup tables do not know)."""
    terms: List[str] = []
    for token in tokenizer(lang)(text):
        if token.is_stop or token.is_punct or token.is_space or len(token.text) < 2:
            continue
        lemma = fold(lemma_of(lemmas, token.text) or token.text)
        if not _has_alnum(lemma):
            continue
        terms.append(lemma)
        surface = fold(token.text)
        if surface != lemma:
            terms.append(surface)
    return terms


def article_fields(article: Article) -> Dict[str, str]:
    return {
        "title": article.title,
        "tags": " ".join(article.tags),
        "examples": " \n".join(article.examples),
        "summary": article.summary,
        "body": article.body,
    }


def article_terms(versions: Iterable[Article], lemmas: Lemmas) -> List[str]:
    terms: List[str] = []
    for article in versions:
        fields = article_fields(article)
        for field, weight in FIELD_WEIGHTS:
            terms += analyse(fields[field], article.lang, lemmas[article.lang]) * weight
    return terms


def written_words(library: Library) -> Dict[str, Set[str]]:
    """Every token of each language's articles: the words whose lemmas the index needs."""
    found: Dict[str, Set[str]] = {lang: set() for lang in library}
    for lang, articles in library.items():
        for article in articles.values():
            for text in article_fields(article).values():
                found[lang].update(token.text for token in tokenizer(lang)(text))
    return found


def changes_a_search(vocabulary: Set[str]) -> Callable[[str, str], bool]:
    """Whether a lookup entry (word, lemma) can change what a question finds.

    A word missing from the table reads as itself. Its lemma then stops adding a
    term, and the surface form it would have added anyway is what remains, so the
    terms left once the vocabulary filters them are the same, unless the lemma is
    in the vocabulary or one of the two forms has no letter or digit (analyse skips
    such a token whole)."""
    by_lemma: Dict[str, bool] = {}

    def keep(word: str, lemma: str) -> bool:
        read = lemma or word
        needed = by_lemma.get(read)
        if needed is None:
            term = fold(read)
            needed = by_lemma[read] = term in vocabulary or not _has_alnum(term)
        # An ASCII letter or digit survives folding: the common case, without folding.
        return needed or not (_ASCII_ALNUM.search(word) or _has_alnum(fold(word)))

    return keep


@dataclass(frozen=True)
class Hit:
    article_id: str
    score: float


class KnowledgeBaseIndex:
    def __init__(self, library: Library) -> None:
        bm25s = import_without("bm25s")
        self.library = library
        self.ids = article_ids(library)
        words = written_words(library)
        written: Dict[str, Mapping[str, str]] = {
            lang: lemma_lookup(lang, _among(words.get(lang, set()))) for lang in LANGUAGES
        }
        corpus = [article_terms((library[lang][i] for lang in LANGUAGES), written) for i in self.ids]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        self._vocabulary = set(self._bm25.vocab_dict)
        keep = changes_a_search(self._vocabulary)
        self._lemmas: Dict[str, Mapping[str, str]] = {lang: lemma_lookup(lang, keep) for lang in LANGUAGES}

    def search(self, query: str, lang: str, k: int = 5) -> List[Hit]:
        lang = lang if lang in LANGUAGES else "pt"
        terms = [t for t in analyse(query, lang, self._lemmas[lang]) if t in self._vocabulary]
        if not terms:
            return []
        scores: Sequence[float] = self._bm25.get_scores(terms)
        order = np.argsort(scores)[::-1][:k]
        return [Hit(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]


def _among(words: Set[str]) -> Callable[[str, str], bool]:
    return lambda word, lemma: word in words


def _has_alnum(text: str) -> bool:
    return any(c.isalnum() for c in text)


_building = threading.Lock()


@lru_cache(maxsize=1)
def _built_index() -> KnowledgeBaseIndex:
    from common.kb.articles import load_library

    return KnowledgeBaseIndex(load_library())


def default_index() -> KnowledgeBaseIndex:
    """The library's index, built once: a question that arrives while the action
    server warms it up (rasa_sdk_plugins) waits for that build instead of making
    a second one beside it (twice the memory)."""
    with _building:
        return _built_index()
