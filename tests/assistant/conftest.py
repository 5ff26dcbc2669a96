"""The assistant's tests only read what NLU understood (/model/parse). Run from
the hub's session (tests/test_assistant.py) they share its Rasa server
(CAROLINA_TEST_RASA_URL); run alone they start one of their own, without an
action server."""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from tests.conftest import Service, free_port, rasa_run


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory, model_path, server_env) -> Iterator[str]:
    if os.environ.get("CAROLINA_TEST_RASA_URL"):
        yield os.environ["CAROLINA_TEST_RASA_URL"]
        return
    workdir = tmp_path_factory.mktemp("nlu")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text("# NLU only: no action server, an in-memory tracker store\n")
    port = free_port()
    service = Service("rasa-nlu", rasa_run(model_path, endpoints, port), port, "/status", server_env, workdir)
    try:
        yield service.start().url
    finally:
        service.stop()
