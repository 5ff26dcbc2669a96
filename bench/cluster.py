"""Cluster mode's benchmark (docs/scaling.md): one hub on one Rasa server against
two hubs on two Rasa servers, behind HAProxy, on PostgreSQL and Redis, the
processes `make cluster` runs (Procfile.cluster, started one by one through
scripts/cluster.sh on free ports and a database of their own, dropped after).

At each concurrency level, simulated customers run the load benchmark's
conversations (bench/load.py) from addresses of their own (HAProxy picks a hub
by the client's address): throughput (answered messages per second), p50/p99
time to the first reply, and the costs the capacity model is built from: CPU
milliseconds per message of each hub, Rasa server and the action server (from
/proc), database rows written per message (pg_stat_database), peak memory.

python -m bench cluster [--levels 50,200] [--turns 7] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

from bench import output
from bench.load import SCRIPTS, peak_memory_mb, pid_listening, scripts_for, summary, widget_customer
from bench.stack import MODEL, ROOT, Process, free_port

RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES = os.environ.get("CAROLINA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PORTS = ("CLUSTER_PORT", "HUB1_PORT", "HUB2_PORT", "RASA1_PORT", "RASA2_PORT", "ACTIONS_PORT", "SMTP_PORT")
# The processes of each setup, with the Rasa servers the hubs are given.
SETUPS = {
    "1 hub + 1 Rasa": (("hub1",), ("rasa1",)),
    "2 hubs + 2 Rasa": (("hub1", "hub2"), ("rasa1", "rasa2")),
}
ORIGIN = "http://portal.bench"


def address(index: int) -> str:
    """The loopback address of simulated customer `index` (127.1.x.y: the whole of 127/8 is this machine)."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


def admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(f"{POSTGRES}/postgres", timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def rows_written(database: str) -> int:
    import asyncpg

    async def run() -> int:
        connection = await asyncpg.connect(f"{POSTGRES}/postgres", timeout=10)
        try:
            return int(
                await connection.fetchval(
                    "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = $1",
                    database,
                )
            )
        finally:
            await connection.close()

    return asyncio.run(run())


def forget_redis_keys(env: Dict[str, str], patterns: List[str]) -> None:
    import redis

    client = redis.Redis(host=env.get("REDIS_HOST", "127.0.0.1"), port=int(env.get("REDIS_PORT", 6379)))
    try:
        for pattern in patterns:
            for key in client.scan_iter(match=pattern):
                client.delete(key)
    finally:
        client.close()


def cpu_seconds(port: int) -> Optional[float]:
    """User + system CPU time of the process listening on `port`, from /proc."""
    pid = pid_listening(port)
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Stack:
    """The processes of Procfile.cluster, each started on its own."""

    def __init__(self, env: Dict[str, str]) -> None:
        self.env = env
        self.processes: Dict[str, Process] = {}

    def port(self, name: str) -> int:
        special = {"actions": "ACTIONS_PORT", "mail": "SMTP_PORT", "haproxy": "CLUSTER_PORT"}
        return int(self.env[special.get(name, f"{name.upper()}_PORT")])

    def ready_url(self, name: str) -> str:
        path = "/health" if name == "actions" else "/" if name.startswith("rasa") else "/api/health"
        return f"http://127.0.0.1:{self.port(name)}{path}"

    def start(self, names: List[str], **env: str) -> None:
        for name in names:
            process = Process(
                name, f"scripts/cluster.sh run {name}", {**self.env, **env}, self.ready_url(name), "cluster"
            )
            process.start()
            self.processes[name] = process
        for name in names:
            if name != "mail" and not self.processes[name].ready(300):
                raise SystemExit(f"{name} did not start: see {self.processes[name].log}")

    def stop(self, names: List[str]) -> None:
        for name in names:
            if name in self.processes:
                self.processes.pop(name).kill(signal.SIGTERM)

    def hubs_seen(self, hubs: List[str]) -> None:
        """Waits until HAProxy's health checks agree with the hubs that run (probing from several addresses)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen = set()
            for index in range(40):
                connection = http.client.HTTPConnection(
                    "127.0.0.1", int(self.env["CLUSTER_PORT"]), timeout=5, source_address=(address(index), 0)
                )
                try:
                    connection.request("GET", "/api/health")
                    seen.add(connection.getresponse().getheader("X-Carolina-Hub"))
                except OSError:
                    pass
                finally:
                    connection.close()
            if seen == set(hubs):
                return
            time.sleep(1)
        raise SystemExit(f"HAProxy never sent customers to exactly {hubs}")


def run_level(stack: Stack, database: str, hubs: List[str], rasas: List[str], level: int, turns: int) -> Dict[str, Any]:
    scripts = scripts_for(level, turns)
    watched = {name: stack.port(name) for name in [*hubs, *rasas, "actions"]}
    cpu_before = {name: cpu_seconds(port) for name, port in watched.items()}
    written_before = rows_written(database)
    latencies: List[float] = []
    start = time.perf_counter()
    url = f"http://127.0.0.1:{stack.env['CLUSTER_PORT']}"
    with concurrent.futures.ThreadPoolExecutor(max_workers=level) as pool:
        futures = [
            pool.submit(widget_customer, url, ORIGIN, lang, script, latencies, address(i))
            for i, (lang, script) in enumerate(scripts)
        ]
        errors = sum(f.result() for f in futures)
    result = summary(latencies, errors, time.perf_counter() - start)
    answered = max(1, len(latencies))
    cpu = {
        name: (after - before) * 1000 / answered
        for name, port in watched.items()
        if (before := cpu_before[name]) is not None and (after := cpu_seconds(port)) is not None
    }
    result.update(
        concurrency=level,
        cpu_ms_per_message=cpu,
        rows_written_per_message=(rows_written(database) - written_before) / answered,
    )
    return result


def markdown(report: Dict[str, Any]) -> str:
    fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    lines = [
        f"# Cluster: one hub and one Rasa against two and two ({report['date']})",
        "",
        f"Through HAProxy, on PostgreSQL and Redis, {report['turns']} messages per simulated customer, "
        f"on {report['cpus']} CPUs (every process shares them: two of each is no more CPU). "
        "Latency is the time to the first reply; CPU is per answered message. Errors are messages "
        "answered with an apology, mostly the hub's busy notice (every slot with Rasa taken for 1 s: the "
        "customer is asked to send it again), or not answered in time: where the setup is saturated.",
        "",
        "| setup | concurrent | msg/s | p50 ms | p99 ms | errors | hub CPU ms | Rasa CPU ms | actions CPU ms "
        "| rows written |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["runs"]:
        cpu = row["cpu_ms_per_message"]
        hub = sum(v for k, v in cpu.items() if k.startswith("hub"))
        rasa = sum(v for k, v in cpu.items() if k.startswith("rasa"))
        lines.append(
            f"| {row['setup']} | {row['concurrency']} | {fmt(row['messages_per_second'])} | {fmt(row['p50_ms'])} | "
            f"{fmt(row['p99_ms'])} | {row['errors']} | {fmt(hub)} | {fmt(rasa)} | {fmt(cpu.get('actions'))} | "
            f"{fmt(row['rows_written_per_message'])} |"
        )
    lines += ["", "Peak memory (VmHWM):"]
    for setup, processes in report["peak_memory_mb"].items():
        lines.append(f"- {setup}: " + ", ".join(f"{name} {fmt(mb)} MB" for name, mb in processes.items()))
    lines.append("")
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cluster")
    parser.add_argument("--levels", default="50,200")
    parser.add_argument("--turns", type=int, default=len(SCRIPTS["pt"]))
    parser.add_argument("--quick", action="store_true", help="levels 2 and 4, two messages each (a smoke run)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if not shutil.which("haproxy"):
        raise SystemExit("HAProxy is missing: apt-get install haproxy")
    if not MODEL.exists():
        raise SystemExit("no trained model: run `make train` first")
    levels = [2, 4] if args.quick else [int(v) for v in args.levels.split(",")]
    turns = 2 if args.quick else args.turns
    database = f"carolina_bench_{uuid.uuid4().hex[:8]}"
    host = POSTGRES.split("@", 1)[1]
    env = dict(
        os.environ,
        PGHOST=host.split(":")[0],
        PGPORT=host.split(":")[1] if ":" in host else "5432",
        PGUSER=POSTGRES.split("://", 1)[1].split("@")[0],
        PGDATABASE=database,
        RASA_LOCK_PREFIX=database.replace("_", ""),
        CAROLINA_EXTRA_ORIGINS=ORIGIN,
        # Simulated customers answer at once and all start conversations together.
        CAROLINA_RATE_PER_MINUTE="600",
        CAROLINA_NEW_CONVERSATIONS_PER_MINUTE="60000",
        CAROLINA_IP_RATE_PER_MINUTE="60000",
        RASA_TELEMETRY_ENABLED="false",
        **{port: str(free_port()) for port in PORTS},
    )
    subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "prepare"], cwd=ROOT, env=env, check=True)
    stack = Stack(env)
    report: Dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "turns": turns,
        "cpus": os.cpu_count(),
        "runs": [],
        "peak_memory_mb": {},
    }
    try:
        stack.start(["actions", "mail"])
        for setup, (hubs, rasas) in SETUPS.items():
            rasa_urls = ",".join(f"http://127.0.0.1:{stack.port(r)}" for r in rasas)
            stack.stop(["hub1", "hub2"])  # started again on this setup's Rasa servers
            stack.start([r for r in rasas if r not in stack.processes])
            stack.start(list(hubs), RASA_URLS=rasa_urls)
            if "haproxy" not in stack.processes:  # once a hub answers its health check
                stack.start(["haproxy"])
            stack.hubs_seen(list(hubs))
            # Not counted: a server's first turns load what it loads lazily.
            run_level(stack, database, list(hubs), list(rasas), 4, 2)
            for level in levels:
                row = {"setup": setup, **run_level(stack, database, list(hubs), list(rasas), level, turns)}
                report["runs"].append(row)
                print(json.dumps(row))
            report["peak_memory_mb"][setup] = {
                name: peak_memory_mb(f"http://127.0.0.1:{stack.port(name)}") for name in [*hubs, *rasas, "actions"]
            }
    finally:
        stack.stop(list(stack.processes))
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        forget_redis_keys(env, [f"carolina:{database}:*", f"{env['RASA_LOCK_PREFIX']}:*"])
    output.save(args.out, "cluster", args.quick, report, markdown(report))
    return 0 if all(row["errors"] == 0 for row in report["runs"]) else 1
