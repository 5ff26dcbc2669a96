"""Every customer-written conversation of tests/conversations/, end to end:
the widget's protocol, the hub, the real Rasa model and the action server, each
reaching the outcome it must within its turns (bench/conversations.py says how
they are written and checked). Those marked `fails` are known failures of
today's code, kept as xfails (not strict: a retrained model may fix one by
chance, which `python -m bench conversations` reports, and that must not fail
the build).

The conversations run a few at a time, once per session (`results`), so the
corpus costs minutes, not the sum of its conversations; each test then reports
its own."""

from __future__ import annotations

from typing import Dict

import pytest

from bench import conversations
from tests.conftest import ACTIONS_TOKEN, IDENTITY_SECRET

SCRIPTS = conversations.load()


def params():
    for script in SCRIPTS:
        marks = [pytest.mark.xfail(reason=script.fails)] if script.fails else []
        yield pytest.param(script.name, id=script.name, marks=marks)


@pytest.fixture(scope="session")
def results(hub_service, rasa_server) -> Dict[str, conversations.Result]:
    conversations.create_analysts(hub_service.env["DATABASE_URL"])
    stack = conversations.Stack(hub_service.url, rasa_server, IDENTITY_SECRET, ACTIONS_TOKEN)
    return {r.script.name: r for r in conversations.run_all(SCRIPTS, stack)}


def test_the_corpus_covers_every_language_with_twenty_conversations():
    for lang in conversations.LANGUAGES:
        assert len([s for s in SCRIPTS if s.lang == lang]) >= 20, lang


@pytest.mark.parametrize("name", params())
def test_conversation_reaches_its_outcome(results, name):
    result = results[name]
    assert result.reached, "\n".join(result.problems) + "\n\n" + result.transcript()
