"""The stack the benchmarks start: the Procfile's three processes, each on its
usual port and in its own process group, so that one can be killed (the fault
runs) while the others go on, which honcho does not allow: it stops everything
when one child dies. Or a hub alone on a free port, against a running Rasa."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, Mapping, Optional

import requests

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
MODEL = ROOT / "models" / "carolina.tar.gz"
# The two environments `make setup` builds (README, "Two environments"): the
# assistant's (Rasa 3.6 and its pins) and the hub's.
ASSISTANT_BIN = Path(os.environ.get("CAROLINA_ASSISTANT_VENV", ROOT / ".venv")) / "bin"
HUB_PYTHON = Path(os.environ.get("CAROLINA_HUB_VENV", ROOT / ".venv-hub")) / "bin" / "python"
READY = {  # what answers once each process is ready, on the Procfile's ports
    "actions": "http://127.0.0.1:5055/health",
    "rasa": "http://127.0.0.1:5005/webhooks/hub/",
    "hub": "http://127.0.0.1:8000/api/health",
}


class Process:
    """One process of the stack, in its own process group so a kill takes its children too."""

    def __init__(self, name: str, command: str, env: Mapping[str, str], ready_url: str, log: str) -> None:
        self.name, self.command, self.env, self.ready_url = name, command, dict(env), ready_url
        self.log = VAR / f"{log}-{name}.log"
        self.process: Optional[subprocess.Popen] = None

    @property
    def base_url(self) -> str:
        scheme, _, host = self.ready_url.split("/", 3)[:3]
        return f"{scheme}//{host}"

    def start(self) -> None:
        VAR.mkdir(exist_ok=True)
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                ["bash", "-c", self.command],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False  # died on start: its log says why
            try:
                if requests.get(self.ready_url, timeout=2).ok:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.25)
        return False

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def fresh_database(path: Path) -> str:
    """The URL of an empty SQLite file at `path`: the file and its WAL companions removed
    (a write-ahead log left by a killed run would be replayed into the new file)."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def procfile() -> Dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line and not line.startswith("#"))


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def whole(env: Mapping[str, str], log: str) -> Dict[str, Process]:
    """The Procfile's processes (started in that order: actions, Rasa, hub)."""
    taken = [p for p in (5005, 5055, 8000) if port_taken(p)]
    if taken:
        raise SystemExit(f"ports {taken} are in use: stop `make run` first")
    if not MODEL.exists():
        raise SystemExit("no trained model: run `make train` first")
    commands = procfile()
    return {name: Process(name, commands[name], env, READY[name], log) for name in ("actions", "rasa", "hub")}


def hub_alone(env: Mapping[str, str], rasa_url: str, log: str) -> Dict[str, Process]:
    """A hub of its own on a free port, against a Rasa that is already running."""
    port = free_port()
    env = dict(env, CAROLINA_PORT=str(port), RASA_URL=rasa_url)
    command = f"{shlex.quote(str(HUB_PYTHON))} -m bot serve"
    return {"hub": Process("hub", command, env, f"http://127.0.0.1:{port}/api/health", log)}


def start(processes: Dict[str, Process]) -> None:
    for process in processes.values():
        process.start()


def stop(processes: Dict[str, Process]) -> None:
    for process in processes.values():
        process.kill(signal.SIGTERM)
