"""Reply latency and throughput through the whole stack, side by side with
plain Rasa.

Simulated customers (python-socketio clients on the widget's protocol) each run
one scripted conversation mixing a greeting, knowledge-base questions, small
talk and the start of an intake (then "stop"), at each concurrency level. For
every message: the time from `user_uttered` to the first `bot_uttered`. The same
conversations are then sent straight to Rasa's REST channel (what a team would
run without the hub), timed to the response. Peak memory (VmHWM) of the hub and
Rasa processes is read from /proc, found by their listening ports.

python -m bench load --hub-url URL --rasa-url URL [--levels 1,10,50,200] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import queue
import random
import socket
import statistics
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlparse

import aiohttp
import socketio

from bench import output

RESULTS = Path(__file__).resolve().parent / "results"
SCRIPTS = {
    "pt": [
        "oi, bom dia",
        "qual é o horário do suporte técnico?",
        "obrigado!",
        "como eu altero minha senha do portal?",
        "o Protheus 12.1.2310 no Oracle dá erro ao emitir nota fiscal",
        '/inform{"incident_category": "bug"}',
        "parar",
    ],
    "es": [
        "hola, buenos días",
        "¿cuál es el horario del soporte técnico?",
        "¡gracias!",
        "¿cómo cambio mi contraseña del portal?",
        "el Protheus 12.1.2310 en Oracle da error al emitir la factura",
        '/inform{"incident_category": "bug"}',
        "parar",
    ],
    "en": [
        "hi, good morning",
        "what are the support team's opening hours?",
        "thanks!",
        "how do I change my portal password?",
        "Protheus 12.1.2310 on Oracle throws an error when issuing an invoice",
        '/inform{"incident_category": "bug"}',
        "stop",
    ],
}
QUIET = 0.3  # after the first reply, the rest of a turn's replies come within this (bench/soak.py)
TIMEOUT = 60.0


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(latencies: List[float], errors: int, seconds: float) -> Dict[str, Any]:
    ms = [v * 1000 for v in latencies]
    return {
        "messages": len(latencies) + errors,
        "errors": errors,
        "p50_ms": percentile(ms, 0.50),
        "p95_ms": percentile(ms, 0.95),
        "p99_ms": percentile(ms, 0.99),
        "mean_ms": statistics.fmean(ms) if ms else None,
        "messages_per_second": (len(latencies) / seconds) if seconds else None,
        "seconds": seconds,
    }


def pause(think: float) -> float:
    """A customer's time between a reply and their next message: `think` seconds on average."""
    return random.uniform(0.5, 1.5) * think if think else 0.0


def widget_customer(
    hub_url: str,
    origin: str,
    lang: str,
    script: List[str],
    latencies: List[float],
    address: Optional[str] = None,
    think: float = 0.0,
) -> int:
    """One conversation over socket.io (in its own thread); returns the number of failed messages.
    `address`: the loopback address it comes from (bench/cluster.py: HAProxy picks a hub by it).
    A turn ends with its last reply: the hub's `user_stored`, sent before the replies, says how many."""
    replies: queue.Queue = queue.Queue()
    stored: queue.Queue = queue.Queue()
    confirmed: queue.Queue = queue.Queue()
    # websocket-client sends its own Origin header: set it rather than add a second one.
    options: Dict[str, Any] = {"origin": origin}
    if address:
        url = urlparse(hub_url)
        options["socket"] = socket.create_connection((url.hostname, url.port), timeout=20, source_address=(address, 0))
    client = socketio.Client(reconnection=False, websocket_extra_options=options)
    client.on("session_confirm", confirmed.put)
    client.on("bot_uttered", replies.put)
    client.on("user_stored", stored.put)
    errors = 0
    try:
        client.connect(hub_url, transports=["websocket"], wait_timeout=20)
        client.emit("session_request", {"session_id": None, "language": lang})
        session_id = confirmed.get(timeout=TIMEOUT)
        for text in script:
            time.sleep(pause(think))
            sent = time.perf_counter()
            client.emit("user_uttered", {"message": text, "session_id": session_id, "message_id": uuid.uuid4().hex})
            try:
                first = replies.get(timeout=TIMEOUT)
            except queue.Empty:
                errors += 1
                continue
            if (first.get("metadata") or {}).get("error"):
                errors += 1
            else:
                latencies.append(time.perf_counter() - sent)
            try:  # a refused message (rate limit) has no user_stored: its one reply was the turn
                expected = int((stored.get_nowait().get("metadata") or {}).get("replies", 1))
            except queue.Empty:
                expected = 1
            for _ in range(expected - 1):  # the rest of this turn's replies
                try:
                    replies.get(timeout=TIMEOUT)
                except queue.Empty:
                    break
    except (socketio.exceptions.ConnectionError, queue.Empty):
        errors += len(script)
    finally:
        client.disconnect()
    return errors


async def rest_customer(
    http: aiohttp.ClientSession, rasa_url: str, script: List[str], latencies: List[float], think: float = 0.0
) -> int:
    sender, errors = f"bench-{uuid.uuid4().hex}", 0
    for text in script:
        await asyncio.sleep(pause(think))
        sent = time.perf_counter()
        try:
            async with http.post(
                f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            ) as reply:
                body = await reply.json()
                if reply.status != 200 or not body:
                    errors += 1
                    continue
        except (aiohttp.ClientError, asyncio.TimeoutError):
            errors += 1
            continue
        latencies.append(time.perf_counter() - sent)
    return errors


def scripts_for(count: int, turns: int) -> List[Tuple[str, List[str]]]:
    """(language, messages) for each simulated customer, the languages in turn."""
    languages = list(SCRIPTS)
    return [(languages[i % 3], SCRIPTS[languages[i % 3]][:turns]) for i in range(count)]


async def run_level(
    hub_url: str, rasa_url: str, origin: str, level: int, turns: int, think: float = 0.0
) -> Dict[str, Any]:
    scripts = scripts_for(level, turns)
    latencies: List[float] = []
    start = time.perf_counter()
    # One thread per customer: python-socketio's asyncio client needs a newer aiohttp than Rasa pins.
    with concurrent.futures.ThreadPoolExecutor(max_workers=level) as pool:
        # Each customer from its own loopback address, as customers come from their own:
        # the hub's limits per address (a burst of 30 sockets) are not what is measured.
        futures = [
            pool.submit(
                widget_customer, hub_url, origin, lang, s, latencies, f"127.0.{1 + i // 250}.{1 + i % 250}", think
            )
            for i, (lang, s) in enumerate(scripts)
        ]
        errors = sum(f.result() for f in futures)
    hub = summary(latencies, errors, time.perf_counter() - start)
    latencies = []
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        start = time.perf_counter()
        errors = sum(await asyncio.gather(*(rest_customer(http, rasa_url, s, latencies, think) for _, s in scripts)))
        rasa = summary(latencies, errors, time.perf_counter() - start)
    ratio = (hub["p50_ms"] / rasa["p50_ms"]) if hub["p50_ms"] and rasa["p50_ms"] else None
    return {"concurrency": level, "hub": hub, "rasa_rest": rasa, "p50_ratio_hub_to_rasa": ratio}


def pid_listening(port: int) -> Optional[int]:
    """The process listening on a local TCP port, from /proc (Linux)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = str(fd.readlink())
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def peak_memory_mb(url: str) -> Optional[float]:
    pid = pid_listening(urlparse(url).port or 80)
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        f"# Load: whole stack vs plain Rasa ({report['date']})",
        "",
        f"{report['turns']} messages per simulated customer; latency is the time to the first reply. "
        + (
            f"Customers pause {report['think']:g} s on average (0.5-1.5 times that) between a turn's last reply "
            "and their next message."
            if report.get("think")
            else "Each customer sends the next message as soon as the turn's last reply arrives."
        ),
        "",
        "| concurrent | hub p50 ms | hub p95 ms | hub p99 ms | hub msg/s | hub errors "
        "| Rasa REST p50 ms | Rasa REST p95 ms | Rasa REST p99 ms | Rasa msg/s | Rasa errors | hub/Rasa p50 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    for row in report["levels"]:
        hub, rasa = row["hub"], row["rasa_rest"]
        lines.append(
            f"| {row['concurrency']} | {fmt(hub['p50_ms'])} | {fmt(hub['p95_ms'])} | {fmt(hub['p99_ms'])} | "
            f"{fmt(hub['messages_per_second'])} | {hub['errors']} | {fmt(rasa['p50_ms'])} | {fmt(rasa['p95_ms'])} | "
            f"{fmt(rasa['p99_ms'])} | {fmt(rasa['messages_per_second'])} | {rasa['errors']} | "
            f"{fmt(row['p50_ratio_hub_to_rasa'])} |"
        )
    memory = report["peak_memory_mb"]
    lines += [
        "",
        f"Peak memory (VmHWM): hub {fmt(memory.get('hub'))} MB, Rasa {fmt(memory.get('rasa'))} MB, "
        f"action server {fmt(memory.get('actions'))} MB.",
        "",
    ]
    return "\n".join(lines)


def plot(report: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = [row["concurrency"] for row in report["levels"]]
    figure, axis = plt.subplots(figsize=(7, 4))
    for key, label, style in (("hub", "hub (socket.io)", "-"), ("rasa_rest", "Rasa REST", "--")):
        for share in ("p50", "p95", "p99"):
            axis.plot(
                levels,
                [row[key][f"{share}_ms"] for row in report["levels"]],
                style,
                marker="o",
                label=f"{label} {share}",
            )
    axis.set_xscale("log")
    axis.set_xlabel("concurrent conversations")
    axis.set_ylabel("time to first reply (ms)")
    axis.legend(fontsize=7)
    axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--hub-url", default="http://127.0.0.1:8000")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--actions-url", default="http://127.0.0.1:5055", help="only to read its peak memory")
    parser.add_argument(
        "--origin", default=None, help="the Origin the hub allows (default: the hub URL with localhost)"
    )
    parser.add_argument("--levels", default="1,10,50,200")
    parser.add_argument("--turns", type=int, default=len(SCRIPTS["pt"]))
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a customer takes, on average, between a reply and their next message (default 0: at once)",
    )
    parser.add_argument("--label", default=None, help="suffix of the report's name (before, after)")
    parser.add_argument("--quick", action="store_true", help="levels 1 and 2, three messages each (make test)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    levels = [1, 2] if args.quick else [int(v) for v in args.levels.split(",")]
    turns = 3 if args.quick else args.turns
    origin = args.origin or args.hub_url.replace("127.0.0.1", "localhost")
    report: Dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "turns": turns, "think": args.think, "levels": []}
    for level in levels:
        row = asyncio.run(run_level(args.hub_url, args.rasa_url, origin, level, turns, args.think))
        report["levels"].append(row)
        print(json.dumps(row))
    report["peak_memory_mb"] = {
        "hub": peak_memory_mb(args.hub_url),
        "rasa": peak_memory_mb(args.rasa_url),
        "actions": peak_memory_mb(args.actions_url),
    }
    stem = output.save(args.out, f"load-{args.label}" if args.label else "load", args.quick, report, markdown(report))
    plot(report, stem.with_suffix(".png"))
    return 0
