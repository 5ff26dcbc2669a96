"""A safe start (issue 16; bot/start_checks.py, bot/db/migrate.py): a second
hub on one SQLite file is refused with a clear message, a dead hub's lock file
blocks nobody, cluster mode refuses to start without a shared actions token and
SMTP, and hubs starting at once on one PostgreSQL database migrate it once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import List

import pytest
from sqlalchemy import text

from bot.db.session import make_engine
from bot.settings import Settings
from bot.start_checks import StartRefused, check_start, cluster_problems, hold_sqlite, lock_file
from tests.cluster_support import postgres_url  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = replace(Settings(), database_url="postgresql+asyncpg://h/db", redis_url="redis://h:6379/0")


def serve(env: dict) -> subprocess.CompletedProcess:
    """`python -m bot serve` with this environment (and no other CAROLINA_ or mail settings)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CAROLINA_", "SMTP_", "REDIS_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env={**base, "CAROLINA_PORT": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cluster_mode_needs_a_shared_token_and_smtp():
    assert cluster_problems(Settings(), {}) == [], "the default mode needs neither"
    assert cluster_problems(replace(Settings(), redis_url="redis://h"), {}) == [], "nor Redis on SQLite"
    problems = cluster_problems(CLUSTER, {})
    assert len(problems) == 4
    assert "CAROLINA_ACTIONS_TOKEN" in problems[0] and "SMTP_URL" in problems[1]
    assert "CAROLINA_SIGNING_SECRET" in problems[2] and "CAROLINA_IDENTITY_SECRET" in problems[3]
    ready = replace(CLUSTER, smtp_url="smtp://mail:25")
    shared = {"CAROLINA_ACTIONS_TOKEN": "t", "CAROLINA_SIGNING_SECRET": "s", "CAROLINA_IDENTITY_SECRET": "i"}
    assert cluster_problems(ready, shared) == []
    with pytest.raises(StartRefused, match="SMTP_URL"):
        check_start(CLUSTER, shared)
    assert check_start(ready, shared) is None, "no file to lock on PostgreSQL"


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_a_cluster_hub_without_them_refuses_to_start():
    result = serve({"DATABASE_URL": CLUSTER.database_url, "REDIS_URL": "redis://127.0.0.1:1"})
    assert result.returncode == 2
    assert "CAROLINA_ACTIONS_TOKEN" in result.stderr and "SMTP_URL" in result.stderr


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_one_hub_per_sqlite_file(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    assert lock_file(url) == tmp_path / "hub.db.hub-lock"
    assert lock_file("sqlite+aiosqlite:///:memory:") is None
    first = hold_sqlite(url)
    assert first is not None
    try:
        with pytest.raises(StartRefused, match=f"pid {os.getpid()}.*SQLite serves one hub"):
            hold_sqlite(url)
        # A second `python -m bot serve` on the same file says so and stops.
        result = serve({"DATABASE_URL": url})
        assert result.returncode == 2, result.stderr[-2000:]
        assert "already serving the SQLite database" in result.stderr
        # Another database is another hub's business.
        other = hold_sqlite(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
        assert other is not None
        other.close()
    finally:
        first.close()
    # Released when its holder stops: the next hub starts.
    again = hold_sqlite(url)
    assert again is not None
    again.close()


# A hub that holds the lock until its stdin closes (or it is killed).
HOLD = "import sys, bot.start_checks as c; h = c.hold_sqlite(sys.argv[1]); print('held', flush=True); sys.stdin.read()"


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_a_dead_hubs_lock_file_blocks_nobody(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLD,
            url,
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StartRefused):
            hold_sqlite(url)
        holder.send_signal(signal.SIGKILL)  # no clean exit: the file stays behind
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert lock_file(url).exists()  # type: ignore[union-attr]
    held = hold_sqlite(url)
    assert held is not None
    held.close()


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_hubs_starting_at_once_migrate_postgresql_once(postgres_url):  # noqa: F811
    # Processes, as hubs are (Alembic's context is one per process: threads would share it).
    upgrading = "import sys; from bot.db.migrate import upgrade; upgrade(sys.argv[1])"
    starts = [
        subprocess.Popen([sys.executable, "-c", upgrading, postgres_url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    failures = [p.communicate(timeout=120)[1][-2000:] for p in starts if p.wait(timeout=120) != 0]
    assert failures == []

    async def versions() -> List[str]:
        engine = make_engine(postgres_url)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        finally:
            await engine.dispose()

    assert len(asyncio.run(versions())) == 1
