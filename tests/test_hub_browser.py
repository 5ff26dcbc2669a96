"""Real pages in headless Chromium (Debian's `chromium`, driven by Playwright):
the hub's own widget, the unchanged rasa-webchat bundle from the npm registry,
and the demo page's sample customers."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
RASA_WEBCHAT = "rasa-webchat@1.0.1"
CACHE = ROOT / ".cache" / "npm"


def missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium ({CHROMIUM}; `apt-get install chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


@pytest.fixture(scope="module")
def rasa_webchat_bundle() -> Path:
    """lib/index.js of the published rasa-webchat package (npm registry, cached)."""
    bundle = CACHE / RASA_WEBCHAT.replace("@", "-") / "package" / "lib" / "index.js"
    if not bundle.exists():
        npm = shutil.which("npm")
        if not npm:
            missing("npm")
        CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [npm, "pack", RASA_WEBCHAT, "--pack-destination", str(CACHE)], capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        archive = CACHE / result.stdout.strip().splitlines()[-1]
        with tarfile.open(archive) as tar:
            tar.extractall(bundle.parents[2], filter="data")
    return bundle


def test_own_widget_chats_keeps_the_session_and_renders_text_safely(hub_service, portal_server, page):
    (portal_server.root / "widget.html").write_text(
        f'<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Portal</title></head>'
        f'<body><h1>Portal</h1><script src="{hub_service.url}/static/widget.js" async></script></body></html>'
    )
    page.goto(f"{portal_server.origin}/widget.html")
    page.get_by_role("button", name="Abrir el chat con Carolina").click()
    box = page.get_by_label("Escribe tu mensaje…")
    box.fill("hola, buenas tardes")
    box.press("Enter")
    page.locator(".carolina-bot").first.wait_for(timeout=120_000)
    assert "Soy Carolina" in page.locator(".carolina-bot").first.inner_text()
    assert page.locator(".carolina-replies button").count() == 3

    box.fill('<img src=x onerror="alert(1)"> hola')
    box.press("Enter")
    page.locator(".carolina-customer", has_text="<img src=x").wait_for(timeout=120_000)
    assert page.locator(".carolina-log img").count() == 0

    page.reload()
    page.get_by_role("button", name="Abrir el chat con Carolina").click()
    page.locator(".carolina-customer", has_text="hola, buenas tardes").wait_for(timeout=30_000)
    assert page.locator(".carolina-customer").count() == 2  # resynced from the record, no duplicates
    assert page.dialogs == []


def test_unchanged_rasa_webchat_page_chats_with_the_hub(hub_service, portal_server, page, rasa_webchat_bundle):
    shutil.copy(rasa_webchat_bundle, portal_server.root / "rasa-webchat.js")
    (portal_server.root / "webchat.html").write_text(
        """<!doctype html><html><head><meta charset="utf-8"><title>rasa-webchat</title></head><body>
<div id="webchat"></div>
<script src="rasa-webchat.js"></script>
<script>
  WebChat.default({
    selector: "#webchat",
    socketUrl: "HUB_URL",
    socketPath: "/socket.io/",
    customData: {"language": "en"},
    title: "Carolina",
    embedded: true,
    params: {storage: "session"}
  }, null);
</script></body></html>""".replace("HUB_URL", hub_service.url)
    )
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{portal_server.origin}/webchat.html")
    box = page.locator("input.rw-new-message, textarea.rw-new-message")
    box.wait_for(timeout=30_000)
    box.fill("hello there")
    box.press("Enter")
    # The typing indicator is an empty .rw-response first; wait for the real reply.
    try:
        page.locator(".rw-response", has_text="I'm Carolina").first.wait_for(timeout=120_000)
    except Exception:
        print("browser console:", console, "\nhub log:", hub_service.log.read_text()[-3000:])
        Path("/tmp/hubfail.log").write_text(hub_service.log.read_text())
        raise
    buttons = page.locator(".rw-replies .rw-reply, .rw-replies button")
    assert buttons.count() == 3


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory, rasa_service, server_env, hub_port):
    """A hub as `make run` starts it: no CAROLINA_IDENTITY_SECRET, so demo mode."""
    from tests.conftest import ACTIONS_TOKEN, HUB_PYTHON, Service, free_port

    workdir = tmp_path_factory.mktemp("demo-hub")
    port = free_port()
    env = {k: v for k, v in server_env.items() if k != "CAROLINA_IDENTITY_SECRET"}
    env.update(
        CAROLINA_PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'hub.db'}",
        RASA_URL=rasa_service.url,
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        CAROLINA_OUTBOX=str(workdir / "outbox"),
        CAROLINA_CLOCK="2026-12-02T12:30:00-03:00",
    )
    service = Service("demo-hub", [str(HUB_PYTHON), "-m", "bot", "serve"], port, "/api/health", env, workdir)
    try:
        yield service.start(timeout=120)
    finally:
        service.stop()


def test_demo_page_chats_as_a_sample_customer(demo_hub, page):
    from tests.conftest import actions_auth

    page.goto(f"{demo_hub.url}/?as=lucia&lang=es")
    assert page.locator("#demo").is_visible() and "Demo mode" in page.locator("#demo").inner_text()
    assert page.locator("#demo-as option").count() == 4
    page.get_by_role("button", name="Abrir el chat con Carolina").click()
    box = page.get_by_label("Escribe tu mensaje…")
    box.fill("hola")
    box.press("Enter")
    page.locator(".carolina-bot").first.wait_for(timeout=120_000)
    # The session is stored once the hub confirms it, which may come after the first bubble;
    # what is stored is the resume token, and the widget shows the conversation id apart.
    page.wait_for_function("localStorage.getItem('carolina.session') !== null", timeout=30_000)
    page.wait_for_function("document.querySelector('.carolina').dataset.conversation", timeout=30_000)
    session = page.evaluate("localStorage.getItem('carolina.session')")
    conversation_id = page.evaluate("document.querySelector('.carolina').dataset.conversation")
    assert session != conversation_id
    auth = actions_auth(conversation_id)
    record = requests.get(f"{demo_hub.url}/api/conversations/{conversation_id}", headers=auth, timeout=10).json()
    # The hub signed Lucía's identity itself: the conversation is hers, blocked company and all.
    assert record["contact"]["company"] == "Ferretería El Tornillo" and record["contact"]["can_open_tickets"] is False
    # Another sample customer is another conversation.
    page.select_option("#demo-as", "anonymous")
    page.wait_for_url("**as=anonymous**")
    # The reloaded page records the choice once demo.js has run (not at navigation).
    page.wait_for_function("localStorage.getItem('carolina.demo.as') === 'anonymous'", timeout=30_000)
    assert page.evaluate("localStorage.getItem('carolina.demo.as')") == "anonymous"


def test_my_tickets_in_the_widget(hub_service, portal_server, page):
    """A logged-in customer asks for her tickets and gets her company's open
    ones with their status and last interaction, each a button to its thread."""
    import uuid

    from bot.domain.identity import Identity, sign
    from tests.conftest import IDENTITY_SECRET, actions_auth

    tag = uuid.uuid4().hex[:8]
    ana = Identity(f"contact-{tag}", "Ana", f"ana.{tag}@example.com", "Acme", f"ACME-{tag}", "pt")
    (portal_server.root / "tickets.html").write_text(
        f'<!doctype html><html lang="pt"><head><meta charset="utf-8"><title>Portal</title></head><body>'
        f'<h1>Portal do Cliente</h1><script src="{hub_service.url}/static/widget.js" '
        f'data-token="{sign(ana, IDENTITY_SECRET)}" async></script></body></html>'
    )
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto(f"{portal_server.origin}/tickets.html")
    page.get_by_role("button", name="Abrir o chat com a Carolina").click()
    page.wait_for_function("document.querySelector('.carolina').dataset.conversation", timeout=60_000)
    conversation = page.evaluate("document.querySelector('.carolina').dataset.conversation")
    numbers = []
    for i, summary in enumerate(("Nota fiscal de saída rejeitada pela SEFAZ", "Relatório de estoque não abre")):
        body = {
            "conversation_id": conversation,
            "fields": {"category": "bug", "product": "Protheus", "summary": summary, "description": summary},
            "impact": "medium",
            "urgency": "medium",
            "language": "pt",
        }
        headers = {**actions_auth(conversation), "Idempotency-Key": f"mine-{tag}-{i}"}
        reply = requests.post(f"{hub_service.url}/api/tickets", json=body, headers=headers, timeout=30)
        assert reply.status_code == 201, reply.text
        numbers.append(reply.json()["number"])
    box = page.get_by_label("Escreva sua mensagem…")
    box.fill("quais são os meus chamados?")
    box.press("Enter")
    for number in numbers:
        page.locator(".carolina-replies button", has_text=number).wait_for(timeout=120_000)
    listed = page.locator(".carolina-bot").last.inner_text()
    assert "Aberto" in listed, listed
    page.screenshot(path=str(ROOT / "docs" / "widget-my-tickets.png"))
    assert page.dialogs == []
