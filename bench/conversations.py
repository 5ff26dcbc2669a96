"""Customer-written conversations, end to end through the widget's protocol.

Each conversation in tests/conversations/{pt,es,en}.yml is what one customer
writes (typos, slang, several questions at once, changes of mind, "I don't
know"), the outcome it must reach and the most turns it may take:

    - name: en-billing-person
      customer: logged_in          # logged_in | anonymous | blocked (may not open tickets)
      online: [administrative]     # queues with an analyst online during the chat (default none)
      turns:                       # said in order; "..." answers the form until it asks something unscripted
        - can I talk to the billing person?
      answers:                     # what the customer says when the form asks for a slot
        handoff_gather: no thanks  # (a list: one answer per time it is asked)
      expect:
        handoff: {queue: administrative}   # a request for an analyst on that queue
        ticket: {category: bug, fields: {product: Protheus}}  # one ticket, these fields ("~regex" for text)
        says: ["0800"]             # regexes some message of Carolina's must match (any case)
        never_says: ["about 0 min"]
        stop: true                 # no form left open at the end
      max_turns: 6
      fails: "item 3: ..."         # known failure on today's code: the test is xfail(strict)

No ticket and no handoff may happen unless `expect` names it. Where the form is
comes from Rasa's tracker (`requested_slot`), never from Carolina's wording.

The runner is shared: tests/test_conversations.py runs every conversation in
`make test`; `python -m bench conversations` starts the stack (or uses a running
hub and Rasa) and reports, per language, how many reached their outcome, the
turns taken, questions repeated and article lists shown.

python -m bench conversations [--hub-url URL --rasa-url URL --secret S --database-url URL]
                              [--lang pt] [--only NAME] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import queue
import re
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import requests
import socketio
import yaml

from bench import output
from bot.domain.identity import Identity, sign
from common.actions_token import conversation_token

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "conversations"
RESULTS = Path(__file__).resolve().parent / "results"
LANGUAGES = ("pt", "es", "en")
ANSWER_FORM = "..."
# A Wednesday at 12:30 in Brasília: technical support open, administrative at lunch.
CLOCK = "2026-12-02T12:30:00-03:00"
ANALYST_PASSWORD = "bench conversations password"
# One analyst per queue the conversations may want online.
ANALYSTS = {
    "technical_support": "tec@support.example",
    "administrative": "adm@support.example",
    "communication": "com@support.example",
    "cloud": "cloud@support.example",
}


@dataclass
class Script:
    name: str
    lang: str
    turns: List[str]
    expect: Dict[str, Any]
    max_turns: int
    customer: str = "logged_in"
    online: List[str] = field(default_factory=list)
    answers: Dict[str, Any] = field(default_factory=dict)
    fails: Optional[str] = None


def load(lang: Optional[str] = None) -> List[Script]:
    scripts = []
    for language in [lang] if lang else LANGUAGES:
        for entry in yaml.safe_load((CORPUS / f"{language}.yml").read_text()) or []:
            scripts.append(Script(lang=language, **entry))
    names = [s.name for s in scripts]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"conversation names used twice: {sorted(duplicated)}")
    return scripts


@dataclass
class Result:
    script: Script
    turns: int = 0  # messages the customer sent
    seen: List[Dict[str, Any]] = field(default_factory=list)  # what the widget showed, in order
    repeated: int = 0  # messages of Carolina's identical to an earlier one
    article_lists: int = 0  # replies offering two or more articles to pick from instead of an answer
    problems: List[str] = field(default_factory=list)  # empty: the outcome was reached

    @property
    def reached(self) -> bool:
        return not self.problems

    def transcript(self) -> str:
        lines = []
        for m in self.seen:
            buttons = " ".join(f"[{b.get('title')}]" for b in m.get("quick_replies") or [])
            lines.append(f"{m['from']:>8}: {m.get('text') or ''} {buttons}".rstrip())
        return "\n".join(lines)


class Widget:
    """The widget's protocol as python-socketio speaks it; a turn ends when the
    hub's `user_stored` count of replies has arrived."""

    def __init__(self, hub_url: str) -> None:
        self.events: queue.Queue[tuple] = queue.Queue()
        origin = hub_url.replace("127.0.0.1", "localhost")
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
        for name in ("session_confirm", "session_info", "bot_uttered", "user_stored"):
            self.client.on(name, lambda data=None, name=name: self.events.put((name, data)))
        self.client.connect(hub_url, transports=["websocket"], wait_timeout=10)

    def start(self, lang: str, token: Optional[str]) -> str:
        self.client.emit(
            "session_request", {"session_id": None, "language": lang, **({"token": token} if token else {})}
        )
        self.expect("session_confirm")  # the resume token; the conversation id comes apart
        return self.expect("session_info")["conversation_id"]

    def expect(self, name: str, timeout: float = 60) -> Any:
        while True:
            event, data = self.events.get(timeout=timeout)
            if event == name:
                return data

    def say(self, conversation_id: str, text: str, lang: str) -> List[Dict[str, Any]]:
        for _ in range(10):
            replies = self.send(conversation_id, text, lang)
            if replies[:1] and (replies[0].get("metadata") or {}).get("error") == "rate_limited":
                time.sleep(1)  # scripted customers type faster than people: wait as one would, say it again
                continue
            return replies
        raise RuntimeError(f"the hub kept refusing {text!r} as a flood")

    def send(self, conversation_id: str, text: str, lang: str) -> List[Dict[str, Any]]:
        self.client.emit(
            "user_uttered",
            {
                "message": text,
                "message_id": uuid.uuid4().hex,
                "customData": {"language": lang},
            },
        )
        replies: List[Dict[str, Any]] = []
        expected: Optional[int] = None
        while expected is None or len(replies) < expected:
            event, data = self.events.get(timeout=60)
            if event == "user_stored":
                expected = data["metadata"]["replies"]
            elif event == "bot_uttered":
                replies.append(data)
                if expected is None and (data.get("metadata") or {}).get("error"):
                    return replies  # refused: no `user_stored` comes
        return replies

    def close(self) -> None:
        self.client.disconnect()


class Analyst:
    """An analyst online on the console's socket while a conversation runs."""

    def __init__(self, hub_url: str, queue_name: str, password: str) -> None:
        self.url, self.http, self.queue = hub_url, requests.Session(), queue_name
        email = ANALYSTS[queue_name]
        reply = self.http.post(f"{hub_url}/api/agent/login", json={"email": email, "password": password}, timeout=10)
        reply.raise_for_status()
        self.csrf = reply.json()["csrf_token"]
        public = f"http://localhost:{hub_url.rsplit(':', 1)[1]}"
        self.socket = socketio.Client(reconnection=False, websocket_extra_options={"origin": public})
        self.socket.connect(
            hub_url,
            namespaces=["/agent"],
            transports=["websocket"],
            headers={"Cookie": f"carolina_agent={self.http.cookies['carolina_agent']}"},
            wait_timeout=10,
        )
        self.presence("online")

    def presence(self, value: str) -> None:
        reply = self.http.put(
            f"{self.url}/api/agent/presence", json={"presence": value}, headers={"X-CSRF-Token": self.csrf}, timeout=10
        )
        reply.raise_for_status()

    def finish(self, handoff_id: int, status: str) -> None:
        """Take (if still queued) and close a chat the conversation left."""
        headers = {"X-CSRF-Token": self.csrf}
        if status == "queued":
            self.http.post(f"{self.url}/api/agent/handoffs/{handoff_id}/accept", json={}, headers=headers, timeout=10)
        self.http.post(f"{self.url}/api/agent/handoffs/{handoff_id}/close", json={}, headers=headers, timeout=10)

    def close(self) -> None:
        self.presence("offline")
        self.socket.disconnect()


@dataclass
class Stack:
    """Where the conversations run, and the secrets that let the runner act as
    the portal (identity tokens) and read outcomes (the actions token)."""

    hub_url: str
    rasa_url: str
    identity_secret: str
    actions_token: str
    analyst_password: str = ANALYST_PASSWORD


def identity_for(script: Script) -> Optional[Identity]:
    if script.customer == "anonymous":
        return None
    tag = uuid.uuid4().hex[:8]
    return Identity(
        external_id=f"conv-{tag}",
        name="Marta",
        email=f"marta.{tag}@example.com",
        company="Acme Distribuidora",
        company_code=f"ACME-{tag}",
        language=script.lang,
        can_open_tickets=script.customer != "blocked",
    )


def requested_slot(stack: Stack, conversation_id: str) -> Optional[str]:
    tracker = requests.get(f"{stack.rasa_url}/conversations/{conversation_id}/tracker", timeout=10).json()
    if not (tracker.get("active_loop") or {}).get("name"):
        return None
    return tracker["slots"].get("requested_slot")


def run(script: Script, stack: Stack) -> Result:
    result = Result(script)
    analysts = [Analyst(stack.hub_url, q, stack.analyst_password) for q in script.online]
    widget = Widget(stack.hub_url)
    try:
        identity = identity_for(script)
        token = sign(identity, stack.identity_secret) if identity else None
        conversation_id = widget.start(script.lang, token)
        asked_times: Dict[str, int] = {}

        def say(text: str) -> None:
            result.turns += 1
            result.seen.append({"from": "customer", "text": text})
            for reply in widget.say(conversation_id, text, script.lang):
                result.seen.append({"from": "bot", **reply})

        def answer_form() -> None:
            while result.turns <= script.max_turns:
                slot = requested_slot(stack, conversation_id)
                if slot not in script.answers:
                    return
                given = script.answers[slot]
                if isinstance(given, list):
                    given = given[min(asked_times.get(slot, 0), len(given) - 1)]
                asked_times[slot] = asked_times.get(slot, 0) + 1
                say(str(given))

        for turn in script.turns:
            if result.turns > script.max_turns:
                break
            answer_form() if turn == ANSWER_FORM else say(str(turn))
        answer_form()
        still_asking = requested_slot(stack, conversation_id)
        record = requests.get(
            f"{stack.hub_url}/api/conversations/{conversation_id}",
            headers={"Authorization": f"Bearer {conversation_token(stack.actions_token, conversation_id)}"},
            timeout=10,
        ).json()
        for handoff in record.get("handoffs") or []:
            # The next conversation finds the queue as empty as this one did.
            holder = next((a for a in analysts if a.queue == handoff["queue"]), None)
            if holder is not None and handoff["status"] in ("queued", "accepted"):
                holder.finish(handoff["id"], handoff["status"])
    finally:
        widget.close()
        for analyst in analysts:
            analyst.close()
    measure(result)
    result.problems = check(script, result, record, still_asking)
    return result


def measure(result: Result) -> None:
    texts: List[str] = []
    for message in result.seen:
        if message["from"] != "bot":
            continue
        text = (message.get("text") or "").strip()
        if text and text in texts:
            result.repeated += 1
        texts.append(text)
        buttons = message.get("quick_replies") or []
        articles = [b for b in buttons if "kb_article" in (b.get("payload") or "")]
        # A list to pick from, not an answer with related articles beside its yes/no.
        if len(articles) >= 2 and not any(b.get("payload") == "/affirm" for b in buttons):
            result.article_lists += 1


def matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and expected.startswith("~"):
        return actual is not None and re.search(expected[1:], str(actual), re.I) is not None
    return str(expected).lower() == str(actual).lower()


def check(script: Script, result: Result, record: Dict[str, Any], still_asking: Optional[str]) -> List[str]:
    expect, problems = script.expect, []
    if result.turns > script.max_turns:
        problems.append(f"took more than {script.max_turns} turns")
    tickets, handoffs = record.get("tickets") or [], record.get("handoffs") or []
    wanted = expect.get("ticket")
    if wanted is None and tickets:
        problems.append(f"opened a ticket nobody asked for: {tickets[0]['number']} ({tickets[0]['category']})")
    if wanted is not None:
        if len(tickets) != 1:
            problems.append(f"expected one ticket, got {len(tickets)}")
        else:
            ticket = tickets[0]
            wanted = dict(wanted)
            for key, value in (wanted.pop("fields", None) or {}).items():
                if not matches(value, (ticket.get("fields") or {}).get(key)):
                    problems.append(
                        f"ticket field {key}: {(ticket.get('fields') or {}).get(key)!r}, expected {value!r}"
                    )
            for key, value in wanted.items():
                if not matches(value, ticket.get(key)):
                    problems.append(f"ticket {key}: {ticket.get(key)!r}, expected {value!r}")
    wanted = expect.get("handoff")
    if wanted is None and handoffs:
        problems.append(f"handed off though nobody asked: queue {handoffs[0]['queue']}")
    if wanted is not None:
        if not handoffs:
            problems.append("expected a handoff, got none")
        elif not matches(wanted.get("queue", handoffs[-1]["queue"]), handoffs[-1]["queue"]):
            problems.append(f"handed off to {handoffs[-1]['queue']}, expected {wanted['queue']}")
    said = [m.get("text") or "" for m in result.seen if m["from"] == "bot"]
    for pattern in expect.get("says") or []:
        if not any(re.search(pattern, text, re.I) for text in said):
            problems.append(f"never said /{pattern}/")
    for pattern in expect.get("never_says") or []:
        found = next((text for text in said if re.search(pattern, text, re.I)), None)
        if found:
            problems.append(f"said /{pattern}/: {found[:120]!r}")
    if expect.get("stop") and still_asking:
        problems.append(f"a form is still open, asking {still_asking}")
    return problems


def report(results: List[Result]) -> Dict[str, Dict[str, Any]]:
    by_lang: Dict[str, Dict[str, Any]] = {}
    for lang in LANGUAGES:
        mine = [r for r in results if r.script.lang == lang]
        if not mine:
            continue
        by_lang[lang] = {
            "conversations": len(mine),
            "reached": sum(r.reached for r in mine),
            "turns_median": statistics.median(r.turns for r in mine),
            "turns_total": sum(r.turns for r in mine),
            "repeated": sum(r.repeated for r in mine),
            "article_lists": sum(r.article_lists for r in mine),
            "failed": [r.script.name for r in mine if not r.reached],
        }
    return by_lang


def create_analysts(database_url: str, password: str = ANALYST_PASSWORD) -> None:
    """The runner's analysts, one per queue, in the hub's database (once)."""
    from bot.db.migrate import upgrade
    from bot.db.session import make_engine, make_sessions
    from bot.domain.agents import create_agent
    from bot.domain.errors import DomainError

    upgrade(database_url)

    async def create() -> None:
        engine = make_engine(database_url)
        try:
            for queue_name, email in ANALYSTS.items():
                try:
                    async with make_sessions(engine).begin() as session:
                        await create_agent(session, email, queue_name, password, [queue_name])
                except DomainError:
                    pass  # made by an earlier run on the same database
        finally:
            await engine.dispose()

    asyncio.run(create())


def run_all(
    scripts: List[Script], stack: Stack, at_once: int = 3, progress: Callable[[Result], None] = lambda r: None
) -> List[Result]:
    """Every conversation, `at_once` customers at a time; those that need an
    analyst online run one after another at the end, so each finds the queues
    as empty as the one before left them."""
    alone = [s for s in scripts if s.online]

    def one(script: Script) -> Result:
        result = run(script, stack)
        progress(result)
        return result

    with concurrent.futures.ThreadPoolExecutor(at_once) as pool:
        results = list(pool.map(one, [s for s in scripts if not s.online]))
    return results + [one(s) for s in alone]


def table(by_lang: Dict[str, Dict[str, Any]]) -> List[str]:
    lines = [
        "| language | reached | turns (median / total) | repeated questions | article lists |",
        "|---|---|---|---|---|",
    ]
    for lang, row in by_lang.items():
        lines.append(
            f"| {lang} | {row['reached']}/{row['conversations']} | {row['turns_median']} / {row['turns_total']} "
            f"| {row['repeated']} | {row['article_lists']} |"
        )
    return lines


def main(argv: List[str]) -> int:
    from bench import stack as stacks

    parser = argparse.ArgumentParser(prog="python -m bench conversations")
    parser.add_argument("--hub-url", help="a running hub (with --rasa-url); default: start the stack")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument(
        "--secret", default=os.environ.get("CAROLINA_IDENTITY_SECRET", "bench-conversations-identity-secret-0123")
    )
    parser.add_argument(
        "--actions-token", default=os.environ.get("CAROLINA_ACTIONS_TOKEN", "bench-conversations-token")
    )
    parser.add_argument("--database-url", help="the running hub's database (to create its analysts)")
    parser.add_argument("--lang", choices=LANGUAGES)
    parser.add_argument("--only", help="run the conversations whose name contains this")
    parser.add_argument("--at-once", type=int, default=3, help="customers talking at the same time")
    parser.add_argument("--label", default="now", help="the name of this run in the results (e.g. before, after)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("-v", "--verbose", action="store_true", help="print the transcript of each failure")
    args = parser.parse_args(argv)

    scripts = [s for s in load(args.lang) if not args.only or args.only in s.name]
    processes: Dict[str, Any] = {}
    database_url = args.database_url
    if not args.hub_url:
        stacks.VAR.mkdir(exist_ok=True)
        database = stacks.VAR / "bench-conversations.db"
        database_url = stacks.fresh_database(database)
        env = dict(
            os.environ,
            DATABASE_URL=database_url,
            CAROLINA_CLOCK=CLOCK,
            CAROLINA_IDENTITY_SECRET=args.secret,
            CAROLINA_ACTIONS_TOKEN=args.actions_token,
            CAROLINA_RATE_PER_MINUTE="600",
            CAROLINA_NEW_CONVERSATIONS_PER_MINUTE="6000",
        )
        processes = stacks.whole(env, "bench-conversations")
        stacks.start(processes)
        for process in processes.values():
            if not process.ready(300):
                stacks.stop(processes)
                raise SystemExit(f"{process.name} did not start: see {process.log}")
        args.hub_url, args.rasa_url = processes["hub"].base_url, "http://127.0.0.1:5005"
    try:
        if database_url:
            create_analysts(database_url)

        def progress(result: Result) -> None:
            mark = "ok  " if result.reached else "FAIL"
            known = f"  (known: {result.script.fails})" if result.script.fails else ""
            print(f"{mark} {result.script.name}: {result.turns} turns; {'; '.join(result.problems)}{known}", flush=True)
            if args.verbose and not result.reached:
                print(result.transcript() + "\n", flush=True)

        stack = Stack(args.hub_url, args.rasa_url, args.secret, args.actions_token)
        results = run_all(scripts, stack, args.at_once, progress)
    finally:
        stacks.stop(processes)
    by_lang = report(results)
    text = "\n".join([f"Customer-written conversations ({args.label})", ""] + table(by_lang)) + "\n"
    output.save(args.out, f"conversations-{args.label}", False, {"label": args.label, "languages": by_lang}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
