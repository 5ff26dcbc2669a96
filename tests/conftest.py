"""Shared fixtures: one trained model and one Rasa + action server per test session.

`make test` trains the model before pytest starts (only when the training data
changed); running pytest alone trains it here if it is missing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from bench.stack import ASSISTANT_BIN, HUB_PYTHON

ROOT = Path(__file__).resolve().parent.parent
# Every hub the tests start (and the benchmarks they run) checks each JSON reply
# against its model (bot/web/replies.py): the whole suite proves the API document.
os.environ.setdefault("CAROLINA_CHECK_REPLIES", "1")


def _cheap_password_hashes() -> None:
    """argon2 at its production cost is the point in production, not in the
    in-process hubs of tests that log in hundreds of times (0.12 s of CPU each,
    25 s of the fast layer). A hash carries its parameters, so hashes made either
    way verify either way; hubs in their own processes keep the real cost.
    (tests/assistant runs in the assistant's environment, without the hub.)"""
    try:
        from argon2 import PasswordHasher

        import bot.domain.agents
    except ImportError:
        return

    bot.domain.agents._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


_cheap_password_hashes()
MODEL = ROOT / "models" / "carolina.tar.gz"
# Rasa and the action server run in the assistant's environment, the hub in its own.
BIN = ASSISTANT_BIN


# The layers of the suite (pyproject.toml registers them as markers). A test is
# marked by the fixtures it asks for, so a new test lands in the right layer
# without anyone remembering to mark it; an unmarked test is the fast layer
# (`make test-fast`): no model, no processes, no browser, no PostgreSQL/Redis.
LAYER_OF_FIXTURE = {
    "model_path": "model",
    "rasa_service": "model",
    "action_service": "model",
    "browser": "browser",
    "server_env": "processes",  # every hub, Rasa or action server process starts with it
    "postgres_url": "cluster",
    "redis_url": "cluster",
}
# `make test-fast` sets this: a fast test that reaches the model or starts a
# process fails saying so, instead of training a model for ten minutes or
# starting Rasa (its layer's marker is missing: a test that runs a command
# line says `@pytest.mark.processes` itself, no fixture tells).
FAST_ONLY = os.environ.get("CAROLINA_TEST_FAST_ONLY") == "1"


def refuse_in_fast_layer(what: str) -> None:
    if FAST_ONLY:
        pytest.fail(f"{what} under CAROLINA_TEST_FAST_ONLY=1: the fast layer needs no model and starts no process")


def pytest_configure(config: pytest.Config) -> None:
    if FAST_ONLY:
        popen = subprocess.Popen.__init__

        def refused(self: subprocess.Popen, args: Any, *rest: Any, **kwargs: Any) -> None:
            refuse_in_fast_layer(f"a process was about to start ({str(args)[:80]})")
            popen(self, args, *rest, **kwargs)

        subprocess.Popen.__init__ = refused  # type: ignore[method-assign]


def direct_parameters(item: pytest.Item) -> set:
    """Names a test is parametrized with directly (test_headers' `page`), which are not fixtures."""
    names: set = set()
    for mark in item.iter_markers("parametrize"):
        if mark.kwargs.get("indirect"):
            continue
        argnames = mark.args[0]
        names.update(argnames.split(",") if isinstance(argnames, str) else argnames)
    return {name.strip() for name in names}


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ())) - direct_parameters(item)
        layers = {LAYER_OF_FIXTURE[name] for name in fixtures if name in LAYER_OF_FIXTURE}
        # `database_url` and the reports' `month` run once per database kind.
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            layers.add("cluster")
        for layer in sorted(layers):
            item.add_marker(layer)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A server process of the project on a loopback port, with its log.

    Tests that need to kill and restart a server (to prove nothing is lost)
    call stop() and start() on the session's instance."""

    def __init__(self, name: str, args: List[str], port: int, ready_path: str, env: dict, logdir: Path) -> None:
        self.name, self.args, self.port, self.ready_path, self.env = name, args, port, ready_path, env
        self.log = logdir / f"{name}.log"
        self.url = f"http://127.0.0.1:{port}"
        self.process: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 300) -> Service:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} died on start:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + self.ready_path, timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not up after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def model_path() -> Path:
    refuse_in_fast_layer("the trained model was asked for")
    if not MODEL.exists():
        subprocess.run(
            [str(BIN / "rasa"), "train", "--fixed-model-name", "carolina", "--out", "models"],
            cwd=ROOT,
            check=True,
        )
    return MODEL


@pytest.fixture(scope="session")
def server_env() -> dict:
    refuse_in_fast_layer("a server process was about to start")
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


@pytest.fixture(scope="session")
def hub_port() -> int:
    """Chosen first: the action server must know where the hub's API will be."""
    return free_port()


@pytest.fixture(scope="session")
def rasa_port() -> int:
    """Chosen first too: the action server reads the parts of a two-question message with Rasa's NLU."""
    return free_port()


@pytest.fixture(scope="session")
def action_service(tmp_path_factory, server_env, hub_port, rasa_port) -> Iterator[Service]:
    port = free_port()
    service = Service(
        "actions",
        [str(BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        port,
        "/health",
        dict(
            server_env,
            SANIC_HOST="127.0.0.1",
            CAROLINA_HUB_URL=f"http://127.0.0.1:{hub_port}",
            CAROLINA_RASA_URL=f"http://127.0.0.1:{rasa_port}",
            CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        ),
        tmp_path_factory.mktemp("actions"),
    )
    try:
        yield service.start(timeout=120)
    finally:
        service.stop()


def rasa_run(model: Path, endpoints: Path, port: int) -> List[str]:
    """`rasa run` with the model, the hub's credentials and the HTTP API, on a loopback port."""
    args = [str(BIN / "rasa"), "run", "--model", str(model), "--endpoints", str(endpoints), "--enable-api"]
    return args + ["--credentials", str(ROOT / "credentials.yml"), "--interface", "127.0.0.1", "--port", str(port)]


@pytest.fixture(scope="session")
def rasa_service(tmp_path_factory, model_path, action_service, server_env, rasa_port) -> Iterator[Service]:
    """A real `rasa run` with the trained model, REST channel and HTTP API on loopback."""
    workdir = tmp_path_factory.mktemp("rasa")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "{action_service.url}/webhook"\n'
        f'tracker_store:\n  type: channels.sqlite_tracker_store.SQLiteTrackerStore\n  dialect: "sqlite"\n'
        f'  db: "{workdir / "tracker.db"}"\n'
    )
    service = Service("rasa", rasa_run(model_path, endpoints, rasa_port), rasa_port, "/status", server_env, workdir)
    try:
        yield service.start()
    finally:
        service.stop()


@pytest.fixture(scope="session")
def rasa_server(rasa_service) -> str:
    return rasa_service.url


IDENTITY_SECRET = "test-identity-secret"
ACTIONS_TOKEN = "test-actions-token"


ADMIN_EMAIL, ADMIN_PASSWORD = "admin@support.example", "the test administrator's password"


def set_status_in_console(hub_url: str, number: str, status: str) -> None:
    """Support changes a ticket's status in the console (the action server may not)."""
    login = requests.post(
        f"{hub_url}/api/agent/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
    )
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    changed = requests.post(
        f"{hub_url}/api/agent/tickets/{number}/status", json={"status": status}, headers=bearer, timeout=10
    )
    assert changed.status_code == 200, changed.text


def actions_auth(conversation_id: str) -> Dict[str, str]:
    """The headers the action server sends about one conversation: the token the
    hub put in that conversation's messages to Rasa (common/actions_token.py)."""
    from common.actions_token import conversation_token

    return {"Authorization": f"Bearer {conversation_token(ACTIONS_TOKEN, conversation_id)}"}


PORTAL_ORIGIN = "http://portal.test"


class PortalServer:
    """Serves the test portal pages (another origin than the hub, like a real portal)."""

    def __init__(self, root: Path) -> None:
        import functools
        import http.server
        import threading

        self.root = root
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *args: None  # type: ignore[assignment]
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory) -> Iterator[PortalServer]:
    server = PortalServer(tmp_path_factory.mktemp("portal"))
    yield server
    server.httpd.shutdown()


class MailServer:
    """A real SMTP server (aiosmtpd) in the test process; `messages` is what arrived."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: List[Any] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> List[Any]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    yield server
    server.controller.stop()


@pytest.fixture(scope="session")
def hub_service(tmp_path_factory, rasa_service, server_env, portal_server, hub_port, mail_server) -> Iterator[Service]:
    """The hub (`python -m bot serve`) on a fresh SQLite file, talking to the real
    Rasa, sending e-mail to the test's SMTP server."""
    workdir = tmp_path_factory.mktemp("hub")
    port = hub_port
    env = dict(
        server_env,
        CAROLINA_PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'hub.db'}",
        RASA_URL=rasa_service.url,
        RASA_TIMEOUT="30",
        # The Rasa's own tracker store, which the hub's retention and erasure reach too.
        CAROLINA_TRACKER_STORE_URL=f"sqlite+aiosqlite:///{rasa_service.log.parent / 'tracker.db'}",
        CAROLINA_IDENTITY_SECRET=IDENTITY_SECRET,
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        # Support's side of a ticket (its status) is the console's: close_in_console.
        CAROLINA_ADMIN_EMAIL=ADMIN_EMAIL,
        CAROLINA_ADMIN_PASSWORD=ADMIN_PASSWORD,
        CAROLINA_ALLOWED_ORIGINS=f"{PORTAL_ORIGIN},{portal_server.origin}",
        SMTP_URL=f"smtp://127.0.0.1:{mail_server.port}",
        # Scripted customers answer as fast as Carolina replies (a turn takes
        # tens of milliseconds: twenty in a second or two for an intake), far
        # faster than people; the burst stays at its default of 10.
        CAROLINA_RATE_PER_MINUTE="6000",
        # The whole suite starts its conversations from 127.0.0.1, many a minute.
        CAROLINA_NEW_CONVERSATIONS_PER_MINUTE="6000",
        # And sends its messages and opens its sockets from there (limits per address).
        CAROLINA_IP_RATE_PER_MINUTE="6000",
        # A Wednesday at 12:30 in Brasília: technical support open, the
        # administrative queue at lunch (tests/test_handoff_conversation.py).
        CAROLINA_CLOCK="2026-12-02T12:30:00-03:00",
    )
    service = Service("hub", [str(HUB_PYTHON), "-m", "bot", "serve"], port, "/api/health", env, workdir)
    try:
        yield service.start(timeout=120)
    finally:
        service.stop()


# A real PostgreSQL for the database tests (skipped without one, except under CI=true).
POSTGRES = os.environ.get("CAROLINA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def postgres_database():
    import asyncpg

    name = f"carolina_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(f"{POSTGRES}/test", timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {POSTGRES} is required under CI: {error}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES}: {error}")
    url = POSTGRES.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    return url, lambda: asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
        return
    url, drop = postgres_database()
    try:
        yield url
    finally:
        drop()
