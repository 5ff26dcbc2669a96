"""Cluster mode end to end (issue 16, docs/scaling.md): the processes `make
cluster` starts (Procfile.cluster through scripts/cluster.sh: two hubs behind
HAProxy, two Rasa servers on one tracker store and one lock store, the action
server, the mail catcher), on a fresh PostgreSQL database and a Redis namespace
of their own, everything reached through HAProxy.

HAProxy picks a hub by the client's address (`balance source`, for long-polling),
so each simulated browser connects from an address of its own on the loopback
network (127.0.0.x), as customers come from addresses of their own; which hub
it reached is HAProxy's X-Carolina-Hub header (config/haproxy.cfg). Skipped
without PostgreSQL, Redis or HAProxy; under CI=true their absence fails."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import os
import queue
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
import socketio
from sqlalchemy.engine import make_url

from bench.soak import check
from bench.stack import Process
from bot.adapters.rasa_client import ranked
from bot.domain.texts import text as hub_text
from tests.cluster_support import REDIS, missing
from tests.conftest import (
    ACTIONS_TOKEN,
    IDENTITY_SECRET,
    PORTAL_ORIGIN,
    POSTGRES,
    ROOT,
    actions_auth,
    free_port,
)
from tests.test_hub_widget import Customer
from tests.test_live_chat import PASSWORD, WEDNESDAY_LUNCH, Analyst, create_analysts, escalate, expect_text

# PostgreSQL, Redis and HAProxy, reached by the cluster's own processes: no fixture tells.
pytestmark = pytest.mark.cluster


# Long enough for HAProxy to see a hub is gone (about 2 s) and the console to
# reconnect; short enough that an analyst who never comes back is soon replaced.
GRACE_SECONDS = 10
PORTS = ("CLUSTER_PORT", "HUB1_PORT", "HUB2_PORT", "RASA1_PORT", "RASA2_PORT", "ACTIONS_PORT", "SMTP_PORT")


@dataclass
class Cluster:
    env: Dict[str, str]
    processes: Dict[str, Process]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['CLUSTER_PORT']}"

    def kill(self, name: str) -> None:
        self.processes[name].kill(signal.SIGKILL)

    def restart(self, name: str) -> None:
        """Starts a killed process again; a hub, until HAProxy's health check has it back."""
        self.processes[name].start()
        assert self.processes[name].ready(120), self.processes[name].log.read_text()[-3000:]
        deadline = time.monotonic() + 30
        while name.startswith("hub") and name not in {self.hub_for(f"127.0.0.{n}") for n in range(100, 120)}:
            assert time.monotonic() < deadline, f"HAProxy never sent anyone to {name} again"
            time.sleep(0.5)

    def hub_for(self, address: str) -> str:
        """The hub HAProxy sends a client at `address` to."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", int(self.env["CLUSTER_PORT"]), timeout=10, source_address=(address, 0)
        )
        try:
            connection.request("GET", "/api/health")
            return connection.getresponse().getheader("X-Carolina-Hub") or "?"
        finally:
            connection.close()

    def address_on(self, hub: str, taken: List[str]) -> str:
        """An address of the loopback network (not yet in `taken`) whose client HAProxy sends to `hub`."""
        for n in range(100, 250):
            address = f"127.0.0.{n}"
            if address not in taken and self.hub_for(address) == hub:
                taken.append(address)
                return address
        raise AssertionError(f"no address reaches {hub}")


def postgres_admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(f"{POSTGRES}/test", timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def fresh_database() -> str:
    """A database of this run's own (its name also keeps the hubs' Redis keys apart)."""
    import asyncpg

    name = f"carolina_cluster_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        postgres_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as error:
        missing(f"PostgreSQL at {POSTGRES} ({error})")
    return name


def redis_up() -> None:
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        missing(f"Redis at {REDIS} ({error})")
    finally:
        client.close()


def forget_redis_keys(patterns: List[str]) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        for pattern in patterns:
            for key in client.scan_iter(match=pattern):
                client.delete(key)
    finally:
        client.close()


def ready_url(name: str, env: Dict[str, str]) -> str:
    return {
        "rasa1": f"http://127.0.0.1:{env['RASA1_PORT']}/",
        "rasa2": f"http://127.0.0.1:{env['RASA2_PORT']}/",
        "actions": f"http://127.0.0.1:{env['ACTIONS_PORT']}/health",
        "hub1": f"http://127.0.0.1:{env['HUB1_PORT']}/api/health",
        "hub2": f"http://127.0.0.1:{env['HUB2_PORT']}/api/health",
        "haproxy": f"http://127.0.0.1:{env['CLUSTER_PORT']}/api/health",
    }[name]


@pytest.fixture(scope="module")
def cluster(model_path, server_env) -> Iterator[Cluster]:
    if not shutil.which("haproxy"):
        missing("HAProxy (apt-get install haproxy)")
    redis_up()
    database = fresh_database()
    database_url = POSTGRES.replace("postgresql://", "postgresql+asyncpg://") + f"/{database}"
    url, redis = make_url(database_url), make_url(REDIS)
    lock_prefix = f"test{uuid.uuid4().hex[:10]}"
    env = dict(
        server_env,
        PGHOST=url.host or "127.0.0.1",
        PGPORT=str(url.port or 5432),
        PGUSER=url.username or "postgres",
        PGPASSWORD=url.password or "",
        PGDATABASE=database,
        REDIS_HOST=redis.host or "127.0.0.1",
        REDIS_PORT=str(redis.port or 6379),
        REDIS_DB=str(redis.database or 0),
        RASA_LOCK_PREFIX=lock_prefix,
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        CAROLINA_IDENTITY_SECRET=IDENTITY_SECRET,
        RASA_TOKEN="cluster-test-rasa-token",
        CAROLINA_EXTRA_ORIGINS=PORTAL_ORIGIN,
        CAROLINA_CLOCK=WEDNESDAY_LUNCH,
        CAROLINA_AGENT_GRACE_SECONDS=str(GRACE_SECONDS),
        CAROLINA_ABANDON_SECONDS="3",
        CAROLINA_RATE_PER_MINUTE="600",
        CAROLINA_NEW_CONVERSATIONS_PER_MINUTE="6000",
        CAROLINA_IP_RATE_PER_MINUTE="6000",
        **{port: str(free_port()) for port in PORTS},
    )
    processes: Dict[str, Process] = {}
    try:
        prepared = subprocess.run(
            [str(ROOT / "scripts" / "cluster.sh"), "prepare"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        create_analysts(database_url)
        processes = {
            name: Process(name, f"scripts/cluster.sh run {name}", env, ready_url(name, env), "cluster-test")
            for name in ("rasa1", "rasa2", "actions", "hub1", "hub2", "haproxy")
        }
        processes["mail"] = Process("mail", "scripts/cluster.sh run mail", env, "", "cluster-test")
        for process in processes.values():  # all at once: both Rasa servers load their model together
            process.start()
        for name, process in processes.items():
            if name != "mail":
                assert process.ready(300), f"{name} did not start:\n{process.log.read_text()[-3000:]}"
        yield Cluster(env, processes)
    finally:
        for process in processes.values():
            process.kill(signal.SIGTERM)
        postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        forget_redis_keys([f"carolina:{database}:*", f"{lock_prefix}:*"])


class Widget(Customer):
    """A customer's widget on a page of the portal, from its own `address`; it
    keeps what the soak benchmark's record check needs (what it sent, the seqs it got)."""

    def __init__(self, cluster: Cluster, address: str) -> None:
        self.events: queue.Queue[tuple] = queue.Queue()
        self.record: Dict[str, Any] = {"sent": [], "received": [], "errors": 0}
        port = int(cluster.env["CLUSTER_PORT"])
        connection = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(address, 0))
        self.client = socketio.Client(
            reconnection=False, websocket_extra_options={"origin": PORTAL_ORIGIN, "socket": connection}
        )
        names = ("session_confirm", "session_info", "resume_offer", "user_stored", "history", "session_refused")
        for name in (*names, "agent_typing", "queue_position"):
            self.client.on(name, lambda data=None, name=name: self.events.put((name, data)))
        self.client.on("bot_uttered", self.uttered)
        self.client.connect(cluster.url, transports=["websocket"], wait_timeout=10)
        self.hub = self.client.eio.ws.getheaders().get("x-carolina-hub")
        self.session_id: Optional[str] = None
        self.conversation_id: Optional[str] = None

    def uttered(self, data: Dict[str, Any]) -> None:
        seq = (data.get("metadata") or {}).get("seq")
        if seq:
            self.record["received"].append(seq)
        self.events.put(("bot_uttered", data))

    def confirmed(self) -> str:
        self.record["conversation_id"] = super().confirmed()
        return self.record["conversation_id"]

    def say(self, text: str, message_id: Optional[str] = None, **custom: Any) -> List[Dict[str, Any]]:
        self.record["sent"].append(text)
        return super().say(text, message_id, **custom)

    def send(self, text: str) -> None:
        """A message without waiting for what follows (to an analyst, who answers when they answer)."""
        self.record["sent"].append(text)
        self.client.emit(
            "user_uttered", {"message": text, "session_id": self.session_id, "message_id": str(uuid.uuid4())}
        )


class Console(Analyst):
    """An analyst's console: logged in through HAProxy, its /agent socket from its own `address`."""

    def __init__(self, cluster: Cluster, email: str, address: str) -> None:
        self.url, self.address, self.port = cluster.url, address, int(cluster.env["CLUSTER_PORT"])
        self.http = requests.Session()
        reply = self.http.post(f"{self.url}/api/agent/login", json={"email": email, "password": PASSWORD}, timeout=10)
        assert reply.status_code == 200, reply.text
        self.me, self.csrf = reply.json()["agent"], reply.json()["csrf_token"]
        self.events: queue.Queue = queue.Queue()
        self.connect()

    def connect(self) -> None:
        """The console's socket (again, after a hub went: the browser's client reconnects the same way)."""
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=10, source_address=(self.address, 0))
        # The console's pages come from the hub's public address, so the socket's origin is that.
        origin = f"http://localhost:{self.port}"
        self.socket = socketio.Client(
            reconnection=False, websocket_extra_options={"origin": origin, "socket": connection}
        )
        for name in ("handoff_queued", "handoff_taken", "queue_changed", "message", "handoff_ended", "typing"):
            self.socket.on(name, lambda data=None, name=name: self.events.put((name, data)), namespace="/agent")
        self.socket.connect(
            self.url,
            namespaces=["/agent"],
            transports=["websocket"],
            headers={"Cookie": f"carolina_agent={self.http.cookies['carolina_agent']}"},
            wait_timeout=10,
        )
        self.hub = self.socket.eio.ws.getheaders().get("x-carolina-hub")

    def handoff(self, handoff_id: int) -> Dict[str, Any]:
        return self.http.get(f"{self.url}/api/agent/handoffs/{handoff_id}", timeout=10).json()


def apologies(replies: List[Dict[str, Any]]) -> int:
    return sum(1 for r in replies if (r.get("metadata") or {}).get("error"))


@pytest.fixture(scope="module")
def crowd(cluster) -> Iterator[List[Widget]]:
    """The module's twenty customers, each from an address of its own."""
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        widgets = list(pool.map(lambda n: Widget(cluster, f"127.0.0.{n}"), range(10, 30)))
    yield widgets
    for widget in widgets:
        widget.close()


def test_twenty_customers_spread_over_both_hubs_and_talk_to_carolina(cluster, crowd):
    def first_turn(widget: Widget) -> List[Dict[str, Any]]:
        widget.start(language="pt")
        return widget.say("oi, bom dia")

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        turns = list(pool.map(first_turn, crowd))
    hubs = [w.hub for w in crowd]
    assert set(hubs) == {"hub1", "hub2"}, f"HAProxy sent every customer to one hub: {hubs}"
    for replies in turns:
        assert replies and not apologies(replies), replies


def test_a_rasa_server_killed_mid_turn_costs_each_conversation_one_apology_at_most(cluster, crowd):
    servers = [f"http://127.0.0.1:{cluster.env[port]}" for port in ("RASA1_PORT", "RASA2_PORT")]  # RASA_URLS
    assert any(ranked(servers, w.conversation_id or "")[0] == servers[0] for w in crowd), "none on rasa1"
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        turns = [pool.submit(w.say, "como eu altero minha senha do portal?") for w in crowd]
        # Turns are under way (a first one is answered): the others are with Rasa now.
        concurrent.futures.wait(turns, return_when=concurrent.futures.FIRST_COMPLETED)
        cluster.kill("rasa1")
        during = [apologies(turn.result()) for turn in turns]
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        after = list(pool.map(lambda w: w.say("obrigado!"), crowd))
    for widget, replies in zip(crowd, after, strict=True):
        assert replies and not apologies(replies), f"{widget.conversation_id}: {replies}"
    assert max(during) <= 1, during
    # The record check of the soak benchmark: every message once, in order, every reply stored.
    problems = {w.conversation_id: p for w in crowd if (p := check(cluster.url, ACTIONS_TOKEN, w.record))}
    assert not problems, problems


@pytest.fixture(scope="module")
def taken(cluster) -> List[str]:
    """The addresses the live-chat tests' browsers use."""
    return []


def test_an_analyst_on_one_hub_chats_with_a_customer_on_the_other_and_survives_their_hub(cluster, taken):
    ana = Console(cluster, "ana@support.example", cluster.address_on("hub1", taken))
    ana.presence("online")
    customer = Widget(cluster, cluster.address_on("hub2", taken))
    assert (ana.hub, customer.hub) == ("hub1", "hub2")
    customer.start(language="pt")
    escalated = escalate(cluster.url, customer.conversation_id)
    assert escalated.status_code == 201 and escalated.json()["outcome"] == "handoff", escalated.text
    handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == customer.conversation_id)
    assert ana.post(f"/handoffs/{handoff['id']}/accept").status_code == 200
    expect_text(customer, "system", containing="Ana")

    def both_ways(n: int) -> None:
        ana.socket.emit("typing", {"conversation_id": customer.conversation_id}, namespace="/agent")
        assert customer.expect("agent_typing", timeout=15)["name"] == "Ana"
        said = f"Oi Marta, qual é o número da nota? ({n})"
        assert ana.post(f"/handoffs/{handoff['id']}/messages", {"text": said}).status_code == 201
        assert expect_text(customer, "agent", containing=said)["metadata"]["agent_name"] == "Ana"
        customer.client.emit("typing", {})
        assert ana.expect("typing", where=lambda t: t["conversation_id"] == customer.conversation_id)
        customer.send(f"é a nota 4521 ({n})")
        ana.expect("message", where=lambda m: m["text"] == f"é a nota 4521 ({n})")

    both_ways(1)
    cluster.kill("hub1")  # Ana's hub, mid-chat
    deadline = time.monotonic() + GRACE_SECONDS
    while True:  # the console reconnects, as socket.io's client does: HAProxy sends it to hub2
        try:
            ana.connect()
            break
        except socketio.exceptions.ConnectionError:
            assert time.monotonic() < deadline, "the console could not reconnect within the grace period"
            time.sleep(0.5)
    assert ana.hub == "hub2" and time.monotonic() < deadline
    both_ways(2)
    shown = ana.handoff(handoff["id"])
    assert shown["status"] == "accepted" and shown["agent"]["name"] == "Ana", shown
    record = requests.get(
        f"{cluster.url}/api/conversations/{customer.conversation_id}",
        headers=actions_auth(customer.conversation_id),
        timeout=10,
    ).json()
    lost = hub_text("agent_lost", "pt", position=1)
    assert lost not in [m["text"] for m in record["messages"]], "Ana was back in time: the chat stayed hers"
    assert not check(cluster.url, ACTIONS_TOKEN, customer.record), "nothing lost"
    assert ana.post(f"/handoffs/{handoff['id']}/close").status_code == 200
    customer.close()
    ana.close()
    cluster.restart("hub1")


def test_each_deadline_fires_once_across_the_hubs(cluster, taken):
    """Bruno drops for good (grace), then the customer leaves (abandon): both
    hubs run their job loops, and each deadline does its work once."""
    bruno = Console(cluster, "bruno@support.example", cluster.address_on("hub1", taken))
    bruno.presence("online")
    customer = Widget(cluster, cluster.address_on("hub2", taken))
    customer.start(language="pt")
    escalate(cluster.url, customer.conversation_id)
    handoff = bruno.expect("handoff_queued", where=lambda h: h["conversation_id"] == customer.conversation_id)
    assert bruno.post(f"/handoffs/{handoff['id']}/accept").status_code == 200
    expect_text(customer, "system", containing="Bruno")
    bruno.socket.disconnect()  # the browser is gone for good
    lost = hub_text("agent_lost", "pt", position=1)
    expect_text(customer, "system", timeout=GRACE_SECONDS + 60, containing=lost)
    customer.close()  # and the customer leaves: the chat is abandoned
    deadline = time.monotonic() + 60
    while bruno.handoff(handoff["id"])["status"] != "abandoned":
        assert time.monotonic() < deadline, "the abandon deadline never fired"
        time.sleep(0.5)
    messages = requests.get(
        f"{cluster.url}/api/conversations/{customer.conversation_id}",
        headers=actions_auth(customer.conversation_id),
        timeout=10,
    ).json()["messages"]
    assert [m["text"] for m in messages].count(lost) == 1, "the grace deadline fired once"
    assert not check(cluster.url, ACTIONS_TOKEN, customer.record)
