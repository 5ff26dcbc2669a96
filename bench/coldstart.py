"""Cold start: from `make run`'s processes starting (model already trained) to
the first message Carolina answers through the hub, and the model's size.

python -m bench coldstart [--keep] : starts the Procfile's three processes with
honcho on their usual ports (5005, 5055, 8000: they must be free), sends "oi"
through the widget's protocol until a real answer comes back, and stops them
(or, with --keep, leaves them running and returns their handle: `bench all`
then runs the load benchmark against them).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import socketio

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
MODEL = ROOT / "models" / "carolina.tar.gz"
PORTS = (5005, 5055, 8000)
HUB = "http://127.0.0.1:8000"
LIMIT = 600.0


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def answered_once() -> bool:
    """One try: a new conversation says "oi"; True if Carolina (not the hub's apology) answers."""
    # websocket-client sends its own Origin header: set it rather than add a second one.
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": "http://localhost:8000"})
    answers: List[Dict[str, Any]] = []
    confirmed: List[str] = []
    client.on("session_confirm", lambda sid: confirmed.append(sid))
    client.on("bot_uttered", lambda data: answers.append(data))
    try:
        client.connect(HUB, transports=["websocket"], wait_timeout=5)
        client.emit("session_request", {"session_id": None, "language": "pt"})
        wait_until(lambda: bool(confirmed), 10)
        client.emit("user_uttered", {"message": "oi", "session_id": confirmed[0]})
        wait_until(lambda: bool(answers), 60)
        return bool(answers) and not (answers[0].get("metadata") or {}).get("error")
    except (socketio.exceptions.ConnectionError, IndexError):
        return False
    finally:
        client.disconnect()


def first_answer(deadline: float) -> Optional[float]:
    """When (monotonic clock) a message was first answered, trying once a second."""
    while time.monotonic() < deadline:
        if answered_once():
            return time.monotonic()
        time.sleep(1)
    return None


def wait_until(condition, seconds: float) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.05)


def start_stack() -> Tuple[subprocess.Popen, float]:
    taken = [p for p in PORTS if port_taken(p)]
    if taken:
        raise SystemExit(f"ports {taken} are in use: stop `make run` first")
    if not MODEL.exists():
        raise SystemExit("no trained model: run `make train` first")
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "bench-servers.log", "w")  # noqa: SIM115 - lives as long as the servers
    started = time.monotonic()
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "honcho"), "start"],
        cwd=ROOT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, started


def stop_stack(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure(keep: bool = False) -> Tuple[Dict[str, Any], Optional[subprocess.Popen]]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    process, started = start_stack()
    answered = first_answer(started + LIMIT)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "seconds_to_first_answer": None if answered is None else answered - started,
        "model_mb": MODEL.stat().st_size / 2**20,
    }
    if not keep or answered is None:
        stop_stack(process)
        return report, None
    return report, process


def markdown(report: Dict[str, Any]) -> str:
    seconds = report["seconds_to_first_answer"]
    shown = "not answered within the limit" if seconds is None else f"{seconds:.1f} s"
    return (
        f"# Cold start ({report['date']})\n\nFrom starting the three processes (model trained) to the first answer "
        f"through the hub: **{shown}**. Model on disk: {report['model_mb']:.1f} MB.\n"
    )


def main(argv: List[str]) -> int:
    report, _ = measure()
    (RESULTS / "coldstart.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "coldstart.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if report["seconds_to_first_answer"] is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
