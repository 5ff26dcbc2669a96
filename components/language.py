"""Which of Carolina's languages a piece of customer text is written in.

Two signals, combined as log-probabilities:

* lingua (restricted to pt/es/en) knows the languages in general and is good on
  whole sentences, but on the two- or three-word messages of a chat it often
  confuses Portuguese and Spanish ("olá" comes out Spanish);
* a word-unigram model fitted on Carolina's own training data, where every
  example's language is known. It knows the support vocabulary of each language
  ("chamado" vs "solicitud", "valeu", "tchau") and the greetings people actually
  type.

Accents are folded before counting so "nao"/"não" and "contrasena"/"contraseña"
count as the same word.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Mapping, Tuple

from common.languages import DEFAULT_LANGUAGE, LANGUAGES, normalise_code
from common.lemmas import spacy_pipeline
from common.text import fold, words

__all__ = ["fold", "words", "LANGUAGES", "DEFAULT_LANGUAGE", "normalise_code", "spacy_pipeline"]


@lru_cache(maxsize=1)
def _lingua():  # type: ignore[no-untyped-def]
    # Built on first use, not at import: rasa and the tests import this module
    # in processes that never detect anything.
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.PORTUGUESE, Language.SPANISH, Language.ENGLISH).build()


def lingua_probabilities(text: str) -> Dict[str, float]:
    values = _lingua().compute_language_confidence_values(text)
    probs = {lang: 0.0 for lang in LANGUAGES}
    for value in values:
        probs[value.language.iso_code_639_1.name.lower()] = value.value
    return probs


@dataclass(frozen=True)
class Guess:
    language: str
    confidence: float
    scores: Mapping[str, float]


@dataclass
class LanguageIdentifier:
    """Word counts per language, fitted on labelled examples."""

    counts: Dict[str, Dict[str, int]]

    @classmethod
    def fit(cls, examples: Iterable[Tuple[str, str]]) -> LanguageIdentifier:
        counts: Dict[str, Counter] = {lang: Counter() for lang in LANGUAGES}
        for text, lang in examples:
            if lang in counts:
                counts[lang].update(words(text))
        return cls({lang: dict(c) for lang, c in counts.items()})

    @classmethod
    def empty(cls) -> LanguageIdentifier:
        return cls({lang: {} for lang in LANGUAGES})

    def _word_log_likelihoods(self, tokens: List[str]) -> Dict[str, float]:
        vocabulary = set().union(*(c.keys() for c in self.counts.values()))
        totals = {lang: sum(c.values()) for lang, c in self.counts.items()}
        scores = {lang: 0.0 for lang in LANGUAGES}
        for token in tokens:
            # Words never seen in training say nothing about the language
            # (product names, numbers, typos): skip them rather than smooth them.
            if token not in vocabulary:
                continue
            for lang in LANGUAGES:
                count = self.counts.get(lang, {}).get(token, 0)
                scores[lang] += math.log((count + 0.1) / (totals[lang] + 0.1 * len(vocabulary)))
        return scores

    def identify(self, text: str, prior: str | None = None) -> Guess:
        """Most likely language of `text`; `prior` (e.g. the portal's locale)
        tips the balance only when the text itself is ambiguous."""
        tokens = words(text)
        if not tokens:
            lang = prior or DEFAULT_LANGUAGE
            return Guess(lang, 0.0, {lang: 0.0})
        log_scores = self._word_log_likelihoods(tokens)
        for lang, p in lingua_probabilities(text).items():
            log_scores[lang] += math.log(max(p, 1e-3))
        if prior in log_scores:
            log_scores[prior] += math.log(2.0)
        top = max(log_scores.values())
        exp = {lang: math.exp(s - top) for lang, s in log_scores.items()}
        total = sum(exp.values())
        probs = {lang: v / total for lang, v in exp.items()}
        best = max(probs, key=probs.__getitem__)
        return Guess(best, probs[best], probs)
