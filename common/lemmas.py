"""spaCy's lookup lemmas for the three languages, without a model download: the
tables come from the spacy-lookups-data package on disk. Both the knowledge-base
search and the catalogue's entity matcher read words through these pipelines."""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import IO, Callable, Dict, List, Mapping, Tuple

from common.imports import import_without

LEMMA_TABLE = "lemma_lookup"
# One "word": "lemma" pair of a lookup table (JSON strings cannot hold a raw line
# break, so a pair never spans two lines however the file is laid out).
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')


@cache
def spacy_pipeline(lang: str):  # type: ignore[no-untyped-def]
    """Blank spaCy pipeline for `lang` with the lookup lemmatizer."""
    import spacy

    nlp = spacy.blank(lang)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def lemma_pipeline(lang: str, lemmas: Mapping[str, str]):  # type: ignore[no-untyped-def]
    """Blank spaCy pipeline for `lang` whose lookup lemmatizer knows only `lemmas`:
    spacy_pipeline(lang) for every word that has one of them, the word itself
    as its lemma for every other (as spaCy does for a word its table lacks)."""
    spacy = import_without("spacy")
    lookups = spacy.lookups.Lookups()
    lookups.add_table(LEMMA_TABLE, dict(lemmas))
    nlp = spacy.blank(lang)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize(lookups=lookups)
    return nlp


@cache
def tokenizer(lang: str):  # type: ignore[no-untyped-def]
    """Blank spaCy pipeline for `lang` without the lemmatizer: the same tokens,
    stop words and punctuation as spacy_pipeline(lang), and none of its lookup
    table (pt's alone is 825,000 words, about 280 MB once loaded). The knowledge
    base's search looks up only the words it needs (lemma_lookup)."""
    spacy = import_without("spacy")
    return spacy.blank(lang)


def lemma_of(lemmas: Mapping[str, str], word: str) -> str:
    """What spaCy's lookup lemmatizer puts in `token.lemma_` for `word`."""
    return lemmas.get(word, word)


def lemma_lookup(lang: str, keep: Callable[[str, str], bool]) -> Dict[str, str]:
    """The entries (word, lemma) of `lang`'s lookup table that `keep` accepts,
    read line by line: the whole table is never in memory at once."""
    found: Dict[str, str] = {}
    with _open_table(lang) as lines:
        for line in lines:
            for word, lemma in _pairs(line):
                if keep(word, lemma):
                    found[word] = lemma
                else:
                    # A later duplicate of a key wins, as in json.load.
                    found.pop(word, None)
    return found


def _pairs(line: str) -> List[Tuple[str, str]]:
    parts = line.split('"')
    if len(parts) == 5 and parts[2].strip() == ":" and "\\" not in line:
        # `    "word": "lemma",`: how spacy-lookups-data lays its tables out, read
        # without the regular expression (twice as fast over 800,000 lines).
        return [(parts[1], parts[3])]
    return [(_string(word), _string(lemma)) for word, lemma in _PAIR.findall(line)]


def _string(raw: str) -> str:
    return json.loads(f'"{raw}"') if "\\" in raw else raw


def _open_table(lang: str) -> IO[str]:
    """The file spaCy's lemmatizer loads (spacy.lookups.load_lookups through the
    registry spacy-lookups-data fills), plain or gzipped as spaCy accepts it."""
    registry = import_without("spacy.util").registry
    path = Path(str(registry.lookups.get(lang)[LEMMA_TABLE]))
    if path.exists():
        return path.open(encoding="utf8")
    return gzip.open(path.with_suffix(path.suffix + ".gz"), "rt", encoding="utf8")
