"""The default tracker store (endpoints.yml) is Rasa's SQL store on SQLite in
WAL mode without an fsync per commit (channels/sqlite_tracker_store.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event

from channels.sqlite_tracker_store import SQLiteTrackerStore

ROOT = Path(__file__).resolve().parents[2]


def store_of_endpoints_yml(db: Path) -> TrackerStore:
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]
    config["db"] = str(db)
    return TrackerStore.create(EndpointConfig.from_dict(config), Domain.empty())


def test_endpoints_yml_gives_the_sqlite_store_in_wal_mode_without_fsync_per_commit(tmp_path):
    store = store_of_endpoints_yml(tmp_path / "tracker.db")
    # A misspelt type would silently give Rasa's InMemoryTrackerStore.
    assert isinstance(store, SQLiteTrackerStore)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_what_is_saved_is_read_back_on_one_kept_connection(tmp_path):
    store = store_of_endpoints_yml(tmp_path / "tracker.db")
    connects = []
    event.listen(store.engine, "connect", lambda *_: connects.append(1))
    tracker = DialogueStateTracker.from_events("c1", [UserUttered("oi"), SlotSet("language", "pt")])
    asyncio.run(store.save(tracker))
    for _ in range(3):
        asyncio.run(store.retrieve("c1"))
    assert len(connects) <= 1, "a new SQLite connection for every read and save"
    again = asyncio.run(store_of_endpoints_yml(tmp_path / "tracker.db").retrieve("c1"))
    assert again is not None
    assert [(e.as_dict()["event"], e.as_dict().get("value")) for e in again.events] == [("user", None), ("slot", "pt")]
