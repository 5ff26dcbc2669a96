"""The endpoints files Rasa reads in production and in cluster mode take their
values from the environment: Rasa substitutes ${VAR} in plain YAML values
only, so a quoted "${DB_PORT}" reached the server as written and it refused
to start."""

from __future__ import annotations

import pytest
from rasa.utils.endpoints import read_endpoint_config

from tests.conftest import ROOT

ENV = {
    "ACTION_SERVER_URL": "http://actions:5055/webhook",
    "DB_HOST": "db.internal",
    "DB_PORT": "5432",
    "DB_NAME": "carolina",
    "DB_USER": "rasa",
    "DB_PASSWORD": "secret",
    "REDIS_HOST": "redis.internal",
    "REDIS_PORT": "6379",
    "REDIS_DB": "1",
    "RASA_LOCK_PREFIX": "carolina",
}


@pytest.mark.parametrize("name", ["endpoints.production.yml", "endpoints.cluster.yml"])
def test_every_value_comes_from_the_environment(name, monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    path = str(ROOT / name)
    tracker = read_endpoint_config(path, "tracker_store")
    locks = read_endpoint_config(path, "lock_store")
    action = read_endpoint_config(path, "action_endpoint")
    assert action is not None and action.url == ENV["ACTION_SERVER_URL"]
    assert tracker is not None and tracker.url == ENV["DB_HOST"]
    assert str(tracker.kwargs["port"]) == ENV["DB_PORT"] and tracker.kwargs["password"] == ENV["DB_PASSWORD"]
    assert locks is not None and locks.url == ENV["REDIS_HOST"] and str(locks.kwargs["port"]) == ENV["REDIS_PORT"]
    unresolved = [key for key, value in {**tracker.kwargs, **locks.kwargs}.items() if "${" in str(value)]
    assert not unresolved
