"""Issue 19, end to end, as a customer and an analyst live it, through the real
processes: the trained Rasa model and the action server (tests/conftest.py),
a hub with its inbound SMTP port, the console in headless Chromium, a real
SMTP server for the customer's mailbox, smtplib as the customer's mail program.

A logged-in customer asks the widget for the finance team at lunch time and
gets a ticket; the analyst answers it in the console; the customer gets the
e-mail (signed Reply-To, the number in the subject) and, still in the widget,
the news with its buttons; she answers by e-mail and the console's thread
shows it; forged and unsigned reply addresses are refused at RCPT (550); the
analyst proposes a solution and sets customer validation; the clock moves on
over a national holiday: the warning goes out the business day before, and on
the 7th business day the ticket closes by itself, once, with two ticket jobs
running at the same moment; the survey e-mail's signed link shows a form (GET)
and only the POST answers it, once.

The hub runs in this process (a thread with its own event loop) because its
clock must move: the suite's shared hub stands still at one moment. It takes
the shared hub's port, the one the action server calls (the shared hub is
stopped meanwhile when another test started it)."""

from __future__ import annotations

import asyncio
import re
import smtplib
import socket
import threading
import time
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
from aiohttp import web

from bot import app as hub_app
from bot import keys
from bot.adapters.inbound_smtp import host_port
from bot.db.session import make_engine, make_sessions
from bot.domain import signing
from bot.realtime import ticket_job
from bot.settings import Settings
from common.clock import ZONE
from tests import test_hub_browser
from tests.conftest import ACTIONS_TOKEN, IDENTITY_SECRET, PORTAL_ORIGIN, MailServer, free_port
from tests.test_intake_conversation import Chat, number_in, person
from tests.test_live_chat import PASSWORD, create_analysts
from tests.ticket_life.test_deadlines import Ticking

browser = test_hub_browser.browser
# Tuesday 17 November 2026 at lunch time in Brasília: the administrative queue is
# closed until 13:30, so Carolina offers a ticket. Friday the 20th is a national
# holiday (Consciência Negra): 7 business days on is Friday the 27th, not Thursday the 26th.
TUESDAY_LUNCH = datetime(2026, 11, 17, 12, 30, tzinfo=ZONE)
THURSDAY = datetime(2026, 11, 26, 12, 31, tzinfo=ZONE)  # the warning's day (the 7th without the holiday)
FRIDAY = datetime(2026, 11, 27, 12, 31, tzinfo=ZONE)  # the deadline's
ANALYST = "carla@support.example"  # the administrative queue's (tests/test_live_chat.py)
REASON = "preciso da segunda via do boleto de outubro"
ANSWER = "Olá! Pode confirmar o CNPJ da filial para emitirmos a segunda via?"
BY_MAIL = "É a filial de Campinas, a mesma do boleto de setembro."
SOLUTION = "Emitimos a segunda via e enviamos ao financeiro da filial de Campinas."
REPLY_DOMAIN = "reply.carolina.test"
WAIT = 20.0


class Mailbox(MailServer):
    """The customers' SMTP server: a wait for a message ends when it arrives."""

    def __init__(self) -> None:
        self.arrived = threading.Condition()
        super().__init__()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            reply = await super().handle_DATA(server, session, envelope)
            self.arrived.notify_all()
        return reply

    def wait_for(self, address: str, count: int, timeout: float = WAIT) -> List[Any]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.to(address)) >= count, timeout):
                subjects = [str(m["Subject"]) for m in self.to(address)]
                raise AssertionError(f"{count} e-mails to {address} expected, {len(subjects)} came: {subjects}")
            return self.to(address)


class Hub:
    """The hub's application served on a loopback port from a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hub", daemon=True)
        self.thread.start()
        self.app = hub_app.create_app(settings)
        # Whatever a failed test left open is not waited for a minute.
        self.runner = web.AppRunner(self.app, shutdown_timeout=2.0)
        self.call(self._start())

    async def _start(self) -> None:
        await self.runner.setup()
        # The port the shared hub just left: an instant may pass before it is free again.
        deadline = time.monotonic() + 10
        while True:
            try:
                return await web.TCPSite(self.runner, self.settings.host, self.settings.port).start()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    def call(self, work: Any, timeout: float = 60) -> Any:
        """Runs a coroutine in the hub's event loop and returns its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    async def _stop(self) -> None:
        await self.runner.cleanup()
        # What the sockets left (engine.io's pings) ends with the loop.
        left = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

    def stop(self) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    server = Mailbox()
    yield server
    server.controller.stop()


@pytest.fixture(scope="module")
def hub(request, tmp_path_factory, hub_port, rasa_service, action_service, mailbox) -> Iterator[Tuple[Hub, Ticking]]:
    """A hub with a clock the test moves, on the port the action server calls."""
    shared = request.getfixturevalue("hub_service") if listening(hub_port) else None
    if shared is not None:
        shared.stop()
    workdir = tmp_path_factory.mktemp("ticket-life-e2e")
    clock = Ticking(TUESDAY_LUNCH)
    database_url = f"sqlite+aiosqlite:///{workdir / 'hub.db'}"
    create_analysts(database_url)  # migrates too
    settings = replace(
        Settings(),
        port=hub_port,
        database_url=database_url,
        rasa_url=rasa_service.url,
        rasa_timeout=30.0,
        public_url=f"http://localhost:{hub_port}",
        identity_secret=IDENTITY_SECRET,
        actions_token=ACTIONS_TOKEN,
        allowed_origins=(PORTAL_ORIGIN, f"http://localhost:{hub_port}"),
        smtp_url=f"smtp://127.0.0.1:{mailbox.port}",
        smtp_timeout=5.0,
        outbox_dir=str(workdir / "outbox"),
        attachments_dir=str(workdir / "attachments"),
        signing_secret="end-to-end-signing-secret",
        inbound_smtp=f"127.0.0.1:{free_port()}",
        reply_domain=REPLY_DOMAIN,
        # The test runs the ticket job itself, twice at once, when it has moved the clock.
        ticket_check_seconds=0,
        retention_check_hours=0,
        check_replies=True,
        clock=clock,  # type: ignore[arg-type]
    )
    server: Optional[Hub] = None
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hub_app, "WARM_REPORTS_AFTER_SECONDS", 3600.0)  # not within this test's minute
            server = Hub(settings)
            yield server, clock
    finally:
        if server is not None:
            server.stop()
        if shared is not None:  # the next tests find the shared hub as they left it
            shared.start()


# --- The customer -------------------------------------------------------------------------


def in_the_widget(hub: Hub, rasa_url: str, email: str) -> Chat:
    """A customer signed in to the portal, with its chat open."""
    chat = Chat(hub.url, rasa_url, "pt", person("pt", name="Ana Souza", email=email))
    chat.url = hub.url
    return chat


def ticket_asked_for(chat: Chat) -> str:
    """At lunch the finance team is away: Carolina offers a ticket, asks what for, opens it."""
    chat.say("quero falar com o financeiro")
    assert chat.asked() == "handoff_ticket", chat.seen
    chat.say("/affirm")
    assert chat.asked() == "handoff_reason", chat.seen
    number = number_in(chat.say(REASON))
    assert number, chat.seen
    return number


def news(chat: Chat, number: str, wanted: str, timeout: float = WAIT) -> Dict[str, Any]:
    """The next widget message about the ticket whose buttons include the `wanted` intent."""
    deadline = time.monotonic() + timeout
    while True:
        event, data = chat.events.get(timeout=max(0.1, deadline - time.monotonic()))
        payloads = [b["payload"] for b in (data or {}).get("quick_replies") or []] if event == "bot_uttered" else []
        if f'/{wanted}{{"ticket_number":"{number}"}}' in payloads:
            return data


def mail_program(hub: Hub, sender: str, to: str, email: EmailMessage) -> Dict[str, Any]:
    """One SMTP session to the hub's inbound port, as the customer's mail program."""
    host, port = host_port(str(hub.settings.inbound_smtp))
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        return smtp.send_message(email, from_addr=sender, to_addrs=[to])


def answer_by_mail(received: Any, sender: str, text: str) -> EmailMessage:
    """What "Reply" in a mail program makes: the answer above the quoted e-mail."""
    email = EmailMessage()
    email["From"] = f"Ana Souza <{sender}>"
    email["To"] = str(received["Reply-To"])
    email["Subject"] = f"Re: {subject(received)}"
    email["In-Reply-To"] = email["References"] = str(received["Message-ID"])
    quoted = "\n".join("> " + line for line in received.get_content().splitlines())
    email.set_content(
        f"{text}\n\nEm ter., 17 de nov. de 2026 às 12:45, Carolina <{received['Reply-To']}> escreveu:\n{quoted}\n"
    )
    return email


def refused(hub: Hub, sender: str, to: str) -> int:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, to, "Re: chamado"
    email.set_content("Isto não devia entrar em chamado nenhum.")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
        mail_program(hub, sender, to, email)
    return error.value.recipients[to][0]


def subject(email: Any) -> str:
    """As a mail program shows it: Python's folding of a long subject puts it on the
    next line, which Python's parser (not mail programs) reads with a leading space."""
    return str(email["Subject"]).strip()


def link_in(email: Any, hub: Hub) -> str:
    found = re.search(rf"{re.escape(hub.settings.public_url)}/t/\S+", email.get_content())
    assert found, email.get_content()
    return found.group(0).replace("http://localhost:", "http://127.0.0.1:")


# --- The analyst --------------------------------------------------------------------------


def console(browser: Any, hub: Hub) -> Tuple[Any, Any, List[str]]:
    """Carla's console, signed in, in Brasília's time zone, with the page's timers in the test's hands."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="pt-BR", timezone_id="America/Sao_Paulo"
    )
    page = context.new_page()
    problems: List[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.problems = problems
    page.goto(f"{hub.settings.public_url}/console")
    sign_in(page)
    page.clock.install()
    return context, page, problems


def sign_in(page: Any) -> None:
    page.get_by_label("E-mail").fill(ANALYST)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.locator("header.top").wait_for()


def open_ticket(page: Any, number: str) -> None:
    page.evaluate(f"location.hash = '#ticket/{number}'")
    page.locator("form.reply").wait_for(timeout=15000)
    assert number in page.locator("main h1").inner_text()


def send_reply(page: Any, text: str, status: Optional[str] = None) -> None:
    page.get_by_label("Mensagem").fill(text)
    if status:
        page.get_by_label("E mudar o status para").select_option(label=status)
    page.get_by_role("button", name="Enviar resposta").click()
    problem = page.locator("form.reply .error")
    sent = page.locator(".thread-msg.public.agent", has_text=text)
    sent.or_(problem).first.wait_for(timeout=15000)
    assert problem.is_hidden(), problem.inner_text()


def refreshed(page: Any, locator: Any) -> None:
    """The ticket view reads the ticket again every 20 s: that time passes at once."""
    page.clock.run_for(21000)
    try:
        locator.wait_for(timeout=15000)
    except Exception as error:
        shown = page.locator("main").inner_text()
        raise AssertionError(f"not shown; errors {page.problems}; the page: {shown}") from error


def two_jobs_at_once(hub: Hub) -> List[Dict[str, Any]]:
    """The ticket job of two hubs (two database engines) at the same moment."""

    async def both() -> List[Dict[str, Any]]:
        engine = make_engine(hub.settings.database_url)
        other = make_sessions(engine, hub.settings.clock)
        try:
            app = hub.app
            return list(
                await asyncio.gather(
                    # With the mail job to kick, as bot/app.py runs it: the e-mails go at once.
                    ticket_job.run_once(app[keys.SIO], app[keys.SESSIONS], hub.settings, app[keys.MAIL]),
                    ticket_job.run_once(app[keys.SIO], other, hub.settings, app[keys.MAIL]),
                )
            )
        finally:
            await engine.dispose()

    return hub.call(both())


def timed(steps: Dict[str, float], name: str, since: float) -> float:
    now = time.monotonic()
    steps[name] = round(now - since, 2)
    return now


@pytest.fixture
def later() -> Iterator[List[Callable[[], Any]]]:
    """What the test opened (the widget's socket, the browser's context), closed even when it fails."""
    closers: List[Callable[[], Any]] = []
    yield closers
    for close in reversed(closers):
        close()


def test_a_ticket_lives_from_the_widget_to_its_survey(hub, rasa_server, mailbox, browser, later):
    server, clock = hub
    steps: Dict[str, float] = {}
    started = time.monotonic()
    email = f"ana.{int(time.time() * 1000) % 10**9}@acme.example"

    # 1. A logged-in customer opens a ticket in the widget (the real model and actions).
    chat = in_the_widget(server, rasa_server, email)
    later.append(chat.close)
    number = ticket_asked_for(chat)
    opening = mailbox.wait_for(email, 1)[0]
    assert subject(opening).startswith(f"[{number}]")
    mark = timed(steps, "widget ticket", started)

    # 2. The analyst opens it in the console and answers the customer.
    context, page, problems = console(browser, server)
    later.append(context.close)
    open_ticket(page, number)
    send_reply(page, ANSWER)

    # 3. The customer gets the e-mail (answerable: a signed Reply-To) and, being in the widget, the news.
    answered = mailbox.wait_for(email, 2)[1]
    assert subject(answered).startswith(f"[{number}]"), answered["Subject"]
    reply_to = str(answered["Reply-To"])
    assert reply_to == signing.reply_address(number, server.settings)
    assert signing.ticket_of_address(reply_to, server.settings) == number
    assert ANSWER in answered.get_content()
    told = news(chat, number, "ticket_reply")
    assert number in told["text"] and "segunda via" in told["text"], told
    mark = timed(steps, "analyst reply, e-mail and news", mark)

    # 4. She answers by e-mail, to the hub's own SMTP port: the console's thread shows it (quote left out).
    assert mail_program(server, email, reply_to, answer_by_mail(answered, email, BY_MAIL)) == {}
    by_mail = page.locator(".thread-msg.customer", has_text=BY_MAIL)
    refreshed(page, by_mail)
    assert "escreveu" not in by_mail.inner_text() and "Pode confirmar" not in by_mail.inner_text()

    # 5. Addresses the hub did not sign are refused before any message is sent.
    local, domain = reply_to.split("@")
    forged = f"{local[:-4]}{'aaaa' if not local.endswith('aaaa') else 'bbbb'}@{domain}"
    assert refused(server, email, forged) == 550
    assert refused(server, email, f"reply+{number}@{domain}") == 550
    other_number = number[:-1] + ("1" if number[-1] != "1" else "2")
    assert refused(server, email, f"reply+{other_number}.{local.split('.', 1)[1]}@{domain}") == 550
    mark = timed(steps, "reply by e-mail, forged refused", mark)

    # 6. The analyst proposes a solution and sets customer validation: it closes by
    # itself 7 business days on, the holiday not counted.
    send_reply(page, SOLUTION, status="Validação do cliente")
    page.locator(".ticket-head .status-badge", has_text="Validação do cliente").wait_for()
    assert "27/11/2026" in page.locator(".deadline").inner_text(), page.locator(".deadline").inner_text()
    validation = mailbox.wait_for(email, 3)[2]
    assert subject(validation).startswith(f"[{number}]") and "?answer=solved" in validation.get_content()
    told = news(chat, number, "ticket_accept")
    assert f'/ticket_reject{{"ticket_number":"{number}"}}' in [b["payload"] for b in told["quick_replies"]]
    mark = timed(steps, "validation", mark)

    # 7. Thursday the 26th (the 7th business day if the holiday counted): only the warning, once.
    clock.set(THURSDAY)
    runs = two_jobs_at_once(server)
    assert [r["moved"] for r in runs] == [[], []]
    assert sorted(n for r in runs for n in r["warned"]) == [number], runs
    warning = mailbox.wait_for(email, 4)[3]
    assert subject(warning).startswith(f"[{number}]") and "?answer=solved" in warning.get_content()

    # 8. Friday the 27th: the ticket closes by itself, once, with two jobs at the same moment.
    clock.set(FRIDAY)
    runs = two_jobs_at_once(server)
    assert [m for r in runs for m in r["moved"]] == [(number, "customer_validation", "closed")], runs
    assert two_jobs_at_once(server) == [{"moved": [], "warned": [], "contacts": []}] * 2
    survey = mailbox.wait_for(email, 5)[4]
    assert subject(survey).startswith(f"[{number}]")
    told = news(chat, number, "ticket_survey")
    assert number in told["text"]
    # Carla's session ended in those ten days: the view's next read says so, she signs
    # in again and finds the ticket closed, once.
    refreshed(page, page.get_by_label("Senha"))
    sign_in(page)
    open_ticket(page, number)
    page.locator(".ticket-head .status-badge", has_text="Fechado").wait_for()
    status_lines = page.locator(".thread-status", has_text="Fechado")
    assert status_lines.count() == 1, status_lines.all_inner_texts()
    mark = timed(steps, "deadline jobs", mark)

    # 9. The survey's signed link: GET only shows the form; the POST answers it, once.
    link = link_in(survey, server)
    shown = requests.get(link, timeout=10)
    assert shown.status_code == 200 and 'name="score"' in shown.text and "<form" in shown.text
    answered_survey = requests.post(link, data={"score": "9", "comment": "Resolvido rápido."}, timeout=10)
    assert answered_survey.status_code == 200, answered_survey.text
    again = requests.post(link, data={"score": "2"}, timeout=10)
    assert again.status_code == 409, again.text
    assert 'name="score"' not in requests.get(link, timeout=10).text, "answered: no form any more"
    stored = page.request.get(f"{server.settings.public_url}/api/agent/tickets/{number}").json()
    assert stored["status"] == "closed"
    assert (stored["survey"]["score"], stored["survey"]["comment"]) == (9, "Resolvido rápido.")
    assert len(mailbox.to(email)) == 5, [str(m["Subject"]) for m in mailbox.to(email)]
    # Each piece of news was said once in the widget (stored as Carolina's messages of the conversation).
    said = [
        b["payload"].split("{")[0]
        for m in chat.conversation()["messages"]
        for b in (m.get("payload") or {}).get("quick_replies") or []
        if number in b["payload"]
    ]
    assert said == ["/ticket_reply", "/ticket_reply", "/ticket_accept", "/ticket_reject", "/ticket_survey"], said
    timed(steps, "survey", mark)

    assert not problems, problems
    print(f"\nend to end in {time.monotonic() - started:.1f} s: {steps}")
