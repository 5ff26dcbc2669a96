"""Carolina's command line: `python -m bot <command>`.

kb build            regenerate the FAQ training data from data/kb/
kb search Q [-l L]  search the knowledge base (debugging, operators)
"""

from __future__ import annotations

import argparse
import sys
from typing import List


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Carolina's hub and tools")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the hub")
    db = commands.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="upgrade the schema to the latest migration")
    kb = commands.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command", required=True)
    kb.add_parser("build", help="regenerate data/nlu/<lang>/kb_faq.yml from data/kb/")
    search = kb.add_parser("search", help="search the knowledge base")
    search.add_argument("query")
    search.add_argument("-l", "--lang", default="pt", choices=["pt", "es", "en"])
    args = parser.parse_args(argv)

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

        web.run_app(create_app(settings), host=settings.host, port=settings.port)
        return 0
    if args.command == "kb":
        from bot.kb.articles import KnowledgeBaseError

        try:
            return run_kb(args)
        except KnowledgeBaseError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return 1


def run_kb(args: argparse.Namespace) -> int:
    if args.kb_command == "build":
        from bot.kb.training_data import build

        for lang, path in build().items():
            print(f"{lang}: {path}")
        return 0
    from bot.kb.search import default_index

    index = default_index()
    for hit in index.search(args.query, args.lang):
        article = index.library[args.lang][hit.article_id]
        print(f"{hit.score:6.2f}  {hit.article_id:28}  {article.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
