"""Knowledge-base answering, three ways, on tests/kb_eval/questions.yml.

* Carolina: the whole path a question takes: NLU intent (faq or not
  understood), then ResponseSelector + BM25 fused by common/kb/answer.py, which
  answers, lists up to three articles, or declines.
* plain BM25: what a user would build first: BM25 (bm25s) over each article's
  text in the question's language, lower-cased and split on whitespace, always
  answering with the best-scoring article.
* ResponseSelector alone: plain Rasa's retrieval-intent setup: when the intent
  is faq, answer with the ResponseSelector's top article.

Prints top-1, top-3, confident right/wrong answers, how many unanswerable
questions were declined, and the median / p99 time per question; writes the
same figures to bench/results/kb.json and bench/results/kb.md.

  python -m bench kb            figures on the test split (what the README quotes)
  python -m bench kb --split dev  the same on the dev split, with its misses (bench/results/kb-dev.md)
  python -m bench kb --split dev --temperatures 0.7,1,2   Carolina with the ResponseSelector's
                                confidences sharpened or flattened, as after another training
  python -m bench kb --tune     search the thresholds of common/kb/answer.py on the dev split
  python -m bench kb --quick    a few questions only (make test runs this so the script never rots)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import logging
import platform
import re
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import bm25s
import structlog

from common.kb.answer import (
    DEFAULT_THRESHOLDS,
    KB_INTENTS,
    Thresholds,
    decide,
    focused,
    part_answers,
    selector_ranking,
    shown_articles,
)
from common.kb.articles import load_library
from common.kb.evaluation import Question, Score, Shown, load_questions, score
from common.kb.parts import kb_query, question_parts
from common.kb.search import Hit, default_index

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "carolina.tar.gz"
RESULTS = ROOT / "bench" / "results"


CACHE = ROOT / ".cache" / "bench-kb"


def model_digest(model: Path) -> str:
    digest = hashlib.sha256()
    with model.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def cached_parse_all(texts: Sequence[str], model: Path, cache: Path = CACHE) -> List[tuple]:
    """parse_all from the model in-process, each text parsed once per model
    file: loading Rasa and parsing a few hundred questions takes minutes on a
    small machine, and tuning runs many times on the same model. The key is the
    model file's content, so a retrained model is parsed afresh."""
    path = cache / f"parses-{model_digest(model)}.json"
    stored: Dict[str, list] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    missing = sorted({text for text in texts if text not in stored})
    if missing:
        for text, (parsed, seconds) in zip(missing, parse_all(missing, model), strict=True):
            stored[text] = [parsed, seconds]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, ensure_ascii=False, default=str), encoding="utf-8")
    return [tuple(stored[text]) for text in texts]


def parse_all(texts: Sequence[str], model: Path, rasa_url: str | None = None) -> List[tuple]:
    """(parse result, seconds) per text, from the trained model in-process,
    or from a running Rasa server's /model/parse (times then include HTTP)."""
    if rasa_url:
        import requests

        with requests.Session() as http:
            rows = []
            for text in texts:
                start = time.perf_counter()
                parsed = http.post(f"{rasa_url.rstrip('/')}/model/parse", json={"text": text}, timeout=60).json()
                rows.append((parsed, time.perf_counter() - start))
            return rows

    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> List[tuple]:
        await agent.parse_message("warm up")  # the first parse builds the graph: not a question's time
        rows = []
        for text in texts:
            start = time.perf_counter()
            parsed = await agent.parse_message(text)
            rows.append((parsed, time.perf_counter() - start))
        return rows

    return asyncio.run(run())


@dataclass(frozen=True)
class Reading:
    """What the action server has for one question: the whole message's parse
    and BM25 hits, and for a message that asks two things (common/kb/parts.py)
    each part's; seconds spent parsing and searching all of it."""

    parsed: Dict[str, Any]
    hits: List[Hit]
    seconds: float
    parts: Tuple[Tuple[Dict[str, Any], List[Hit]], ...] = ()


def read_all(questions: Sequence[Question], model: Path, rasa_url: str | None = None) -> List[Reading]:
    # What actions/knowledge.py reads of each message: without a greeting or stated personal data.
    queries = [kb_query(q.text) for q in questions]
    split = [question_parts(query) for query in queries]
    texts = list(queries) + [part for parts in split if len(parts) > 1 for part in parts]
    parsed = parse_all(texts, model, rasa_url) if rasa_url else cached_parse_all(texts, model)
    by_text = dict(zip(texts, parsed, strict=True))
    index = default_index()  # built once before timing
    readings = []
    for q, query, parts in zip(questions, queries, split, strict=True):
        pieces, seconds = [], 0.0
        for text in [query] + (parts if len(parts) > 1 else []):
            start = time.perf_counter()
            hits = index.search(text, q.lang)
            seconds += time.perf_counter() - start + by_text[text][1]
            pieces.append((by_text[text][0], hits))
        readings.append(Reading(pieces[0][0], pieces[0][1], seconds, tuple(pieces[1:])))
    return readings


def carolina(readings: Sequence[Reading], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> List[Shown]:
    """What actions/knowledge.py shows: each part's answer when a message asks
    two things and two parts are answered, else the whole message's decision
    (the one part answered, when the whole message's list has it)."""
    shown = []
    for reading in readings:
        start = time.perf_counter()
        answered: str | None = None
        listed: Tuple[str, ...] = ()
        also: Tuple[str, ...] = ()
        if reading.parsed["intent"]["name"] in KB_INTENTS:
            both = part_answers(reading.parts, thresholds, at_least=1)
            if len(both) > 1:
                answered, listed, also = both[0], both, both[1:]
            else:
                whole = decide(selector_ranking(reading.parsed), reading.hits, thresholds)
                answered, listed = shown_articles(focused(whole, both))
        shown.append(Shown(answered, listed, reading.seconds + time.perf_counter() - start, also))
    return shown


def tempered(readings: Sequence[Reading], temperature: float) -> List[Reading]:
    """The readings with the ResponseSelector's confidences sharpened
    (temperature < 1) or flattened (> 1), c ** (1 / T) renormalised: how
    another training of the same data may differ. The decision should hold
    across them (BM25 does not depend on the model)."""

    def parse(parsed: Dict[str, Any]) -> Dict[str, Any]:
        ranking = ((parsed.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
        weights = [float(item["confidence"]) ** (1 / temperature) for item in ranking]
        # The ranking lists the first ten: they keep the share of confidence they had.
        share = sum(float(item["confidence"]) for item in ranking) / (sum(weights) or 1.0)
        ranking = [{**item, "confidence": w * share} for item, w in zip(ranking, weights, strict=True)]
        return {**parsed, "response_selector": {"faq": {"ranking": ranking}}}

    return [replace(r, parsed=parse(r.parsed), parts=tuple((parse(p), hits) for p, hits in r.parts)) for r in readings]


def selector_alone(readings: Sequence[Reading]) -> List[Shown]:
    shown = []
    for reading in readings:
        parsed, seconds = reading.parsed, reading.seconds
        ranking = [hit.article_id for hit in selector_ranking(parsed)]
        if parsed["intent"]["name"] == "faq" and ranking:
            shown.append(Shown(ranking[0], tuple(ranking[:3]), seconds))
        else:
            shown.append(Shown(None, (), seconds))
    return shown


def plain_bm25(questions) -> List[Shown]:
    library = load_library()
    split = re.compile(r"\W+")

    def tokens(text: str) -> List[str]:
        return [t for t in split.split(text.lower()) if t]

    indexes = {}
    for lang, articles in library.items():
        ids = sorted(articles)
        retriever = bm25s.BM25()
        retriever.index(
            [tokens(f"{articles[i].title} {articles[i].summary} {articles[i].body}") for i in ids], show_progress=False
        )
        indexes[lang] = (ids, retriever, set(retriever.vocab_dict))
    shown = []
    for q in questions:
        start = time.perf_counter()
        ids, retriever, vocabulary = indexes[q.lang]
        terms = [t for t in tokens(q.text) if t in vocabulary]
        listed: tuple = ()
        if terms:
            scores = retriever.get_scores(terms)
            order = sorted(range(len(ids)), key=lambda i: -scores[i])
            listed = tuple(ids[i] for i in order[:3] if scores[i] > 0)
        shown.append(Shown(listed[0] if listed else None, listed, time.perf_counter() - start))
    return shown


MAX_WRONG_ANSWERS = 0.01  # of answerable questions answered with a wrong article (issue 14's target)
MAX_UNANSWERABLE_ANSWERED = 0.0  # of unanswerable questions given a confident answer


def tune(questions, readings) -> Thresholds:
    """Best thresholds on the dev split: most questions with the right article
    first, among settings that answer at most 1% of answerable questions with a
    wrong article and none of the 45 unanswerable ones (the target allows 5%; the
    margin absorbs the differences between two trainings of the same data)."""
    best, best_key = DEFAULT_THRESHOLDS, None
    grid = itertools.product(
        (0.3, 0.45, 0.6, 0.8, 1.0),  # bm25_weight
        (2.0, 4.0, 6.0, 8.0),  # bm25_half
        [x / 10 for x in range(3, 15)],  # answer 0.3 .. 1.4
        (0.0, 0.1, 0.2, 0.3),  # margin
        (0.15, 0.2, 0.3, 0.4),  # suggest
        (0.0, 0.2, 0.3, 0.4, 0.5),  # support
    )
    for weight, half, answer, margin, suggest, support in grid:
        t = Thresholds(weight, half, answer, margin, suggest, support)
        s = score(questions, carolina(readings, t))
        if s.answered_wrong > MAX_WRONG_ANSWERS or 1 - s.unanswerable_declined > MAX_UNANSWERABLE_ANSWERED:
            continue
        key = (round(s.top1, 4), round(s.answered_right, 4), round(s.top3, 4))
        if best_key is None or key > best_key:
            best, best_key = t, key
    return best


def tune_lead(questions, readings, base: Thresholds) -> Thresholds:
    """Then the lead tier on top of `base`: among settings within the same limits,
    the one that answers (rather than lists) the most questions rightly."""
    best, best_key = base, None
    grid = itertools.product(
        [x / 10 for x in range(3, 13)], [x / 20 for x in range(1, 17)], (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    )
    for lead, margin, support in grid:
        t = replace(base, lead=lead, lead_margin=margin, lead_support=support)
        s = score(questions, carolina(readings, t))
        if s.answered_wrong > MAX_WRONG_ANSWERS or 1 - s.unanswerable_declined > MAX_UNANSWERABLE_ANSWERED:
            continue
        # Ties go to the most cautious setting: the dev split is small.
        key = (round(s.answered_right, 4), round(s.top1, 4), support, -lead, -margin)
        if best_key is None or key > best_key:
            best, best_key = t, key
    return best


def report(scores: Dict[str, Score], n: int, split: str) -> str:
    lines = [
        f"Knowledge-base answers, {split} split of tests/kb_eval/questions.yml ({n} questions), "
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {platform.machine()} {platform.python_version()}",
        "",
        "| method | top-1 | top-3 | answered right | answered wrong | unanswerable declined | median ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in scores.items():
        lines.append(
            f"| {name} | {s.top1:.3f} | {s.top3:.3f} | {s.answered_right:.3f} | {s.answered_wrong:.3f} | "
            f"{s.unanswerable_declined:.3f} | {s.median_ms:.1f} | {s.p99_ms:.1f} |"
        )
    carolina_score = scores["Carolina"]
    lines += [
        "",
        "Carolina top-1 per language: "
        + ", ".join(f"{lang} {value:.3f}" for lang, value in carolina_score.per_language_top1.items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench kb")
    parser.add_argument("--tune", action="store_true", help="tune every threshold on the dev split")
    parser.add_argument(
        "--tune-lead", action="store_true", help="tune only the lead tier on the dev split, the others as they are"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--split", choices=("test", "dev"), default="test", help="dev: the figures and misses of the tuning split"
    )
    parser.add_argument(
        "--temperatures",
        help="with --split dev: Carolina's figures with the ResponseSelector's confidences tempered, e.g. 0.7,1,2",
    )
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--rasa-url", help="parse with this running Rasa server instead of loading --model")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    split = "dev" if args.tune or args.tune_lead else args.split
    questions = load_questions(split=split)
    if args.quick:
        questions = questions[:12]
    readings = read_all(questions, args.model, args.rasa_url)

    if args.temperatures:
        if split != "dev":
            parser.error("--temperatures reads the dev split only (--split dev)")
        for temperature in (float(t) for t in args.temperatures.split(",")):
            s = score(questions, carolina(tempered(readings, temperature)))
            print(
                f"temperature {temperature}: top1={s.top1:.3f} answered_right={s.answered_right:.3f} "
                f"answered_wrong={s.answered_wrong:.3f} unanswerable_declined={s.unanswerable_declined:.3f}"
            )
        return 0

    if args.tune or args.tune_lead:
        base = DEFAULT_THRESHOLDS if args.tune_lead else tune(questions, readings)
        best = tune_lead(questions, readings, base)
        s = score(questions, carolina(readings, best))
        print(
            f"best on dev: {best}\n  top1={s.top1:.3f} top3={s.top3:.3f} answered_right={s.answered_right:.3f} "
            f"answered_wrong={s.answered_wrong:.3f} unanswerable_declined={s.unanswerable_declined:.3f}"
        )
        return 0

    scores = {
        "Carolina": score(questions, carolina(readings)),
        "plain BM25": score(questions, plain_bm25(questions)),
        "ResponseSelector alone": score(questions, selector_alone(readings)),
    }
    text = report(scores, len(questions), split)
    print(text)
    if split == "dev":
        # Misses are read on the dev split only: the test split's stay unseen, so
        # that its figures say how Carolina does on questions nobody tuned for.
        for miss in scores["Carolina"].misses:
            print("  miss:", miss)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "kb-quick" if args.quick else "kb" if split == "test" else "kb-dev"
    (args.out / f"{name}.md").write_text(text)
    payload = {k: {**asdict(replace(v, misses=[]))} for k, v in scores.items()}
    payload["thresholds"] = asdict(DEFAULT_THRESHOLDS)
    (args.out / f"{name}.json").write_text(json.dumps(payload, indent=2))
    return 0
