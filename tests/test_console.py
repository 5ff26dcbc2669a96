"""The agent console (/console) in headless Chromium, against a hub whose
customer is a socket.io client: log in, take a handoff, chat both ways, close,
find the transcript and export it; customer HTML stays text. And the console
API's permission rules. Screenshots of the queue, a chat and a transcript go to
docs/ (they are the README's pictures)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests import test_hub_browser
from tests.test_live_chat import PASSWORD, Analyst, escalate, expect_text, logged_customer, send, start_hub

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
browser = test_hub_browser.browser
XSS = '<img src=x onerror="window.__pwned = 1">'


@pytest.fixture(scope="module")
def hub(tmp_path_factory, server_env) -> Iterator:
    service = start_hub(
        tmp_path_factory,
        server_env,
        "console-hub",
        "2026-12-02T10:00:00-03:00",
        CAROLINA_ADMIN_EMAIL="admin@support.example",
        CAROLINA_ADMIN_PASSWORD=PASSWORD,
    )
    yield service
    service.stop()


def console_url(hub) -> str:
    # The console's origin is the hub's public address (the socket's origin check).
    return f"http://localhost:{hub.port}/console"


def test_an_analyst_takes_a_chat_in_the_browser_and_finds_the_transcript(hub, browser):
    DOCS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="pt-BR")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(console_url(hub))
    page.get_by_label("E-mail").fill("ana@support.example")
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_role("button", name="Offline").click()
    page.get_by_role("button", name="Online").wait_for()

    customer = logged_customer(hub.url)
    assert escalate(hub.url, customer.conversation_id).json()["outcome"] == "handoff"
    # The queue updates by itself (socket), with the customer and the reason.
    row = page.locator("tr", has_text="the invoice screen freezes")
    row.wait_for(timeout=15000)
    assert "ACME" in row.inner_text()
    page.screenshot(path=str(DOCS / "console-queue.png"))
    row.get_by_role("button", name="Atender").click()

    page.locator(".msg.system", has_text="Ana").wait_for()
    # The gathered details are labelled in the analyst's language, not with the API's field names.
    details = page.locator("aside.fields").inner_text()
    assert "Motivo" in details and "Empresa" in details and "reason" not in details
    for language, title, label in (("es", "Datos recogidos", "Motivo"), ("en", "Gathered details", "Reason")):
        page.locator("select.language").select_option(language)
        page.locator("aside.fields h2", has_text=title).wait_for(timeout=15000)
        assert label in page.locator("aside.fields").inner_text()
    page.locator("select.language").select_option("pt")
    page.locator("aside.fields h2", has_text="Dados coletados").wait_for(timeout=15000)
    box = page.get_by_label("Mensagem")
    box.fill("Olá Marta, qual o número da nota?")
    assert customer.expect("agent_typing")["name"] == "Ana", "the widget says the analyst is typing"
    box.press("Enter")
    assert expect_text(customer, "agent")["text"] == "Olá Marta, qual o número da nota?"
    customer.client.emit("typing", {})
    page.locator(".typing", has_text="digitando").wait_for(timeout=15000)
    send(customer, XSS)
    page.locator(".msg.customer", has_text="onerror").wait_for(timeout=15000)
    assert page.evaluate("window.__pwned") is None, "customer HTML must not run"
    assert page.locator(".log img").count() == 0
    page.screenshot(path=str(DOCS / "console-chat.png"))
    page.get_by_role("button", name="Encerrar").click()
    page.get_by_role("button", name="Confirmar").click()  # closing asks first (issue 23)
    assert "0 a 10" in expect_text(customer, "system", containing="0 a 10")["text"]

    page.get_by_role("link", name="Conversas").click()
    page.get_by_label("Contato").fill("Marta")
    page.get_by_role("button", name="Buscar").click()
    page.locator("tbody tr").first.get_by_role("link", name="Abrir").click()
    page.locator(".msg.customer", has_text="onerror").wait_for()
    page.screenshot(path=str(DOCS / "console-transcript.png"), full_page=True)
    href = page.get_by_role("link", name="Exportar texto").get_attribute("href")
    exported = page.request.get(f"http://localhost:{hub.port}{href}")  # the analyst's cookie goes with it
    assert exported.ok and XSS in exported.text() and "Ana: Olá Marta, qual o número da nota?" in exported.text()
    assert not errors, errors
    customer.close()
    context.close()


def test_console_api_permissions(hub):
    ana = Analyst(hub.url, "ana@support.example")
    carla = Analyst(hub.url, "carla@support.example")
    ana.presence("offline")  # nobody online: the escalation is a ticket
    customer = logged_customer(hub.url)
    assert escalate(hub.url, customer.conversation_id, ticket=True).json()["outcome"] == "ticket"
    try:
        found = ana.http.get(f"{hub.url}/api/agent/transcripts", params={"contact": "Marta"}, timeout=10).json()
        assert customer.conversation_id in [c["conversation_id"] for c in found["conversations"]]
        # Carla serves the administrative queue: a technical transcript is not hers.
        theirs = carla.http.get(f"{hub.url}/api/agent/transcripts/{customer.conversation_id}", timeout=10)
        assert theirs.status_code == 403
        assert customer.conversation_id not in [
            c["conversation_id"]
            for c in carla.http.get(f"{hub.url}/api/agent/transcripts", timeout=10).json()["conversations"]
        ]
        assert requests.get(f"{hub.url}/api/agent/transcripts", timeout=10).status_code == 401
        # The admin (made from the environment on first start) sees everything and can add analysts.
        admin = Analyst(hub.url, "admin@support.example")
        everything = admin.http.get(f"{hub.url}/api/agent/transcripts/{customer.conversation_id}", timeout=10)
        assert everything.status_code == 200
        made = admin.post(
            "/agents", {"email": "davi@support.example", "name": "Davi", "password": PASSWORD, "queues": ["cloud"]}
        )
        assert made.status_code == 201, made.text
        assert ana.post("/agents", {"email": "x@support.example", "name": "X", "password": PASSWORD}).status_code == 403
        # A ticket status change needs the CSRF token with the cookie; with it, it is recorded with the note.
        tickets = ana.http.get(f"{hub.url}/api/agent/tickets", timeout=10).json()["tickets"]
        number = tickets[0]["number"]
        no_csrf = ana.post(f"/tickets/{number}/status", {"status": "in_progress"}, csrf=False)
        assert no_csrf.status_code == 403
        changed = ana.post(f"/tickets/{number}/status", {"status": "in_progress", "note": "looking at it"})
        assert changed.status_code == 200 and changed.json()["status"] == "in_progress"
        assert carla.http.get(f"{hub.url}/api/agent/tickets/{number}", timeout=10).status_code == 403
        admin.close()
    finally:
        ana.close()
        carla.close()
        customer.close()
