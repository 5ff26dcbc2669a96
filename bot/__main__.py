"""The hub's command line: `python -m bot <command>` (the knowledge base has its
own, `python -m common.kb`).

serve               run the hub (upgrades the schema first)
db upgrade          upgrade the schema to the latest migration

agents create ...   add an analyst (--admin for an administrator); the password
                    comes from --password or, better, CAROLINA_AGENT_PASSWORD
agents list         the analysts, their queues and presence
agents disable --email E      the analyst cannot log in; their sessions end (a
                              running hub drops their consoles within
                              CAROLINA_SESSION_CHECK_SECONDS)
agents enable --email E       they may log in again
agents reset-password --email E   a new password (--password or
                              CAROLINA_AGENT_PASSWORD); their sessions end
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
    args = parser.parse_args(argv)

    if args.command == "agents":
        import asyncio

        return asyncio.run(run_agents(args))

    if args.command in ("serve", "db"):
        import logging

        from bot.db.migrate import upgrade
        from bot.settings import Settings

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        settings = Settings.from_env()
        upgrade(settings.database_url)
        if args.command == "db":
            return 0
        from aiohttp import web

        from bot.app import create_app
        from bot.web.access_log import AccessLogger

        # A connection that had a WebSocket on it keeps aiohttp's shutdown waiting
        # for its whole timeout (60 s by default) even after the socket closed;
        # requests in flight get SHUTDOWN_SECONDS (messages are stored before they
        # are forwarded, and the widget resyncs, so a cut-off reply is not lost).
        # The access log hashes the ids in paths (bot/web/access_log.py).
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            shutdown_timeout=SHUTDOWN_SECONDS,
            access_log_class=AccessLogger,
        )
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
                    print(f"{agent.id:4}  {agent.email:32} {agent.role:6} {agent.presence:8} {queues}  {agent.name}")
                return 0
            if args.agents_command in ("disable", "enable", "reset-password"):
                return await change_agent(session, args, settings.clock.now())
            password = args.password or os.environ.get("CAROLINA_AGENT_PASSWORD", "")
            try:
                agent = await agents.create_agent(
                    session,
                    args.email,
                    args.name,
                    password,
                    args.queues.split(","),
                    "admin" if args.admin else "agent",
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


if __name__ == "__main__":
    sys.exit(main())
