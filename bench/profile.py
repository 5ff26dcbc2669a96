"""Where a turn's time goes, in the Rasa server and in the action server.

Two measurements against running servers:

1. **Sampled profile under load.** py-spy samples the Rasa process and the
   action server process (found by their ports) while simulated customers send
   the load benchmark's conversations straight to Rasa's REST channel. Every
   sample's stack is put in one bucket (NLU component, policy, custom-action
   call, tracker store, ...; first matching rule of `RASA_BUCKETS`, innermost
   frames first), and a bucket's share of the samples times the process's CPU
   seconds per turn gives milliseconds of CPU per turn.
2. **Growth with the conversation's length.** One conversation of 50 turns of
   questions and small talk (no form): the time of each turn and of reading the
   tracker (`GET /conversations/<id>/tracker`), at turns 1-5 against 46-50.

python -m bench profile [--rasa-url URL] [--actions-url URL] [--conversations 10] [--seconds 40]

py-spy (`pip install py-spy`) must be on the PATH or beside this Python; it
attaches with ptrace (root, or `kernel.yama.ptrace_scope=0`).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple
from urllib.parse import urlparse

import aiohttp

from bench import output
from bench.load import RESULTS, SCRIPTS, pid_listening

# What a sample was doing, in two steps. The phase of the turn: the innermost
# frame matching one of PHASES (a turn's phases call each other: running a form
# calls the action server, so the narrowest one names the sample). Then, inside
# the phase, the innermost frame matching one of its DETAILS. A sample whose
# innermost frame is a thread waiting (IDLE) is not CPU and is left out.
PHASES: Sequence[Tuple[str, str]] = (
    ("tracker store: read and replay", r"fetch_tracker|get_tracker \(rasa/core/processor|retrieve"),
    ("tracker store: write", r"save_tracker|save \(rasa/core/tracker_store"),
    ("NLU", r"parse_message|_parse_message"),
    ("slot mappings (action_extract_slots)", r"run_action_extract_slots"),
    ("policies", r"_predict_next_with_tracker|predict_next_for_sender_id"),
    ("running actions", r"_run_action \(rasa/core/processor|execute_side_effects"),
    ("channel, HTTP, JSON", r"sanic/|rasa/core/channels|rasa/server\.py"),
    # The action server's phases.
    ("action: tracker from JSON", r"load_json|webhook \(rasa_sdk/endpoint\.py:10"),
    ("action code", r"rasa_sdk/executor\.py"),
)
DETAILS: Dict[str, Sequence[Tuple[str, str]]] = {
    "NLU": (
        ("DIETClassifier", r"diet_classifier\.py"),
        ("ResponseSelector", r"response_selector\.py"),
        ("CountVectorsFeaturizer", r"count_vectors_featurizer\.py"),
        ("LexicalSyntacticFeaturizer", r"lexical_syntactic_featurizer\.py"),
        ("LanguageTokenizer", r"language_tokenizer\.py|components/language\.py"),
        ("CatalogEntityExtractor", r"catalog_entities\.py"),
        ("request classifiers", r"person_request\.py|ticket_request\.py"),
        ("graph runner (dask)", r"dask/"),
    ),
    "policies": (
        ("featurize the tracker (past_states)", r"past_states|_create_states|prediction_states"),
        ("TEDPolicy", r"ted_policy\.py"),
        ("RulePolicy", r"rule_policy\.py"),
        ("MemoizationPolicy", r"memoization\.py"),
        ("ensemble", r"ensemble\.py"),
        ("graph runner (dask)", r"dask/"),
    ),
    "slot mappings (action_extract_slots)": (
        ("checking the action server's answer (jsonschema)", r"_validate_action_result|jsonschema"),
        ("custom action call (tracker to JSON, HTTP)", r"rasa/utils/endpoints\.py|aiohttp"),
    ),
    "running actions": (
        ("checking the action server's answer (jsonschema)", r"_validate_action_result|jsonschema"),
        ("custom action call (tracker to JSON, HTTP)", r"rasa/utils/endpoints\.py|aiohttp"),
        ("a logged exception (button payloads in responses)", r"structlog"),
        ("forms", r"rasa/core/actions/(forms|loops)\.py"),
    ),
    "tracker store: read and replay": (("events applied to the tracker", r"trackers\.py|events\.py"),),
    "tracker store: write": (("SQL commit", r"commit"), ("events to JSON", r"events\.py|json")),
    "action code": (
        ("knowledge base", r"common/kb/|actions/knowledge\.py"),
        ("language decision", r"actions/language\.py|common/languages"),
        ("typed answers", r"common/answers\.py"),
        ("hub calls", r"actions/hub|aiohttp|requests"),
        ("intake", r"actions/intake\.py|actions/incident"),
    ),
}
IDLE = re.compile(r"^(serve \(sanic/server/runners|_worker \(concurrent/futures/thread|wait \(threading|select )")
# Questions and small talk that never open a form: a conversation can go on for 50 turns.
LONG = ["oi, bom dia", "qual é o horário do suporte técnico?", "obrigado!", "como eu altero minha senha do portal?"]


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy")
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (clock ticks of /proc/<pid>/stat)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_match(frames: Sequence[str], rules: Sequence[Tuple[str, str]]) -> str:
    for frame in reversed(frames):
        for name, pattern in rules:
            if re.search(pattern, frame):
                return name
    return ""


def classify(stack: str) -> str:
    """ "phase: detail" for one sample's stack ("frame;frame;...", outermost first); "" when idle."""
    frames = stack.split(";")
    if IDLE.search(frames[-1]):
        return ""
    phase = first_match(frames, PHASES) or "other (event loop, logging, garbage collection)"
    detail = first_match(frames, DETAILS.get(phase, ()))
    return f"{phase}: {detail}" if detail else phase


def breakdown(raw: Path) -> Dict[str, int]:
    """py-spy's raw output (one "frame;frame;... count" line per distinct stack) in buckets."""
    counts: Dict[str, int] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            bucket = classify(stack)
            if bucket:
                counts[bucket] += int(count)
    return dict(counts)


async def customer(
    http: aiohttp.ClientSession, rasa_url: str, script: List[str], until: float, done: List[int]
) -> None:
    """Runs its script again and again (a new conversation each time) until `until`."""
    while time.monotonic() < until:
        sender = f"profile-{uuid.uuid4().hex}"
        for text in script:
            async with http.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as r:
                await r.read()
            done[0] += 1


async def load(rasa_url: str, conversations: int, seconds: float) -> int:
    done = [0]
    until = time.monotonic() + seconds
    languages = list(SCRIPTS)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as http:
        await asyncio.gather(
            *(customer(http, rasa_url, SCRIPTS[languages[i % 3]], until, done) for i in range(conversations))
        )
    return done[0]


def profile(rasa_url: str, actions_url: str, conversations: int, seconds: float) -> Dict[str, Any]:
    pids = {
        "rasa": pid_listening(urlparse(rasa_url).port or 80),
        "actions": pid_listening(urlparse(actions_url).port or 80),
    }
    if None in pids.values():
        raise SystemExit(f"not listening: {pids}")
    folder = Path(tempfile.mkdtemp(prefix="carolina-profile-"))
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    samplers = {
        name: subprocess.Popen(
            [
                py_spy(),
                "record",
                "--pid",
                str(pid),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--duration",
                str(int(seconds)),
                "--output",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    }
    started = time.monotonic()
    turns = asyncio.run(load(rasa_url, conversations, seconds))
    elapsed = time.monotonic() - started
    for sampler in samplers.values():
        sampler.wait(timeout=seconds + 60)
    spent = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    result: Dict[str, Any] = {"turns": turns, "seconds": elapsed, "turns_per_second": turns / elapsed}
    for name in ("rasa", "actions"):
        counts = breakdown(folder / f"{name}.txt")
        total = sum(counts.values()) or 1
        per_turn_ms = 1000 * spent[name] / max(turns, 1)
        result[name] = {
            "cpu_ms_per_turn": per_turn_ms,
            "buckets": {
                bucket: {"share": n / total, "ms_per_turn": per_turn_ms * n / total}
                for bucket, n in sorted(counts.items(), key=lambda kv: -kv[1])
            },
        }
    return result


async def growth(rasa_url: str, turns: int) -> Dict[str, Any]:
    sender = f"profile-long-{uuid.uuid4().hex}"
    turn_ms: List[float] = []
    read_ms: Dict[int, float] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for i in range(turns):
            started = time.perf_counter()
            async with http.post(
                f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": LONG[i % len(LONG)]}
            ) as r:
                await r.read()
            turn_ms.append(1000 * (time.perf_counter() - started))
            if i + 1 in (5, turns):
                started = time.perf_counter()
                async with http.get(f"{rasa_url}/conversations/{sender}/tracker") as r:
                    events = len((await r.json()).get("events", []))
                read_ms[i + 1] = 1000 * (time.perf_counter() - started)
                read_ms[-(i + 1)] = events
    return {
        "turns": turns,
        "first_five_ms": statistics.fmean(turn_ms[:5]),
        "last_five_ms": statistics.fmean(turn_ms[-5:]),
        "tracker_get_ms": {"5": read_ms[5], str(turns): read_ms[turns]},
        "events": {"5": read_ms[-5], str(turns): read_ms[-turns]},
    }


def markdown(report: Dict[str, Any]) -> str:
    run = report["profile"]
    lines = [
        f"# Where a turn's time goes ({report['date']})",
        "",
        f"{report['conversations']} customers at once straight to Rasa's REST channel for {run['seconds']:.0f} s: "
        f"{run['turns']} turns, {run['turns_per_second']:.1f} turns/s. CPU per turn from /proc, split by py-spy's "
        "samples (200/s) into what the process was doing.",
        "",
    ]
    for name, title in (("rasa", "Rasa server"), ("actions", "Action server")):
        part = run[name]
        lines += [
            f"## {title}: {part['cpu_ms_per_turn']:.1f} ms CPU per turn",
            "",
            "| what | share | ms per turn |",
            "|---|---|---|",
        ]
        for bucket, row in part["buckets"].items():
            lines.append(f"| {bucket} | {100 * row['share']:.1f} % | {row['ms_per_turn']:.1f} |")
        lines.append("")
    grow = report["growth"]
    lines += [
        f"## One conversation of {grow['turns']} turns (questions and small talk, no form)",
        "",
        f"- Time per turn: {grow['first_five_ms']:.0f} ms at turns 1-5, {grow['last_five_ms']:.0f} ms at turns "
        f"{grow['turns'] - 4}-{grow['turns']}.",
        f"- Reading the tracker (`GET /conversations/<id>/tracker`): {grow['tracker_get_ms']['5']:.0f} ms with "
        f"{grow['events']['5']} events, {grow['tracker_get_ms'][str(grow['turns'])]:.0f} ms with "
        f"{grow['events'][str(grow['turns'])]} events.",
        "",
    ]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench profile")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--actions-url", default="http://127.0.0.1:5055")
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--turns", type=int, default=50, help="length of the one long conversation")
    parser.add_argument("--label", default=None, help="suffix of the report's name (before, after)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    report: Dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "conversations": args.conversations}
    report["growth"] = asyncio.run(growth(args.rasa_url, args.turns))
    report["profile"] = profile(args.rasa_url, args.actions_url, args.conversations, args.seconds)
    name = f"profile-{args.label}" if args.label else "profile"
    output.save(args.out, name, False, report, markdown(report))
    return 0
