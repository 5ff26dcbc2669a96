"""The console's reports view (#reports, issue 20) in headless Chromium, against a
hub (no Rasa: the reports need none) whose database holds a known month of report
events, written by their one writer (bot/domain/report_events.record).

A supervisor opens the view: six sections, each drawn (Chart.js canvases, from
the vendored copy, under the hub's CSP) with the API's figures in its tiles and
tables; the language filter changes them; a knowledge-gap group marked handled
disappears (from the page and from the API); a CSV downloads as an attachment.
In Spanish and English no vocabulary key shows where a label exists. A plain
analyst has no Reports link and gets 403 from the API. Screenshots at 1280 and
1024 px go to docs/ (the README's pictures)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests

from bot.db.models import Conversation, Ticket
from bot.db.session import make_engine, make_sessions
from bot.domain.agents import create_agent
from bot.domain.report_events import record
from common.clock import Clock
from tests import test_hub_browser
from tests.test_live_chat import PASSWORD, start_hub

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
browser = test_hub_browser.browser
NOW = "2026-12-02T10:00:00-03:00"  # the hub's clock; the page's default range is 2026-11-03..2026-12-02
SUPERVISOR = "sofia@support.example"
SECTIONS = ("containment", "kb", "gaps", "live_chat", "tickets", "satisfaction")
# Vocabulary keys that have a label in every language (common/vocabulary.yml): none may show.
KEYS = ("technical_support", "administrative", "in_progress", "awaiting_customer", "customization", "bug")
SPED = (
    "Como exporto o arquivo do SPED fiscal?",
    "¿Cómo exporto el archivo del SPED fiscal?",
    "How do I export the SPED fiscal file?",
)


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime.fromisoformat(f"2026-{month:02d}-{day:02d}T{hour:02d}:00:00-03:00")


# Each conversation: when it started, its language, and its events (kind, fields), noted then.
Events = List[Tuple[str, Dict[str, Any]]]
TECH, ADMIN = "technical_support", "administrative"
MONTH: List[Tuple[datetime, str, Events]] = [
    (at(10, 9), "pt", [
        ("answer", {"article_id": "forgot_password", "confidence": 0.91}),
        ("helpful", {"article_id": "forgot_password", "helpful": True, "text": "esqueci a senha do portal"}),
    ]),
    (at(10, 10), "pt", [
        ("answer", {"article_id": "forgot_password", "confidence": 0.88}),
        ("deflection", {"article_id": "forgot_password"}),
    ]),
    (at(10, 11), "es", [
        ("answer", {"article_id": "forgot_password", "confidence": 0.8}),
        ("helpful", {"article_id": "forgot_password", "helpful": False, "text": "olvidé la contraseña del portal"}),
    ]),
    (at(12, 14), "es", [
        ("handoff_requested", {"queue": TECH}),
        ("handoff_queued", {"queue": TECH, "handoff_id": 1}),
        ("handoff_accepted", {"queue": TECH, "handoff_id": 1, "agent_id": 1, "wait_seconds": 45}),
        ("handoff_closed", {"queue": TECH, "handoff_id": 1, "handle_seconds": 600, "resolution": "resolved"}),
        ("survey", {"score": 10, "text": "Muy buena atención", "channel": "live_chat"}),
    ]),
    (at(12, 15), "pt", [
        ("handoff_requested", {"queue": ADMIN}),
        ("handoff_queued", {"queue": ADMIN, "handoff_id": 2}),
        ("handoff_abandoned", {"queue": ADMIN, "handoff_id": 2, "waited_seconds": 300, "stage": "queued"}),
    ]),
    (at(18, 9), "en", [
        ("ticket_created", {"queue": TECH, "ticket_number": "2026-000001", "category": "bug", "criticality": "high"}),
        ("survey", {"score": 3, "text": "Took too long", "channel": "ticket"}),
    ]),
    (at(18, 11), "pt", [
        ("ticket_created", {"queue": "cloud", "ticket_number": "2026-000002", "category": "customization",
                            "criticality": "medium"}),
    ]),
    (at(20, 9), "pt", [("no_answer", {"text": SPED[0]})]),
    (at(20, 10), "es", [("no_answer", {"text": SPED[1]})]),
    (at(20, 11), "en", [("no_answer", {"text": SPED[2]})]),
    (at(21, 9), "pt", [("suggestions", {"text": "Como exporto o SPED do mês?", "articles": ["forgot_password"]})]),
    (at(25, 16), "en", [
        ("answer", {"article_id": "download_center", "confidence": 0.95}),
        ("survey", {"score": 8, "text": None, "channel": "live_chat"}),
    ]),
]  # fmt: skip
# The kinds that carry the customer's language.
SPOKEN = (
    "answer",
    "suggestions",
    "no_answer",
    "helpful",
    "handoff_requested",
    "handoff_queued",
    "ticket_created",
    "survey",
)
# An analyst online from 09:00 to 12:00 one day (presence belongs to no conversation), and
# the first ticket in its first status for 30 hours.
LATER: List[Tuple[datetime, str, Dict[str, Any]]] = [
    (at(12, 9), "presence", {"agent_id": 1, "status": "online"}),
    (at(12, 12), "presence", {"agent_id": 1, "status": "offline"}),
    (at(19, 15), "ticket_status", {"queue": TECH, "ticket_number": "2026-000001", "from": "open", "to": "in_progress"}),
]


def ticket(conversation: Conversation, fields: Dict[str, Any]) -> Ticket:
    year, sequence = fields["ticket_number"].split("-")
    return Ticket(
        number=fields["ticket_number"],
        year=int(year),
        sequence=int(sequence),
        conversation_id=conversation.id,
        queue=fields["queue"],
        category=fields["category"],
        criticality=fields["criticality"],
        language=conversation.language,
        summary="seeded",
    )


async def seed(database_url: str) -> None:
    engine = make_engine(database_url)
    async with make_sessions(engine).begin() as session:
        await create_agent(session, SUPERVISOR, "Sofia", PASSWORD, ["technical_support"], role="supervisor")
    for moment, language, events in MONTH:
        async with make_sessions(engine, Clock(moment)).begin() as session:
            conversation = Conversation(language=language)
            session.add(conversation)
            await session.flush()
            for kind, fields in events:
                fields = dict(fields)
                if kind in SPOKEN:
                    fields.setdefault("language", language)
                if kind == "ticket_created":
                    fields.setdefault("via", "intake")
                await record(session, kind, conversation_id=conversation.id, **fields)
                if kind == "ticket_created":  # containment counts the conversations with a ticket
                    session.add(ticket(conversation, fields))
    for moment, kind, fields in LATER:
        async with make_sessions(engine, Clock(moment)).begin() as session:
            await record(session, kind, **fields)
    await engine.dispose()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, server_env) -> Iterator:
    service = start_hub(tmp_path_factory, server_env, "reports-hub", NOW)
    asyncio.run(seed(service.env["DATABASE_URL"]))
    yield service
    service.stop()


@pytest.fixture(scope="module")
def supervisor(hub) -> Iterator[requests.Session]:
    http = requests.Session()
    assert http.post(f"{hub.url}/api/agent/login", json={"email": SUPERVISOR, "password": PASSWORD}, timeout=10).ok
    yield http
    http.close()


def report(http: requests.Session, hub, name: str, **query: str) -> Dict[str, Any]:
    reply = http.get(f"{hub.url}/api/reports/{name}", params=query, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


# A page of the console, signed in, with the browser's clock on the hub's "today", its
# errors and the Content-Security-Policy's complaints collected.
def console(browser, hub, email: str, width: int = 1280, locale: str = "pt-BR"):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.clock.set_fixed_time(datetime.fromisoformat(NOW))
    problems: List[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI); });"
    )
    page.goto(f"http://localhost:{hub.port}/console")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    page.locator("header.top").wait_for()
    return context, page, problems


def open_reports(page) -> None:
    page.locator("a[href='#reports']").click()
    wait_drawn(page)


def wait_drawn(page) -> None:
    for name in SECTIONS:
        page.locator(f"#report-{name}[data-ready]").wait_for(timeout=15000)


def tile(page, section: str, label: str) -> str:
    box = page.locator(f"#report-{section} .tiles div", has=page.locator("dt", has_text=label))
    return box.locator("dd").inner_text()


def cells(page, section: str, row: str) -> List[str]:
    """The texts of the cells of the section's table row that has `row` in it."""
    return page.locator(f"#report-{section} tbody tr", has_text=row).first.locator("td").all_inner_texts()


def no_violations(page, problems: List[str]) -> None:
    assert not problems, problems
    assert page.evaluate("window.__csp || []") == [], "the page must work under the hub's CSP"


def chart_texts(page) -> str:
    """Every label a chart draws (its categories and its series), which the page's text does not show."""
    return page.evaluate(
        "Object.values(Chart.instances).map(function (c) { return c.data.labels"
        ".concat(c.data.datasets.map(function (d) { return d.label; })).join(' | '); }).join('\\n')"
    )


def test_a_supervisor_reads_the_reports(hub, supervisor, browser):
    DOCS.mkdir(exist_ok=True)
    context, page, problems = console(browser, hub, SUPERVISOR)
    assert page.locator("a[href='#reports']").is_visible()
    open_reports(page)
    # The last 30 days up to the hub's today, as the API's default.
    assert page.locator("input[name=from]").input_value() == "2026-11-03"
    assert page.locator("input[name=to]").input_value() == "2026-12-02"
    # Every section drew its chart(s) on a canvas with Chart.js.
    for name in SECTIONS:
        assert page.locator(f"#report-{name} canvas").count() >= 1, name
    assert page.evaluate("Object.keys(Chart.instances).length") >= 7
    assert page.evaluate("typeof Chart.version") == "string"

    # The figures: the API's, counted by hand from MONTH, formatted in Portuguese.
    everything = report(supervisor, hub, "containment")
    assert everything["totals"] == {"conversations": 12, "bot": 9, "human": 1, "ticket": 2}
    assert tile(page, "containment", "Conversas") == "12"
    assert tile(page, "containment", "Só a Carolina") == "9 (75%)"
    assert tile(page, "containment", "Com um analista") == "1 (8%)"
    assert tile(page, "containment", "Virou chamado") == "2 (17%)"
    assert cells(page, "containment", "18 de nov. de 2026") == ["18 de nov. de 2026", "0", "0", "2", "2"]
    kb = report(supervisor, hub, "kb")
    assert tile(page, "kb", "Respostas dadas") == str(kb["answers"]) == "4"
    # Articles by their title in the analyst's language, linked to the article.
    assert (
        page.locator("#report-kb tbody a[href='/kb/pt/forgot_password']", has_text="Esqueci minha senha").count() >= 1
    )
    assert page.locator("#report-live_chat tbody tr").count() == len(report(supervisor, hub, "live_chat")["queues"])
    assert cells(page, "live_chat", "suporte técnico") == [
        "suporte técnico",
        "1",
        "1",
        "0",
        "0%",
        "45 s",
        "45 s",
        "10 min",
    ]
    assert cells(page, "live_chat", "administrativo") == [
        "administrativo e financeiro",
        "1",
        "0",
        "1",
        "100%",
        "–",
        "–",
        "–",
    ]
    assert cells(page, "tickets", "Aberto") == ["Aberto", "1", "30 h", "30 h"]
    assert tile(page, "tickets", "Abertos") == "2"
    assert tile(page, "tickets", "Evitados por um artigo") == "1"
    satisfaction = page.locator("#report-satisfaction")
    assert "Muy buena atención" in satisfaction.inner_text() and "Took too long" in satisfaction.inner_text()
    assert page.locator("#report-satisfaction [data-channel=live_chat] .tiles dd").first.inner_text() == "+50"
    assert page.locator("#report-satisfaction [data-channel=ticket] .tiles dd").first.inner_text() == "-100"
    assert page.locator("#report-gaps li.gap", has_text="SPED").count() >= 1
    page.screenshot(path=str(DOCS / "reports-1280.png"), full_page=True)

    # The same page 1024 px wide: nothing wider than the window.
    narrow, small, complaints = console(browser, hub, SUPERVISOR, width=1024)
    open_reports(small)
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the page scrolls sideways at 1024 px ({width})"
    small.screenshot(path=str(DOCS / "reports-1024.png"), full_page=True)
    no_violations(small, complaints)
    narrow.close()

    # Only the Spanish-speaking customers: the figures change, to the API's.
    page.locator("select[name=language]").select_option("es")
    page.get_by_role("button", name="Mostrar").click()
    wait_drawn(page)
    spanish = report(supervisor, hub, "kb", language="es")
    assert spanish["answers"] == 1
    assert tile(page, "kb", "Respostas dadas") == "1"
    conversations = report(supervisor, hub, "containment", language="es")["totals"]["conversations"]
    assert tile(page, "containment", "Conversas") == str(conversations) != str(everything["totals"]["conversations"])
    page.locator("select[name=language]").select_option("")
    page.get_by_role("button", name="Mostrar").click()
    wait_drawn(page)

    # The SPED questions (pt, es, en) are one group; marked handled, it leaves the page and the API.
    group = page.locator("#report-gaps li.gap", has_text="SPED").first
    key = group.get_attribute("data-key")
    group.get_by_role("button", name="Marcar como resolvido").click()
    page.locator(f"#report-gaps li.gap[data-key='{key}']").wait_for(state="detached")
    assert key not in [g["key"] for g in report(supervisor, hub, "gaps")["groups"]]
    page.locator(".toast", has_text="resolvido").wait_for()

    # A CSV per table, as an attachment, with the analyst's cookie.
    link = page.locator("#report-live_chat a.csv").last
    href = link.get_attribute("href")
    assert "format=csv" in href and "table=queues" in href
    reply = page.request.get(f"http://localhost:{hub.port}{href}")
    assert reply.ok
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    assert "queue" in reply.text().splitlines()[0]
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".csv")

    no_violations(page, problems)
    context.close()


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_reports_show_labels_not_vocabulary_keys(hub, browser, language):
    context, page, problems = console(browser, hub, SUPERVISOR)
    open_reports(page)
    page.locator("select.language").select_option(language)
    page.locator("#report-kb h2", has_text={"es": "Base de conocimiento", "en": "Knowledge base"}[language]).wait_for()
    wait_drawn(page)
    shown = page.locator("main").inner_text() + "\n" + chart_texts(page)
    keys = KEYS + (("high", "medium") if language == "es" else ())
    found = [key for key in keys if re.search(rf"\b{key}\b", shown)]
    assert not found, f"vocabulary keys on the {language} page: {found}"
    expected = {
        "es": ("soporte técnico", "Error en el sistema", "alta", "En atención"),
        "en": ("technical support", "Something is broken", "high", "In progress"),
    }
    for label in expected[language]:
        assert label in shown, label
    no_violations(page, problems)
    context.close()


def test_a_plain_analyst_has_no_reports(hub, browser):
    context, page, problems = console(browser, hub, "ana@support.example")
    assert page.locator("a[href='#reports']").is_hidden()
    page.evaluate("location.hash = '#reports'")
    page.locator("main h1", has_text="Fila").wait_for()  # the router sends her to the queue
    assert page.locator("#report-kb").count() == 0
    reply = page.request.get(f"http://localhost:{hub.port}/api/reports/kb")
    assert reply.status == 403
    assert reply.json()["error"] == "forbidden"
    assert requests.get(f"{hub.url}/api/reports/kb", timeout=10).status_code == 401
    no_violations(page, problems)
    context.close()
