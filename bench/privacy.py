"""Personal-data masking (bot/domain/masking.py) on tests/privacy/corpus.yml.

python -m bench privacy [--quick] [--repeat 200] [--out DIR]

Three detectors on the same messages:

* Carolina: bot/domain/masking.py (check digits, card prefixes, the word
  before a number, password cues with a stop-list);
* regex only: what one writes first, the same shapes without check digits or
  context, and "cue + connector + next word" for passwords;
* no masking: the message as it is (the cost of the call, nothing found).

Recall: the share of positive messages whose every secret is gone with the
right kinds reported; false positives: negative messages changed. Cost: each
message of the corpus and four long ones (a 4000-character description, a
pasted log, a pasted list of 60 customers, the longest mix of everything)
masked `--repeat` times, timed one call at a time; p50, p99 and max per
message. --quick (make test) repeats 3 times.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import yaml

from bench import output
from bot.domain.masking import KINDS, Masked, mask

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CORPUS = ROOT / "tests" / "privacy" / "corpus.yml"

Detector = Callable[[str, Optional[str]], Masked]

# The first thing one writes: shapes, no check digits, no context.
NAIVE = (
    ("cnpj", re.compile(r"\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b")),
    ("card", re.compile(r"\b\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}\b|\b\d{4} \d{6} \d{4,5}\b|\b\d{13,19}\b")),
    ("cpf", re.compile(r"\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b")),
)
NAIVE_PASSWORD = re.compile(r"(?i)\b(?:senha|contrase[ñn]a|clave|password|pwd|pass)\s*(?:é|es|is|:|=)\s*(\S+)")


def regex_only(text: str, language: Optional[str] = None) -> Masked:
    kinds: Set[str] = set()

    def password(match: re.Match) -> str:
        kinds.add("password")
        return match.group().replace(match.group(1), "[senha]")

    text = NAIVE_PASSWORD.sub(password, text)
    for kind, pattern in NAIVE:

        def replace(match: re.Match, kind: str = kind) -> str:
            kinds.add(kind)
            return f"[{kind}]"

        text = pattern.sub(replace, text)
    return Masked(text, frozenset(kinds))


def no_masking(text: str, language: Optional[str] = None) -> Masked:
    return Masked(text, frozenset())


DETECTORS: Dict[str, Detector] = {"Carolina": mask, "regex only": regex_only, "no masking": no_masking}


def load_corpus() -> Tuple[List[Dict[str, Any]], List[str]]:
    cases = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return cases["positives"], cases["negatives"]


def long_messages(positives: Sequence[Dict[str, Any]], negatives: Sequence[str]) -> Dict[str, str]:
    """Messages of up to 4000 characters (the widget's limit) as customers send them."""
    description = (
        "Bom dia. Desde a atualização para a versão 12.1.2310 o fechamento do mês não conclui: a rotina de "
        "apuração roda por uns 40 minutos e para com a mensagem de erro ORA-00001 ao gravar. Já reiniciamos o "
        "appserver (10.0.0.12:1234), limpamos o cache e pedimos para os 25 usuários saírem, sem resultado. O "
        "chamado 2026-000123 foi aberto em 05/12/2026 às 14:30 e ainda não tivemos retorno. "
    ) * 12
    description = description[:3900] + " Meu CPF é 529.982.247-25 e a senha do portal é Fech@2026."
    log = "\n".join(
        f"2026-12-05 14:{i % 60:02d}:{(7 * i) % 60:02d} ERROR [thread-{i}] NFeService - falha no lote {100000 + i}: "
        f"rejeição 539, chave 3526{i:04d}0512345678000190550010000123410001234 (tentativa {i % 3 + 1})"
        for i in range(40)
    )[:4000]
    cpfs = [case["secrets"][0] for case in positives if case["kinds"] == ["cpf"]]
    rows = [f"{i + 1};Cliente {i + 1} Ltda;{cpfs[i % len(cpfs)]};R$ {1000 + 37 * i},{i % 100:02d}" for i in range(60)]
    listing = ("segue a lista dos clientes com erro na integração:\n" + "\n".join(rows))[:4000]
    everything: List[str] = []
    for case, negative in zip(positives, negatives, strict=False):
        everything += [case["text"], negative]
    mix = " ".join(everything)[:4000]
    return {"description": description, "pasted log": log, "list of 60 customers": listing, "corpus mix": mix}


def quality(detector: Detector, positives, negatives) -> Dict[str, Any]:
    found, misses = 0, []
    per_kind: Dict[str, List[int]] = {k: [0, 0] for k in KINDS}
    per_language: Dict[str, List[int]] = {}
    for case in positives:
        language = case.get("lang", "pt")
        masked = detector(case["text"], language)
        right = masked.kinds == set(case["kinds"]) and not any(s in masked.text for s in case["secrets"])
        found += right
        if not right:
            misses.append(case["text"])
        for kind in case["kinds"]:
            per_kind[kind][0] += right
            per_kind[kind][1] += 1
        tally = per_language.setdefault(language, [0, 0])
        tally[0] += right
        tally[1] += 1
    touched = [text for text in negatives if detector(text, None).text != text]
    return {
        "recall": found / len(positives),
        "false_positives": len(touched),
        "false_positive_rate": len(touched) / len(negatives),
        "recall_per_kind": {k: round(v[0] / v[1], 3) for k, v in per_kind.items()},
        "recall_per_language": {k: round(v[0] / v[1], 3) for k, v in sorted(per_language.items())},
        "misses": misses,
        "touched": touched,
    }


def timings(detector: Detector, messages: Sequence[Tuple[str, Optional[str]]], repeat: int) -> List[float]:
    """Microseconds per call, every message `repeat` times (interleaved, so
    that a slow moment of the machine does not land on one message only)."""
    for text, language in messages:  # warm up
        detector(text, language)
    seconds: List[float] = []
    gc.disable()
    try:
        for _ in range(repeat):
            for text, language in messages:
                start = time.perf_counter()
                detector(text, language)
                seconds.append((time.perf_counter() - start) * 1e6)
    finally:
        gc.enable()
    return seconds


def summary(micros: Sequence[float]) -> Dict[str, float]:
    ordered = sorted(micros)
    return {
        "p50_us": round(statistics.median(ordered), 1),
        "p99_us": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max_us": round(ordered[-1], 1),
    }


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {load:.2f} at the start)"
    )


def measure(repeat: int) -> Dict[str, Any]:
    positives, negatives = load_corpus()
    corpus = [(case["text"], case.get("lang", "pt")) for case in positives] + [(text, None) for text in negatives]
    longs = long_messages(positives, negatives)
    report: Dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "corpus": {"positives": len(positives), "negatives": len(negatives)},
        "repeat": repeat,
        "long_messages": {name: len(text) for name, text in longs.items()},
        "detectors": {},
    }
    for name, detector in DETECTORS.items():
        row = quality(detector, positives, negatives)
        per_call = timings(detector, corpus + [(text, "pt") for text in longs.values()], repeat)
        corpus_calls = [t for i, t in enumerate(per_call) if i % (len(corpus) + len(longs)) < len(corpus)]
        row["corpus_messages"] = summary(corpus_calls)
        row["all_messages"] = summary(per_call)
        row["long"] = {
            long_name: summary(per_call[len(corpus) + j :: len(corpus) + len(longs)])
            for j, long_name in enumerate(longs)
        }
        report["detectors"][name] = row
    return report


def markdown(report: Dict[str, Any]) -> str:
    n = report["corpus"]
    lines = [
        f"# Personal-data masking ({report['date']})",
        "",
        f"{report['machine']}. tests/privacy/corpus.yml: {n['positives']} messages with CPF, CNPJ, card numbers or "
        f"passwords, {n['negatives']} without (tickets, versions, phones, amounts, numbers with wrong check digits, "
        f"passwords talked about). Each message masked {report['repeat']} times, one call timed at a time.",
        "",
        "| detector | recall | false positives | corpus p50 µs | corpus p99 µs | corpus max µs "
        "| all p99 µs | longest case µs (p50 / p99) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in report["detectors"].items():
        corpus, everything = row["corpus_messages"], row["all_messages"]
        slowest_name, slowest = max(row["long"].items(), key=lambda item: item[1]["p99_us"])
        lines.append(
            f"| {name} | {row['recall']:.3f} | {row['false_positives']} of {n['negatives']} | {corpus['p50_us']} | "
            f"{corpus['p99_us']} | {corpus['max_us']} | {everything['p99_us']} | "
            f"{slowest['p50_us']} / {slowest['p99_us']} ({slowest_name}) |"
        )
    carolina = report["detectors"]["Carolina"]
    lines += [
        "",
        "Carolina's recall per kind: "
        + ", ".join(f"{k} {v:.3f}" for k, v in carolina["recall_per_kind"].items())
        + "; per language: "
        + ", ".join(f"{k} {v:.3f}" for k, v in carolina["recall_per_language"].items())
        + ".",
        "",
        "Long messages (Carolina, µs per call):",
        "",
        "| message | characters | p50 | p99 | max |",
        "|---|---|---|---|---|",
    ]
    for name, figures in carolina["long"].items():
        lines.append(
            f"| {name} | {report['long_messages'][name]} | {figures['p50_us']} | {figures['p99_us']} | "
            f"{figures['max_us']} |"
        )
    naive = report["detectors"]["regex only"]
    lines += [
        "",
        f"What check digits and context buy: the regex-only detector changes {naive['false_positives']} of the "
        f"{n['negatives']} messages without personal data, for instance:",
        "",
    ]
    lines += [f"- {text}" for text in naive["touched"][:8]]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench privacy")
    parser.add_argument("--quick", action="store_true", help="3 repetitions (make test)")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report = measure(3 if args.quick else args.repeat)
    output.save(args.out, "privacy", args.quick, report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
