"""Live chat in the hub, end to end over HTTP and socket.io: customers on the
widget protocol, analysts on the agent API and its /agent namespace, the
action server's side played by POST /api/escalations. Hubs here run without
Rasa (nothing in live chat goes through Carolina) and with a fixed clock, so
every case is the same at 3 p.m. and at 3 a.m.; tests/test_handoff_conversation.py
goes through the real model."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.server
import json
import queue
import threading
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import socketio

from bot.db.migrate import upgrade
from bot.db.session import make_engine, make_sessions
from bot.domain.agents import create_agent
from bot.domain.identity import Identity, sign
from tests.conftest import ACTIONS_TOKEN, HUB_PYTHON, IDENTITY_SECRET, PORTAL_ORIGIN, Service, actions_auth, free_port
from tests.test_hub_widget import Customer

PASSWORD = "correct horse battery"
# A Wednesday at 12:30 in Brasília: technical support open, the administrative queue at lunch.
WEDNESDAY_LUNCH = "2026-12-02T12:30:00-03:00"


def start_hub(tmp_path_factory, server_env, name: str, clock: str, **extra: str) -> Service:
    workdir = tmp_path_factory.mktemp(name)
    port = free_port()
    env = dict(
        server_env,
        CAROLINA_PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'hub.db'}",
        RASA_URL=f"http://127.0.0.1:{free_port()}",  # nobody there: live chat does not need Carolina
        CAROLINA_IDENTITY_SECRET=IDENTITY_SECRET,
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        CAROLINA_ALLOWED_ORIGINS=PORTAL_ORIGIN,
        CAROLINA_OUTBOX=str(workdir / "outbox"),
        CAROLINA_CLOCK=clock,
        CAROLINA_RATE_PER_MINUTE="600",
        CAROLINA_NEW_CONVERSATIONS_PER_MINUTE="6000",
        CAROLINA_IP_RATE_PER_MINUTE="6000",  # every customer of the module comes from 127.0.0.1
        CAROLINA_AGENT_GRACE_SECONDS="1",
        CAROLINA_ABANDON_SECONDS="1",
    )
    env.update(extra)
    create_analysts(env["DATABASE_URL"])
    return Service(name, [str(HUB_PYTHON), "-m", "bot", "serve"], port, "/api/health", env, workdir).start(timeout=60)


ANALYSTS = (
    ("ana@support.example", "Ana", ["technical_support", "cloud"]),
    ("bruno@support.example", "Bruno", ["technical_support"]),
    ("carla@support.example", "Carla", ["administrative"]),
)


def create_analysts(database_url: str) -> None:
    """What `python -m bot agents create` does, for three analysts in one go."""
    upgrade(database_url)

    async def create() -> None:
        engine = make_engine(database_url)
        async with make_sessions(engine).begin() as session:
            for email, name, queues in ANALYSTS:
                await create_agent(session, email, name, PASSWORD, queues)
        await engine.dispose()

    asyncio.run(create())


@pytest.fixture(scope="module")
def hub(tmp_path_factory, server_env) -> Iterator[Service]:
    service = start_hub(tmp_path_factory, server_env, "live-hub", WEDNESDAY_LUNCH)
    yield service
    service.stop()


class Analyst:
    """An analyst's browser: the session cookie and CSRF token over HTTP, and the /agent socket."""

    def __init__(self, hub_url: str, email: str) -> None:
        self.url = hub_url
        self.http = requests.Session()
        reply = self.http.post(f"{hub_url}/api/agent/login", json={"email": email, "password": PASSWORD}, timeout=10)
        assert reply.status_code == 200, reply.text
        self.me, self.csrf = reply.json()["agent"], reply.json()["csrf_token"]
        self.events: queue.Queue = queue.Queue()
        # The console's pages come from the hub, so the socket's origin is the hub's public address.
        public = f"http://localhost:{hub_url.rsplit(':', 1)[1]}"
        self.socket = socketio.Client(reconnection=False, websocket_extra_options={"origin": public})
        for name in ("handoff_queued", "handoff_taken", "queue_changed", "message", "handoff_ended"):
            self.socket.on(name, lambda data=None, name=name: self.events.put((name, data)), namespace="/agent")
        self.socket.connect(
            hub_url,
            namespaces=["/agent"],
            transports=["websocket"],
            headers={"Cookie": f"carolina_agent={self.http.cookies['carolina_agent']}"},
            wait_timeout=10,
        )

    def post(self, path: str, body: Optional[Dict[str, Any]] = None, csrf: bool = True) -> requests.Response:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return self.http.post(f"{self.url}/api/agent{path}", json=body or {}, headers=headers, timeout=10)

    def presence(self, value: str) -> None:
        reply = self.http.put(
            f"{self.url}/api/agent/presence", json={"presence": value}, headers={"X-CSRF-Token": self.csrf}, timeout=10
        )
        assert reply.status_code == 200, reply.text

    def expect(self, name: str, timeout: float = 15, where=lambda data: True) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            event, data = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            if event == name and where(data):
                return data

    def close(self) -> None:
        self.presence("offline")
        self.socket.disconnect()


def logged_customer(hub_url: str, language: str = "pt") -> Customer:
    customer = Customer(hub_url)
    for name in ("queue_position", "agent_typing"):
        customer.client.on(name, lambda data=None, name=name: customer.events.put((name, data)))
    token = sign(
        Identity(
            f"c-{uuid.uuid4().hex[:8]}", name="Marta", email="marta@acme.example", company="ACME", language=language
        ),
        IDENTITY_SECRET,
    )
    customer.start(token=token, language=language)
    return customer


def send(customer: Customer, text: str) -> None:
    customer.client.emit(
        "user_uttered", {"message": text, "session_id": customer.session_id, "message_id": str(uuid.uuid4())}
    )


def expect_text(customer: Customer, sender: str, timeout: float = 15, containing: str = "") -> Dict[str, Any]:
    """The next message from `sender` (with `containing` in it) the customer's widget shows."""
    deadline = time.monotonic() + timeout
    while True:
        event, data = customer.events.get(timeout=max(0.1, deadline - time.monotonic()))
        if event == "bot_uttered" and data.get("metadata", {}).get("from") == sender and containing in data["text"]:
            return data


def escalate(
    hub_url: str, conversation_id: str, queue_name: Optional[str] = None, ticket: bool = False
) -> requests.Response:
    body: Dict[str, Any] = {
        "conversation_id": conversation_id,
        "reason": "the invoice screen freezes when I save",
        "language": "pt",
        "form_turn": str(uuid.uuid4()),
    }
    if queue_name:
        body["queue"] = queue_name
    if ticket:
        body["ticket"] = {
            "fields": {"summary": "Invoice screen freezes on save", "description": "It freezes every time I save."},
            "impact": "medium",
            "urgency": "high",
        }
    return requests.post(f"{hub_url}/api/escalations", json=body, headers=actions_auth(conversation_id), timeout=10)


def conversation(hub_url: str, conversation_id: str) -> Dict[str, Any]:
    reply = requests.get(
        f"{hub_url}/api/conversations/{conversation_id}", headers=actions_auth(conversation_id), timeout=10
    )
    return reply.json()


@pytest.fixture
def ana(hub) -> Iterator[Analyst]:
    analyst = Analyst(hub.url, "ana@support.example")
    analyst.presence("online")
    yield analyst
    analyst.close()


def test_a_whole_live_chat(hub, ana):
    customer = logged_customer(hub.url)
    result = escalate(hub.url, customer.conversation_id)
    assert result.status_code == 201, result.text
    assert result.json()["outcome"] == "handoff" and result.json()["position"] == 1
    handoff = ana.expect("handoff_queued")
    assert handoff["conversation_id"] == customer.conversation_id and handoff["queue"] == "technical_support"
    assert handoff["reason"] and handoff["customer"]["company"] == "ACME" and handoff["transcript_url"]

    # While waiting the customer keeps writing; the analyst reads it on accepting.
    send(customer, "it started after this morning's update")
    customer.expect("user_stored")
    taken = ana.post(f"/handoffs/{handoff['id']}/accept")
    assert taken.status_code == 200, taken.text
    assert "it started after this morning's update" in [m["text"] for m in taken.json()["transcript"]]
    joined = expect_text(customer, "system")
    assert "Ana" in joined["text"]

    assert (
        ana.post(f"/handoffs/{handoff['id']}/messages", {"text": "Hi Marta, which invoice number?"}).status_code == 201
    )
    said = expect_text(customer, "agent")
    assert said["text"] == "Hi Marta, which invoice number?" and said["metadata"]["agent_name"] == "Ana"
    send(customer, "number 4521")
    heard = ana.expect("message", where=lambda m: m["metadata"]["from"] == "customer")
    assert heard["text"] == "number 4521" and heard["conversation_id"] == customer.conversation_id

    assert ana.post(f"/handoffs/{handoff['id']}/close").status_code == 200
    survey = expect_text(customer, "system")
    assert "0 a 10" in survey["text"] and len(survey["quick_replies"]) == 11
    send(customer, "9")
    expect_text(customer, "system")
    record = conversation(hub.url, customer.conversation_id)
    assert record["mode"] == "bot" and record["satisfaction"] == 9
    senders = [m["sender"] for m in record["messages"]]
    assert senders.count("agent") == 1 and senders.count("customer") == 3
    customer.close()


def test_two_analysts_accept_at_once_and_exactly_one_wins(hub, ana):
    bruno = Analyst(hub.url, "bruno@support.example")
    bruno.presence("online")
    try:
        customer = logged_customer(hub.url)
        assert escalate(hub.url, customer.conversation_id).json()["outcome"] == "handoff"
        handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == customer.conversation_id)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(lambda a: a.post(f"/handoffs/{handoff['id']}/accept"), [ana, bruno]))
        assert sorted(r.status_code for r in replies) == [200, 409]
        winner = ana if replies[0].status_code == 200 else bruno
        assert winner.post(f"/handoffs/{handoff['id']}/release").status_code == 200
        customer.close()
    finally:
        bruno.close()


def test_the_analyst_drops_and_the_customer_goes_back_in_line(hub, ana):
    bruno = Analyst(hub.url, "bruno@support.example")
    bruno.presence("online")
    customer = logged_customer(hub.url)
    escalate(hub.url, customer.conversation_id)
    handoff = bruno.expect("handoff_queued", where=lambda h: h["conversation_id"] == customer.conversation_id)
    assert bruno.post(f"/handoffs/{handoff['id']}/accept").status_code == 200
    expect_text(customer, "system")  # Bruno joined
    bruno.socket.disconnect()  # the browser is gone; the grace period is 1 s here
    lost = expect_text(customer, "system")
    assert "posição 1" in lost["text"]
    again = ana.expect("handoff_queued", where=lambda h: h["id"] == handoff["id"])
    assert again["status"] == "queued" and again["agent"] is None
    assert ana.post(f"/handoffs/{handoff['id']}/accept").status_code == 200
    assert ana.post(f"/handoffs/{handoff['id']}/release").status_code == 200
    customer.close()


def chat_then_leave(hub_url: str, ana: Analyst, text: str) -> Tuple[str, Dict[str, Any], Dict[str, Any]]:
    """A customer Ana takes, who writes `text` and leaves: (conversation id, handoff, the end Ana is told of)."""
    customer = logged_customer(hub_url)
    escalate(hub_url, customer.conversation_id)
    handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == customer.conversation_id)
    assert ana.post(f"/handoffs/{handoff['id']}/accept").status_code == 200
    send(customer, text)
    ana.expect("message", where=lambda m: m["text"] == text)
    customer.close()
    return customer.conversation_id, handoff, ana.expect("handoff_ended", timeout=15)


def test_a_customer_who_leaves_abandons_the_chat_and_the_transcript_stays(hub, ana):
    _, handoff, ended = chat_then_leave(hub.url, ana, "one moment, I'll check")
    assert ended == {"id": handoff["id"], "status": "abandoned"}
    shown = ana.http.get(f"{hub.url}/api/agent/handoffs/{handoff['id']}", timeout=10).json()
    assert shown["status"] == "abandoned" and "one moment, I'll check" in [m["text"] for m in shown["transcript"]]


def test_the_customer_chooses_a_ticket_instead_of_waiting(hub, ana):
    customer = logged_customer(hub.url)
    escalate(hub.url, customer.conversation_id)
    ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == customer.conversation_id)
    send(customer, "/open_ticket")
    made = expect_text(customer, "system")
    number = made["text"].split("chamado ")[1].split()[0]
    ticket = requests.get(
        f"{hub.url}/api/tickets/{number}",
        params={"conversation_id": customer.conversation_id},
        headers=actions_auth(customer.conversation_id),
        timeout=10,
    ).json()
    assert ticket["queue"] == "technical_support" and ticket["summary"] == "the invoice screen freezes when I save"
    assert conversation(hub.url, customer.conversation_id)["mode"] == "bot"
    customer.close()


def test_transfer_and_a_ticket_made_by_the_analyst(hub, ana):
    carla = Analyst(hub.url, "carla@support.example")
    try:
        customer = logged_customer(hub.url)
        escalate(hub.url, customer.conversation_id, ticket=True)
        handoff = ana.expect("handoff_queued", where=lambda h: h["conversation_id"] == customer.conversation_id)
        assert ana.post(f"/handoffs/{handoff['id']}/accept").status_code == 200
        expect_text(customer, "system")  # Ana joined
        # Carla (administrative) cannot read or take a technical chat.
        assert carla.http.get(f"{hub.url}/api/agent/handoffs/{handoff['id']}", timeout=10).status_code == 403
        moved = ana.post(f"/handoffs/{handoff['id']}/transfer", {"queue": "administrative"})
        assert moved.status_code == 200 and moved.json()["queue"] == "administrative"
        assert "administrativo" in expect_text(customer, "system")["text"]
        carla.presence("online")
        assert carla.post(f"/handoffs/{handoff['id']}/accept").status_code == 200
        made = carla.post(f"/handoffs/{handoff['id']}/ticket")
        assert made.status_code == 201 and made.json()["ticket"] and made.json()["status"] == "closed"
        assert carla.post(f"/handoffs/{handoff['id']}/ticket").json()["ticket"] == made.json()["ticket"], "one ticket"
        expect_text(customer, "system", containing=made.json()["ticket"])
        customer.close()
    finally:
        carla.close()


def test_outside_hours_and_nobody_online_are_tickets(hub):
    customer = logged_customer(hub.url)
    # 12:30: the administrative queue is at lunch until 13:30.
    reply = escalate(hub.url, customer.conversation_id, "administrative", ticket=True)
    assert reply.status_code == 201, reply.text
    data = reply.json()
    assert data["outcome"] == "ticket" and data["decision"]["why"] == "closed"
    assert "13:30" in data["decision"]["opens"] and data["ticket"]["number"]
    assert data["ticket"]["queue"] == "administrative"
    # Technical support is open, but nobody is online: without a ticket in the request, "unavailable".
    other = logged_customer(hub.url)
    reply = escalate(hub.url, other.conversation_id)
    assert reply.json()["outcome"] == "unavailable" and reply.json()["decision"]["why"] == "nobody_online"
    assert conversation(hub.url, other.conversation_id)["mode"] == "bot"
    customer.close()
    other.close()


def test_the_agent_api_refuses_strangers_forged_requests_and_guessers(hub):
    assert requests.get(f"{hub.url}/api/agent/handoffs", timeout=10).status_code == 401
    ana = requests.Session()
    login = ana.post(
        f"{hub.url}/api/agent/login", json={"email": "ana@support.example", "password": PASSWORD}, timeout=10
    )
    # With the cookie but without the CSRF token (a forged cross-site form), nothing changes.
    assert ana.put(f"{hub.url}/api/agent/presence", json={"presence": "online"}, timeout=10).status_code == 403
    # A script with the bearer token needs no CSRF token.
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    assert requests.get(f"{hub.url}/api/agent/me", headers=bearer, timeout=10).json()["agent"]["presence"] == "offline"
    for _ in range(5):
        wrong = requests.post(
            f"{hub.url}/api/agent/login", json={"email": "bruno@support.example", "password": "guess"}, timeout=10
        )
        assert wrong.status_code == 401
    # Five failures from here slow this address down for Bruno's e-mail (tests/security/test_login_abuse.py);
    # nothing locks Bruno out.
    bruno = {"email": "bruno@support.example", "password": PASSWORD}
    throttled = requests.post(f"{hub.url}/api/agent/login", json=bruno, timeout=10)
    assert throttled.status_code == 429 and throttled.json()["error"] == "throttled"
    time.sleep(int(throttled.headers["Retry-After"]))
    assert requests.post(f"{hub.url}/api/agent/login", json=bruno, timeout=10).status_code == 200
    logout = ana.post(f"{hub.url}/api/agent/logout", headers={"X-CSRF-Token": login.json()["csrf_token"]}, timeout=10)
    assert logout.status_code == 200
    assert requests.get(f"{hub.url}/api/agent/me", headers=bearer, timeout=10).status_code == 401


def test_a_national_holiday_is_a_ticket(tmp_path_factory, server_env):
    christmas = start_hub(tmp_path_factory, server_env, "holiday-hub", "2026-12-25T10:00:00-03:00")
    try:
        analyst = Analyst(christmas.url, "ana@support.example")
        analyst.presence("online")
        customer = logged_customer(christmas.url)
        data = escalate(christmas.url, customer.conversation_id, ticket=True).json()
        assert data["outcome"] == "ticket" and data["decision"]["why"] == "holiday" and data["decision"]["holiday"]
        assert "28/12" in data["decision"]["opens"]
        customer.close()
        analyst.close()
    finally:
        christmas.stop()


def test_the_queue_closes_while_the_customer_waits(tmp_path_factory, server_env):
    # A running clock that reaches 19:00 (technical support closes) a few seconds after start.
    evening = start_hub(
        tmp_path_factory,
        server_env,
        "closing-hub",
        "2026-12-02T18:59:54-03:00",
        CAROLINA_CLOCK_RUNNING="1",
        CAROLINA_QUEUE_CHECK_SECONDS="0.5",
    )
    try:
        analyst = Analyst(evening.url, "ana@support.example")
        analyst.presence("online")
        customer = logged_customer(evening.url)
        assert escalate(evening.url, customer.conversation_id, ticket=True).json()["outcome"] == "handoff"
        offer = expect_text(customer, "system", timeout=30)
        assert "encerrou" in offer["text"] and offer["quick_replies"][0]["payload"] == "/open_ticket"
        send(customer, "/open_ticket")
        made = expect_text(customer, "system")
        assert "chamado" in made["text"]
        record = conversation(evening.url, customer.conversation_id)
        assert record["mode"] == "bot"
        customer.close()
        analyst.close()
    finally:
        evening.stop()


def test_after_a_hub_restart_analysts_who_do_not_come_back_go_offline(hub):
    # (Carla: Bruno's account is the one the password-guessing test guesses at.)
    carla = Analyst(hub.url, "carla@support.example")
    carla.socket.disconnect()
    time.sleep(1.5)  # the grace period after the socket dropped is over
    carla.presence("online")  # marked online, with no socket and no timer running
    hub.stop()
    hub.start(timeout=60)
    time.sleep(2.5)  # the grace period (1 s here) runs again from the restart
    me = carla.http.get(f"{hub.url}/api/agent/me", timeout=10).json()["agent"]
    assert me["presence"] == "offline"


class FakeRasa(http.server.ThreadingHTTPServer):
    """Rasa's hub channel, played: records what it is asked; a first "wait" keeps the hub waiting."""

    daemon_threads = True

    def __init__(self) -> None:
        self.asked: List[str] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the readiness check
                self.answer({"status": "ok"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.asked.append(body["message"])
                if fake.asked == ["wait"]:  # the first time only
                    time.sleep(30)
                self.answer({"messages": [{"text": f"Carolina on {body['message']!r}"}], "nlu": {}})

            def answer(self, data: Dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def test_after_a_crash_carolina_answers_what_she_owed_and_nothing_meant_for_an_analyst(tmp_path_factory, server_env):
    fake = FakeRasa()
    hub = start_hub(tmp_path_factory, server_env, "catch-up-hub", WEDNESDAY_LUNCH, RASA_URL=fake.url)
    try:
        # A line for the analyst, then the customer leaves: the chat is abandoned, the line is the last one.
        ana = Analyst(hub.url, "ana@support.example")
        ana.presence("online")
        left, _, ended = chat_then_leave(hub.url, ana, "are you still there?")
        assert ended["status"] == "abandoned"
        ana.close()
        # A line for Carolina the hub dies on while she thinks.
        owed = logged_customer(hub.url)
        send(owed, "wait")
        for _ in range(100):
            if "wait" in fake.asked:
                break
            time.sleep(0.1)
        hub.process.kill()
        hub.process.wait()
        owed.close()
        hub.start(timeout=60)
        for _ in range(100):
            messages = conversation(hub.url, owed.conversation_id)["messages"]
            if len(messages) > 1:
                break
            time.sleep(0.2)
        assert [(m["sender"], m["text"]) for m in messages] == [("customer", "wait"), ("bot", "Carolina on 'wait'")]
        assert fake.asked == ["wait", "wait"], "asked again once, and never the analyst's line"
        assert conversation(hub.url, left)["messages"][-1]["text"] == "are you still there?"
    finally:
        hub.stop()
        fake.shutdown()
