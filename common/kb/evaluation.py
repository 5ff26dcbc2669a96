"""Scoring knowledge-base answering on tests/kb_eval/questions.yml.

Shared by the test (tests/test_kb_answers.py) and the benchmark (bench/kb.py):
both turn each question into a `Shown` (what the customer is shown first) and
score the list the same way.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

QUESTIONS = Path(__file__).resolve().parents[2] / "tests" / "kb_eval" / "questions.yml"
DEV_UNANSWERABLE = QUESTIONS.with_name("dev_unanswerable.yml")


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    article: str | None  # None: no article answers it
    split: str  # "dev" or "test"


def load_questions(path: Path = QUESTIONS, split: str | None = None) -> List[Question]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    questions = [
        Question(row["q"], row["lang"], row["article"], "dev" if i % 3 == 0 else "test") for i, row in enumerate(rows)
    ]
    if split == "dev" and path == QUESTIONS:
        extra = yaml.safe_load(DEV_UNANSWERABLE.read_text(encoding="utf-8"))["questions"]
        questions += [Question(row["q"], row["lang"], None, "dev") for row in extra]
    return [q for q in questions if split is None or q.split == split]


@dataclass(frozen=True)
class Shown:
    """What a method showed the customer for one question."""

    answered: str | None  # the article given as *the* answer, if any
    listed: Tuple[str, ...] = ()  # articles shown in order (answer first, then suggestions)
    seconds: float = 0.0
    # A message that asks two things gets an answer per part: the others.
    also_answered: Tuple[str, ...] = ()

    @property
    def answers(self) -> Tuple[str, ...]:
        return (self.answered, *self.also_answered) if self.answered else ()


@dataclass
class Score:
    n_answerable: int = 0
    n_unanswerable: int = 0
    top1: float = 0.0  # first article shown is the right one
    top3: float = 0.0  # the right one is among the first three shown
    # Answered confidently with the right article (among the answers, when a
    # message asking two things got one per part), or only with wrong ones.
    answered_right: float = 0.0
    answered_wrong: float = 0.0
    unanswerable_declined: float = 0.0  # unanswerable questions given no confident answer
    median_ms: float = 0.0
    p99_ms: float = 0.0
    per_language_top1: Dict[str, float] = field(default_factory=dict)
    misses: List[Tuple[str, str | None, Tuple[str, ...], str | None]] = field(default_factory=list)


def score(questions: Sequence[Question], shown: Sequence[Shown]) -> Score:
    answerable = [(q, s) for q, s in zip(questions, shown, strict=False) if q.article]
    unanswerable = [(q, s) for q, s in zip(questions, shown, strict=False) if not q.article]
    result = Score(n_answerable=len(answerable), n_unanswerable=len(unanswerable))
    if answerable:
        result.top1 = sum(bool(s.listed) and s.listed[0] == q.article for q, s in answerable) / len(answerable)
        result.top3 = sum(q.article in s.listed[:3] for q, s in answerable) / len(answerable)
        result.answered_right = sum(q.article in s.answers for q, s in answerable) / len(answerable)
        result.answered_wrong = sum(bool(s.answers) and q.article not in s.answers for q, s in answerable) / len(
            answerable
        )
        for lang in sorted({q.lang for q, _ in answerable}):
            rows = [(q, s) for q, s in answerable if q.lang == lang]
            result.per_language_top1[lang] = sum(bool(s.listed) and s.listed[0] == q.article for q, s in rows) / len(
                rows
            )
    if unanswerable:
        result.unanswerable_declined = sum(s.answered is None for _, s in unanswerable) / len(unanswerable)
    times = sorted(s.seconds * 1000 for s in shown)
    if times:
        result.median_ms = statistics.median(times)
        result.p99_ms = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
    result.misses = [
        (q.text, q.article, s.listed[:3], s.answered)
        for q, s in zip(questions, shown, strict=False)
        if (q.article and (not s.listed or s.listed[0] != q.article)) or (not q.article and s.answered)
    ]
    return result
