"""The hub's command line: `python -m bot <command>` (the knowledge base has its
own, `python -m common.kb`).

serve               run the hub (upgrades the schema first); refused when another
                    hub serves the same SQLite file, and in cluster mode without
                    CAROLINA_ACTIONS_TOKEN or SMTP_URL (bot/start_checks.py)
db upgrade          upgrade the schema to the latest migration (cluster mode's
                    release step; hubs starting at once upgrade one at a time)

agents create ...   add an analyst (--role supervisor for one who also reads the
                    reports, --admin or --role admin for an administrator); the
                    password comes from --password or, better, CAROLINA_AGENT_PASSWORD
agents list         the analysts, their queues and presence
agents disable --email E      the analyst cannot log in; their sessions end (a
                              running hub drops their consoles within
                              CAROLINA_SESSION_CHECK_SECONDS)
agents enable --email E       they may log in again
agents reset-password --email E   a new password (--password or
                              CAROLINA_AGENT_PASSWORD); their sessions end

privacy export --email E | --contact-id ID [--out FILE]
                    everything held about a person (their contacts, conversations,
                    tickets, e-mails, Rasa's events) as JSON, to stdout or FILE
                    (created 0600); written to the audit log
privacy erase --email E | --contact-id ID [--yes]
                    erase a person's data (tickets keep their numbers and status,
                    without personal content; the contact is anonymised); without
                    --yes, only says what would go
privacy purge [--dry-run]     delete what outlived its retention period
                    (CAROLINA_RETENTION_*_DAYS; the running hub does it every
                    CAROLINA_RETENTION_CHECK_HOURS); --dry-run only counts

report --from 2026-11-01 --to 2026-11-30 [--language pt] [--queue Q] [--lang pt]
                    a Markdown summary of the six reports (containment,
                    knowledge base, knowledge gaps, live chat, tickets,
                    satisfaction) over those São Paulo days; --lang: the
                    language of the articles' titles
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, List

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

SHUTDOWN_SECONDS = 5.0


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Carolina's hub and tools")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the hub")
    db = commands.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="upgrade the schema to the latest migration")
    people = commands.add_parser("agents", help="analysts").add_subparsers(dest="agents_command", required=True)
    create = people.add_parser("create", help="add an analyst")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", help="default: $CAROLINA_AGENT_PASSWORD")
    create.add_argument("--queues", default="technical_support", help="comma-separated queue names")
    create.add_argument("--admin", action="store_true", help="an administrator (sees every queue)")
    create.add_argument(
        "--role", choices=("agent", "supervisor", "admin"), help="agent (default), supervisor (reads reports), admin"
    )
    people.add_parser("list", help="list the analysts")
    for name, what in (
        ("disable", "the analyst can no longer log in; their sessions end"),
        ("enable", "the analyst may log in again"),
        ("reset-password", "a new password for the analyst; their sessions end"),
    ):
        change = people.add_parser(name, help=what)
        change.add_argument("--email", required=True)
        if name == "reset-password":
            change.add_argument("--password", help="default: $CAROLINA_AGENT_PASSWORD")
    privacy = commands.add_parser("privacy", help="personal data (LGPD)").add_subparsers(
        dest="privacy_command", required=True
    )
    for name, what in (
        ("export", "everything held about a person, as JSON"),
        ("erase", "erase a person's data (only says what would go without --yes)"),
    ):
        request = privacy.add_parser(name, help=what)
        person = request.add_mutually_exclusive_group(required=True)
        person.add_argument("--email", help="every contact with this e-mail address")
        person.add_argument("--contact-id", help="the portal's contact id")
        if name == "export":
            request.add_argument("--out", help="write to this file (created 0600) instead of stdout")
        else:
            request.add_argument("--yes", action="store_true", help="really erase: it cannot be undone")
    purge = privacy.add_parser("purge", help="delete what outlived its retention period")
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    summary = commands.add_parser("report", help="a Markdown summary of the reports")
    summary.add_argument("--from", dest="start", help="first day, like 2026-11-01 (default: 29 days before --to)")
    summary.add_argument("--to", dest="end", help="last day, included (default: today)")
    summary.add_argument("--language", help="pt, es or en: only what happened in that language")
    summary.add_argument("--queue", help="only this queue")
    summary.add_argument("--lang", default="pt", help="the language of the articles' titles (default pt)")
    args = parser.parse_args(argv)

    if args.command == "agents":
        import asyncio

        return asyncio.run(run_agents(args))

    if args.command == "privacy":
        import asyncio

        return asyncio.run(run_privacy(args))

    if args.command == "report":
        import asyncio

        return asyncio.run(run_report(args))

    if args.command in ("serve", "db"):
        import logging

        from bot.db.migrate import upgrade
        from bot.settings import Settings

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        settings = Settings.from_env()
        if args.command == "db":
            upgrade(settings.database_url)
            return 0
        import os

        from aiohttp import web

        from bot.app import create_app
        from bot.start_checks import StartRefused, check_start
        from bot.web.access_log import AccessLogger

        try:
            # Held until the process ends: no second hub on this SQLite file meanwhile.
            sole_hub = check_start(settings, os.environ)
        except StartRefused as refusal:
            print(f"error: {refusal}", file=sys.stderr)
            return 2
        # Several hubs starting at once on PostgreSQL: one upgrades, the others
        # wait for it (bot/db/migrate.py); `python -m bot db upgrade` is the release step.
        upgrade(settings.database_url)

        # A connection that had a WebSocket on it keeps aiohttp's shutdown waiting
        # for its whole timeout (60 s by default) even after the socket closed;
        # requests in flight get SHUTDOWN_SECONDS (messages are stored before they
        # are forwarded, and the widget resyncs, so a cut-off reply is not lost).
        # The access log hashes the ids in paths (bot/web/access_log.py).
        try:
            web.run_app(
                create_app(settings),
                host=settings.host,
                port=settings.port,
                shutdown_timeout=SHUTDOWN_SECONDS,
                access_log_class=AccessLogger,
            )
        finally:
            if sole_hub is not None:
                sole_hub.close()
        return 0
    return 1


async def run_agents(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from sqlalchemy import select

    from bot.db.migrate import upgrade
    from bot.db.models import Agent
    from bot.db.session import make_engine, make_sessions
    from bot.domain import agents
    from bot.domain.errors import DomainError
    from bot.settings import Settings

    settings = Settings.from_env()
    # Alembic runs its own event loop: not on this one.
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessions(engine, settings.clock).begin() as session:
            if args.agents_command == "list":
                for agent in (await session.execute(select(Agent).order_by(Agent.id))).scalars():
                    queues = ",".join(agent.queues or [])
                    print(f"{agent.id:4}  {agent.email:32} {agent.role:10} {agent.presence:8} {queues}  {agent.name}")
                return 0
            if args.agents_command in ("disable", "enable", "reset-password"):
                return await change_agent(session, args, settings.clock.now())
            password = args.password or os.environ.get("CAROLINA_AGENT_PASSWORD", "")
            if args.admin and args.role not in (None, "admin"):
                print(f"error: --admin and --role {args.role} disagree", file=sys.stderr)
                return 2
            role = "admin" if args.admin else args.role or "agent"
            try:
                agent = await agents.create_agent(
                    session,
                    args.email,
                    args.name,
                    password,
                    args.queues.split(","),
                    role,
                )
            except DomainError as error:
                print(f"error: {error.message}", file=sys.stderr)
                return 2
            print(f"created {agent.role} {agent.email} (id {agent.id}) for {', '.join(agent.queues)}")
            return 0
    finally:
        await engine.dispose()


async def change_agent(session: AsyncSession, args: argparse.Namespace, now: datetime) -> int:
    """agents disable | enable | reset-password, written to the audit log as the system's."""
    import os

    from bot.domain import agents, audit
    from bot.domain.errors import DomainError

    try:
        agent = await agents.by_email(session, args.email)
        if args.agents_command == "disable":
            await agents.disable(session, agent, now)
        elif args.agents_command == "enable":
            agents.enable(agent)
        else:
            password = args.password or os.environ.get("CAROLINA_AGENT_PASSWORD", "")
            await agents.reset_password(session, agent, password)
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    action = {"disable": "disable_agent", "enable": "enable_agent"}.get(args.agents_command, "reset_password")
    await audit.record(session, action, agent.email, actor="system", detail={"by": "command line"})
    print(f"{args.agents_command}: {agent.email} (id {agent.id})")
    return 0


async def run_privacy(args: argparse.Namespace) -> int:
    """privacy export | erase | purge, written to the audit log as the system's ("command line")."""
    import asyncio
    import json
    from pathlib import Path

    from bot.db.migrate import upgrade
    from bot.db.session import make_engine, make_sessions
    from bot.domain import data_subject, retention
    from bot.domain.errors import DomainError
    from bot.settings import Settings
    from common.private_files import write_private

    settings = Settings.from_env()
    # Alembic runs its own event loop: not on this one.
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine, settings.clock)
    by = "command line"
    try:
        if args.privacy_command == "purge":
            try:
                done = await retention.purge(sessions, settings, dry_run=args.dry_run, by=by)
            except retention.PeriodError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            print("would purge (dry run: nothing changed):" if args.dry_run else "purged:")
            for table in retention.TABLES:
                print(f"  {table:16} {done.counts[table]}")
            return 0
        try:
            wanted = data_subject.Wanted.of(args.email, args.contact_id)
            if args.privacy_command == "export":
                person, data = await data_subject.exported(sessions, settings, wanted, record_as=by)
                text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
                if args.out:
                    write_private(Path(args.out), text.encode("utf-8"))
                    counts = data_subject.export_counts(data)
                    print(f"wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)
                else:
                    sys.stdout.write(text)
                return 0
            person, erased = await data_subject.erase_person(
                sessions, settings, wanted, dry_run=not args.yes, record_as=by
            )
        except DomainError as error:
            print(f"error: {error.message}", file=sys.stderr)
            return 2
        print(f"{person.target}: " + ("erased:" if args.yes else "would erase (nothing changed; add --yes):"))
        for name in data_subject.ERASE_COUNTS:
            print(f"  {name:16} {erased[name]}")
        return 0
    finally:
        await engine.dispose()


async def run_report(args: argparse.Namespace) -> int:
    """report: the six reports over the period, as Markdown on stdout."""
    import asyncio

    from bot.db.migrate import upgrade
    from bot.db.session import make_engine, make_sessions
    from bot.domain import reports
    from bot.domain.errors import DomainError
    from bot.settings import Settings
    from common.clock import ZONE

    settings = Settings.from_env()
    # Alembic runs its own event loop: not on this one.
    await asyncio.to_thread(upgrade, settings.database_url)
    now = settings.clock.now()
    wanted = {"from": args.start, "to": args.end, "language": args.language, "queue": args.queue}
    try:
        period = reports.Period.parse({k: v for k, v in wanted.items() if v}, now.astimezone(ZONE).date())
        if args.lang not in ("pt", "es", "en"):
            raise DomainError(422, "invalid", "--lang must be pt, es or en")
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        async with make_sessions(engine, settings.clock)() as session:
            results = {name: await reports.report(session, name, period, now, args.lang) for name in reports.REPORTS}
    finally:
        await engine.dispose()
    sys.stdout.write(reports.markdown(period, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
