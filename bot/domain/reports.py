"""The support manager's reports (issue 20): is Carolina helping, and what is
she missing. One plain function per report over a session and a Period, each
returning the JSON-ready figures the API serves (bot/web/reports_api.py), the
console draws and `python -m bot report` prints.

They read the events the hub records as things happen (report_events, bot/
domain/report_events.py) and, for containment, the conversations with their
tickets and handoffs; never the messages. Each query filters one event kind by
created_at (the (kind, created_at) index) and counts in the database where the
rows are many; only what needs more than a count (percentiles, presence
intervals, time in status, the gaps' texts) comes back to Python.

Days are America/Sao_Paulo calendar days (common/clock.py's ZONE): a period
from 2026-11-01 to 2026-11-30 runs from 2026-11-01 00:00 to 2026-12-01 00:00
Brasília time, and an event at 02:30 UTC belongs to the day before."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, Conversation, Handoff, ReportEvent, Ticket, utc
from bot.domain import knowledge_gaps
from bot.domain.agents import serves
from bot.domain.errors import DomainError
from bot.domain.hours import load_calendar
from common.clock import ZONE
from common.kb.articles import Library, load_library
from common.languages import DEFAULT_LANGUAGE, LANGUAGES
from common.vocabulary import vocabulary

DEFAULT_DAYS = 30
# The longest period one call reports on (a leap year).
MAX_DAYS = 366
# How many articles each knowledge-base list shows, how many survey comments, how many gap groups.
TOP_ARTICLES = 20
MAX_COMMENTS = 100
MAX_GROUPS = 200
CHANNELS = ("live_chat", "ticket")
REPORTS = ("containment", "kb", "gaps", "live_chat", "tickets", "satisfaction")
# The lists each report exports as CSV (format=csv&table=...).
TABLES: Dict[str, Tuple[str, ...]] = {
    "containment": ("days",),
    "kb": ("most_shown", "least_helpful"),
    "gaps": ("groups",),
    "live_chat": ("queues", "online_by_hour"),
    "tickets": ("days", "time_in_status"),
    "satisfaction": ("comments",),
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def invalid(message: str) -> DomainError:
    return DomainError(422, "invalid", message)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both included, in São Paulo days; optionally one language and one queue."""

    start: date
    end: date
    language: Optional[str] = None
    queue: Optional[str] = None

    @classmethod
    def parse(cls, query: Mapping[str, str], today: date) -> Period:
        """from, to (YYYY-MM-DD; by default the DEFAULT_DAYS days up to today), language, queue."""

        def day(key: str) -> Optional[date]:
            value = (query.get(key) or "").strip()
            if not value:
                return None
            if not _DAY.fullmatch(value):
                raise invalid(f"{key} must be a date like 2026-11-01")
            try:
                return date.fromisoformat(value)
            except ValueError as error:
                raise invalid(f"{key} must be a date like 2026-11-01") from error

        end = day("to") or today
        start = day("from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise invalid("from must not be after to")
        if (end - start).days + 1 > MAX_DAYS:
            raise invalid(f"a report covers at most {MAX_DAYS} days")
        language = (query.get("language") or "").strip() or None
        if language is not None and language not in LANGUAGES:
            raise invalid(f"language must be one of {', '.join(LANGUAGES)}")
        queue = (query.get("queue") or "").strip() or None
        if queue is not None and queue not in load_calendar().queues:
            raise invalid(f"queue must be one of {', '.join(load_calendar().queues)}")
        return cls(start, end, language, queue)

    @property
    def since(self) -> datetime:
        """The first moment of the period, in UTC."""
        return utc(datetime.combine(self.start, time(0), ZONE))

    @property
    def until(self) -> datetime:
        """The first moment after the period, in UTC."""
        return utc(datetime.combine(self.end + timedelta(days=1), time(0), ZONE))

    def days(self) -> List[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def local_day(moment: datetime) -> str:
    return utc(moment).astimezone(ZONE).date().isoformat()


def _day_of(session: AsyncSession, column: Any) -> ColumnElement[str]:
    """The São Paulo day of a timestamp column, as YYYY-MM-DD, computed by the database."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return func.to_char(func.timezone(ZONE.key, column), "YYYY-MM-DD")
    # SQLite keeps UTC without an offset; São Paulo's is a whole number of hours (-3
    # since 2019, when daylight-saving time ended there).
    offset = ZONE.utcoffset(datetime.now())
    hours = int((offset or timedelta(0)).total_seconds() // 3600)
    return func.strftime("%Y-%m-%d", column, f"{hours:+d} hours")


def _events(period: Period, *kinds: str, language: bool = True, queue: bool = True) -> List[ColumnElement[bool]]:
    """The conditions for events of `kinds` in the period (and its language and queue, where they apply)."""
    where: List[ColumnElement[bool]] = [
        ReportEvent.kind.in_(kinds) if len(kinds) > 1 else ReportEvent.kind == kinds[0],
        ReportEvent.created_at >= period.since,
        ReportEvent.created_at < period.until,
    ]
    if language and period.language:
        where.append(ReportEvent.language == period.language)
    if queue and period.queue:
        where.append(ReportEvent.queue == period.queue)
    return where


def rate(part: int, whole: int, digits: int = 3) -> Optional[float]:
    return round(part / whole, digits) if whole else None


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    """Linear interpolation between the closest ranks (numpy's default, a spreadsheet's PERCENTILE)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rounded(value: Optional[float], digits: int = 1) -> Optional[float]:
    return None if value is None else round(value, digits)


# --- containment -------------------------------------------------------------


async def containment(session: AsyncSession, period: Period) -> Dict[str, Any]:
    """Each conversation started in the period, by how it ended: `ticket` if a
    ticket was created in it, else `human` if an analyst accepted a handoff of
    it, else `bot` (Carolina alone). With a queue, only the conversations that
    had a handoff or a ticket in that queue."""
    c = Conversation
    # Uncorrelated sets, each read once (a correlated EXISTS per conversation makes SQLite
    # scan every acceptance for each one); nothing in a conversation precedes its start.
    since = period.since
    ticketed = c.id.in_(select(Ticket.conversation_id).where(Ticket.created_at >= since))
    accepted = or_(
        c.id.in_(select(Handoff.conversation_id).where(Handoff.created_at >= since, Handoff.accepted_at.is_not(None))),
        # An accepted chat put back in the queue and then abandoned has no accepted_at any more.
        c.id.in_(
            select(ReportEvent.conversation_id).where(
                ReportEvent.kind == "handoff_accepted", ReportEvent.created_at >= since
            )
        ),
    )
    outcome = case((ticketed, "ticket"), (accepted, "human"), else_="bot")
    inner = select(_day_of(session, c.started_at).label("day"), outcome.label("outcome")).where(
        c.started_at >= since, c.started_at < period.until
    )
    if period.language:
        inner = inner.where(c.language == period.language)
    if period.queue:
        queue = period.queue
        inner = inner.where(
            or_(
                c.id.in_(select(Ticket.conversation_id).where(Ticket.created_at >= since, Ticket.queue == queue)),
                c.id.in_(select(Handoff.conversation_id).where(Handoff.created_at >= since, Handoff.queue == queue)),
            )
        )
    rows = inner.subquery()
    counted = await session.execute(
        select(rows.c.day, rows.c.outcome, func.count()).group_by(rows.c.day, rows.c.outcome)
    )
    per_day: Dict[str, Counter] = defaultdict(Counter)
    for day, kind, count in counted.all():
        per_day[day][kind] += int(count)
    outcomes = ("bot", "human", "ticket")
    days: List[Dict[str, Any]] = [
        {"date": d.isoformat(), **{k: per_day[d.isoformat()][k] for k in outcomes}} for d in period.days()
    ]
    totals = {k: sum(per_day[d][k] for d in per_day) for k in outcomes}
    return {"days": days, "totals": {"conversations": sum(totals.values()), **totals}}


# --- knowledge base ----------------------------------------------------------


@lru_cache(maxsize=1)
def _library() -> Library:
    return load_library()


def article_title(article_id: str, lang: str) -> str:
    """The article's title in `lang` (the id of an article no longer in the knowledge base)."""
    found = _library().get(lang if lang in LANGUAGES else DEFAULT_LANGUAGE, {}).get(article_id)
    return found.title if found is not None else article_id


def article_queue(article_id: str) -> Optional[str]:
    found = _library().get(DEFAULT_LANGUAGE, {}).get(article_id)
    return found.queue if found is not None else None


def _helpful_flag() -> ColumnElement[Any]:
    return ReportEvent.data["helpful"].as_boolean()


async def kb(session: AsyncSession, period: Period, lang: str = DEFAULT_LANGUAGE) -> Dict[str, Any]:
    """Answers given, lists of suggestions, questions with nothing found, and the
    customers' votes; per article: times shown (given as the answer or offered
    among suggestions) and votes, the TOP_ARTICLES most shown and the
    TOP_ARTICLES least helpful (with a vote at least). The queue filter does not
    apply: these events belong to no queue."""
    kinds = ("answer", "suggestions", "no_answer")
    counts = dict(
        (
            await session.execute(
                select(ReportEvent.kind, func.count())
                .where(*_events(period, *kinds, queue=False))
                .group_by(ReportEvent.kind)
            )
        ).all()
    )
    shown: Counter = Counter()
    answered = select(ReportEvent.article_id, func.count()).where(*_events(period, "answer", queue=False))
    for article_id, count in (await session.execute(answered.group_by(ReportEvent.article_id))).all():
        if article_id:
            shown[article_id] += int(count)
    offered = select(ReportEvent.data).where(*_events(period, "suggestions", queue=False))
    for (data,) in (await session.execute(offered)).all():
        articles = data.get("articles") if isinstance(data, dict) else None
        for article_id in dict.fromkeys(articles or []):
            if isinstance(article_id, str):
                shown[article_id] += 1
    votes: Dict[str, Counter] = defaultdict(Counter)
    flag = _helpful_flag()
    voted = select(ReportEvent.article_id, flag, func.count()).where(*_events(period, "helpful", queue=False))
    for article_id, helped, count in (await session.execute(voted.group_by(ReportEvent.article_id, flag))).all():
        if article_id and helped is not None:
            votes[article_id]["helpful" if helped else "unhelpful"] += int(count)
    helpful = sum(v["helpful"] for v in votes.values())
    unhelpful = sum(v["unhelpful"] for v in votes.values())

    def entry(article_id: str) -> Dict[str, Any]:
        yes, no = votes[article_id]["helpful"], votes[article_id]["unhelpful"]
        return {
            "article_id": article_id,
            "title": article_title(article_id, lang),
            "shown": shown[article_id],
            "helpful": yes,
            "unhelpful": no,
            "helpful_rate": rate(yes, yes + no),
        }

    every = sorted(set(shown) | set(votes))
    most_shown = sorted((a for a in every if shown[a]), key=lambda a: (-shown[a], a))[:TOP_ARTICLES]
    rated = [entry(a) for a in every if votes[a]["helpful"] + votes[a]["unhelpful"]]
    least = sorted(rated, key=lambda e: (e["helpful_rate"], -e["unhelpful"], e["article_id"]))[:TOP_ARTICLES]
    return {
        "answers": int(counts.get("answer", 0)),
        "suggestions": int(counts.get("suggestions", 0)),
        "no_answer": int(counts.get("no_answer", 0)),
        "helpful": helpful,
        "unhelpful": unhelpful,
        "helpful_rate": rate(helpful, helpful + unhelpful),
        "most_shown": [entry(a) for a in most_shown],
        "least_helpful": least,
    }


# --- knowledge gaps ----------------------------------------------------------


async def gap_questions(session: AsyncSession, period: Period) -> List[knowledge_gaps.Question]:
    """The period's questions Carolina could not answer, or answered unhelpfully,
    not yet handled: the most recent knowledge_gaps.MAX_QUESTIONS."""
    query = (
        select(ReportEvent.id, ReportEvent.text, ReportEvent.language)
        .where(
            *_events(period, *knowledge_gaps.GAP_KINDS, queue=False),
            knowledge_gaps.is_gap(),
            ReportEvent.handled_at.is_(None),
            ReportEvent.text.is_not(None),
        )
        .order_by(ReportEvent.created_at.desc(), ReportEvent.id.desc())
        .limit(knowledge_gaps.MAX_QUESTIONS)
    )
    return [
        knowledge_gaps.Question(event_id, text, language)
        for event_id, text, language in (await session.execute(query)).all()
        if text and text.strip()
    ]


async def gaps(session: AsyncSession, period: Period) -> Dict[str, Any]:
    """The gaps in topics, most frequent first (at most MAX_GROUPS groups), from
    the most recent knowledge_gaps.MAX_QUESTIONS questions. The queue filter does not apply."""
    questions = await gap_questions(session, period)
    # The grouping is CPU work: off the event loop, so the hub keeps answering meanwhile.
    groups = await asyncio.to_thread(knowledge_gaps.grouped, questions)
    return {"groups": [g.as_json() for g in groups[:MAX_GROUPS]]}


# --- live chat ---------------------------------------------------------------


def _queues(period: Period, seen: Sequence[Optional[str]] = ()) -> List[str]:
    if period.queue:
        return [period.queue]
    known = list(load_calendar().queues)
    return known + sorted({q for q in seen if q and q not in known})


async def live_chat(session: AsyncSession, period: Period, now: datetime) -> Dict[str, Any]:
    """Per queue: requests for a person, chats that entered the queue (`queued`:
    transfers and requeues not counted again), chats accepted, chats abandoned by
    the customer (waiting or chatting), the abandon rate (abandoned over queued), the
    waits before an analyst accepted (p50, p90) and how long analysts held the
    chats (p50). And the average number of analysts online during each hour of
    the day (São Paulo), over the period up to `now`."""
    counted: Dict[Optional[str], Counter] = defaultdict(Counter)
    kinds = ("handoff_requested", "handoff_accepted", "handoff_abandoned")
    query = select(ReportEvent.queue, ReportEvent.kind, func.count()).where(*_events(period, *kinds))
    for queue, kind, count in (await session.execute(query.group_by(ReportEvent.queue, ReportEvent.kind))).all():
        counted[queue][kind] += int(count)
    requeued = ReportEvent.data["requeued"].as_boolean()
    query = select(ReportEvent.queue, requeued, func.count()).where(*_events(period, "handoff_queued"))
    for queue, again, count in (await session.execute(query.group_by(ReportEvent.queue, requeued))).all():
        if not again:
            counted[queue]["entered"] += int(count)
    waits: Dict[Optional[str], List[float]] = defaultdict(list)
    waited = ReportEvent.data["wait_seconds"].as_float()
    for queue, seconds in (
        await session.execute(select(ReportEvent.queue, waited).where(*_events(period, "handoff_accepted")))
    ).all():
        if seconds is not None:
            waits[queue].append(float(seconds))
    handles: Dict[Optional[str], List[float]] = defaultdict(list)
    held = ReportEvent.data["handle_seconds"].as_float()
    for queue, seconds in (
        await session.execute(select(ReportEvent.queue, held).where(*_events(period, "handoff_closed")))
    ).all():
        if seconds is not None:
            handles[queue].append(float(seconds))
    queues = []
    for queue in _queues(period, [*counted, *waits, *handles]):
        figures = counted[queue]
        queues.append(
            {
                "queue": queue,
                "requests": figures["handoff_requested"],
                "queued": figures["entered"],
                "accepted": figures["handoff_accepted"],
                "abandoned": figures["handoff_abandoned"],
                "abandon_rate": rate(figures["handoff_abandoned"], figures["entered"]),
                "wait_p50_seconds": _rounded(percentile(waits[queue], 0.5)),
                "wait_p90_seconds": _rounded(percentile(waits[queue], 0.9)),
                "handle_p50_seconds": _rounded(percentile(handles[queue], 0.5)),
            }
        )
    return {"queues": queues, "online_by_hour": await online_by_hour(session, period, now)}


async def online_by_hour(session: AsyncSession, period: Period, now: datetime) -> List[Dict[str, Any]]:
    """For each hour of the day (0-23, São Paulo), the average number of analysts
    online during it over the period's days (up to `now`), from the presence
    events: an analyst is online from an "online" event to their next presence
    event; one online before the period starts counts from its start. With a
    queue, only the analysts who serve it."""
    start, end = period.since, min(period.until, utc(now))
    who = ReportEvent.data["agent_id"].as_integer()
    before = (
        select(func.max(ReportEvent.id))
        .where(ReportEvent.kind == "presence", ReportEvent.created_at < start)
        .group_by(who)
    )
    query = (
        select(ReportEvent.created_at, who, ReportEvent.data["status"].as_string())
        .where(
            or_(
                ReportEvent.id.in_(before),
                and_(ReportEvent.kind == "presence", ReportEvent.created_at >= start, ReportEvent.created_at < end),
            )
        )
        .order_by(ReportEvent.created_at, ReportEvent.id)
    )
    timeline: Dict[int, List[Tuple[datetime, str]]] = defaultdict(list)
    for moment, agent_id, status in (await session.execute(query)).all():
        if agent_id is not None:
            timeline[int(agent_id)].append((max(utc(moment), start), status or ""))
    if period.queue and timeline:
        found = await session.execute(select(Agent).where(Agent.id.in_(list(timeline))))
        serving = {a.id for a in found.scalars() if serves(a, period.queue)}
        timeline = {a: t for a, t in timeline.items() if a in serving}
    online = [0.0] * 24
    for changes in timeline.values():
        for (moment, status), following in zip(changes, [*changes[1:], (end, "")], strict=False):
            if status == "online":
                _spread(online, moment, min(following[0], end))
    hours = [0.0] * 24
    if end > start:
        _spread(hours, start, end)
    return [{"hour": h, "analysts": round(online[h] / hours[h], 2) if hours[h] else 0.0} for h in range(24)]


def _spread(seconds: List[float], start: datetime, end: datetime) -> None:
    """Adds the seconds from start to end to the São Paulo hours of the day they fall in."""
    # A day at a time: the zone's offset changes (summer time, before 2019) months apart,
    # so within a day whose two ends share an offset, local time is plain arithmetic.
    # (A year of presence is tens of thousands of spans; converting hour by hour took half a second.)
    while start < end:
        stop = min(start + timedelta(days=1), end)
        offset = start.astimezone(ZONE).utcoffset()
        if offset is None or offset != stop.astimezone(ZONE).utcoffset():
            _spread_by_hour(seconds, start, stop)
        else:
            local, last = (start + offset).timestamp(), (stop + offset).timestamp()
            while local < last:
                until = min((local // 3600 + 1) * 3600, last)
                seconds[int(local // 3600) % 24] += until - local
                local = until
        start = stop


def _spread_by_hour(seconds: List[float], start: datetime, end: datetime) -> None:
    moment = start
    while moment < end:
        local = moment.astimezone(ZONE)
        next_hour = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(timezone.utc)
        stop = min(next_hour, end)
        seconds[local.hour] += (stop - moment).total_seconds()
        moment = stop


# --- tickets -----------------------------------------------------------------


async def tickets(session: AsyncSession, period: Period) -> Dict[str, Any]:
    """Tickets opened per day by category and criticality; tickets an article made
    unnecessary (deflections; with a queue, those whose article belongs to it);
    and, for the tickets opened in the period, how long they stayed in each status
    (each stay that ended before the period did, entering "open" when created)."""
    words = vocabulary()
    category = ReportEvent.data["category"].as_string()
    criticality = ReportEvent.data["criticality"].as_string()
    day = _day_of(session, ReportEvent.created_at)
    query = select(day, category, criticality, func.count()).where(*_events(period, "ticket_created"))
    opened: Dict[str, Counter] = defaultdict(Counter)
    by_category: Dict[str, Counter] = defaultdict(Counter)
    by_criticality: Dict[str, Counter] = defaultdict(Counter)
    for when, cat, level, count in (await session.execute(query.group_by(day, category, criticality))).all():
        opened[when]["opened"] += int(count)
        by_category[when][cat or words.unknown] += int(count)
        by_criticality[when][level or words.unknown] += int(count)
    days = [
        {
            "date": d.isoformat(),
            "opened": opened[d.isoformat()]["opened"],
            "by_category": dict(sorted(by_category[d.isoformat()].items())),
            "by_criticality": dict(sorted(by_criticality[d.isoformat()].items())),
        }
        for d in period.days()
    ]
    deflected = 0
    query = select(ReportEvent.article_id, func.count()).where(*_events(period, "deflection", queue=False))
    for article_id, count in (await session.execute(query.group_by(ReportEvent.article_id))).all():
        if not period.queue or article_queue(article_id or "") == period.queue:
            deflected += int(count)
    return {
        "days": days,
        "opened": sum(d["opened"] for d in days),
        "deflected": deflected,
        "time_in_status": await time_in_status(session, period),
    }


async def time_in_status(session: AsyncSession, period: Period) -> List[Dict[str, Any]]:
    number = ReportEvent.data["ticket_number"].as_string()
    created_query = select(number, ReportEvent.created_at).where(*_events(period, "ticket_created"))
    created = {n: utc(t) for n, t in (await session.execute(created_query)).all() if n}
    changes: Dict[str, List[Tuple[datetime, str, str]]] = defaultdict(list)
    if created:
        moved = select(
            number, ReportEvent.created_at, ReportEvent.data["from"].as_string(), ReportEvent.data["to"].as_string()
        ).where(*_events(period, "ticket_status", language=False, queue=False))
        for ticket, moment, before, after in (
            await session.execute(moved.order_by(ReportEvent.created_at, ReportEvent.id))
        ).all():
            if ticket in created:
                changes[ticket].append((utc(moment), before or "", after or ""))
    stays: Dict[str, List[float]] = defaultdict(list)
    for ticket, opened_at in created.items():
        status, since = "open", opened_at
        for moment, before, after in changes[ticket]:
            if before == status:
                stays[status].append((moment - since).total_seconds() / 3600)
            status, since = after, moment
    statuses = [s for s in vocabulary().statuses if vocabulary().transitions.get(s)]
    return [
        {
            "status": status,
            "count": len(stays[status]),
            "p50_hours": _rounded(percentile(stays[status], 0.5), 2),
            "mean_hours": _rounded(sum(stays[status]) / len(stays[status]), 2) if stays[status] else None,
        }
        for status in statuses
    ]


# --- satisfaction --------------------------------------------------------------


def nps(distribution: Sequence[int]) -> Optional[float]:
    """Net promoter score: % promoters (9-10) minus % detractors (0-6); None without answers."""
    answered = sum(distribution)
    if not answered:
        return None
    return round(100.0 * (sum(distribution[9:]) - sum(distribution[:7])) / answered, 1)


async def satisfaction(session: AsyncSession, period: Period) -> Dict[str, Any]:
    """The surveys after a live chat and after a ticket: responses, NPS, the
    0-10 distribution and the newest MAX_COMMENTS comments."""
    channel = ReportEvent.data["channel"].as_string()
    query = select(ReportEvent.created_at, ReportEvent.score, ReportEvent.text, channel).where(
        *_events(period, "survey")
    )
    found: Dict[str, Dict[str, Any]] = {c: {"distribution": [0] * 11, "comments": []} for c in CHANNELS}
    for moment, score, text, kind in (
        await session.execute(query.order_by(ReportEvent.created_at.desc(), ReportEvent.id.desc()))
    ).all():
        if kind not in found or score is None or not 0 <= int(score) <= 10:
            continue
        found[kind]["distribution"][int(score)] += 1
        if text and text.strip() and len(found[kind]["comments"]) < MAX_COMMENTS:
            found[kind]["comments"].append({"date": local_day(moment), "score": int(score), "text": text.strip()})
    return {
        c: {
            "responses": sum(found[c]["distribution"]),
            "nps": nps(found[c]["distribution"]),
            "distribution": found[c]["distribution"],
            "comments": found[c]["comments"],
        }
        for c in CHANNELS
    }


# --- before the first page ------------------------------------------------------


async def warm(session: AsyncSession, today: date) -> None:
    """What the Reports page's first load would pay for, paid early (the hub
    calls it a little after start): the articles' titles, spaCy's tables for the
    gap grouping, and the grouping of the default period's gaps, which a first
    load then finds remembered (a reload after new events regroups, but reads
    only the new questions: knowledge_gaps remembers each question's words)."""
    await asyncio.to_thread(_library)
    await asyncio.to_thread(knowledge_gaps.warm)
    await gaps(session, Period.parse({}, today))


# --- all of them, as tables and as text -----------------------------------------


async def report(
    session: AsyncSession, name: str, period: Period, now: datetime, lang: str = DEFAULT_LANGUAGE
) -> Dict[str, Any]:
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        # These queries are short, but their plans look costly (whole-table subplans), and
        # PostgreSQL's JIT compiler then spends more time compiling them (~0.4 s) than running them.
        await session.execute(sql("SET LOCAL jit = off"))
    if name == "containment":
        return await containment(session, period)
    if name == "kb":
        return await kb(session, period, lang)
    if name == "gaps":
        return await gaps(session, period)
    if name == "live_chat":
        return await live_chat(session, period, now)
    if name == "tickets":
        return await tickets(session, period)
    if name == "satisfaction":
        return await satisfaction(session, period)
    raise DomainError(404, "no_report", f"no report {name!r}; there are {', '.join(REPORTS)}")


def table(name: str, table_name: str, data: Mapping[str, Any]) -> Tuple[List[str], List[List[Any]]]:
    """(header, rows) of one of a report's lists, flat, for CSV."""
    if table_name not in TABLES.get(name, ()):
        raise invalid(f"table must be one of {', '.join(TABLES.get(name, ()))}")
    if name == "gaps":
        header = ["key", "count", "languages", "examples", "event_ids"]
        return header, [
            [
                g["key"],
                g["count"],
                " ".join(g["languages"]),
                " | ".join(g["examples"]),
                " ".join(map(str, g["event_ids"])),
            ]
            for g in data["groups"]
        ]
    if name == "tickets" and table_name == "days":
        words = vocabulary()
        categories = list(
            dict.fromkeys([*words.ticket_categories, *(c for d in data["days"] for c in d["by_category"])])
        )
        levels = list(dict.fromkeys([*words.criticalities, *(c for d in data["days"] for c in d["by_criticality"])]))
        header = ["date", "opened", *(f"category_{c}" for c in categories), *(f"criticality_{c}" for c in levels)]
        return header, [
            [
                d["date"],
                d["opened"],
                *(d["by_category"].get(c, 0) for c in categories),
                *(d["by_criticality"].get(c, 0) for c in levels),
            ]
            for d in data["days"]
        ]
    if name == "satisfaction":
        header = ["channel", "date", "score", "text"]
        return header, [[c, m["date"], m["score"], m["text"]] for c in CHANNELS for m in data[c]["comments"]]
    rows: List[Dict[str, Any]] = list(data[table_name])
    header = list(rows[0]) if rows else _HEADERS[(name, table_name)]
    return header, [[row.get(column) for column in header] for row in rows]


_HEADERS: Dict[Tuple[str, str], List[str]] = {
    ("containment", "days"): ["date", "bot", "human", "ticket"],
    ("kb", "most_shown"): ["article_id", "title", "shown", "helpful", "unhelpful", "helpful_rate"],
    ("kb", "least_helpful"): ["article_id", "title", "shown", "helpful", "unhelpful", "helpful_rate"],
    ("live_chat", "queues"): [
        "queue",
        "requests",
        "accepted",
        "abandoned",
        "abandon_rate",
        "wait_p50_seconds",
        "wait_p90_seconds",
        "handle_p50_seconds",
    ],
    ("live_chat", "online_by_hour"): ["hour", "analysts"],
    ("tickets", "time_in_status"): ["status", "count", "p50_hours", "mean_hours"],
}


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}{unit}"
    return f"{value}{unit}"


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def markdown(period: Period, results: Mapping[str, Mapping[str, Any]]) -> str:
    """The six reports as a Markdown summary (python -m bot report)."""
    filters = ", ".join(f"{k} {v}" for k, v in (("language", period.language), ("queue", period.queue)) if v)
    lines = [
        f"# Carolina's reports, {period.start.isoformat()} to {period.end.isoformat()}"
        + (f" ({filters})" if filters else ""),
        "",
    ]
    held = results["containment"]["totals"]
    total = held["conversations"]
    lines += [
        "## Containment",
        "",
        f"{total} conversations: Carolina alone {held['bot']} ({_percent(rate(held['bot'], total))}), "
        f"handed to a person {held['human']} ({_percent(rate(held['human'], total))}), "
        f"ticketed {held['ticket']} ({_percent(rate(held['ticket'], total))}).",
        "",
    ]
    base = results["kb"]
    lines += [
        "## Knowledge base",
        "",
        f"Answers {base['answers']}, suggestion lists {base['suggestions']}, nothing found {base['no_answer']}; "
        f"votes {base['helpful']} helpful, {base['unhelpful']} not ({_percent(base['helpful_rate'])} helpful).",
        "",
    ]
    if base["most_shown"]:
        lines += ["| most shown | shown | helpful | not helpful | helpful rate |", "|---|---:|---:|---:|---:|"]
        lines += [
            f"| {a['title']} | {a['shown']} | {a['helpful']} | {a['unhelpful']} | {_percent(a['helpful_rate'])} |"
            for a in base["most_shown"][:10]
        ]
        lines.append("")
    groups = results["gaps"]["groups"]
    lines += ["## Knowledge gaps", ""]
    if groups:
        lines += ["| questions | languages | examples |", "|---:|---|---|"]
        lines += [
            f"| {g['count']} | {', '.join(g['languages'])} | {' / '.join(_cell(e) for e in g['examples'])} |"
            for g in groups[:10]
        ]
    else:
        lines.append("No unanswered questions.")
    lines += [
        "",
        "## Live chat",
        "",
        "| queue | requests | queued | accepted | abandoned | abandon rate | wait p50 | wait p90 | handle p50 |",
    ]
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for q in results["live_chat"]["queues"]:
        lines.append(
            f"| {q['queue']} | {q['requests']} | {q['queued']} | {q['accepted']} | {q['abandoned']} "
            f"| {_percent(q['abandon_rate'])} "
            f"| {_number(q['wait_p50_seconds'], ' s')} | {_number(q['wait_p90_seconds'], ' s')} "
            f"| {_number(q['handle_p50_seconds'], ' s')} |"
        )
    busiest = max(results["live_chat"]["online_by_hour"], key=lambda h: h["analysts"])
    lines += ["", f"Most analysts online: {busiest['analysts']:g} on average at {busiest['hour']:02d}h.", ""]
    opened = results["tickets"]
    categories: Counter = Counter()
    for d in opened["days"]:
        categories.update(d["by_category"])
    lines += [
        "## Tickets",
        "",
        f"Opened {opened['opened']} ("
        + (", ".join(f"{c} {n}" for c, n in categories.most_common()) or "none")
        + f"); deflected by an article before opening: {opened['deflected']}.",
        "",
        "| status | stays | p50 hours | mean hours |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {s['status']} | {s['count']} | {_number(s['p50_hours'])} | {_number(s['mean_hours'])} |"
        for s in opened["time_in_status"]
    ]
    lines += ["", "## Satisfaction", ""]
    for channel in CHANNELS:
        survey = results["satisfaction"][channel]
        lines.append(
            f"- {channel.replace('_', ' ')}: {survey['responses']} responses, NPS {_number(survey['nps'])}, "
            f"scores 0-10: {' '.join(map(str, survey['distribution']))}"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())
