"""Rasa's SQL tracker store on SQLite, in WAL mode with `synchronous=NORMAL`.

The default deployment (endpoints.yml) keeps Rasa's trackers in a SQLite file.
Rasa's SQLTrackerStore opens it in SQLite's defaults: a rollback journal, and an
fsync on every commit. Rasa saves the tracker once per message, synchronously,
inside its event loop, so each save stalled every conversation for the fsync;
profiled under load (`python -m bench profile`) the commit was the second cost
of a turn after the intent classifier. In WAL mode with `synchronous=NORMAL`
a commit appends to the write-ahead log without waiting for the disk: a crash of
Rasa (or of the hub, which prunes the same file) loses nothing committed; only
the operating system failing can lose the last commits, which the customer would
see as Carolina forgetting that much of the conversation. Readers (the hub's
retention, `GET /conversations/<id>/tracker`) no longer block the writer.
PostgreSQL (endpoints.production.yml, endpoints.cluster.yml) is unaffected.

One connection is kept open per thread instead of one opened per read and per
save.

In endpoints.yml: `type: channels.sqlite_tracker_store.SQLiteTrackerStore` with
the SQL store's own settings (`dialect`, `db`).
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def _on_connect(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class SQLiteTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a SQLite file anew for every session (NullPool):
            # a connection per read and per save, and in WAL mode a checkpoint each
            # time the last one closes. Rasa reads and saves in its event loop's
            # thread, so one connection per thread, kept, serves it.
            url = self.engine.url
            self.engine.dispose()
            self.engine = create_engine(url, poolclass=SingletonThreadPool)
            event.listen(self.engine, "connect", _on_connect)
            self.sessionmaker = sessionmaker(bind=self.engine)
