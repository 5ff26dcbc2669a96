"""The entries of spaCy's lemma tables that can change what NLU outputs.

A token's lemma reaches one place in the pipeline: the word CountVectorsFeaturizer
(config.yml), whose vocabulary is fixed when the model is trained. It splits each
(lower-cased) lemma into the maximal runs of word characters (token_pattern
r"(?u)\\b\\w+\\b") and counts those in its vocabulary; a run it never saw adds
nothing. So an entry (word, lemma) can be left out of the table, making the
lemma the word itself, when either

* the folded lemma is the folded word (the token's lemma is the same string), or
* neither the lemma nor the word has a run the training data could have put in
  the vocabulary: both give the token no word feature at all.

The runs the training data could put there are those of the lemmas and words of
its texts. The tokenizer keeps the entries that pass when it trains, with the
full tables at hand, and the model carries them (issue 21: pt's table alone is
825,000 entries, about 280 MB in the Rasa server, es's 98 MB).
"""

from __future__ import annotations

import re
from typing import AbstractSet, Dict, Iterable, Set

from common.lemmas import lemma_lookup
from common.text import fold

_RUN = re.compile(r"\w+")


def feature_words(text: str) -> Set[str]:
    """The runs of word characters of `text` as the featurizer reads a lemma."""
    return set(_RUN.findall(fold(text).lower()))


def seen_words(texts: Iterable[str]) -> Set[str]:
    """Every run of every text (the tokens' words and lemmas of the training data)."""
    seen: Set[str] = set()
    for text in texts:
        seen |= feature_words(text)
    return seen


def can_change_a_feature(word: str, lemma: str, seen: AbstractSet[str]) -> bool:
    """Whether the entry (word, lemma) gives its token other word features than
    the word itself would, for a vocabulary within `seen`."""
    if word == lemma:
        return False
    folded_word, folded_lemma = _fold(word), _fold(lemma)
    if folded_lemma == folded_word:
        return False
    return not seen.isdisjoint(_RUN.findall(folded_lemma)) or not seen.isdisjoint(_RUN.findall(folded_word))


def _fold(text: str) -> str:
    # fold() is the slow part of reading 825,000 entries; ASCII has nothing to strip.
    return text.lower() if text.isascii() else fold(text).lower()


def feature_lemmas(lang: str, seen: AbstractSet[str]) -> Dict[str, str]:
    """The entries of `lang`'s lookup table that can change a word feature."""
    return lemma_lookup(lang, lambda word, lemma: can_change_a_feature(word, lemma, seen))
