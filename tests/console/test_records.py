"""The console's records in headless Chromium (issue 23, points 4, 5, 6, 8 and
9), against a hub without Rasa (nothing here needs Carolina) and a fixed clock:

- the widget (bot/static/widget.js) sends a clicked button's title with its
  payload, and shows the customer the title;
- a customer clicks through a form: the transcript shows the titles, the field each click answered
  and every line's time in the analyst's time zone, never a /intent{...}
  command, and neither do its TXT and JSON exports; a search folds accents;
- the customer card beside the transcript lists the customer's open ticket;
- the ticket view names the customer, and its timeline shows a status change
  and the note that came with it; screenshots at 1280 and 1024 px;
- 40 tickets: 20 a page, the most critical first, counts per status, paging;
- in Spanish and English no raw vocabulary value shows;
- an administrator changes an analyst and the Spanish canned replies."""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Iterator, List

import pytest

from bot.db import queries
from bot.db.session import make_engine, make_sessions
from tests import test_hub_browser
from tests.conftest import PORTAL_ORIGIN
from tests.console import seed
from tests.test_live_chat import PASSWORD, conversation, escalate, logged_customer, start_hub

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
browser = test_hub_browser.browser
NOW = "2026-12-02T10:00:00-03:00"
ORIGIN = '/inform{"incident_origin": "production"}'
CLICKS = ((ORIGIN, "Produção"), ("/affirm", "Sim, abrir"))
TYPED = "A nota fiscal dá rejeição ao transmitir"
NOTE = "Liguei para a cliente: o certificado venceu ontem."
# Vocabulary keys whose labels differ from them (English calls "medium" medium): none may show as it is.
KEYS = r"technical_support|in_progress|awaiting_customer|customer_validation|new_version|production|partly|bug"
RAW = {"es": re.compile(rf"\b({KEYS}|medium|critical|high|low)\b"), "en": re.compile(rf"\b({KEYS})\b")}


@pytest.fixture(scope="module")
def hub(tmp_path_factory, server_env, portal_server) -> Iterator:
    service = start_hub(
        tmp_path_factory,
        server_env,
        "console-records-hub",
        NOW,
        CAROLINA_ADMIN_EMAIL="admin@support.example",
        CAROLINA_ADMIN_PASSWORD=PASSWORD,
        CAROLINA_ALLOWED_ORIGINS=f"{PORTAL_ORIGIN},{portal_server.origin}",
    )
    yield service
    service.stop()


def stored(hub, conversation_id: str, count: int) -> None:
    """Wait until the customer's `count` lines are in the record (Carolina is down: each gets an apology)."""
    deadline = time.monotonic() + 30
    while sum(m["sender"] == "customer" for m in conversation(hub.url, conversation_id).get("messages", [])) < count:
        assert time.monotonic() < deadline, "the customer's lines were never stored"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def clicked(hub):
    """A customer who typed a line and clicked two buttons, then got a ticket (nobody online)."""
    customer = logged_customer(hub.url)
    customer.client.emit("user_uttered", {"message": TYPED, "session_id": customer.session_id, "message_id": "t-1"})
    stored(hub, customer.conversation_id, 1)
    for i, (payload, title) in enumerate(CLICKS):
        # What bot/static/widget.js sends for a click.
        customer.client.emit(
            "user_uttered",
            {"message": payload, "title": title, "session_id": customer.session_id, "message_id": f"c-{i}"},
        )
        stored(hub, customer.conversation_id, 2 + i)
    reply = escalate(hub.url, customer.conversation_id, ticket=True)
    assert reply.status_code == 201 and reply.json()["outcome"] == "ticket", reply.text
    customer.close()
    return customer.conversation_id, reply.json()["ticket"]["number"]


def console(browser, hub, width: int = 1280, locale: str = "pt-BR", email: str = "ana@support.example"):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale=locale, timezone_id="America/Sao_Paulo"
    )
    page = context.new_page()
    problems: List[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"http://localhost:{hub.port}/console")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.locator("header.top").wait_for()
    return context, page, problems


def language(page, code: str) -> None:
    page.evaluate(f"localStorage.setItem('carolina.console.lang', '{code}')")
    page.locator("select.language").select_option(code)


def test_a_clicked_form_reads_as_titles_with_times_and_the_card_has_the_ticket(hub, browser, clicked):
    conversation_id, number = clicked
    context, page, problems = console(browser, hub)
    page.evaluate(f"location.hash = '#transcript/{conversation_id}'")
    log = page.locator("ol.log")
    log.locator(".msg.customer", has_text="Sim, abrir").wait_for(timeout=15000)
    text = page.locator("main").inner_text()
    assert "/inform" not in text and "/affirm" not in text and "incident_" not in text
    production = log.locator(".msg.customer", has_text="Produção")
    assert "Origem: Produção" in production.locator(".nlu").inner_text(), "the field the click answered, labelled"
    # Every line has its time, in the analyst's time zone (the hub's clock: 10:00 in Brasília).
    lines = log.locator(".msg")
    assert lines.count() >= 3 and lines.locator("time").count() == lines.count()
    assert production.locator("time").inner_text().endswith("10:00"), production.locator("time").inner_text()
    # The card: the customer, and the ticket the chat became, as a link.
    card = page.locator(".customer-card")
    card.get_by_role("link", name=number).wait_for(timeout=15000)
    assert "Marta" in card.inner_text() and "ACME" in card.inner_text() and "Português" in card.inner_text()

    # The exports: titles, never commands; the text one in the analyst's time zone.
    for name, check in (("Exportar texto", "10:00:"), ("Exportar JSON", '"Produção"')):
        href = page.get_by_role("link", name=name).get_attribute("href")
        exported = page.request.get(f"http://localhost:{hub.port}{href}").text()
        assert "/inform" not in exported and "/affirm" not in exported, name
        assert "Sim, abrir" in exported and check in exported, (name, exported[:600])
    record = json.loads(
        page.request.get(f"http://localhost:{hub.port}/api/agent/transcripts/{conversation_id}?format=json").text()
    )
    assert [m["answered"] for m in record["messages"] if m["sender"] == "customer"] == [
        None,
        {"origin": "production"},
        {},
    ]

    # A search without the accent finds the line with it, and shows where.
    page.get_by_role("link", name="Conversas").click()
    page.get_by_label("Palavras").fill("rejeicao")
    page.get_by_role("button", name="Buscar").click()
    page.locator("td .snippet", has_text="rejeição").wait_for(timeout=15000)
    assert not problems, problems
    context.close()


def test_the_ticket_timeline_shows_the_note_and_the_customer(hub, browser, clicked):
    DOCS.mkdir(exist_ok=True)
    conversation_id, number = clicked
    context, page, problems = console(browser, hub)
    page.evaluate(f"location.hash = '#ticket/{number}'")
    page.locator("form.reply").wait_for(timeout=15000)
    head = page.locator(".ticket-head").inner_text()
    assert "Marta" in head and "ACME" in head and "Português" in head
    page.get_by_label("Nota interna").check()
    page.get_by_label("Mensagem").fill(NOTE)
    page.get_by_label("E mudar o status para").select_option(label="Em atendimento")
    page.get_by_role("button", name="Salvar nota").click()
    page.locator(".thread-msg.internal", has_text=NOTE).wait_for(timeout=15000)
    status = page.locator(".thread-status", has_text="Em atendimento")
    status.wait_for()
    assert "Ana" in status.inner_text() and status.locator("time").count() == 1
    # From the ticket to its conversation, and the opening shows titles there too.
    page.locator("details.opening summary").click()
    assert "/inform" not in page.locator("details.opening").inner_text()
    assert "Produção" in page.locator("details.opening").inner_text()
    page.locator(".toast").wait_for(state="hidden")
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(DOCS / f"console-ticket-{width}.png"), full_page=True)
    page.get_by_role("link", name="Ver a conversa completa").click()
    page.locator(".msg.customer", has_text="Produção").wait_for(timeout=15000)
    assert not problems, problems
    context.close()


def add_tickets(hub, count: int) -> None:
    """Tickets of every criticality and age for the module's customer Marta, straight into the hub's database."""

    async def add() -> None:
        engine = make_engine(hub.env["DATABASE_URL"])
        async with make_sessions(engine).begin() as session:
            who = await seed.contact(session, "c-forty", "Rita Alves", "pt")
            made = await seed.tickets(session, count, datetime(2026, 11, 20, 12, 0), who, first=500)
            made[0].fields = {
                "category": "bug",
                "origin": "production",
                "affected_users": "some",
                "operation_stopped": "partly",
            }
        await engine.dispose()

    # Playwright's sync API runs its own event loop in this thread: the database's goes in another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, add()).result()


def test_forty_tickets_page_and_sort_and_no_raw_value_shows_in_es_and_en(hub, browser, clicked):
    add_tickets(hub, 40)
    context, page, problems = console(browser, hub)
    page.evaluate("location.hash = '#tickets'")
    rows = page.locator(".ticket-list tbody tr")
    rows.first.wait_for(timeout=15000)
    assert rows.count() == 20
    # The most critical first (the oldest of them), coloured apart from the next level.
    first = rows.first
    assert first.locator(".priority").inner_text() == "crítica" and "2026-000503" in first.inner_text()
    colours = {
        page.locator(f".priority-{c}").first.evaluate("n => getComputedStyle(n).backgroundColor")
        for c in ("critical", "high")
    }
    assert len(colours) == 2
    assert "Rita Alves" in first.inner_text() and "há " in first.inner_text()
    tab = page.locator(".status-tabs button", has_text="Aberto")
    total = int(re.search(r"\((\d+)\)", tab.inner_text()).group(1))
    assert total >= 40
    page.get_by_role("button", name="Próxima ›").click()
    page.locator(".page-of", has_text="Página 2 de").wait_for(timeout=15000)
    assert page.locator(".ticket-list tbody tr .priority").first.inner_text() in ("alta", "média", "baixa", "crítica")
    for code, words in (("es", ("Solicitudes", "Siguiente")), ("en", ("Tickets", "Next"))):
        language(page, code)
        page.evaluate("location.hash = '#tickets'")
        page.locator(".ticket-list tbody tr").first.wait_for(timeout=15000)
        page.get_by_role("button", name=re.compile(words[1])).wait_for()
        assert not RAW[code].search(page.locator("main").inner_text()), (
            code,
            RAW[code].search(page.locator("main").inner_text()),
        )
        page.evaluate("location.hash = '#ticket/2026-000500'")
        page.locator("aside.fields").wait_for(timeout=15000)
        shown = page.locator("main").inner_text()
        assert not RAW[code].search(shown), (code, RAW[code].search(shown))
        assert ("Producción" if code == "es" else "Production") in shown
        page.evaluate("location.hash = '#transcripts'")
        page.locator("table, main p").first.wait_for(timeout=15000)
        assert not RAW[code].search(page.locator("main").inner_text())
    assert not problems, problems
    context.close()


def test_an_administrator_edits_an_analyst_and_the_canned_replies(hub, browser):
    context, page, problems = console(browser, hub, email="admin@support.example")
    page.evaluate("location.hash = '#admin'")
    row = page.locator("tr", has_text="bruno@support.example")
    row.locator("details.agent-edit summary").click()
    row.get_by_label("Nome · bruno@support.example").fill("Bruno Lima")
    row.get_by_label("Filas · bruno@support.example").select_option(["technical_support", "cloud"])
    row.get_by_role("button", name="Salvar").click()
    page.locator("tr", has_text="Bruno Lima").wait_for(timeout=15000)
    assert "clientes Cloud" in page.locator("tr", has_text="Bruno Lima").inner_text()
    spanish = page.locator("textarea[data-language=es]")
    spanish.fill("¡Hola! ¿En qué le ayudo?\nUn momento, por favor.")
    page.get_by_role("button", name="Salvar · Espanhol").click()
    page.locator(".toast", has_text="Feito.").wait_for(timeout=15000)
    replies = page.request.get(f"http://localhost:{hub.port}/api/agent/canned-replies").json()["replies"]
    assert replies["es"] == ["¡Hola! ¿En qué le ayudo?", "Un momento, por favor."]
    assert replies["pt"][0].startswith("Olá!"), "the other languages keep theirs"
    assert not problems, problems
    context.close()


def test_the_widget_sends_the_title_of_the_button_clicked(hub, portal_server, browser):
    (portal_server.root / "records.html").write_text(
        '<!doctype html><html lang="pt"><head><meta charset="utf-8"><title>Portal</title></head>'
        f'<body><h1>Portal</h1><script src="{hub.url}/static/widget.js" async></script></body></html>'
    )
    context = browser.new_context()
    page = context.new_page()
    sent: List[str] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(str(frame))))
    page.goto(f"{portal_server.origin}/records.html")
    page.get_by_role("button", name="Abrir o chat com a Carolina").click()
    page.get_by_label("Escreva sua mensagem…").fill("oi")
    page.get_by_label("Escreva sua mensagem…").press("Enter")
    page.locator(".carolina-bot").first.wait_for(timeout=30_000)  # Carolina is down: the hub's apology
    page.wait_for_function("document.querySelector('.carolina').dataset.conversation", timeout=30_000)
    conversation_id = page.evaluate("document.querySelector('.carolina').dataset.conversation")

    async def offer() -> None:  # what Carolina's question with buttons leaves in the record
        engine = make_engine(hub.env["DATABASE_URL"])
        async with make_sessions(engine).begin() as session:
            buttons = [{"title": "Produção", "payload": ORIGIN}, {"title": "Implantação", "payload": "/inform{}"}]
            await queries.add_message(session, conversation_id, "bot", "Onde acontece?", {"buttons": buttons})
        await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, offer()).result()
    page.reload()  # the widget resyncs from the record: the question and its buttons
    page.get_by_role("button", name="Abrir o chat com a Carolina").click()
    page.locator(".carolina-replies button", has_text="Produção").click()
    page.locator(".carolina-customer", has_text="Produção").wait_for(timeout=30_000)
    assert "/inform" not in page.locator(".carolina-log").inner_text(), "the customer reads the title too"
    clicks = [f for f in sent if "user_uttered" in f and "incident_origin" in f]
    assert clicks and '"title":"Produção"' in clicks[0], clicks
    stored(hub, conversation_id, 2)
    assert [m["title"] for m in conversation(hub.url, conversation_id)["messages"] if m["sender"] == "customer"] == [
        None,
        "Produção",
    ]
    context.close()
