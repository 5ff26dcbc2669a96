"""The knowledge base's command line: `python -m common.kb <command>`.

build            regenerate the FAQ training data (data/nlu/<lang>/kb_faq.yml) from data/kb/
search Q [-l L]  search the knowledge base (debugging, operators)

It runs in either environment: the Makefile builds the training data with the
assistant's before training; an operator may search from the hub's.
"""

from __future__ import annotations

import argparse
import sys
from typing import List

from common.kb.articles import KnowledgeBaseError
from common.languages import LANGUAGES


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m common.kb", description="Carolina's knowledge base")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="regenerate data/nlu/<lang>/kb_faq.yml from data/kb/")
    search = commands.add_parser("search", help="search the knowledge base")
    search.add_argument("query")
    search.add_argument("-l", "--lang", default="pt", choices=list(LANGUAGES))
    args = parser.parse_args(argv)
    try:
        return build() if args.command == "build" else find(args.query, args.lang)
    except KnowledgeBaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def build() -> int:
    from common.kb.training_data import build as write_training_data

    for lang, path in write_training_data().items():
        print(f"{lang}: {path}")
    return 0


def find(query: str, lang: str) -> int:
    from common.kb.search import default_index

    index = default_index()
    for hit in index.search(query, lang):
        article = index.library[lang][hit.article_id]
        print(f"{hit.score:6.2f}  {hit.article_id:28}  {article.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
