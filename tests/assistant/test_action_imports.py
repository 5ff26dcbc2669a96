"""The action server loads only what actions need (issue 21: at most 400 MB).

It once peaked at 1.1 GB: spaCy's thinc imported TensorFlow, bm25s imported JAX,
and the knowledge base held spaCy's whole lookup tables. The search it answers
with must still read every question exactly as the full spaCy pipeline does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What the NLU server or the hub needs, never the action server.
HEAVY = ("tensorflow", "keras", "jax", "jaxlib", "torch", "rasa", "sklearn", "lingua", "transformers")
# The action server measured 241 MB under `rasa run actions` (Procfile), whose own
# imports are about 45 MB of it: the actions and their warm knowledge base get the rest.
BUDGET_MB = 300

# The action server's start (rasa_sdk.endpoint.create_app, then the warm-up in
# rasa_sdk_plugins) and a question, in a fresh interpreter.
SERVER_START = """
import json, sys
from rasa_sdk.executor import ActionExecutor
ActionExecutor().register_package("actions")
import rasa_sdk_plugins
from common.kb.search import default_index
assert default_index().search("como recupero minha senha", "pt")
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"modules": sorted({name.split(".")[0] for name in sys.modules}),
                  "peak_mb": int(status["VmHWM"].split()[0]) // 1024}))
"""


@pytest.fixture(scope="module")
def server_start() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SERVER_START], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_action_server_does_not_import_what_only_nlu_or_the_hub_needs(server_start):
    loaded = set(server_start["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "rasa_sdk" in loaded and "spacy" in loaded, "the probe did start the actions and the search"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_the_actions_and_the_knowledge_base_fit_the_memory_budget(server_start):
    assert server_start["peak_mb"] <= BUDGET_MB


def full_pipeline_terms(text: str, lang: str) -> list:
    """common/kb/search.analyse as it was, with spaCy's whole lookup table."""
    from common.lemmas import spacy_pipeline
    from common.text import fold

    terms = []
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


def test_questions_find_the_same_terms_as_with_the_whole_lookup_tables():
    from common.kb.articles import LANGUAGES
    from common.kb.search import analyse, default_index

    index = default_index()
    questions = [
        (text, asked_in)
        for lang in LANGUAGES
        for article in index.library[lang].values()
        for text in (article.title, *article.examples, article.body)
        for asked_in in LANGUAGES
    ]
    questions += [("Nao consigo EMITIR notas fiscais!! 😡 --", "pt"), ("¿Dónde están mis facturas?", "es")]
    for text, lang in questions:
        expected = [term for term in full_pipeline_terms(text, lang) if term in index._vocabulary]
        assert [term for term in analyse(text, lang, index._lemmas[lang]) if term in index._vocabulary] == expected


def test_the_articles_are_indexed_on_the_same_terms_as_with_the_whole_lookup_tables():
    from common.kb.search import article_fields, default_index

    index = default_index()
    expected = {
        term
        for lang, articles in index.library.items()
        for article in articles.values()
        for text in article_fields(article).values()
        for term in full_pipeline_terms(text, lang)
    }
    assert index._vocabulary - {""} == expected, "bm25s adds the empty term itself"


def test_the_lookup_table_is_read_as_spacy_reads_it():
    from common.lemmas import lemma_lookup, spacy_pipeline

    table = spacy_pipeline("en").get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    read = lemma_lookup("en", lambda word, lemma: True)
    assert len(read) == len(table)
    assert all(table.get(word) == lemma for word, lemma in read.items())
