"""Files that hold personal data or secrets, readable by their owner only.

The SQLite databases, the e-mail outbox and the token files are made 0600 in
0700 directories, whatever the process's umask, and tightened when an older
install left them readable by others. (SQLite gives its journal and WAL files
the database file's own mode, so creating the database file right is enough.)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if path.stat().st_mode & 0o077:
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Creates the file empty if it is missing; either way it ends up 0600."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    if path.stat().st_mode & 0o077:
        path.chmod(FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Writes a new file 0600 from the start (no moment readable by others)."""
    private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    if path.stat().st_mode & 0o077:
        path.chmod(FILE_MODE)


def stored_secret(path: Path, size: int = 32) -> str:
    """A random secret made on first use in `path` (0600), the same on every later
    read, so the processes of one machine share it with no configuration and
    nothing secret is in the repository."""
    private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        private_file(path)  # an older install's file may be readable by others
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(size))
    return path.read_text().strip()
