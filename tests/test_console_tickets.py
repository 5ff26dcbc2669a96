"""The console's ticket view (#ticket/<number>, issue 19) in headless Chromium,
against a hub without Rasa (a ticket's life needs none) and with a fixed clock.

An analyst opens a ticket a customer opened through Carolina: the header (status,
queue, criticality), the opening conversation (collapsed) and the thread, where
the customer's reply (HTML in it stays text) already waits. She sends a public
reply and sets the status to customer validation in the same go, then writes an
internal note: the two look different and say which is which, the header's
status changes and a line says when the ticket closes by itself (7 business days
on). The customer's view of the thread has the reply and not the note. An empty
send is refused by the API and the page says so. The view speaks es and en with
no vocabulary key on it. An analyst attaches a file to a reply and it becomes a
download link. The screenshot (1280 px wide) goes to docs/ (the README's picture)."""

from __future__ import annotations

import re
import struct
import time
import uuid
import zlib
from pathlib import Path
from typing import Iterator, List

import pytest
import requests

from tests import test_hub_browser
from tests.conftest import actions_auth
from tests.test_live_chat import PASSWORD, conversation, escalate, logged_customer, send, start_hub

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
browser = test_hub_browser.browser
NOW = "2026-12-02T10:00:00-03:00"  # a Wednesday; 7 business days on is Friday 11 December
XSS = '<img src=x onerror="window.__pwned = 1">'
FIRST_LINE = "A tela de notas fiscais trava quando eu salvo"
REPLY = "Corrigimos o cadastro da nota; pode testar de novo e nos dizer se resolveu?"
NOTE = "Causa: índice corrompido na tabela de notas; reindexado às 9h50."
# Vocabulary keys (common/vocabulary.yml) that have a label in every language: none may show.
KEYS = ("in_progress", "awaiting_customer", "customer_validation", "technical_support", "closed", "open")


@pytest.fixture(scope="module")
def hub(tmp_path_factory, server_env) -> Iterator:
    service = start_hub(tmp_path_factory, server_env, "console-tickets-hub", NOW)
    yield service
    service.stop()


def opened_ticket(hub) -> tuple:
    """A logged-in customer tells Carolina something, then asks for a ticket (nobody is online)."""
    customer = logged_customer(hub.url)
    send(customer, FIRST_LINE)
    deadline = time.monotonic() + 15
    while FIRST_LINE not in str(conversation(hub.url, customer.conversation_id).get("messages")):
        assert time.monotonic() < deadline, "the customer's first line was never stored"
        time.sleep(0.2)
    reply = escalate(hub.url, customer.conversation_id, ticket=True)
    assert reply.status_code == 201 and reply.json()["outcome"] == "ticket", reply.text
    return customer, reply.json()["ticket"]["number"]


def customer_thread(hub, conversation_id: str, number: str) -> dict:
    reply = requests.get(
        f"{hub.url}/api/tickets/{number}/thread",
        params={"conversation_id": conversation_id},
        headers=actions_auth(conversation_id),
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def customer_replies(hub, conversation_id: str, number: str, text: str) -> None:
    reply = requests.post(
        f"{hub.url}/api/tickets/{number}/replies",
        json={"conversation_id": conversation_id, "text": text},
        headers={**actions_auth(conversation_id), "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text


def console(browser, hub, width: int = 1280):
    """Ana's console, signed in, in Brasília's time zone, collecting page errors and CSP complaints."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="pt-BR", timezone_id="America/Sao_Paulo"
    )
    page = context.new_page()
    problems: List[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI); });"
    )
    page.goto(f"http://localhost:{hub.port}/console")
    page.get_by_label("E-mail").fill("ana@support.example")
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.locator("header.top").wait_for()
    return context, page, problems


def open_ticket(page, number: str) -> None:
    page.evaluate(f"location.hash = '#ticket/{number}'")
    page.locator("form.reply").wait_for(timeout=15000)


def appears(page, locator) -> None:
    """Wait for what a send should show; fail with the reply box's error if that came instead."""
    problem = page.locator("form.reply .error")
    locator.or_(problem).first.wait_for(timeout=15000)
    assert problem.is_hidden(), problem.inner_text()


def png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (grey pixels), made here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_an_analyst_answers_a_ticket_and_writes_a_note(hub, browser):
    DOCS.mkdir(exist_ok=True)
    customer, number = opened_ticket(hub)
    customer_replies(hub, customer.conversation_id, number, "Continua travando. " + XSS)
    context, page, problems = console(browser, hub)
    open_ticket(page, number)

    # The header, the opening conversation (collapsed until asked) and the customer's reply in the thread.
    assert number in page.locator("main h1").inner_text()
    head = page.locator(".ticket-head")
    assert "Aberto" in head.inner_text() and "suporte técnico" in head.inner_text()
    opening = page.locator("details.opening")
    assert not opening.evaluate("d => d.open")
    assert not page.get_by_text(FIRST_LINE).is_visible()
    opening.locator("summary").click()
    page.get_by_text(FIRST_LINE).wait_for()
    from_customer = page.locator(".thread-msg.customer", has_text="Continua travando")
    assert "onerror" in from_customer.inner_text()
    assert page.evaluate("window.__pwned") is None and page.locator(".thread img").count() == 0
    assert page.locator(".deadline").count() == 0, "an open ticket moves by itself nowhere"

    # A public reply that sets the status to customer validation.
    assert page.get_by_label("Resposta ao cliente").is_checked()
    page.get_by_label("Mensagem").fill(REPLY)
    page.get_by_label("E mudar o status para").select_option(label="Validação do cliente")
    page.get_by_role("button", name="Enviar resposta").click()
    reply = page.locator(".thread-msg.public.agent", has_text=REPLY)
    appears(page, reply)
    assert "Resposta ao cliente" in reply.locator(".badge").inner_text() and "Ana" in reply.inner_text()
    page.locator(".ticket-head .status-badge", has_text="Validação do cliente").wait_for()
    page.locator(".thread-status", has_text="Validação do cliente").wait_for()
    # Customer validation closes by itself after 7 business days: Friday 11 December, 10:00 in Brasília.
    deadline = page.locator(".deadline").inner_text()
    assert "Fechado" in deadline and "11/12/2026" in deadline, deadline
    assert page.get_by_label("Mensagem").input_value() == "", "the draft is cleared once sent"

    # An internal note: another look, another label, and the customer never sees it.
    page.get_by_label("Nota interna").check()
    assert "internal" in (page.locator("form.reply").get_attribute("class") or "")
    page.get_by_label("Mensagem").fill(NOTE)
    page.get_by_role("button", name="Salvar nota").click()
    note = page.locator(".thread-msg.internal", has_text=NOTE)
    appears(page, note)
    assert "Nota interna" in note.locator(".badge").inner_text()
    colours = [m.evaluate("n => getComputedStyle(n).backgroundColor") for m in (reply, note)]
    assert colours[0] != colours[1], "a note must not look like a reply"
    # Times in the analyst's time zone (the hub's clock is 10:00 in Brasília).
    assert note.locator("time").inner_text().endswith("10:00"), note.locator("time").inner_text()
    seen = customer_thread(hub, customer.conversation_id, number)
    texts = [m["text"] for m in seen["messages"]]
    assert REPLY in texts and NOTE not in texts

    page.locator(".toast").wait_for(state="hidden")
    page.screenshot(path=str(DOCS / "console-ticket-thread.png"), full_page=True)

    # An empty send: the API refuses it and the page says so, in the analyst's language.
    count = page.locator(".thread > li").count()
    page.get_by_role("button", name="Salvar nota").click()
    problem = page.locator("form.reply .error[role=alert]")
    problem.wait_for(state="visible", timeout=15000)
    assert problem.inner_text().strip()
    assert page.locator(".thread > li").count() == count
    page.get_by_label("Mensagem").fill("Vou")
    assert problem.is_hidden(), "the message goes once the analyst writes again"

    # Spanish and English: the view's own words and the vocabulary's labels, never a key.
    for language, words in (
        ("es", ("Seguimiento", "Nota interna", "Validación del cliente", "Cerrada")),
        ("en", ("Follow-up", "Internal note", "Customer validation", "Closed")),
    ):
        page.locator("select.language").select_option(language)
        page.locator(".ticket-main > h2", has_text=words[0]).wait_for()
        page.locator(".thread-msg.internal").wait_for()
        shown = page.locator("main").inner_text()
        for word in words:
            assert word in shown, (language, word)
        found = [key for key in KEYS if re.search(rf"\b{key}\b", shown)]
        assert not found, f"vocabulary keys on the {language} page: {found}"
    page.locator("select.language").select_option("pt")

    assert not problems, problems
    assert page.evaluate("window.__csp || []") == [], "the page must work under the hub's CSP"
    customer.close()
    context.close()


def test_an_analyst_attaches_a_file_to_a_reply(hub, browser, tmp_path):
    customer, number = opened_ticket(hub)
    context, page, problems = console(browser, hub)
    open_ticket(page, number)
    picture = tmp_path / "tela-travada.png"
    picture.write_bytes(png())
    page.get_by_label("Anexar arquivos").set_input_files(str(picture))
    page.locator(".pending li", has_text="tela-travada.png").get_by_role("button", name="Remover").wait_for(
        timeout=15000
    )
    page.get_by_label("Mensagem").fill("Segue a tela com o erro corrigido.")
    page.get_by_role("button", name="Enviar resposta").click()
    link = page.locator(".thread-msg.agent .files a", has_text="tela-travada.png")
    appears(page, link)
    download = page.request.get(f"http://localhost:{hub.port}{link.get_attribute('href')}")
    assert download.ok and download.body() == picture.read_bytes()
    assert "attachment" in download.headers["content-disposition"]
    # The customer's thread carries it too.
    seen = customer_thread(hub, customer.conversation_id, number)
    assert any(f["filename"] == "tela-travada.png" for m in seen["messages"] for f in m.get("attachments", []))
    assert not problems, problems
    customer.close()
    context.close()


def test_a_customer_reply_shows_up_while_the_analyst_writes(hub, browser):
    """The view reads the ticket again every 20 s: a reply that came by e-mail or in the
    widget appears without a reload, and the analyst's draft stays where it was."""
    customer, number = opened_ticket(hub)
    context, page, problems = console(browser, hub)
    page.clock.install()
    open_ticket(page, number)
    page.get_by_label("Nota interna").check()
    page.get_by_label("Mensagem").fill("Rascunho pela metade")
    customer_replies(hub, customer.conversation_id, number, "Mandei o arquivo XML por e-mail.")
    page.clock.run_for(21000)
    page.locator(".thread-msg.customer", has_text="Mandei o arquivo XML").wait_for(timeout=15000)
    assert page.get_by_label("Mensagem").input_value() == "Rascunho pela metade"
    assert page.get_by_label("Nota interna").is_checked()
    # Only a status, no text: the status changes (and the thread says so).
    page.get_by_label("Mensagem").fill("")
    page.get_by_label("E mudar o status para").select_option(label="Em atendimento")
    page.get_by_role("button", name="Salvar nota").click()
    appears(page, page.locator(".ticket-head .status-badge", has_text="Em atendimento"))
    page.locator(".thread-status", has_text="Em atendimento").wait_for()
    assert not problems, problems
    customer.close()
    context.close()
