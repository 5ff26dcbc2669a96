"""Schema upgrades with Alembic: `python -m bot db upgrade` (also run by `serve`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from common.private_files import private_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Synchronous: call it before the event loop starts (Alembic runs its own)."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            # Created 0600 before SQLite does, so it never exists readable by others (LGPD).
            private_file(Path(path))
    command.upgrade(alembic_config(database_url), revision)
