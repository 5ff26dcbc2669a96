"""spaCy's lookup lemmas for the three languages, without a model download: the
tables come from the spacy-lookups-data package on disk. Both the knowledge-base
search and the catalogue's entity matcher read words through these pipelines."""

from __future__ import annotations

from functools import cache


@cache
def spacy_pipeline(lang: str):  # type: ignore[no-untyped-def]
    """Blank spaCy pipeline for `lang` with the lookup lemmatizer."""
    import spacy

    nlp = spacy.blank(lang)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp
