"""The assistant's tests only read what NLU understood (/model/parse). Run from
the hub's session (tests/test_assistant.py) they share its Rasa server
(CAROLINA_TEST_RASA_URL); run alone they start one of their own, without an
action server."""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from tests.conftest import BIN, ROOT, Service, free_port


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory, model_path, server_env) -> Iterator[str]:
    if os.environ.get("CAROLINA_TEST_RASA_URL"):
        yield os.environ["CAROLINA_TEST_RASA_URL"]
        return
    workdir = tmp_path_factory.mktemp("nlu")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text("# NLU only: no action server, an in-memory tracker store\n")
    port = free_port()
    args = [str(BIN / "rasa"), "run", "--model", str(model_path), "--endpoints", str(endpoints), "--enable-api"]
    args += ["--credentials", str(ROOT / "credentials.yml"), "--interface", "127.0.0.1", "--port", str(port)]
    service = Service("rasa-nlu", args, port, "/status", server_env, workdir)
    try:
        yield service.start().url
    finally:
        service.stop()
