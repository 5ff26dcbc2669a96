"""The analyst's workspace in the console (issue 23) in headless Chromium, against
a hub without Rasa (live chat needs none) whose clock starts on a Wednesday at
12:30 in Brasília and runs: technical support and cloud open, the administrative
queue at lunch.

A chat queued while the analyst is in another chat raises the header's badge,
the rail's count and the tab's title; a customer's line in a chat she holds but
is not looking at shows in the rail as unread; Alt+1 switches to it. The queue
puts the most critical first, shows the customer's last line and lets her read a
chat before taking it. A dropped socket shows the banner and stops sending; back
on line, the line the customer wrote meanwhile is in the chat and the presence is
the hub's; when the drop outlasts the grace period, she is told the chat went
back to the queue. Close, give back, transfer and turn-into-ticket ask first; the
transfer menu shows which queues are open and who is online; the ticket stays as
a link. A canned reply goes in at the caret; a new line does not pull the log
down while she reads above; at 1024 px the chat's buttons sit on one row; the
header is gone on the login page and after logging out. Screenshots of the queue
and a chat at 1280 and 1024 px go to docs/."""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest
import requests

from bot.db import queries
from bot.domain import handoffs, workspace
from bot.domain.identity import Identity, sign
from tests import test_hub_browser
from tests.conftest import IDENTITY_SECRET, actions_auth
from tests.reports.test_events import analyst, queue_chat
from tests.reports.test_events import customer as conversation_of_a_customer
from tests.reports.test_events import run as in_process
from tests.test_hub_widget import Customer
from tests.test_live_chat import PASSWORD, WEDNESDAY_LUNCH, conversation, send, start_hub

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
browser = test_hub_browser.browser
NOTE = "Cliente Cloud: ambiente hospedado, ver o log do servidor"

# Before the console's script: every WebSocket the page opens is kept, and while
# window.__hold is set a new one goes to a closed port (the network is down), and so
# does the socket.io client's long-polling, its fallback when WebSockets fail.
HOLDABLE_SOCKETS = """
window.__hold = false; window.__sockets = [];
(function () {
  var Real = window.WebSocket;
  function Held(url, protocols) {
    var socket = new Real(window.__hold ? url.replace(/\\/\\/[^/]+/, "//127.0.0.1:9") : url, protocols);
    window.__sockets.push(socket);
    return socket;
  }
  Held.prototype = Real.prototype;
  window.WebSocket = Held;
  var open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    var args = Array.prototype.slice.call(arguments);
    if (window.__hold) args[1] = String(url).replace(/\\/\\/[^/]+/, "//127.0.0.1:9");
    return open.apply(this, args);
  };
})();
"""
# And every browser notification the page shows is noted in window.__notified, every beep counted.
NOTED_NOTIFICATIONS = """
window.__notified = []; window.__beeps = 0;
(function () {
  var oscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__beeps += 1; return oscillator.call(this); };
  var Real = window.Notification;
  function Noted(title, options) { window.__notified.push(options.body); return new Real(title, options); }
  Noted.requestPermission = function () { return Real.requestPermission(); };
  Object.defineProperty(Noted, "permission", { get: function () { return Real.permission; } });
  window.Notification = Noted;
})();
"""


def running_hub(tmp_path_factory, server_env, name: str, grace: str):
    """A hub whose analysts have `grace` seconds to come back. Made off this thread: making
    its analysts runs an event loop, and Playwright's may already run on this one."""
    extra = {"CAROLINA_CLOCK_RUNNING": "1", "CAROLINA_AGENT_GRACE_SECONDS": grace, "CAROLINA_ABANDON_SECONDS": "1"}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(start_hub, tmp_path_factory, server_env, name, WEDNESDAY_LUNCH, **extra).result()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, server_env) -> Iterator:
    service = running_hub(tmp_path_factory, server_env, "workspace-hub", "60")
    yield service
    service.stop()


CPF = "529.982.247-25"


def test_the_facts_beside_a_handoff_and_the_queues_for_a_transfer(database_url):
    """bot/domain/workspace.py and the transfer's note, in process, on SQLite and PostgreSQL."""

    async def scenario(sessions, clock, live):
        bia = await analyst(sessions)
        conversation_id = await conversation_of_a_customer(sessions)  # the customer said "preciso de ajuda"
        other = await conversation_of_a_customer(sessions)
        handoff_id = await queue_chat(sessions, clock, conversation_id)
        quiet = await queue_chat(sessions, clock, other)
        async with sessions.begin() as session:
            await queries.add_message(session, conversation_id, "customer", "/affirm", title="Sim, abrir")
            await queries.add_message(session, conversation_id, "bot", "x" * 300)
            await queries.add_message(session, other, "bot", "um momento " * 30)
        clock.advance(30)
        await live.accept(bia, handoff_id)
        await live.transfer(bia, handoff_id, "cloud", f"CPF dela: {CPF}; ver o log")
        async with sessions() as session:
            listed = [await handoffs.get(session, handoff_id), await handoffs.get(session, quiet)]
            facts = await workspace.chat_facts(session, listed)
            states = await workspace.queue_states(session, live.calendar, clock.now())
            shown = await handoffs.handoff_json(session, listed[0], "http://hub")
        return handoff_id, quiet, facts, states, shown

    # Off this thread: a browser test of this module may have Playwright's loop running on it.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        handoff_id, quiet, facts, states, shown = pool.submit(in_process, database_url, scenario).result()
    mine = facts[handoff_id]
    # The system line "Bia joined" and the transfer's came after the customer's click and the long reply.
    assert mine["last_line"]["sender"] == "system"
    assert mine["customer_line"]["text"] == "Sim, abrir", "a click reads as its title"
    cut = facts[quiet]["last_line"]["text"]
    assert len(cut) == workspace.LINE_CHARS and cut.startswith("um momento") and cut.endswith("…")
    assert facts[quiet]["customer_line"]["text"] == "preciso de ajuda"
    # Back in line after the transfer: its wait counts from then, 30 s after it was first queued.
    assert mine["queued_since"] > facts[quiet]["queued_since"]
    assert shown["transfer_note"]["by"] == "Bia" and "ver o log" in shown["transfer_note"]["text"]
    assert CPF not in shown["transfer_note"]["text"], "the note is masked like everything typed"
    by_queue = {s["queue"]: s for s in states}
    # 12:30 on a Wednesday: the administrative queue is at lunch; Bia (technical support and cloud) is offline.
    assert by_queue["administrative"]["open"] is False and by_queue["cloud"]["open"] is True
    assert by_queue["cloud"]["waiting"] == 1 and by_queue["technical_support"]["waiting"] == 1
    assert all(s["online"] == 0 for s in states)


def customer(hub_url: str, name: str) -> Customer:
    """A logged-in customer of ACME on the widget."""
    widget = Customer(hub_url)
    identity = Identity(
        f"c-{uuid.uuid4().hex[:8]}", name=name, email=f"{name.lower()}@acme.example", company="ACME", language="pt"
    )
    widget.start(token=sign(identity, IDENTITY_SECRET), language="pt")
    return widget


def escalate(hub_url: str, widget: Customer, reason: str, impact: Optional[str] = None, urgency: str = "high") -> int:
    """Carolina hands the customer over (the action server's call); the handoff's id."""
    body: Dict[str, Any] = {
        "conversation_id": widget.conversation_id,
        "reason": reason,
        "language": "pt",
        "form_turn": str(uuid.uuid4()),
    }
    if impact:
        body["ticket"] = {"fields": {"summary": reason, "description": reason}, "impact": impact, "urgency": urgency}
    reply = requests.post(
        f"{hub_url}/api/escalations", json=body, headers=actions_auth(widget.conversation_id), timeout=10
    )
    assert reply.status_code == 201 and reply.json()["outcome"] == "handoff", reply.text
    return reply.json()["handoff_id"]


def stored(hub_url: str, widget: Customer, text: str) -> None:
    """Waits until the hub has stored the customer's line."""
    deadline = time.monotonic() + 15
    while text not in str(conversation(hub_url, widget.conversation_id).get("messages")):
        assert time.monotonic() < deadline, f"{text!r} was never stored"
        time.sleep(0.1)


def mode(hub_url: str, widget: Customer) -> str:
    return conversation(hub_url, widget.conversation_id)["mode"]


def console(browser, hub, width: int = 1280, online: bool = True):
    """Ana's console, logged in (and online)."""
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="pt-BR")
    page = context.new_page()
    page.add_init_script(HOLDABLE_SOCKETS)
    page.add_init_script(NOTED_NOTIFICATIONS)
    context.grant_permissions(["notifications"], origin=f"http://localhost:{hub.port}")
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"http://localhost:{hub.port}/console")
    page.get_by_label("E-mail").fill("ana@support.example")
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.locator(".rail .rail-queue").wait_for()
    presence = page.locator(".presence")
    page.wait_for_function("() => document.querySelector('.presence').textContent !== ''")
    if online and presence.inner_text() == "Offline":
        presence.click()
        page.get_by_role("button", name="Online").wait_for()
    return context, page


def take(page, handoff_id: int) -> None:
    """Accepts a handoff from the queue page and waits for the chat's composer."""
    page.goto(page.url.split("#")[0] + "#queue")
    page.locator(f"tr[data-handoff='{handoff_id}']").get_by_role("button", name="Atender").click()
    page.locator(".composer textarea").wait_for()
    page.wait_for_function("hash => location.hash === hash", arg=f"#chat/{handoff_id}")


def wait_title(page, prefix: str) -> None:
    page.wait_for_function("prefix => document.title.startsWith(prefix)", arg=prefix, timeout=15000)


def test_a_chat_queued_while_in_another_raises_the_badge_and_the_title(hub, browser):
    context, page = console(browser, hub)
    widgets = []
    try:
        marta = customer(hub.url, "Marta")
        widgets.append(marta)
        first = escalate(hub.url, marta, "a nota fiscal não sai")
        take(page, first)
        assert page.locator(".queue-count").inner_text() == "(0)"
        assert not page.title().startswith("(")

        # She asks for browser notifications, and looks at another window (the console is not in front).
        page.get_by_role("button", name="Ativar avisos").click()
        page.get_by_role("button", name="Avisos ativos").wait_for()
        page.evaluate("document.hasFocus = function () { return false; }")
        beeps = page.evaluate("window.__beeps")

        # While she chats with Marta, Joana and then Rui queue: the badge, the rail and the title count them.
        joana = customer(hub.url, "Joana")
        widgets.append(joana)
        second = escalate(hub.url, joana, "o relatório de vendas está vazio", impact="medium", urgency="medium")
        page.locator(".queue-count", has_text="(1)").wait_for(timeout=15000)
        wait_title(page, "(1) ")
        notified = page.evaluate("window.__notified")
        assert len(notified) == 1 and "Joana" in notified[0] and "suporte técnico" in notified[0], notified
        assert page.evaluate("window.__beeps") > beeps, "a beep too"
        page.evaluate("delete document.hasFocus")  # back at the console
        assert page.locator(".rail .rail-queue .count").inner_text() == "1"
        rui = customer(hub.url, "Rui")
        widgets.append(rui)
        third = escalate(hub.url, rui, "o sistema parou para todos", impact="high", urgency="high")
        page.locator(".queue-count", has_text="(2)").wait_for(timeout=15000)
        wait_title(page, "(2) ")
        send(rui, "ninguém consegue faturar")
        stored(hub.url, rui, "ninguém consegue faturar")

        # The queue: Rui (critical) before Joana, who waited longer; the customer's last line; waits tick.
        page.get_by_role("link", name="Fila (2)").first.click()
        rows = page.locator("tr.waiting-row")
        rows.nth(1).wait_for()
        assert "Rui" in rows.nth(0).inner_text() and "Joana" in rows.nth(1).inner_text()
        assert "ninguém consegue faturar" in rows.nth(0).inner_text()
        assert rows.nth(0).locator(".crit.critical").inner_text() == "crítica"
        wait = rows.nth(1).locator("time[data-since]")
        before = wait.inner_text()
        page.wait_for_function("([node, text]) => node.textContent !== text", arg=[wait.element_handle(), before])

        # A look before taking: the transcript, read only; Joana is still waiting.
        rows.nth(0).get_by_role("button", name="Espiar").click()
        page.locator("tr.peek .msg.customer", has_text="ninguém consegue faturar").wait_for()
        assert page.locator("tr.peek textarea").count() == 0
        assert mode(hub.url, rui) == "queued"
        # A waiting customer's new line reaches the open queue (read again every 15 s), the peek stays open.
        send(joana, "é o relatório mensal")
        rows.nth(1).locator(".line", has_text="é o relatório mensal").wait_for(timeout=20000)
        assert page.locator("tr.peek .msg.customer", has_text="ninguém consegue faturar").is_visible()

        # She takes Joana too; Marta writes while Joana's chat is open: unread in the rail, in the title.
        take(page, second)
        send(marta, "achei o número da nota: 4521")
        marta_link = page.locator(f".rail a[href='#chat/{first}']")
        marta_link.locator(".unread", has_text="1").wait_for(timeout=15000)
        assert "achei o número da nota" in marta_link.inner_text()
        wait_title(page, "(2) ")  # Rui waiting, and Marta's line
        # Alt+1 is her first chat: Marta's, with the line; it is read now.
        page.keyboard.press("Alt+1")
        page.wait_for_function("hash => location.hash === hash", arg=f"#chat/{first}")
        page.locator(".log .msg.customer", has_text="4521").wait_for()
        assert marta_link.locator(".unread").count() == 0
        wait_title(page, "(1) ")
        page.keyboard.press("Alt+ArrowDown")
        page.wait_for_function("hash => location.hash === hash", arg=f"#chat/{second}")
        assert third
        assert not page.errors, page.errors
    finally:
        for widget in widgets:
            widget.client.disconnect()
        context.close()


def drop(page) -> None:
    page.evaluate("window.__hold = true; window.__sockets.forEach(function (s) { s.close(); })")


def test_a_dropped_socket_shows_the_banner_and_comes_back_with_the_missed_line(hub, browser):
    context, page = console(browser, hub)
    widget = customer(hub.url, "Lia")
    try:
        handoff = escalate(hub.url, widget, "não consigo emitir boleto")
        take(page, handoff)
        page.locator(".composer textarea").fill("um momento, Lia")
        drop(page)
        banner = page.locator(".banner")
        banner.wait_for(state="visible")
        assert "reconectando" in banner.inner_text()
        assert page.get_by_role("button", name="Enviar").is_disabled()
        # The customer writes while the console is away.
        send(widget, "o erro diz código 37")
        stored(hub.url, widget, "o erro diz código 37")
        page.evaluate("window.__hold = false")
        banner.wait_for(state="hidden", timeout=15000)
        page.locator(".log .msg.customer", has_text="código 37").wait_for(timeout=15000)
        assert page.get_by_role("button", name="Enviar").is_enabled()
        assert page.locator(".composer textarea").input_value() == "um momento, Lia", "the draft survives"
        # Back within the grace period: nothing of hers was taken back (chats earlier tests left
        # with this analyst may say their customers left).
        assert page.locator(".notice", has_text="Lia").count() == 0, page.locator(".notice").all_inner_texts()
        # Within the grace period she is still online, and the button says so: one click sets her offline
        # (which may give her chats back, and say so).
        assert page.locator(".presence").inner_text() == "Online"
        page.locator(".presence").click()
        page.get_by_role("button", name="Offline").wait_for()
        # The customer leaves for good: the analyst is told in words, and the chat leaves her rail.
        widget.client.disconnect()
        page.locator(".notice", has_text="Lia saiu").wait_for(timeout=15000)
        page.locator(f".rail a[href='#chat/{handoff}']").wait_for(state="detached", timeout=15000)
        assert not page.errors, page.errors
    finally:
        widget.client.disconnect()
        context.close()


def test_a_chat_taken_back_during_a_long_drop_is_named(tmp_path_factory, server_env, browser):
    short = running_hub(tmp_path_factory, server_env, "workspace-grace-hub", "1")
    context, page = console(browser, short)
    widget = customer(short.url, "Bia")
    try:
        handoff = escalate(short.url, widget, "a folha de pagamento não fecha")
        take(page, handoff)
        drop(page)
        page.locator(".banner").wait_for(state="visible")
        deadline = time.monotonic() + 20
        while mode(short.url, widget) != "queued":  # the grace ran out: back in the queue
            assert time.monotonic() < deadline, "the chat never went back to the queue"
            time.sleep(0.2)
        page.evaluate("window.__hold = false")
        page.locator(".banner").wait_for(state="hidden", timeout=15000)
        page.locator(".notice", has_text="Bia").wait_for(timeout=15000)
        assert "voltou para a fila" in page.locator(".notice").inner_text()
        # The hub set her offline; the console says so, and the chat is no longer hers.
        assert page.locator(".presence").inner_text() == "Offline"
        assert page.locator(f".rail a[href='#chat/{handoff}']").count() == 0
        page.locator(".queue-count", has_text="(1)").wait_for()
        page.locator(".read-only").wait_for()  # the open chat, read again: no longer hers to write in
        assert page.locator(".composer").count() == 0
        assert not page.errors, page.errors
    finally:
        widget.client.disconnect()
        context.close()
        short.stop()


def test_actions_ask_first_the_transfer_menu_and_the_ticket_link(hub, browser):
    context, page = console(browser, hub)
    widgets = [customer(hub.url, "Caio"), customer(hub.url, "Edu")]
    try:
        first = escalate(hub.url, widgets[0], "o estoque não atualiza")
        take(page, first)
        # Closing asks; cancelling leaves the chat as it was.
        page.get_by_role("button", name="Encerrar").click()
        confirm = page.locator(".confirm")
        assert "pesquisa" in confirm.inner_text()
        confirm.get_by_role("button", name="Cancelar").click()
        assert confirm.is_hidden()
        assert mode(hub.url, widgets[0]) == "agent"

        # The transfer menu: at 12:30 the administrative queue is at lunch and cannot be picked; cloud is
        # open with Ana online there, and is the one chosen.
        page.get_by_role("button", name="Transferir").click()
        cloud = confirm.locator("label.queue-choice", has_text="Cloud")
        cloud.wait_for()
        administrative = confirm.locator("label.queue-choice", has_text="dministrativ")
        assert "fechada" in administrative.inner_text() and administrative.locator("input").is_disabled()
        assert "aberta" in cloud.inner_text() and "1 online" in cloud.inner_text()
        assert cloud.locator("input").is_checked()
        assert mode(hub.url, widgets[0]) == "agent", "nothing happens before the confirmation"
        confirm.get_by_label("Nota para o próximo analista").fill(NOTE)
        confirm.get_by_role("button", name="Confirmar").click()
        page.wait_for_function("() => location.hash === '#queue'")
        deadline = time.monotonic() + 10
        while mode(hub.url, widgets[0]) != "queued":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        moved = [h for h in admin_handoffs(hub)["queued"] if h["conversation_id"] == widgets[0].conversation_id]
        assert moved and moved[0]["queue"] == "cloud"
        assert moved[0]["transfer_note"] == {"text": NOTE, "by": "Ana"}
        # The next analyst reads the note in the queue; the customer never sees it.
        page.locator(f"tr[data-handoff='{first}'] .transfer-note", has_text="Nota de Ana").wait_for(timeout=15000)
        assert NOTE not in str(conversation(hub.url, widgets[0].conversation_id)["messages"])

        # Turning a chat into a ticket asks, then the number stays on the chat as a link.
        second = escalate(hub.url, widgets[1], "a integração com o banco caiu")
        take(page, second)
        page.get_by_role("button", name="Virar chamado").click()
        confirm.get_by_role("button", name="Confirmar").click()
        link = page.locator(".ticket-link a")
        link.wait_for(timeout=15000)
        number = link.inner_text()
        assert number and link.get_attribute("href") == f"#ticket/{number}"
        page.wait_for_timeout(0)
        assert page.locator(".ticket-link a").inner_text() == number
        assert not page.errors, page.errors
    finally:
        for widget in widgets:
            widget.client.disconnect()
        context.close()


def admin_handoffs(hub) -> Dict[str, Any]:
    """The queue as Bruno (technical support) would not see it: through Ana's bearer session."""
    login = requests.post(
        f"{hub.url}/api/agent/login", json={"email": "ana@support.example", "password": PASSWORD}, timeout=10
    )
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    return requests.get(f"{hub.url}/api/agent/handoffs", headers=bearer, timeout=10).json()


def online_without_a_console(hub, email: str) -> None:
    """Another analyst online (no socket: no grace timer ends it), so three customers may queue."""
    login = requests.post(f"{hub.url}/api/agent/login", json={"email": email, "password": PASSWORD}, timeout=10)
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    reply = requests.put(f"{hub.url}/api/agent/presence", json={"presence": "online"}, headers=bearer, timeout=10)
    assert reply.status_code == 200, reply.text


def test_the_composer_the_scroll_the_narrow_screen_and_the_screenshots(hub, browser):
    DOCS.mkdir(exist_ok=True)
    online_without_a_console(hub, "bruno@support.example")
    context, page = console(browser, hub)
    widgets = [customer(hub.url, "Marta"), customer(hub.url, "Paulo"), customer(hub.url, "Rita")]
    try:
        chat = escalate(hub.url, widgets[0], "a tela de notas fiscais trava ao salvar", impact="medium", urgency="high")
        escalate(hub.url, widgets[1], "dúvida sobre o fechamento do mês")
        escalate(hub.url, widgets[2], "o servidor caiu depois da atualização", impact="high", urgency="high")
        # Enough to scroll (within the hub's burst of ten messages at once).
        for n in range(1, 9):
            send(widgets[0], f"linha {n} do que aconteceu:\nabri a nota,\npreenchi os itens,\ncliquei em salvar")
        send(widgets[2], "estamos todos parados")
        stored(hub.url, widgets[2], "estamos todos parados")
        stored(hub.url, widgets[0], "linha 8 do que aconteceu")
        page.get_by_role("link", name="Fila (3)").first.click()
        page.locator("tr.waiting-row").nth(2).wait_for()
        page.screenshot(path=str(DOCS / "console-queue-1280.png"))
        page.set_viewport_size({"width": 1024, "height": 800})
        page.screenshot(path=str(DOCS / "console-queue-1024.png"))
        page.set_viewport_size({"width": 1280, "height": 800})
        take(page, chat)

        # A canned reply goes in at the caret; what she typed around it stays.
        box = page.locator(".composer textarea")
        box.fill("Marta, obrigado. ")
        page.get_by_label("Respostas prontas").select_option(index=2)
        assert box.input_value().startswith("Marta, obrigado. Pode me mandar um print")

        # Reading above, a new line does not pull the log down; a button says there is one.
        log = page.locator(".chat .log")
        log.evaluate("node => { node.scrollTop = 0; }")
        send(widgets[0], "e agora apareceu outro erro")
        page.locator(".chat .log .msg.customer", has_text="outro erro").wait_for(timeout=15000)
        page.locator(f".rail a[href='#chat/{chat}'] .rail-line", has_text="outro erro").wait_for()
        assert log.evaluate("node => node.scrollTop") == 0
        page.locator(".new-below").wait_for()
        page.locator(".new-below").click()
        assert log.evaluate("node => node.scrollHeight - node.scrollTop - node.clientHeight") < 48
        page.screenshot(path=str(DOCS / "console-chat-1280.png"))

        # At 1024 px the chat's buttons sit on one row.
        page.set_viewport_size({"width": 1024, "height": 800})
        tops = page.locator(".chat-actions .buttons button").evaluate_all(
            "nodes => nodes.map(n => Math.round(n.getBoundingClientRect().top))"
        )
        assert len(tops) == 4 and len(set(tops)) == 1, tops
        page.screenshot(path=str(DOCS / "console-chat-1024.png"))

        # In Spanish and English, the workspace's words are theirs.
        for language, chats, button, keys in (
            ("es", "Mis conversaciones", "Devolver a Carolina", "cambiar de conversación"),
            ("en", "My chats", "Give back to Carolina", "switch chats"),
        ):
            page.locator("select.language").select_option(language)
            page.locator(".rail h2", has_text=chats).wait_for(timeout=15000)
            page.get_by_role("button", name=button).wait_for(timeout=15000)
            assert keys in page.locator(".rail .keys").inner_text()

        # Logging out leaves no header, name or rail on the login page.
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("button", name="Log in").wait_for()
        assert page.locator("header.top").is_hidden() and page.locator(".rail").is_hidden()
        assert page.locator(".me").inner_text() == ""
        assert not page.errors, page.errors
    finally:
        for widget in widgets:
            widget.client.disconnect()
        context.close()


def test_the_header_is_hidden_on_the_login_page(hub, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="pt-BR")
    page = context.new_page()
    page.goto(f"http://localhost:{hub.port}/console")
    page.get_by_role("button", name="Entrar").wait_for()
    assert page.locator("header.top").is_hidden() and page.locator(".rail").is_hidden()
    assert page.locator(".banner").is_hidden()
    context.close()
