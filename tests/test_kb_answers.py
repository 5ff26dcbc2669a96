"""Knowledge-base answering measured on the held-out questions (tests/kb_eval/).

Every question of the test split goes through the running Rasa server's NLU
(intent and ResponseSelector) and the same decision the action server uses
(common/kb/answer.py). The thresholds were measured on the dev split, never on
these questions.
"""

from __future__ import annotations

import pytest
import requests

from common.kb.answer import KB_INTENTS, decide, selector_ranking, shown_articles
from common.kb.evaluation import Shown, load_questions, score
from common.kb.search import default_index

MIN_TOP1 = 0.85
MAX_UNANSWERABLE_ANSWERED = 0.10


@pytest.fixture(scope="module")
def result(rasa_server):
    questions = load_questions(split="test")
    index = default_index()
    session = requests.Session()
    shown = []
    for q in questions:
        parsed = session.post(f"{rasa_server}/model/parse", json={"text": q.text}, timeout=30).json()
        if parsed["intent"]["name"] in KB_INTENTS:
            answered, listed = shown_articles(decide(selector_ranking(parsed), index.search(q.text, q.lang)))
        else:
            answered, listed = None, ()
        shown.append(Shown(answered, listed))
    return score(questions, shown)


def test_eval_set_is_big_enough():
    questions = load_questions(split="test")
    assert len(questions) >= 150
    assert {q.lang for q in questions} == {"pt", "es", "en"}
    assert sum(q.article is None for q in questions) >= 15


def test_right_article_first(result):
    print(f"\ntop-1 {result.top1:.3f} top-3 {result.top3:.3f} per language {result.per_language_top1}")
    for miss in result.misses:
        print("   miss:", miss)
    assert result.top1 >= MIN_TOP1


def test_no_confident_answer_to_unanswerable_questions(result):
    assert 1 - result.unanswerable_declined <= MAX_UNANSWERABLE_ANSWERED


def test_confident_answers_are_rarely_wrong(result):
    assert result.answered_wrong <= 0.10
