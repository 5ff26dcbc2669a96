"""Cold start: from `make run`'s processes starting (model already trained) to
the first message Carolina answers through the hub, and the model's size.

python -m bench coldstart [--quick --rasa-url URL]

Starts the Procfile's three processes on their usual ports (5005, 5055, 8000:
they must be free), sends "oi" through the widget's protocol until a real
answer comes back, and stops them. `bench all` keeps them running for the load
and soak benchmarks (measure(keep=True)). --quick (make test) times a hub alone
against a running Rasa instead: the hub's own share of a cold start.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import socketio

from bench import output, stack

RESULTS = Path(__file__).resolve().parent / "results"
HUB = "http://127.0.0.1:8000"
LIMIT = 600.0
# The hub's notice while Rasa loads its model (bot/domain/conversations.py STARTING).
STARTING = "starting"


def answered_once(hub_url: str) -> bool:
    """One try: a new conversation says "oi"; True if Carolina (not the hub's apology) answers."""
    # websocket-client sends its own Origin header: set it rather than add a second one.
    origin = hub_url.replace("127.0.0.1", "localhost")
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    answers: List[Dict[str, Any]] = []
    confirmed: List[str] = []
    client.on("session_confirm", lambda sid: confirmed.append(sid))
    client.on("bot_uttered", lambda data: answers.append(data))
    try:
        client.connect(hub_url, transports=["websocket"], wait_timeout=5)
        client.emit("session_request", {"session_id": None, "language": "pt"})
        wait_until(lambda: bool(confirmed), 10)
        client.emit("user_uttered", {"message": "oi", "session_id": confirmed[0]})
        # "Carolina is starting" promises the answer once Rasa is ready: a customer
        # waits for it on the same conversation, and so does this (an apology ends the try).
        wait_until(
            lambda: any(not error_of(a) for a in answers) or any(error_of(a) not in (None, STARTING) for a in answers),
            LIMIT,
        )
        return any(not error_of(a) for a in answers)
    except (socketio.exceptions.ConnectionError, IndexError):
        return False
    finally:
        client.disconnect()


def error_of(reply: Dict[str, Any]) -> Optional[str]:
    return (reply.get("metadata") or {}).get("error")


def first_answer(hub_url: str, deadline: float) -> Optional[float]:
    """When (monotonic clock) a message was first answered, trying once a second."""
    while time.monotonic() < deadline:
        if answered_once(hub_url):
            return time.monotonic()
        time.sleep(1)
    return None


def wait_until(condition, seconds: float) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.05)


def measure(keep: bool = False, rasa_url: Optional[str] = None) -> Tuple[Dict[str, Any], Optional[Dict]]:
    """The figures, and the running processes when `keep` (None if not kept or not answered)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if rasa_url:
        database = stack.VAR / "bench-coldstart.db"
        env["DATABASE_URL"] = stack.fresh_database(database)
        processes = stack.hub_alone(env, rasa_url, "bench-coldstart")
    else:
        processes = stack.whole(env, "bench-servers")
    started = time.monotonic()
    stack.start(processes)
    answered = first_answer(processes["hub"].base_url, started + LIMIT)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "what": "the hub alone, against a running Rasa" if rasa_url else "the three processes",
        "seconds_to_first_answer": None if answered is None else answered - started,
        "model_mb": stack.MODEL.stat().st_size / 2**20,
    }
    if not keep or answered is None:
        stack.stop(processes)
        return report, None
    return report, processes


def markdown(report: Dict[str, Any]) -> str:
    seconds = report["seconds_to_first_answer"]
    shown = "not answered within the limit" if seconds is None else f"{seconds:.1f} s"
    return (
        f"# Cold start ({report['date']})\n\nFrom starting {report['what']} (model trained) to the first answer "
        f"through the hub: **{shown}**. Model on disk: {report['model_mb']:.1f} MB.\n"
    )


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench coldstart")
    parser.add_argument("--quick", action="store_true", help="a hub alone against --rasa-url (make test)")
    parser.add_argument("--rasa-url", default=None)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.quick and not args.rasa_url:
        parser.error("--quick needs --rasa-url (a running Rasa)")
    report, _ = measure(rasa_url=args.rasa_url if args.quick else None)
    output.save(args.out, "coldstart", args.quick, report, markdown(report))
    return 0 if report["seconds_to_first_answer"] is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
