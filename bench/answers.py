"""Typed answers to Carolina's option questions, two ways, on the held-out set
tests/nlu/typed_answers/<lang>.yml (never used for training or tuning; the
dev split in tests/nlu/typed_answers/dev/ is the one to look at while
changing the matcher):

* now: what the actions do today: the intake's `incident.step` with the
  question's buttons from domain.yml (common/answers.py reads the answer), the
  handoff's questions through the same resolver, the survey's score;
* before: the same calls into the code as it was at BASELINE (loaded from git),
  where keyword lists and NLU's affirm/deny read the answers.

Both get the same NLU parse of each answer (intent, entities) from the trained
model, in process or from a running Rasa server. Prints and writes accuracy
per language and per question to bench/results/answers.{json,md}.

  python -m bench answers [--rasa-url URL] [--split test|dev] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import types
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import yaml

from bench.output import save

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "carolina.tar.gz"
RESULTS = ROOT / "bench" / "results"
SETS = ROOT / "tests" / "nlu" / "typed_answers"
LANGUAGES = ("pt", "es", "en")
# The last commit before common/answers.py: "before" is this code.
BASELINE = "2398bc3"
# The articles the related-article question offers in the set (its texts name them).
RELATED = ("attachments", "forgot_password", "remote_access")
NOW = datetime(2026, 12, 2, 12, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Case:
    lang: str
    question: str
    text: str
    expect: str


def load_cases(split: str = "test") -> List[Case]:
    folder = SETS if split == "test" else SETS / split
    cases = []
    for lang in LANGUAGES:
        raw = yaml.safe_load((folder / f"{lang}.yml").read_text(encoding="utf-8"))
        for question, items in raw["questions"].items():
            cases += [Case(lang, question, str(i["text"]), str(i["expect"])) for i in items]
    return cases


def parse_all(texts: Sequence[str], rasa_url: Optional[str]) -> List[Dict[str, Any]]:
    if rasa_url:
        import requests

        with requests.Session() as http:
            return [
                http.post(f"{rasa_url.rstrip('/')}/model/parse", json={"text": t}, timeout=60).json() for t in texts
            ]
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))

    async def run() -> List[Dict[str, Any]]:
        return [await agent.parse_message(t) for t in texts]

    return asyncio.run(run())


def baseline_module(name: str, path: str) -> types.ModuleType:
    """A module as it was at BASELINE, loaded under another name."""
    source = subprocess.run(
        ["git", "show", f"{BASELINE}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def normalise(question: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    value = str(value)
    if question == "incident_database" and value not in ("Oracle", "SQL Server"):
        return "other"  # any other database named is the "other" button
    return value


class Readers:
    """answer(case, parse) -> the option understood (None: not understood), now and before."""

    def __init__(self) -> None:
        from actions import incident, intake, options
        from common import answers
        from components.catalog import load_catalog

        self.domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
        self.catalog = load_catalog()
        self.incident, self.intake, self.options, self.answers = incident, intake, options, answers
        try:
            self.old_incident = baseline_module("baseline_incident", "actions/incident.py")
            self.old_handoff = baseline_module("baseline_handoff", "actions/handoff.py")
            self.old_handoff.incident = self.old_incident  # its yes/no, as it was
            self.has_baseline = True
        except (subprocess.CalledProcessError, OSError) as error:
            # A shallow clone or an export without git history: "now" only.
            print(f"no baseline {BASELINE} in git ({error}); measuring the current code only", file=sys.stderr)
            self.has_baseline = False

    def question(self, case: Case) -> Any:
        if case.question == "intake_related":
            return self.intake.related_question(self.domain, RELATED, case.lang)
        if case.question == "intake_edit_field":
            return self.intake.edit_field_question(self.domain, case.lang)
        return self.options.asked(self.domain, case.question, case.lang)

    def label(self, key: str, lang: str) -> str:
        from actions.replies import label

        return label(self.domain, key, lang)

    def now(self, case: Case, parsed: Dict[str, Any]) -> Optional[str]:
        intent = (parsed.get("intent") or {}).get("name")
        if case.question == "survey":
            found = self.answers.score(case.text)
            return None if found is None else str(found)
        question = self.question(case)
        if case.question.startswith("handoff_"):
            found = self.answers.resolve(question, case.text, case.lang, intent=intent)
            return found.value if found.answered else None
        turn = self.incident.Turn(
            requested=case.question,
            text=case.text,
            intent=intent,
            entities=parsed.get("entities") or [],
            question=question,
        )
        labels = self.intake.form_labels(self.domain, case.lang)
        result = self.incident.step({}, turn, self.catalog, case.lang, NOW, labels)
        return normalise(case.question, self.understood(case.question, result.updates))

    def understood(self, question: str, updates: Dict[str, Any]) -> Any:
        if question == "intake_edit_field":
            # The field to change comes back emptied, to be asked again.
            fields = [k for k, v in updates.items() if v is None and k in self.incident.BY_SLOT]
            return fields[0] if len(fields) == 1 else None
        return updates.get(question)

    def before(self, case: Case, parsed: Dict[str, Any]) -> Optional[str]:
        intent = (parsed.get("intent") or {}).get("name")
        entities = parsed.get("entities") or []
        if case.question == "survey":
            answer = case.text.strip().rstrip(".!")  # bot/domain/handoffs.py's record_survey, as it was
            return answer if answer.isdigit() and 0 <= int(answer) <= 10 else None
        if case.question == "handoff_topic":
            return self.old_handoff.topic_from(case.text, entities)
        if case.question == "handoff_gather":
            return self.old_incident.yes_no(intent, case.text)
        turn = self.old_incident.Turn(requested=case.question, text=case.text, intent=intent, entities=entities)
        labels = {spec.slot: spec.slot for spec in self.old_incident.FIELDS}
        result = self.old_incident.step({}, turn, self.catalog, case.lang, NOW, labels)
        return normalise(case.question, self.understood(case.question, result.updates))


def evaluate(cases: Sequence[Case], rasa_url: Optional[str], with_before: bool = True) -> Dict[str, Any]:
    parsed = parse_all([c.text for c in cases], rasa_url)
    readers = Readers()
    ways: Dict[str, Callable[[Case, Dict[str, Any]], Optional[str]]] = {"now": readers.now}
    if with_before and readers.has_baseline:
        ways["before"] = readers.before
    tally: Dict[str, Dict[str, Dict[str, List[int]]]] = {
        w: defaultdict(lambda: defaultdict(lambda: [0, 0])) for w in ways
    }
    misses: List[Dict[str, Any]] = []
    for case, parse in zip(cases, parsed, strict=False):
        for way, read in ways.items():
            got = read(case, parse)
            right = got == case.expect
            for key in (case.lang, f"{case.lang}:{case.question}"):
                tally[way]["all"][key][0] += right
                tally[way]["all"][key][1] += 1
            if way == "now" and not right:
                misses.append(
                    {"lang": case.lang, "question": case.question, "text": case.text, "expect": case.expect, "got": got}
                )
    report: Dict[str, Any] = {}
    for way in ways:
        counts = tally[way]["all"]
        report[way] = {key: round(r / n, 3) for key, (r, n) in counts.items()}
        report[way + "_n"] = {key: n for key, (r, n) in counts.items() if ":" not in key}
    report["misses"] = misses
    return report


def markdown(report: Dict[str, Any], split: str, cases: Sequence[Case]) -> str:
    ways = [w for w in ("before", "now") if w in report]
    lines = [
        f"# Typed answers to option questions ({split} split, {len(cases)} answers)",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {platform.node()} ({platform.machine()}, {os.cpu_count()} cores).",
        f"before = the code at {BASELINE}; now = common/answers.py through the actions.",
        "",
        "| language | answers | " + " | ".join(ways) + " |",
        "|---|---|" + "---|" * len(ways),
    ]
    for lang in LANGUAGES:
        lines.append(
            f"| {lang} | {report['now_n'][lang]} | " + " | ".join(f"{report[w][lang]:.3f}" for w in ways) + " |"
        )
    lines += ["", "| question | " + " | ".join(f"{w} {lang}" for w in ways for lang in LANGUAGES) + " |"]
    lines.append("|---|" + "---|" * (len(ways) * len(LANGUAGES)))
    for question in dict.fromkeys(c.question for c in cases):
        cells = [f"{report[w].get(f'{lang}:{question}', 0):.2f}" for w in ways for lang in LANGUAGES]
        lines.append(f"| {question} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench answers")
    parser.add_argument("--rasa-url", default=None, help="a running Rasa server (default: the model in process)")
    parser.add_argument("--split", choices=("test", "dev", "dev2"), default="test")
    parser.add_argument("--quick", action="store_true", help="three answers per question and language")
    parser.add_argument("--misses", action="store_true", help="list what `now` got wrong (dev splits only)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    cases = load_cases(args.split)
    if args.quick:
        seen: Dict[str, int] = defaultdict(int)
        kept = []
        for case in cases:
            seen[f"{case.lang}:{case.question}"] += 1
            if seen[f"{case.lang}:{case.question}"] <= 3:
                kept.append(case)
        cases = kept
    report = evaluate(cases, args.rasa_url)
    name = "answers" if args.split == "test" else f"answers-{args.split}"
    held_out = args.split == "test"  # its misses are not printed: nobody tunes on them
    kept = {k: v for k, v in report.items() if k != "misses" or not held_out}
    save(args.out, name, args.quick, kept, markdown(report, args.split, cases))
    if args.misses and not held_out:
        for miss in report["misses"]:
            print(miss)
    return 0
