"""The reports (bot/domain/reports.py) on a generated year of activity: a page
must load in under 1 s with 1,000,000 messages (issue 20).

python -m bench reports [--database-url URL] [--conversations 100000] [--quick] [--out DIR]

The year 2026 (seed 7): 20 agents, 5,000 contacts, and `--conversations`
conversations of 10 messages each (100,000 by default: 1,000,000 messages),
started at random moments. Per conversation: half get an answer (four in ten of
those a helpful/not helpful vote), 15 % a list of suggested articles, 15 % no
answer (a question of tests/reports/gaps_dev.yml with a couple of extra words);
a fifth ask for a person (85 % accepted and closed, half of those with a survey;
the rest abandoned in the queue); a tenth open a ticket that goes through three
statuses; 3 % a deflection. Every agent goes online and offline once a day.
About 240,000 report events in all.

Then each of the six reports, in Portuguese, for the last 30 days (2026-12-01 to
2026-12-30) and for the whole year ("366 days", the longest period a report
allows: 2026-01-01 to 2026-12-31), called 3 times, each call in its own
session: the best and the first call. The warm-up the gaps report needs once per
process (spaCy's lookup tables, the knowledge base's example questions) is timed
apart, before the first call.

Database: by default a fresh SQLite file in a temporary directory, deleted
afterwards. With a PostgreSQL URL (postgresql://user:password@host:5432/postgres)
a scratch database `carolina_bench_<hex>` is created on that server (the user
needs CREATEDB; the database the URL names is only used to connect), migrated,
filled, timed and dropped. Any other URL is used as it is: it must name an
empty database, which is kept.

--quick: 300 conversations, one call per report (make test runs it so the
script never rots). A full run takes several minutes; it is not part of
`bench all`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bench import output
from bot.db.migrate import upgrade
from bot.db.models import Agent, Contact, Conversation, Handoff, Message, ReportEvent, Ticket
from bot.db.session import make_engine, make_sessions
from bot.domain import knowledge_gaps as kg
from bot.domain import reports
from common.clock import Clock

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GAPS_DEV = ROOT / "tests" / "reports" / "gaps_dev.yml"

SEED = 7
START = datetime(2026, 1, 1, 3, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 31, 20, tzinfo=timezone.utc)
CONVERSATIONS = 100_000
QUICK_CONVERSATIONS = 300
CALLS = 3
ARTICLES = [
    "forgot_password",
    "support_hours",
    "open_ticket",
    "portal_access",
    "ticket_statuses",
    "financial_block",
    "add_users",
    "attachments",
]
QUEUES = ["technical_support", "administrative", "communication", "cloud"]
WORDS = (
    "protheus rm datasul fluig winthor logix filial matriz ontem hoje sempre urgente cliente fornecedor produto "
    "pedido nota"
).split()
TODAY = NOW.astimezone(reports.ZONE).date()
# The page opens on the default period (the last 30 days up to today), the one the hub prepares.
PERIODS = {
    "30 days": reports.Period.parse({}, TODAY),
    "366 days": reports.Period(date(2026, 1, 1), date(2026, 12, 31)),
}


def question_pool() -> List[Dict[str, Any]]:
    """The development set's questions (tests/reports/gaps_dev.yml), each {lang, text}."""
    dev = yaml.safe_load(GAPS_DEV.read_text(encoding="utf-8"))
    return [row for rows in dev["topics"].values() for row in rows] + dev["singles"]


@dataclass
class Year:
    """The rows of the generated year, before they go to the database."""

    rng: random.Random
    pool: List[Dict[str, Any]]
    conversations: List[Dict[str, Any]] = field(default_factory=list)
    messages: List[Dict[str, Any]] = field(default_factory=list)
    events: List[Dict[str, Any]] = field(default_factory=list)
    handoffs: List[Dict[str, Any]] = field(default_factory=list)
    tickets: List[Dict[str, Any]] = field(default_factory=list)
    last_handoff: int = 0
    last_ticket: int = 0

    def moment(self) -> datetime:
        return START + timedelta(seconds=self.rng.randrange(int((NOW - START).total_seconds())))


def add_conversation(year: Year) -> None:
    """One conversation, its messages, its report events, perhaps a handoff and a ticket."""
    rng, events = year.rng, year.events
    cid = uuid.uuid4().hex
    at = year.moment()
    lang = rng.choice(["pt", "pt", "pt", "es", "en"])
    year.conversations.append(
        dict(id=cid, contact_id=rng.randint(1, 5000), mode="bot", language=lang, channel="widget", started_at=at)
    )
    for m in range(10):
        year.messages.append(
            dict(
                conversation_id=cid,
                sender="customer" if m % 2 == 0 else "bot",
                text="olá preciso de ajuda com a nota fiscal",
                created_at=at + timedelta(seconds=20 * m),
            )
        )

    def e(kind: str, dt: int, **kw: Any) -> None:
        events.append(dict(kind=kind, conversation_id=cid, created_at=at + timedelta(seconds=dt), **kw))

    r = rng.random()
    if r < 0.5:
        e("answer", 30, language=lang, article_id=rng.choice(ARTICLES), data={"confidence": 0.8})
        if rng.random() < 0.4:
            e(
                "helpful",
                60,
                language=lang,
                article_id=rng.choice(ARTICLES),
                text="obrigado",
                data={"helpful": rng.random() < 0.7},
            )
    elif r < 0.65:
        e(
            "suggestions",
            30,
            language=lang,
            text=rng.choice(year.pool)["text"] + " " + rng.choice(WORDS),
            data={"articles": rng.sample(ARTICLES, 3)},
        )
    elif r < 0.8:
        q = rng.choice(year.pool)
        e("no_answer", 30, language=q["lang"], text=q["text"] + " " + " ".join(rng.sample(WORDS, 2)))
    queue = rng.choice(QUEUES)
    if rng.random() < 0.2:
        year.last_handoff += 1
        hid = year.last_handoff
        wait = rng.randint(10, 900)
        e("handoff_requested", 100, queue=queue, language=lang)
        e("handoff_queued", 101, queue=queue, language=lang, data={"handoff_id": hid})
        if rng.random() < 0.85:
            handle = rng.randint(60, 3000)
            year.handoffs.append(
                dict(
                    id=hid,
                    conversation_id=cid,
                    queue=queue,
                    language=lang,
                    status="closed",
                    created_at=at,
                    accepted_at=at + timedelta(seconds=101 + wait),
                    closed_at=at + timedelta(seconds=101 + wait + handle),
                )
            )
            e(
                "handoff_accepted",
                101 + wait,
                queue=queue,
                language=lang,
                data={"handoff_id": hid, "agent_id": 1, "wait_seconds": wait},
            )
            e(
                "handoff_closed",
                101 + wait + handle,
                queue=queue,
                language=lang,
                data={"handoff_id": hid, "handle_seconds": handle, "resolution": "resolved"},
            )
            if rng.random() < 0.5:
                e(
                    "survey",
                    200 + wait + handle,
                    queue=queue,
                    language=lang,
                    score=rng.randint(0, 10),
                    text=rng.choice([None, None, "ótimo atendimento", "demorou"]),
                    data={"channel": "live_chat"},
                )
        else:
            year.handoffs.append(
                dict(
                    id=hid,
                    conversation_id=cid,
                    queue=queue,
                    language=lang,
                    status="abandoned",
                    created_at=at,
                    closed_at=at + timedelta(seconds=101 + wait),
                )
            )
            e(
                "handoff_abandoned",
                101 + wait,
                queue=queue,
                language=lang,
                data={"handoff_id": hid, "stage": "queued", "waited_seconds": wait},
            )
    if rng.random() < 0.1:
        year.last_ticket += 1
        tid = year.last_ticket
        number = f"2026-{tid:06d}"
        year.tickets.append(
            dict(
                id=tid,
                number=number,
                year=2026,
                sequence=tid,
                conversation_id=cid,
                queue=queue,
                category="bug",
                status="open",
                created_at=at,
                updated_at=at,
            )
        )
        e(
            "ticket_created",
            300,
            queue=queue,
            language=lang,
            data={
                "ticket_number": number,
                "category": rng.choice(["bug", "question", "consulting"]),
                "criticality": rng.choice(["low", "medium", "high"]),
                "via": "intake",
            },
        )
        t, status = 300, "open"
        for nxt in ("in_progress", "awaiting_customer", "closed"):
            t += rng.randint(3600, 200000)
            e("ticket_status", t, queue=queue, language=lang, data={"ticket_number": number, "from": status, "to": nxt})
            status = nxt
    if rng.random() < 0.03:
        e("deflection", 400, language=lang, article_id=rng.choice(ARTICLES))


def generate_year(conversations: int) -> Year:
    """Every row of the year, the same for the same number of conversations (but the conversations' ids)."""
    year = Year(random.Random(SEED), question_pool())
    for _ in range(conversations):
        add_conversation(year)
    rng = year.rng
    day = START
    while day < NOW:
        for agent in range(1, 21):
            on = day + timedelta(hours=rng.randint(9, 12), minutes=rng.randint(0, 59))
            year.events.append(dict(kind="presence", created_at=on, data={"agent_id": agent, "status": "online"}))
            year.events.append(
                dict(
                    kind="presence",
                    created_at=on + timedelta(hours=rng.randint(4, 9)),
                    data={"agent_id": agent, "status": "offline"},
                )
            )
        day += timedelta(days=1)
    year.events.sort(key=lambda row: row["created_at"])
    return year


async def chunks(session: Any, table: Any, rows: Sequence[Dict[str, Any]], size: int = 5000) -> None:
    for i in range(0, len(rows), size):
        await session.execute(insert(table), rows[i : i + size])


async def fill(url: str, conversations: int) -> float:
    """Writes the year into the (migrated, empty) database; the seconds it took."""
    engine = make_engine(url)
    sessions = make_sessions(engine, Clock(NOW))
    t0 = time.perf_counter()
    try:
        async with sessions.begin() as s:
            await chunks(
                s,
                Agent,
                [
                    dict(
                        id=i + 1,
                        email=f"a{i}@x",
                        name="A",
                        password_hash="x",
                        role="agent",
                        queues=[QUEUES[i % 4]],
                        presence="offline",
                        created_at=START,
                    )
                    for i in range(20)
                ],
            )
            await chunks(
                s,
                Contact,
                [dict(id=i + 1, external_id=f"c{i}", created_at=START, updated_at=START) for i in range(5000)],
            )
        year = generate_year(conversations)
        async with sessions.begin() as s:
            await chunks(s, Conversation, year.conversations)
            await chunks(s, Handoff, year.handoffs)
            await chunks(s, Ticket, year.tickets)
        async with sessions.begin() as s:
            await chunks(s, Message, year.messages, 10000)
        async with sessions.begin() as s:
            await chunks(s, ReportEvent, year.events, 10000)
        if url.startswith("postgresql"):
            async with engine.begin() as c:
                await c.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    seconds = time.perf_counter() - t0
    print(
        f"generated {len(year.conversations)} conversations, {len(year.messages)} messages, "
        f"{len(year.events)} events in {seconds:.0f} s",
        flush=True,
    )
    return seconds


async def timings(url: str, calls: int) -> Dict[str, Any]:
    """The warm-up, then every report for every period `calls` times, each call in its own session."""
    engine = make_engine(url)
    sessions = make_sessions(engine, Clock(NOW))
    result: Dict[str, Any] = {"periods": {}}
    try:
        async with sessions() as s:
            messages = (await s.execute(select(func.count(Message.id)))).scalar()
            events = (await s.execute(select(func.count(ReportEvent.id)))).scalar()
            print("messages, events:", (messages, events))
            dialect = s.bind.dialect
            version = ".".join(str(part) for part in dialect.server_version_info or ())
        result.update(database=f"{dialect.name} {version}".strip(), messages=messages, events=events)
        result["page"], result["warmup_seconds"] = await page_loads(sessions)
        for label, period in PERIODS.items():
            rows: Dict[str, Any] = {}
            for name in reports.REPORTS:
                times = []
                for _ in range(calls):
                    async with sessions() as s:
                        t = time.perf_counter()
                        await reports.report(s, name, period, NOW, "pt")
                        times.append(time.perf_counter() - t)
                print(
                    f"{label:9} {name:13} best {min(times) * 1000:7.0f} ms  first {times[0] * 1000:7.0f} ms",
                    flush=True,
                )
                rows[name] = {
                    "best_ms": round(min(times) * 1000, 1),
                    "first_ms": round(times[0] * 1000, 1),
                    "calls_ms": [round(x * 1000, 1) for x in times],
                }
            result["periods"][label] = {"from": period.start.isoformat(), "to": period.end.isoformat(), "reports": rows}
    finally:
        await engine.dispose()
    return result


async def page(sessions: Any, period: reports.Period) -> float:
    """The Reports page as the console loads it: the six reports asked at once,
    each request in its own session (seconds until the last one is in)."""

    async def one(name: str) -> None:
        async with sessions() as s:
            await reports.report(s, name, period, NOW, "pt")

    t = time.perf_counter()
    await asyncio.gather(*(one(name) for name in reports.REPORTS))
    return time.perf_counter() - t


def forget() -> None:
    """A hub just started: nothing remembered but what every version loaded first (spaCy's tables)."""
    for cached in (kg._terms, kg._fold_word, kg._grouped, reports._library):
        cached.cache_clear()


async def add_gap_questions(sessions: Any, count: int) -> None:
    """New questions nobody answered, as customers keep asking between two page loads."""
    rng, pool = random.Random(SEED + 1), question_pool()
    rows = []
    for i in range(count):
        question = rng.choice(pool)
        text = f"{question['text']} {' '.join(rng.sample(WORDS, 2))}"
        rows.append(
            {"kind": "no_answer", "language": question["lang"], "text": text, "created_at": NOW - timedelta(minutes=i)}
        )
    async with sessions.begin() as s:
        await s.execute(insert(ReportEvent), rows)


async def page_loads(sessions: Any) -> Tuple[Dict[str, Any], float]:
    """The page over each period: the first load of a hub that (as before) had
    loaded only spaCy's tables; the first load after the hub's warm-up; a reload;
    a reload after 50 new unanswered questions. And how long the hub's warm-up took
    (the first one: it loads spaCy's tables too)."""
    loads: Dict[str, Any] = {}
    warmups: List[float] = []
    for label, period in PERIODS.items():
        forget()
        kg.warm()
        before = await page(sessions, period)
        forget()
        t = time.perf_counter()
        async with sessions() as s:
            await reports.warm(s, TODAY)
        warmups.append(time.perf_counter() - t)
        first = await page(sessions, period)
        # Reloads vary with what else the process does (a collection of garbage): the median of three.
        again = statistics.median([await page(sessions, period) for _ in range(3)])
        await add_gap_questions(sessions, 50)
        newer = await page(sessions, period)
        loads[label] = {
            "spacy_only_first_ms": round(before * 1000, 1),
            "warmed_first_ms": round(first * 1000, 1),
            "again_ms": round(again * 1000, 1),
            "after_new_questions_ms": round(newer * 1000, 1),
        }
        print(f"page {label}: " + ", ".join(f"{k} {v:.0f}" for k, v in loads[label].items()), flush=True)
    return loads, round(max(warmups), 2)


@contextmanager
def database(url: Optional[str]) -> Iterator[str]:
    """The URL to fill: a SQLite file in a temporary directory (deleted afterwards), a scratch
    database on the PostgreSQL server `url` names (dropped afterwards), or `url` itself."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="carolina-bench-reports-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'reports.db'}"
        return
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield url
        return
    import asyncpg

    name = f"carolina_bench_{uuid.uuid4().hex[:10]}"
    admin_url = parsed.set(drivername="postgresql", database=parsed.database or "postgres")

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(admin_url.render_as_string(hide_password=False), timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {load:.2f} at the start)"
    )


def measure(database_url: Optional[str], conversations: int, calls: int) -> Dict[str, Any]:
    report: Dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "seed": SEED,
        "conversations": conversations,
        "calls": calls,
    }
    with database(database_url) as url:
        upgrade(url)
        report["generation_seconds"] = round(asyncio.run(fill(url, conversations)), 1)
        report.update(asyncio.run(timings(url, calls)))
    return report


def markdown(report: Dict[str, Any]) -> str:
    labels = list(report["periods"])
    calls = "once" if report["calls"] == 1 else f"{report['calls']} times"
    lines = [
        f"# Reports on a generated year ({report['date']})",
        "",
        f"{report['machine']}; {report['database']}. {report['conversations']:,} conversations, "
        f"{report['messages']:,} messages, {report['events']:,} report events (seed {report['seed']}, generated "
        f"and written in {report['generation_seconds']:.1f} s). Each report called {calls}, "
        f"each call in its own session, after the hub's warm-up; ms. The hub's warm-up (titles, the default "
        f"period's gaps; spaCy's tables already loaded), timed apart: "
        f"{report['warmup_seconds']:.1f} s.",
        "",
        "| report | " + " | ".join(f"{label} best | {label} first" for label in labels) + " |",
        "|---|" + "---|---|" * len(labels),
    ]
    for name in reports.REPORTS:
        cells = []
        for label in labels:
            row = report["periods"][label]["reports"][name]
            cells += [f"{row['best_ms']:.0f}", f"{row['first_ms']:.0f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    slowest = max(
        (row["first_ms"], label, name) for label in labels for name, row in report["periods"][label]["reports"].items()
    )
    lines += [
        "",
        "The page (the six reports asked at once, as the console does; ms): the first load when the hub "
        "had loaded only spaCy's tables (the previous version's warm-up), the first load after the hub's "
        "warm-up (article titles, spaCy's tables, the default period's gaps), a reload (the median of "
        "three), and a reload after 50 new unanswered questions.",
        "",
        "| period | first, spaCy only (before) | first, after the warm-up | again | after 50 new questions |",
        "|---|---|---|---|---|",
    ]
    for label, row in report["page"].items():
        lines.append(
            f"| {label} | {row['spacy_only_first_ms']:.0f} | {row['warmed_first_ms']:.0f} | {row['again_ms']:.0f} "
            f"| {row['after_new_questions_ms']:.0f} |"
        )
    lines += [
        "",
        "Periods: "
        + "; ".join(f"{label} {p['from']} to {p['to']}" for label, p in report["periods"].items())
        + f". Slowest first call: {slowest[2]} over {slowest[1]}, {slowest[0]:.0f} ms (target: under 1,000 ms).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reports")
    parser.add_argument(
        "--database-url",
        help="default: a fresh SQLite file in a temporary directory; a PostgreSQL URL: a scratch database is "
        "created on that server and dropped afterwards; any other URL must name an empty database",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        help=f"10 messages each (default {CONVERSATIONS}; {QUICK_CONVERSATIONS} with --quick)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_CONVERSATIONS} conversations, one call per report"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    conversations = args.conversations or (QUICK_CONVERSATIONS if args.quick else CONVERSATIONS)
    report = measure(args.database_url, conversations, 1 if args.quick else CALLS)
    output.save(args.out, "reports", args.quick, report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
