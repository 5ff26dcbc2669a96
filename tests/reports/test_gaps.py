"""Knowledge gaps (bot/domain/knowledge_gaps.py): questions about one missing
topic land in one group whatever their language. The threshold and weights
were tuned on tests/reports/gaps_dev.yml; tests/reports/gaps_heldout.yml,
written before the tuning and never used for it, measures them:

    set        questions  topics  singles  purity  completeness
    dev           54        12       5      1.00     0.98
    held-out      36         7       5      1.00     0.94

Purity: the share of questions in a group whose most common true topic is
theirs; completeness: the share of questions in the largest group of their
true topic. On the held-out set two questions stand alone: "o agendamento de
rotinas parou de rodar de madrugada" and "product stock quantity doesn't
match". One caveat: the concept table (CONCEPTS) was written by the hand that
wrote both sets, after the held-out set, for the support domain at large; the
held-out figures are those of questions its author knew the topics of, so
expect somewhat less on real traffic."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from bot.db.migrate import upgrade
from bot.db.session import make_engine, make_sessions
from bot.domain import knowledge_gaps, reports
from bot.domain.knowledge_gaps import Question, group_questions
from bot.domain.report_events import record
from common.clock import Clock

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def labelled(name: str) -> Tuple[List[Question], Dict[int, str]]:
    """The set's questions (event ids from 1, in file order) and each one's true topic."""
    data = yaml.safe_load((HERE / name).read_text(encoding="utf-8"))
    questions, truth = [], {}
    for topic, rows in data["topics"].items():
        for row in rows:
            questions.append(Question(len(questions) + 1, row["text"], row["lang"]))
            truth[len(questions)] = topic
    for row in data["singles"]:
        questions.append(Question(len(questions) + 1, row["text"], row["lang"]))
        truth[len(questions)] = f"single-{len(questions)}"
    return questions, truth


def purity_and_completeness(groups, truth: Dict[int, str]) -> Tuple[float, float]:
    total = len(truth)
    purity = sum(max(Counter(truth[i] for i in g.event_ids).values()) for g in groups) / total
    spread: Dict[str, Counter] = {}
    for number, group in enumerate(groups):
        for i in group.event_ids:
            spread.setdefault(truth[i], Counter())[number] += 1
    completeness = sum(max(c.values()) for c in spread.values()) / total
    return purity, completeness


def test_the_dev_set_the_threshold_was_tuned_on():
    questions, truth = labelled("gaps_dev.yml")
    purity, completeness = purity_and_completeness(group_questions(questions), truth)
    print(f"dev: purity {purity:.3f}, completeness {completeness:.3f}")
    assert (len(questions), len(set(truth.values()))) == (54, 17)
    assert purity >= 0.99 and completeness >= 0.98


def test_the_held_out_set_lands_in_its_topics_across_languages():
    questions, truth = labelled("gaps_heldout.yml")
    groups = group_questions(questions)
    purity, completeness = purity_and_completeness(groups, truth)
    print(f"held-out: purity {purity:.3f}, completeness {completeness:.3f}")
    assert (len(questions), len(set(truth.values()))) == (36, 12)
    assert purity >= 0.95 and completeness >= 0.9
    languages = {q.event_id: q.language for q in questions}
    for topic in {t for t in truth.values() if not t.startswith("single")}:
        largest = max(groups, key=lambda g: sum(truth[i] == topic for i in g.event_ids))
        assert len({languages[i] for i in largest.event_ids}) == 3, (topic, largest.examples)
    # Most frequent first; three distinct examples from the group; languages as asked.
    counts = [g.count for g in groups]
    assert counts == sorted(counts, reverse=True)
    for group in groups:
        assert len(group.examples) == min(3, group.count) and len(set(group.examples)) == len(group.examples)
        texts = {q.text for q in questions if q.event_id in group.event_ids}
        assert set(group.examples) <= texts
        assert list(group.languages) == sorted({languages[i] for i in group.event_ids})


def test_a_question_asked_again_weighs_more_and_is_shown_once():
    asked = [
        Question(1, "certificado digital vencido", "pt"),
        Question(2, "certificado digital vencido", "pt"),
        Question(3, "Certificado digital vencido!", "pt"),
        Question(4, "el certificado digital venció", "es"),
        Question(5, "a impressora não imprime", "pt"),
    ]
    first, second = group_questions(asked)
    assert (first.count, first.event_ids, first.languages) == (4, (1, 2, 3, 4), ("es", "pt"))
    assert first.examples == ("certificado digital vencido", "el certificado digital venció")
    assert (second.count, second.examples) == (1, ("a impressora não imprime",))
    assert group_questions([]) == []


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_keys_are_stable_for_the_same_questions_in_any_order_and_process():
    questions, _ = labelled("gaps_heldout.yml")
    once = group_questions(questions)
    shuffled = group_questions(list(reversed(questions)))
    assert [(g.key, g.event_ids, g.examples) for g in once] == [(g.key, g.event_ids, g.examples) for g in shuffled]
    assert len({g.key for g in once}) == len(once)
    # Another process, another hash seed: nothing depends on Python's randomised hash().
    script = (
        "import json, sys; sys.path.insert(0, 'tests/reports'); sys.path.insert(0, '.');"
        "from test_gaps import labelled; from bot.domain.knowledge_gaps import group_questions;"
        "print(json.dumps([g.key for g in group_questions(labelled('gaps_heldout.yml')[0])]))"
    )
    elsewhere = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(elsewhere.stdout) == [g.key for g in once]
    # A group's key names its oldest question and its main words: new questions elsewhere leave it alone.
    more = group_questions([*questions, Question(99, "como emitir o relatório de vendas por vendedor", "pt")])
    assert {g.key for g in once} <= {g.key for g in more}


def test_handled_questions_leave_the_report_and_only_gap_kinds_are_marked(database_url):
    upgrade(database_url)
    moment = datetime(2026, 11, 10, 15, tzinfo=timezone.utc)
    november = reports.Period(date(2026, 11, 1), date(2026, 11, 30))

    async def scenario():
        engine = make_engine(database_url)
        sessions = make_sessions(engine, Clock(moment))
        try:
            async with sessions.begin() as session:
                ids = {}
                for key, kind, fields in (
                    ("pt", "no_answer", {"language": "pt", "text": "como instalo o certificado digital"}),
                    ("es", "suggestions", {"language": "es", "text": "instalar certificado digital", "articles": []}),
                    (
                        "en",
                        "helpful",
                        {
                            "language": "en",
                            "text": "install the digital certificate",
                            "article_id": "portal_access",
                            "helpful": False,
                        },
                    ),
                    (
                        "liked",
                        "helpful",
                        {
                            "language": "pt",
                            "text": "certificado digital instalado",
                            "article_id": "portal_access",
                            "helpful": True,
                        },
                    ),
                    ("printer", "no_answer", {"language": "pt", "text": "a impressora não imprime"}),
                    ("answer", "answer", {"language": "pt", "article_id": "portal_access"}),
                ):
                    event = await record(session, kind, **fields)
                    await session.flush()
                    ids[key] = event.id
            async with sessions() as session:
                before = (await reports.gaps(session, november))["groups"]
            async with sessions.begin() as session:
                marked = await knowledge_gaps.mark_handled(
                    session, [*before[0]["event_ids"], ids["answer"], ids["liked"]], moment + timedelta(days=1)
                )
            async with sessions.begin() as session:
                again = await knowledge_gaps.mark_handled(session, before[0]["event_ids"], moment + timedelta(days=2))
            async with sessions() as session:
                after = (await reports.gaps(session, november))["groups"]
            return ids, before, marked, again, after
        finally:
            await engine.dispose()

    ids, before, marked, again, after = asyncio.run(scenario())
    # A helpful answer is no gap; the unhelpful one, the list of suggestions and nothing found are.
    assert [(g["count"], g["event_ids"], g["languages"]) for g in before] == [
        (3, sorted([ids["pt"], ids["es"], ids["en"]]), ["en", "es", "pt"]),
        (1, [ids["printer"]], ["pt"]),
    ]
    assert (marked, again) == (3, 0), "only the gap kinds, and each once"
    assert [g["event_ids"] for g in after] == [[ids["printer"]]]
    assert after[0]["key"] == before[1]["key"]
