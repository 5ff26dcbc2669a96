"""The held-out typed answers (tests/nlu/typed_answers/<lang>.yml, never used
for training or tuning) read through the actions with the real model's NLU:
at least 0.93 per language (bench/results/answers.md has the measured figure
beside the code before common/answers.py)."""

from __future__ import annotations

import pytest

from bench.answers import LANGUAGES, evaluate, load_cases

MINIMUM = 0.93


@pytest.fixture(scope="module")
def report(rasa_server):
    return evaluate(load_cases("test"), rasa_server, with_before=False)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_typed_answers_are_understood(report, lang):
    assert report["now"][lang] >= MINIMUM, [m for m in report["misses"] if m["lang"] == lang][:10]


def test_the_set_is_big_enough():
    cases = load_cases("test")
    assert len(cases) >= 400
    per_question = {}
    for case in cases:
        per_question[(case.lang, case.question)] = per_question.get((case.lang, case.question), 0) + 1
    assert min(per_question.values()) >= 15 and len(per_question) == 16 * 3
