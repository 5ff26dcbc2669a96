"""The hub end to end: a real socket.io client, the hub, the real Rasa and action server."""

from __future__ import annotations

import queue
import socket
import time
import uuid
from typing import Any, Dict, List, Optional

import pytest
import requests
import socketio

from bot.domain.identity import Identity, sign
from tests.conftest import IDENTITY_SECRET, PORTAL_ORIGIN, actions_auth


class Customer:
    """A widget, as python-socketio speaks the protocol rasa-webchat uses."""

    def __init__(self, hub_url: str, origin: str = PORTAL_ORIGIN) -> None:
        self.events: queue.Queue[tuple] = queue.Queue()
        # websocket-client sends its own Origin header: set it, rather than add a second one.
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
        events = ("session_confirm", "session_info", "resume_offer", "bot_uttered", "user_stored", "history")
        for name in (*events, "session_refused"):
            self.client.on(name, lambda data=None, name=name: self.events.put((name, data)))
        self.client.connect(hub_url, transports=["websocket"], wait_timeout=10)
        # What the widget keeps: the resume token `session_confirm` gives (its "session id").
        self.session_id: Optional[str] = None
        # The conversation the hub put it in (`session_info`): Rasa's sender id, the API's.
        self.conversation_id: Optional[str] = None

    def start(self, session_id: Optional[str] = None, **extra: Any) -> str:
        """Starts or resumes (`session_id`: a resume token) a session; returns the conversation id."""
        self.client.emit("session_request", {"session_id": session_id, **extra})
        return self.confirmed()

    def confirmed(self) -> str:
        self.session_id = self.expect("session_confirm")
        self.conversation_id = self.expect("session_info")["conversation_id"]
        return self.conversation_id

    def expect(self, name: str, timeout: float = 60) -> Any:
        while True:
            event, data = self.events.get(timeout=timeout)
            if event == name:
                return data

    def say(self, text: str, message_id: Optional[str] = None, **custom: Any) -> List[Dict[str, Any]]:
        """Sends a message and returns Carolina's replies to it."""
        self.client.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": self.session_id,
                "message_id": message_id or str(uuid.uuid4()),
                "customData": custom,
            },
        )
        return self.turn()

    def turn(self, timeout: float = 60) -> List[Dict[str, Any]]:
        """The replies to the message just sent: the hub's `user_stored` says
        how many follow, so the turn ends on that count, not on a silence. A
        refusal (`metadata.error`, no `user_stored`) is the whole turn."""
        replies: List[Dict[str, Any]] = []
        expected: Optional[int] = None
        while expected is None or len(replies) < expected:
            event, data = self.events.get(timeout=timeout)
            if event == "user_stored":
                expected = data["metadata"]["replies"]
            elif event == "bot_uttered":
                replies.append(data)
                if expected is None and (data.get("metadata") or {}).get("error"):
                    return replies
        return replies

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def customer(hub_service):
    c = Customer(hub_service.url)
    yield c
    c.close()


def transcript(hub_url: str, conversation_id: str) -> Dict[str, Any]:
    response = requests.get(
        f"{hub_url}/api/conversations/{conversation_id}",
        headers=actions_auth(conversation_id),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_session_and_greeting_over_socketio(hub_service, customer):
    conversation_id = customer.start()
    replies = customer.say("olá, bom dia!")
    assert replies[0]["text"].startswith("Oi! Eu sou a Carolina")
    assert [q["payload"] for q in replies[0]["quick_replies"]] == ["/ask_question", "/open_ticket", "/request_human"]
    record = transcript(hub_service.url, conversation_id)
    customer_message, bot_message = record["messages"][0], record["messages"][1]
    assert customer_message["sender"] == "customer" and customer_message["intent"] == "greet"
    assert customer_message["confidence"] > 0.5
    assert bot_message["sender"] == "bot" and bot_message["text"] == replies[0]["text"]
    assert record["language"] == "pt"


def test_resent_message_is_stored_and_answered_once(hub_service, customer):
    conversation_id = customer.start()
    first = customer.say("hello there", message_id="m-1")
    again = customer.say("hello there", message_id="m-1")
    assert [r["text"] for r in again] == [r["text"] for r in first]
    senders = [m["sender"] for m in transcript(hub_service.url, conversation_id)["messages"]]
    assert senders.count("customer") == 1


def test_reconnect_resumes_the_conversation_and_resyncs(hub_service):
    first = Customer(hub_service.url)
    conversation_id = first.start()
    first.say("hola, buenas")
    first.close()
    second = Customer(hub_service.url)
    assert second.start(session_id=first.session_id) == conversation_id
    assert second.session_id == first.session_id, "the same token, its expiry slid"
    second.client.emit("sync", {"after": 0})
    history = second.expect("history")
    assert [m["metadata"]["from"] for m in history][:2] == ["customer", "bot"]
    assert history[0]["text"] == "hola, buenas"
    second.close()


def test_unknown_session_id_gets_a_new_conversation(hub_service, customer):
    customer.start(session_id="not-a-real-session")
    assert customer.session_id != "not-a-real-session"


@pytest.mark.parametrize(
    "text, error",
    [("   ", "empty"), ("x" * 4001, "too_long")],
    ids=["empty", "too_long"],
)
def test_bad_input_gets_a_clear_error_in_the_customers_language(hub_service, customer, text, error):
    conversation_id = customer.start(language="es")
    reply = customer.say(text, language="es")[0]
    assert reply["metadata"]["error"] == error
    assert "mensaje" in reply["text"]
    assert transcript(hub_service.url, conversation_id)["messages"] == []


def test_html_is_stored_and_returned_as_text(hub_service, customer):
    conversation_id = customer.start()
    customer.say("<script>alert(1)</script> oi")
    stored = transcript(hub_service.url, conversation_id)["messages"][0]
    assert stored["text"] == "<script>alert(1)</script> oi"


def test_identity_token_is_verified_and_forwarded(hub_service, customer):
    token = sign(Identity("c-42", name="Ana", email="ana@example.com", company="ACME", language="en"), IDENTITY_SECRET)
    conversation_id = customer.start(token=token)
    assert conversation_id
    replies = customer.say("hi!")
    assert replies[0]["text"].startswith("Hi! I'm Carolina")


def test_bad_or_expired_token_is_refused(hub_service, customer):
    forged = sign(Identity("c-42"), "not-the-secret")
    customer.client.emit("session_request", {"token": forged})
    assert customer.expect("session_refused")["reason"] == "bad_identity"
    expired = sign(Identity("c-42"), IDENTITY_SECRET, ttl_seconds=-10)
    customer.client.emit("session_request", {"token": expired})
    assert customer.expect("session_refused")["reason"] == "bad_identity"


def test_socket_from_another_origin_is_refused(hub_service):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Customer(hub_service.url, origin="http://evil.test")


def test_floods_are_rate_limited(hub_service, customer):
    customer.start()
    # A few past the burst at once: whatever refills while they arrive (the test
    # hub refills 100 a second, tests/conftest.py), some are refused, and too few
    # to close the socket for flooding (which would bar this address from the next tests).
    for i in range(12):
        customer.client.emit("user_uttered", {"message": f"oi {i}", "message_id": f"f-{i}"})
    customer.client.emit("user_uttered", {"message": "oi de novo", "message_id": "f-x"})
    errors = []
    try:
        while True:
            event, data = customer.events.get(timeout=30)
            if event == "bot_uttered" and data.get("metadata", {}).get("error"):
                errors.append(data["metadata"]["error"])
                break
    except queue.Empty:
        pass
    assert errors == ["rate_limited"]


def test_a_rasa_restarting_is_announced_and_the_message_answered_once_it_is_back(hub_service, rasa_service, customer):
    # Rasa refuses connections until its model is loaded: "starting" (issue 21), not the
    # apology, and the message is answered when Rasa is back, without being sent again.
    conversation_id = customer.start()
    customer.say("oi")
    rasa_service.stop()
    try:
        reply = customer.say("esqueci minha senha do portal")[0]
        assert reply["metadata"]["error"] == "starting" and "começando" in reply["text"], reply
    finally:
        rasa_service.start()
    answer = customer.expect("bot_uttered", timeout=60)
    while "4003-0015" not in answer["text"]:
        answer = customer.expect("bot_uttered", timeout=10)
    messages = transcript(hub_service.url, conversation_id)["messages"]
    texts = [m["text"] for m in messages if m["sender"] == "customer"]
    assert texts == ["oi", "esqueci minha senha do portal"]


FORGOT_PASSWORD = {
    "pt": ("esqueci minha senha do portal", "instabilidade"),
    "es": ("olvidé mi contraseña del portal", "problema técnico"),
    "en": ("I forgot my portal password", "technical problem"),
}


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_action_server_outage_is_apologised_for_not_met_with_silence(hub_service, action_service, customer, lang):
    # Rasa stays up and carries on without the failed action; the hub apologises instead.
    question, apology = FORGOT_PASSWORD[lang]
    conversation_id = customer.start(language=lang)
    action_service.stop()
    try:
        reply = customer.say(question)[0]
        assert apology in reply["text"] and reply["metadata"]["error"] == "action_failed"
    finally:
        action_service.start()
    after = customer.say(question)
    assert any("4003-0015" in r["text"] for r in after), after
    senders = [m["sender"] for m in transcript(hub_service.url, conversation_id)["messages"]]
    assert senders[:2] == ["customer", "bot"] and senders.count("customer") == 2


def test_api_needs_the_actions_token(hub_service):
    response = requests.get(f"{hub_service.url}/api/conversations/whatever", timeout=10)
    assert response.status_code == 401


def test_kb_search_endpoint(hub_service):
    results = requests.get(
        f"{hub_service.url}/api/kb/search", params={"q": "olvidé mi contraseña", "lang": "es"}
    ).json()
    assert results[0]["id"] == "forgot_password"
    page = requests.get(results[0]["link"].replace("http://localhost:8000", hub_service.url), timeout=10)
    assert page.status_code == 200 and "<h1>" in page.text


def test_openapi_describes_the_api(hub_service):
    from bot.app import create_app
    from bot.settings import Settings

    spec = requests.get(f"{hub_service.url}/api/openapi.json", timeout=10).json()
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in create_app(Settings()).router.routes()
        if route.resource
        and route.resource.canonical.startswith("/api/")
        and route.resource.canonical != "/api/openapi.json"
        and route.method in ("GET", "POST")
    }
    described = {(method, path) for path, methods in spec["paths"].items() for method in methods}
    assert routes - described == set(), "every API route is in openapi.json"


def test_a_message_the_hub_crashed_on_is_answered_after_the_restart(tmp_path_factory, server_env, rasa_server):
    """The hub stores the message, then dies (SIGKILL) while Rasa thinks: the
    restarted hub asks Carolina again, and the customer, back, gets the answer."""
    from tests.test_live_chat import start_hub

    with socket.socket() as silent_rasa:  # accepts connections, never answers: the hub waits
        silent_rasa.bind(("127.0.0.1", 0))
        silent_rasa.listen()
        hub = start_hub(
            tmp_path_factory,
            server_env,
            "crash-hub",
            "2026-12-02T12:30:00-03:00",
            RASA_URL=f"http://127.0.0.1:{silent_rasa.getsockname()[1]}",
            RASA_TIMEOUT="120",
        )
        try:
            before = Customer(hub.url)
            conversation_id = before.start(language="pt")
            token = before.session_id
            before.client.emit("user_uttered", {"message": "esqueci minha senha do portal", "message_id": "m-1"})
            for _ in range(50):  # stored (the hub tells the room only once Carolina has answered)
                if transcript(hub.url, conversation_id)["messages"]:
                    break
                time.sleep(0.1)
            assert transcript(hub.url, conversation_id)["messages"][0]["text"] == "esqueci minha senha do portal"
            hub.process.kill()
            hub.process.wait()
            before.close()
        except BaseException:
            hub.stop()
            raise
    hub.env["RASA_URL"] = rasa_server
    hub.start(timeout=60)
    try:
        after = Customer(hub.url)
        assert after.start(session_id=token) == conversation_id
        # Whether the answer came before or after the customer was back, the record has it.
        replies: List[Dict[str, Any]] = []
        for _ in range(60):
            after.client.emit("sync", {"after": 0})
            replies = [m for m in after.expect("history") if m["metadata"]["from"] == "bot"]
            if replies:
                break
            time.sleep(1)
        assert replies and "4003-0015" in replies[0]["text"] and not replies[0]["metadata"].get("error")
        after.close()
        messages = transcript(hub.url, conversation_id)["messages"]
        assert [m["sender"] for m in messages][:2] == ["customer", "bot"]
        assert [m["text"] for m in messages if m["sender"] == "customer"] == ["esqueci minha senha do portal"]
    finally:
        hub.stop()
