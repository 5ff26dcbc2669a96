"""What `python -m bot serve` makes sure of before it serves (issue 16).

- One hub per SQLite file: a second one would keep its own live chat, timers
  and locks beside the first, on the same rows. The first holds an exclusive
  flock on a file next to the database for as long as it runs; the kernel lets
  go of it when the process ends, however it ends, so a file left by a dead hub
  blocks nobody.
- Cluster mode (PostgreSQL and Redis, several hubs) needs what would otherwise
  live on one machine's disk given to every hub: the actions token (else each
  hub would make its own in var/, and the action server could talk to one hub
  only), the signing and identity secrets (a link or an identity one hub signed
  is read by another) and SMTP (else each hub keeps the e-mails in its own
  outbox directory).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, List, Mapping, Optional

from sqlalchemy.engine import make_url

from bot.settings import Settings


class StartRefused(Exception):
    """The hub must not start; the message says why and what to do."""


# Secrets a hub would otherwise make on its own, which another hub must share.
SHARED_SECRETS = {
    "CAROLINA_SIGNING_SECRET": "a link one hub signs (a ticket's page, a file) is opened through any hub",
    "CAROLINA_IDENTITY_SECRET": "a customer's identity is read by whichever hub the widget reaches "
    "(demo mode would make one per hub)",
}


def cluster_problems(settings: Settings, env: Mapping[str, str]) -> List[str]:
    """What cluster mode lacks (nothing outside it)."""
    if not settings.cluster:
        return []
    problems = []
    if not env.get("CAROLINA_ACTIONS_TOKEN"):
        problems.append(
            "cluster mode needs CAROLINA_ACTIONS_TOKEN, the same for every hub and the action server "
            "(a token made in one machine's var/ is not shared)"
        )
    if not settings.smtp_url:
        problems.append("cluster mode needs SMTP_URL: ticket e-mails cannot wait in one hub's local outbox directory")
    for name, what in SHARED_SECRETS.items():
        if not env.get(name):
            problems.append(f"cluster mode needs {name}, the same for every hub: {what}")
    return problems


def lock_file(database_url: str) -> Optional[Path]:
    """The file a hub on this SQLite database holds locked: beside the database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".hub-lock")


def hold_sqlite(database_url: str) -> Optional[IO[str]]:
    """Locks the SQLite database's file for this process (keep the returned
    file open while serving); StartRefused when another hub holds it."""
    path = lock_file(database_url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    held = path.open("a+")
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.seek(0)
        holder = held.read().strip() or "another process"
        held.close()
        raise StartRefused(
            f"another hub ({holder}) is already serving the SQLite database {path.with_suffix('')}: "
            "SQLite serves one hub. Stop it, or run several hubs on PostgreSQL and Redis "
            "(DATABASE_URL and REDIS_URL: cluster mode)."
        ) from None
    held.seek(0)
    held.truncate()
    held.write(f"pid {os.getpid()}\n")
    held.flush()
    return held


def check_start(settings: Settings, env: Mapping[str, str]) -> Optional[IO[str]]:
    """Every check of a start: the SQLite lock (returned, to be kept), or StartRefused."""
    problems = cluster_problems(settings, env)
    if problems:
        raise StartRefused("; ".join(problems))
    return hold_sqlite(settings.database_url)
