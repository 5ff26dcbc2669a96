"""Fault runs: a process of the stack killed in the middle of the load, then
restarted, and afterwards nothing lost.

python -m bench faults [--customers 10] [--faults actions,rasa,hub] [--quick --rasa-url URL]

Starts the Procfile's three processes, each in its own process group, on their
usual ports (5005, 5055, 8000: stop `make run` first), with a fresh bench
database. Simulated customers behave like the widget (bot/static/widget.js):
they reconnect, ask the hub to `sync` what they missed and resend what it never
stored (and ask for their session again when a message stays unconfirmed, as a
person reloads a page that shows nothing: counted in the report); told "sorry,
try again", they try again a few seconds later. Each one
asks a few knowledge-base questions and then reports an incident until the
ticket is opened, answering whatever the intake form asks (read from Rasa's
tracker), then starts over in a new conversation.

Each fault in turn: SIGKILL the process (what a crash or the OOM killer does),
start it again at once (what a supervisor does), and carry on until the stack
has answered normally for a while. Reported per fault: the share of customer
turns that failed (the apology, or no answer at all) between the kill and the
recovery, and the recovery time (from the kill to the first real answer to a
message sent after it). Afterwards, from the hub's record and database:

- every message a customer sent is stored, exactly once and in order;
- every customer message got an answer or the apology (which offers a ticket);
- no conversation has two tickets, and every ticket number a customer was shown exists;
- every conversation carried on: the last turn of each was answered for real.

--quick (make test): one hub of its own (on a free port, with its own database)
against an already running Rasa, two customers asking questions only (that
Rasa's action server works for another hub), the hub killed once.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
import socketio

from bench import output, stack
from bot.domain.identity import Identity, sign
from common.actions_token import conversation_token

RESULTS = Path(__file__).resolve().parent / "results"
SECRET = "bench-faults-identity-secret-0123456789"
TOKEN = "bench-faults-actions-token"
TURN_LIMIT = 120.0  # a turn with no reply at all after this is lost (Rasa takes about a minute to restart)
RETRY_AFTER = 3.0  # told "sorry, try again", a customer waits this long
# A message the hub has not confirmed storing after this: the customer asks for its
# session again, as a person reloads a page that shows nothing (see Customer.say).
RESESSION_AFTER = 15.0
TICKET_NUMBER = re.compile(r"\b\d{4}-\d{6}\b")

QUESTIONS = {
    "pt": ["bom dia!", "qual é o telefone do suporte?", "como troco a senha do portal?"],
    "es": ["¡hola!", "¿cuál es el teléfono del soporte?", "¿cómo cambio la contraseña del portal?"],
    "en": ["hello!", "what is the support phone number?", "how do I change my portal password?"],
}
# The incident each customer reports, and its answer to every question the intake form may ask.
REPORT = {
    "pt": "o Protheus 12.1.2310 com SQL Server trava ao gerar o relatório de estoque",
    "es": "el Protheus 12.1.2310 con SQL Server se cuelga al generar el informe de inventario",
    "en": "Protheus 12.1.2310 on SQL Server hangs while generating the stock report",
}
ANSWERS = {
    "pt": {
        "incident_routine": "estoque, relatório de saldos",
        "incident_description": "a tela congela por vários minutos e depois fecha sem mensagem nenhuma",
        "incident_steps": "não sei",
        "incident_expected": "o relatório deveria sair em poucos segundos",
        "incident_since": "desde segunda-feira",
    },
    "es": {
        "incident_routine": "inventario, informe de saldos",
        "incident_description": "la pantalla se congela varios minutos y luego se cierra sin ningún mensaje",
        "incident_steps": "no sé",
        "incident_expected": "el informe debería salir en pocos segundos",
        "incident_since": "desde el lunes",
    },
    "en": {
        "incident_routine": "inventory, balance report",
        "incident_description": "the screen freezes for several minutes and then closes without any message",
        "incident_steps": "I don't know",
        "incident_expected": "the report should come out in a few seconds",
        "incident_since": "since Monday",
    },
}
CHOICES = {
    "incident_product": "Protheus",
    "incident_version": "12.1.2310",
    "incident_database": "SQL Server",
    "incident_category": '/inform{"incident_category": "bug"}',
    "incident_origin": '/inform{"incident_origin": "production"}',
    "incident_system_environment": '/inform{"incident_system_environment": "production"}',
    "incident_cloud": "/deny",
    "incident_after_update": "/deny",
    "incident_affected_users": '/inform{"incident_affected_users": "some"}',
    "incident_operation_stopped": '/inform{"incident_operation_stopped": "no"}',
    "intake_related": "/deny",
    "intake_confirmed": "/affirm",
}


@dataclass
class Turn:
    text: str
    message_id: str
    sent: float  # monotonic
    outcome: str = "waiting"  # answered | apology | lost
    answered: Optional[float] = None


@dataclass
class Conversation:
    conversation_id: Optional[str] = None  # the hub's (session_info)
    token: Optional[str] = None  # what the widget resumes it with (session_confirm)
    turns: List[Turn] = field(default_factory=list)
    tickets_shown: set = field(default_factory=set)


class Customer:
    """One widget: a socket.io client that reconnects, syncs and resends, as widget.js does."""

    def __init__(self, hub_url: str, rasa_url: Optional[str], lang: str, index: int, intake: bool) -> None:
        self.hub_url, self.rasa_url, self.lang, self.intake = hub_url, rasa_url, lang, intake
        tag = f"{index}-{uuid.uuid4().hex[:6]}"
        self.token = sign(
            Identity(f"bench-{tag}", "Bench", f"bench.{tag}@example.com", "Bench", f"BENCH-{tag}", lang),
            SECRET,
            ttl_seconds=24 * 3600,
        )
        self.lock = threading.Condition()
        self.conversations: List[Conversation] = []
        self.seen: Dict[int, Dict[str, Any]] = {}  # seq -> message, as this customer saw it
        self.stored: Dict[str, int] = {}  # client message id -> seq the hub gave it
        self.pending: Dict[str, str] = {}  # client message id -> text, not yet stored
        self.stop, self.deadline = threading.Event(), 0.0  # set by run()
        # Set once the hub has answered the session's `sync` with its history: like
        # widget.js, nothing is sent before (the hub handles a socket's events
        # concurrently, so a message sent on the heels of `session_request` could
        # arrive before the socket has a conversation and be refused).
        self.ready = threading.Event()
        self.asked_session = 0.0  # when (monotonic) it last sent `session_request`
        self.resessions = 0  # how often a turn the hub never confirmed made it ask again
        self.client = socketio.Client(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=2,
            websocket_extra_options={"origin": hub_url.replace("127.0.0.1", "localhost")},
        )
        self.client.on("connect", self._connected)
        self.client.on("session_confirm", self._confirmed)
        self.client.on("session_info", self._info)
        self.client.on("history", self._history)
        self.client.on("user_stored", self._message)
        self.client.on("bot_uttered", self._message)

    # -- the widget's side of the protocol --------------------------------------
    def _connected(self) -> None:
        """Asks for the current conversation's session (its token resumes it; none starts one)."""
        self.ready.clear()
        self.asked_session = time.monotonic()
        current = self.conversations[-1].token if self.conversations else None
        try:
            self.client.emit("session_request", {"session_id": current, "token": self.token, "language": self.lang})
        except socketio.exceptions.BadNamespaceError:
            pass  # disconnected meanwhile: the reconnect asks again

    def _confirmed(self, token: str) -> None:
        with self.lock:
            self.conversations[-1].token = token
        self.client.emit("sync", {"after": max(self.seen, default=0)})

    def _info(self, info: Dict[str, Any]) -> None:
        with self.lock:
            self.conversations[-1].conversation_id = info["conversation_id"]
            self.lock.notify_all()

    def _history(self, items: List[Dict[str, Any]]) -> None:
        """What the hub stored while this customer was away; then what it never got, again."""
        for message in items:
            self._message(message)
        self.ready.set()
        with self.lock:
            waiting = dict(self.pending)
        for message_id, text in waiting.items():
            self._emit(text, message_id)

    def _message(self, message: Dict[str, Any]) -> None:
        meta = message.get("metadata") or {}
        with self.lock:
            if meta.get("seq"):
                self.seen[meta["seq"]] = message
            if meta.get("from") == "customer" and meta.get("client_message_id"):
                self.pending.pop(meta["client_message_id"], None)
                self.stored[meta["client_message_id"]] = meta["seq"]
            self.lock.notify_all()

    def _emit(self, text: str, message_id: str) -> None:
        if not self.ready.is_set():
            return  # kept in `pending`: sent with the rest once the session's history is in
        try:
            self.client.emit("user_uttered", {"message": text, "message_id": message_id})
        except socketio.exceptions.BadNamespaceError:
            pass  # disconnected: resent after the reconnect's sync

    # -- a customer's turns ---------------------------------------------------
    def say(self, text: str) -> Turn:
        """Sends one message and waits for the first reply to it (or gives up after TURN_LIMIT)."""
        turn = Turn(text, uuid.uuid4().hex, time.monotonic())
        self.conversations[-1].turns.append(turn)
        with self.lock:
            self.pending[turn.message_id] = text
        self._emit(text, turn.message_id)
        while turn.outcome == "waiting":
            with self.lock:
                reply = self._reply_to(turn)
                if reply is not None:
                    turn.answered = time.monotonic()
                    turn.outcome = "apology" if (reply.get("metadata") or {}).get("error") else "answered"
                    found = TICKET_NUMBER.search(reply.get("text") or "")
                    if found:
                        self.conversations[-1].tickets_shown.add(found.group(0))
                elif time.monotonic() - turn.sent > TURN_LIMIT:
                    turn.outcome = "lost"
                else:
                    self.lock.wait(0.5)
                unconfirmed = turn.message_id in self.pending
            if turn.outcome == "waiting" and unconfirmed and self._stuck(turn):
                # A message waits in `pending` for the session's history; if that
                # never comes, nothing sends it and the hub never hears of it (the
                # lost first turns of test_fault_run, nothing in the hub's log). The
                # python-socketio client runs each event's handler in a thread of its
                # own, in any order, and runs the connect handler even for a namespace
                # that answered after its attempt had timed out (seen with a hub slow
                # to answer after a restart), so a session request or its `sync` can
                # go into a connection being closed. The session again (resumed by its
                # token) brings the history and sends what is pending once more; the
                # hub stores a message id once. Also when the hub is merely slow to
                # store it (after a restart it first answers what it had left
                # unanswered). Counted in the report.
                self.resessions += 1
                self._connected()
        return turn

    def _stuck(self, turn: Turn) -> bool:
        """Connected, and the turn unconfirmed for a while since it was sent and since the last session request."""
        return self.client.connected and time.monotonic() - max(turn.sent, self.asked_session) > RESESSION_AFTER

    def _reply_to(self, turn: Turn) -> Optional[Dict[str, Any]]:
        seq = self.stored.get(turn.message_id)
        if seq is None:
            return None
        later = [
            s for s, m in sorted(self.seen.items()) if s > seq and (m.get("metadata") or {}).get("from") != "customer"
        ]
        return self.seen[later[0]] if later else None

    def asked(self) -> Optional[str]:
        """What the intake form asks now (None: no form), from Rasa's tracker."""
        conversation_id = self.conversations[-1].conversation_id
        for _ in range(int(TURN_LIMIT)):
            try:
                tracker = requests.get(f"{self.rasa_url}/conversations/{conversation_id}/tracker", timeout=10).json()
                break
            except (requests.RequestException, ValueError):
                time.sleep(1)  # Rasa is restarting
        else:
            return None
        if (tracker.get("active_loop") or {}).get("name") != "incident_form":
            return None
        return tracker["slots"].get("requested_slot")

    def answer(self, slot: Optional[str]) -> str:
        return ANSWERS[self.lang].get(slot or "") or CHOICES.get(slot or "") or "/deny"

    def persist(self, text: str) -> None:
        """Says `text` until it is answered for real (a customer told to try again does)."""
        while self.say(text).outcome != "answered" and not self.done():
            time.sleep(RETRY_AFTER)

    def done(self) -> bool:
        return self.stop.is_set() or time.monotonic() > self.deadline

    def conversation(self) -> None:
        self.conversations.append(Conversation())
        if len(self.conversations) == 1 and not self.client.connected:
            self._connect()  # its connect handler asks for the session
        else:
            # Disconnected (the hub is down), the client's reconnect asks for this
            # conversation's session; connecting here as well would race with it
            # (and fail while the hub is down, which ended the customer's thread).
            self._connected()
        with self.lock:
            self.lock.wait_for(lambda: self.conversations[-1].conversation_id, timeout=TURN_LIMIT)
        for text in QUESTIONS[self.lang]:
            if self.done():
                return
            self.persist(text)
        if not self.intake:
            return
        for _ in range(25):  # the form asks about a dozen questions; retries add some
            if self.conversations[-1].tickets_shown or self.done():
                return
            slot = self.asked()
            self.persist(self.answer(slot) if slot else REPORT[self.lang])

    def _connect(self) -> None:
        """The first connection (later ones are the client's reconnects)."""
        while not self.done():
            try:
                self.client.connect(self.hub_url, transports=["websocket"], wait_timeout=20)
                return
            except socketio.exceptions.ConnectionError:
                time.sleep(1)  # the hub is restarting

    def run(self, stop: threading.Event, deadline: float) -> None:
        self.stop, self.deadline = stop, deadline
        try:
            while not self.done():
                self.conversation()
        finally:
            self.client.disconnect()


# -- the stack -----------------------------------------------------------------
def bench_env(database: Path) -> Dict[str, str]:
    return dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        CAROLINA_IDENTITY_SECRET=SECRET,
        CAROLINA_ACTIONS_TOKEN=TOKEN,
        # A Wednesday morning, running: the queues are open, nobody is online, so incidents become tickets.
        CAROLINA_CLOCK="2026-12-02T10:00:00-03:00",
        CAROLINA_CLOCK_RUNNING="1",
        CAROLINA_RATE_PER_MINUTE="600",
        CAROLINA_RATE_BURST="60",
        CAROLINA_NEW_CONVERSATIONS_PER_MINUTE="6000",
    )


# -- the run ---------------------------------------------------------------------
def all_turns(customers: List[Customer]) -> List[Turn]:
    return [t for c in customers for conv in c.conversations for t in list(conv.turns)]


def wait_recovered(customers: List[Customer], killed: float, limit: float) -> Optional[float]:
    """When a message sent after the kill was first answered for real (monotonic), or None."""
    deadline = killed + limit
    while time.monotonic() < deadline:
        answered = [t.answered for t in all_turns(customers) if t.sent > killed and t.outcome == "answered"]
        if answered:
            return min(answered)
        time.sleep(0.5)
    return None


def fault_figures(turns: List[Turn], killed: float, recovered: Optional[float]) -> Dict[str, Any]:
    end = recovered if recovered is not None else float("inf")
    during = [t for t in turns if killed <= t.sent <= end and t.outcome != "waiting"]
    failed = [t for t in during if t.outcome != "answered"]
    # Sent before the kill, not yet answered: the messages the killed process was working on.
    in_flight = [t for t in turns if t.sent < killed and (t.answered is None or t.answered >= killed)]
    return {
        "recovery_seconds": None if recovered is None else recovered - killed,
        "in_flight_at_kill": len(in_flight),
        "in_flight_answered": sum(t.outcome == "answered" for t in in_flight),
        "turns_during_fault": len(during),
        "failed_during_fault": len(failed),
        "failed_share": (len(failed) / len(during)) if during else 0.0,
        "lost_during_fault": sum(t.outcome == "lost" for t in during),
    }


def check(hub_url: str, database: Path, customers: List[Customer]) -> List[str]:
    """What the record lacks, repeats or leaves unanswered (empty: nothing)."""
    problems: List[str] = []
    for customer in customers:
        for conv in customer.conversations:
            if not conv.conversation_id:
                problems.append("a conversation never started")
                continue
            reply = requests.get(
                f"{hub_url}/api/conversations/{conv.conversation_id}",
                headers={"Authorization": f"Bearer {conversation_token(TOKEN, conv.conversation_id)}"},
                timeout=30,
            )
            messages = reply.json()["messages"]
            name = conv.conversation_id[:8]
            stored = [m["client_message_id"] for m in messages if m["sender"] == "customer"]
            sent = [t.message_id for t in conv.turns]
            if stored != sent:
                problems.append(f"{name}: customer messages stored {len(stored)}, sent {len(sent)}, or out of order")
            # (A customer who had sent nothing when the run ended has no messages: nothing to pair.)
            for before, after in pairwise([*messages, None]):
                if before["sender"] == "customer" and (after is None or after["sender"] == "customer"):
                    problems.append(f"{name}: message {before['id']} has neither an answer nor the apology")
            if any(t.outcome == "lost" for t in conv.turns):
                problems.append(f"{name}: a turn got no reply within {TURN_LIMIT:.0f} s")
    if database.exists():
        with sqlite3.connect(database) as db:
            twice = db.execute(
                "SELECT conversation_id, count(*) FROM tickets GROUP BY conversation_id HAVING count(*) > 1"
            ).fetchall()
            numbers = {row[0] for row in db.execute("SELECT number FROM tickets")}
        problems += [f"{conv_id[:8]}: {count} tickets" for conv_id, count in twice]
        shown = {n for c in customers for conv in c.conversations for n in conv.tickets_shown}
        problems += [f"ticket {n} shown but not in the database" for n in sorted(shown - numbers)]
    return problems


def carried_on(customers: List[Customer]) -> Dict[str, int]:
    """Conversations whose last turn was answered for real, of those with turns."""
    ended = [conv for c in customers for conv in c.conversations if conv.turns]
    return {
        "conversations": len(ended),
        "last_turn_answered": sum(conv.turns[-1].outcome == "answered" for conv in ended),
    }


def run(customers_count: int, faults: List[str], settle: float, quick_rasa: Optional[str]) -> Dict[str, Any]:
    stack.VAR.mkdir(exist_ok=True)
    database = stack.VAR / ("bench-faults-quick.db" if quick_rasa else "bench-faults.db")
    stack.fresh_database(database)
    env = bench_env(database)
    processes = stack.hub_alone(env, quick_rasa, "bench-faults") if quick_rasa else stack.whole(env, "bench-faults")
    stack.start(processes)
    report: Dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "customers": customers_count, "faults": {}}
    stop = threading.Event()
    threads: List[threading.Thread] = []
    try:
        for process in processes.values():
            if not process.ready(300):
                raise SystemExit(f"{process.name} did not start: see {process.log}")
        hub_url = processes["hub"].base_url
        rasa_url = quick_rasa or "http://127.0.0.1:5005"
        languages = list(QUESTIONS)
        customers = [
            Customer(hub_url, rasa_url, languages[i % 3], i, intake=not quick_rasa) for i in range(customers_count)
        ]
        # Every loop is bounded: the customers stop at this deadline whatever happens.
        deadline = time.monotonic() + len(faults) * (settle * 2 + 300) + 120
        for customer in customers:
            threads.append(threading.Thread(target=customer.run, args=(stop, deadline), daemon=True))
            threads[-1].start()
        time.sleep(settle)
        moments = {}
        for name in faults:
            process = processes[name]
            killed = time.monotonic()
            process.kill()
            process.start()
            moments[name] = (killed, wait_recovered(customers, killed, 300))
            recovered = moments[name][1]
            print(
                f"{name} killed, restarted, "
                + ("never recovered" if recovered is None else f"recovered after {recovered - killed:.1f} s"),
                flush=True,
            )
            time.sleep(settle)
        stop.set()
        for thread in threads:
            thread.join(TURN_LIMIT * 2)
        turns = all_turns(customers)
        # Counted once every turn has ended: a message in flight at a kill may be answered well after it.
        report["faults"] = {name: fault_figures(turns, *moment) for name, moment in moments.items()}
        report["turns"] = len(turns)
        report["outcomes"] = {kind: sum(t.outcome == kind for t in turns) for kind in ("answered", "apology", "lost")}
        report["tickets_shown"] = sum(len(conv.tickets_shown) for c in customers for conv in c.conversations)
        report["carried_on"] = carried_on(customers)
        report["resessions"] = sum(c.resessions for c in customers)
        problems = check(hub_url, database, customers)
        report["problems"] = problems[:30]
        report["problem_count"] = len(problems)
    finally:
        stop.set()
        stack.stop(processes)
    return report


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        f"# Fault runs ({report['date']})",
        "",
        f"{report['customers']} customers the whole time; each process killed (SIGKILL) and restarted at once, "
        "one after the other.",
        "",
        "| killed | recovery (s) | in flight at the kill: answered / not | turns during the fault "
        "| failed (apology or none) | lost |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in report["faults"].items():
        recovery = "not recovered" if row["recovery_seconds"] is None else f"{row['recovery_seconds']:.1f}"
        lines.append(
            f"| {name} | {recovery} | {row['in_flight_answered']} / "
            f"{row['in_flight_at_kill'] - row['in_flight_answered']} | {row['turns_during_fault']} | "
            f"{row['failed_during_fault']} "
            f"({row['failed_share']:.0%}) | {row['lost_during_fault']} |"
        )
    carried = report["carried_on"]
    outcomes = report["outcomes"]
    lines += [
        "",
        f"All turns: {report['turns']} ({outcomes['answered']} answered, {outcomes['apology']} apologies, "
        f"{outcomes['lost']} lost); ticket numbers shown: {report['tickets_shown']}. Conversations whose last turn "
        f"was answered for real: {carried['last_turn_answered']} of {carried['conversations']}. Problems in the "
        f"record (messages missing, repeated or unanswered, tickets twice): **{report['problem_count']}**. "
        f"Sessions asked for again over a message the hub had not confirmed after {RESESSION_AFTER:.0f} s: "
        f"{report['resessions']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench faults")
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--faults", default="actions,rasa,hub")
    parser.add_argument("--settle", type=float, default=30, help="seconds of plain load before and after each fault")
    parser.add_argument("--quick", action="store_true", help="a hub of its own against --rasa-url, killed once")
    parser.add_argument("--rasa-url", default=None)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.quick:
        if not args.rasa_url:
            parser.error("--quick needs --rasa-url (a running Rasa)")
        report = run(2, ["hub"], 3, args.rasa_url)
    else:
        report = run(args.customers, args.faults.split(","), args.settle, None)
    output.save(args.out, "faults", args.quick, report, markdown(report))
    return 0 if report["problem_count"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
