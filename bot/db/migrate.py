"""Schema upgrades with Alembic: `python -m bot db upgrade` (also run by `serve`).

Several hubs starting at once on one PostgreSQL database (cluster mode) would
each run the same migrations and trip over each other's tables. The upgrade
takes a PostgreSQL advisory lock first, inside its transaction
(bot/db/migrations/env.py calls `lock_migrations`): the other hubs wait there
and then find the schema already at head. `python -m bot db upgrade` as a
release step before the hubs start remains the plain way; the lock makes
forgetting it harmless."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from bot.db.models import metadata
from common.private_files import private_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The advisory lock's key: any fixed number no other lock of the database uses
# ("carolina" as eight bytes would not fit a bigint's sign; these are its first seven).
MIGRATION_LOCK_KEY = int.from_bytes(b"carolin", "big")


def lock_migrations(connection: Connection) -> None:
    """Waits for any other hub's upgrade of this database to end (PostgreSQL;
    SQLite serves one hub, bot/start_checks.py). Released with the transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head", from_models: bool = True) -> None:
    """Synchronous: call it before the event loop starts (Alembic runs its own).

    A new SQLite file gets the models' schema in one go, stamped at head:
    replaying every migration on SQLite rebuilds each altered table (thousands
    of statements, seconds per hub; most of the fast tests' time went there).
    tests/test_hub_db.py proves the migrations build exactly the models' schema
    (`from_models=False` runs them). PostgreSQL always runs the migrations,
    under their lock: several hubs may start on one new database at once."""
    config = alembic_config(database_url)
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            new = not Path(path).exists() or Path(path).stat().st_size == 0
            # Created 0600 before SQLite does, so it never exists readable by others (LGPD).
            private_file(Path(path))
            if new and from_models and revision == "head":
                engine = create_engine(make_url(database_url).set(drivername="sqlite"))
                try:
                    metadata.create_all(engine)
                finally:
                    engine.dispose()
                command.stamp(config, "head")
                return
    command.upgrade(config, revision)
