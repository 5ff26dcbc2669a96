"""Soak: load held for a while, and nothing lost. Simulated customers keep
running the load benchmark's conversations for a bounded time; afterwards,
from the hub's record (its API), every message a customer sent must be in its
transcript exactly once and in order, and every reply it received must be there
too; the hub's memory is sampled throughout to show whether it keeps growing.

python -m bench soak [--hub-url URL] [--minutes 10] [--conversations 50] [--quick]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import urlparse

import requests
import socketio

from bench import output
from bench.load import QUIET, SCRIPTS, TIMEOUT, pid_listening
from common.actions_token import conversation_token

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def actions_token() -> str:
    return os.environ.get("CAROLINA_ACTIONS_TOKEN") or (ROOT / "var" / "actions.token").read_text().strip()


def one_conversation(hub_url: str, origin: str, lang: str) -> Dict[str, Any]:
    """Runs one scripted conversation; what the client sent and the seqs of what it received."""
    events: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    # session_confirm gives the resume token; session_info the conversation id.
    client.on("session_info", lambda info: events.put(("info", info["conversation_id"])))
    client.on("bot_uttered", lambda data: events.put(("reply", data)))
    record: Dict[str, Any] = {"sent": [], "received": [], "errors": 0}
    try:
        client.connect(hub_url, transports=["websocket"], wait_timeout=20)
        client.emit("session_request", {"session_id": None, "language": lang})
        kind, record["conversation_id"] = events.get(timeout=TIMEOUT)
        for text in SCRIPTS[lang]:
            client.emit(
                "user_uttered",
                {"message": text, "message_id": uuid.uuid4().hex},
            )
            record["sent"].append(text)
            wait = TIMEOUT
            while True:
                try:
                    kind, data = events.get(timeout=wait)
                except queue.Empty:
                    break
                seq = (data.get("metadata") or {}).get("seq")
                if seq:
                    record["received"].append(seq)
                else:
                    record["errors"] += 1  # refused before it was stored (rate limit, bad input)
                wait = QUIET
    except (socketio.exceptions.ConnectionError, queue.Empty):
        record["errors"] += 1
    finally:
        client.disconnect()
    return record


def check(hub_url: str, token: str, record: Dict[str, Any]) -> List[str]:
    """What the record lacks or holds twice for this conversation (empty: all there)."""
    if "conversation_id" not in record:
        return ["no conversation"]
    reply = requests.get(
        f"{hub_url}/api/conversations/{record['conversation_id']}",
        headers={"Authorization": f"Bearer {conversation_token(token, record['conversation_id'])}"},
        timeout=30,
    )
    messages = reply.json()["messages"]
    problems = []
    stored = [m["text"] for m in messages if m["sender"] == "customer"]
    if stored != record["sent"]:
        problems.append(f"customer messages stored {stored!r}, sent {record['sent']!r}")
    ids = [m["id"] for m in messages]
    if len(ids) != len(set(ids)) or ids != sorted(ids):
        problems.append("transcript ids repeated or out of order")
    missing = set(record["received"]) - set(ids)
    if missing:
        problems.append(f"replies received but not stored: {sorted(missing)}")
    return problems


def run(hub_url: str, origin: str, token: str, seconds: float, conversations: int) -> Dict[str, Any]:
    deadline = time.monotonic() + seconds
    records: List[Dict[str, Any]] = []
    memory: List[float] = []
    pid = pid_listening(urlparse(hub_url).port or 80)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(5):
            if pid:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        memory.append(int(line.split()[1]) / 1024)

    def customer(index: int) -> None:
        lang = list(SCRIPTS)[index % 3]
        while time.monotonic() < deadline:
            records.append(one_conversation(hub_url, origin, lang))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=conversations) as pool:
        list(pool.map(customer, range(conversations)))
    elapsed = time.monotonic() - start
    done.set()
    problems = {r.get("conversation_id", "?"): p for r in records if (p := check(hub_url, token, r))}
    third = max(1, len(memory) // 3)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "seconds": elapsed,
        "concurrent": conversations,
        "conversations": len(records),
        "messages_sent": sum(len(r["sent"]) for r in records),
        "replies_received": sum(len(r["received"]) for r in records),
        "refused_or_timed_out": sum(r["errors"] for r in records),
        "conversations_with_problems": len(problems),
        "problems": dict(list(problems.items())[:20]),
        "hub_rss_mb_first_third": sum(memory[:third]) / third if memory else None,
        "hub_rss_mb_last_third": sum(memory[-third:]) / third if memory else None,
        "hub_rss_samples": memory,
    }


def markdown(report: Dict[str, Any]) -> str:
    first, last = report["hub_rss_mb_first_third"], report["hub_rss_mb_last_third"]
    memory = "not sampled" if first is None else f"{first:.0f} MB in the first third, {last:.0f} MB in the last"
    return (
        f"# Soak ({report['date']})\n\n"
        f"{report['concurrent']} customers for {report['seconds'] / 60:.1f} min: {report['conversations']} "
        f"conversations, {report['messages_sent']} messages sent, {report['replies_received']} replies received, "
        f"{report['refused_or_timed_out']} refused or timed out. Conversations whose record lacks or repeats "
        f"anything: **{report['conversations_with_problems']}**. Hub memory (RSS): {memory}.\n"
    )


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench soak")
    parser.add_argument("--hub-url", default="http://127.0.0.1:8000")
    parser.add_argument("--origin", default=None)
    parser.add_argument("--token", default=None, help="the actions token (default: $CAROLINA_ACTIONS_TOKEN or var/)")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="two customers for a few seconds (make test)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    seconds, conversations = (3.0, 2) if args.quick else (args.minutes * 60, args.conversations)
    origin = args.origin or args.hub_url.replace("127.0.0.1", "localhost")
    report = run(args.hub_url, origin, args.token or actions_token(), seconds, conversations)
    output.save(args.out, "soak", args.quick, report, markdown(report))
    return 0 if report["conversations_with_problems"] == 0 else 1
