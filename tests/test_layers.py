"""The import rules of the README's architecture section, checked over every
module's imports (function-level ones too): the hub and the assistant share only
`common/`, which knows no web, database or Rasa."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent

RASA = {"rasa", "rasa_sdk", "sanic"}
ASSISTANT = {"actions", "components", "channels", "rasa_sdk_plugins"}
HUB_LIBRARIES = {"aiohttp", "sqlalchemy", "alembic", "socketio", "engineio", "asyncpg", "aiosqlite"}

# The hub's layers, bottom up; each may import only what is below it.
HUB_LAYERS = ("bot.settings", "bot.db", "bot.adapters", "bot.domain", "bot.realtime", "bot.web", "bot.app")
WEB = {"aiohttp.web", "socketio", "engineio"}

# folder -> the modules (or their parents) it may not import.
FORBIDDEN: Dict[str, Set[str]] = {
    "common": {"bot"} | ASSISTANT | RASA | HUB_LIBRARIES,
    "bot": ASSISTANT | RASA,
    "actions": {"bot"},
    "components": {"bot", "actions"},
    "channels": {"bot", "actions"},
    "rasa_sdk_plugins": {"bot"},
    # The domain, its records and its adapters know nothing of web servers or sockets.
    "bot/db": set(HUB_LAYERS[2:]) | {"bot.keys"} | WEB | {"aiohttp"},
    "bot/adapters": set(HUB_LAYERS[2:]) | {"bot.keys"} | WEB,
    "bot/domain": set(HUB_LAYERS[4:]) | {"bot.keys"} | WEB | {"aiohttp"},
    "bot/realtime": set(HUB_LAYERS[5:]),
    "bot/web": set(HUB_LAYERS[6:]),
}


def crosses(name: str, forbidden: Set[str]) -> bool:
    """Whether module `name` (or `from name import x`) is one of `forbidden` or inside one."""
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def imports(path: Path) -> Iterator[Tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from bot import keys`, `from aiohttp import web`: what is imported is bot.keys, aiohttp.web.
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_crosses_a_boundary(package):
    broken = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in imports(path)
        if crosses(name, FORBIDDEN[package])
    ]
    assert not broken, "\n".join(broken)


def test_the_rules_see_the_imports():
    """The checker itself finds a plain, a dotted and a function-level import."""
    probe = ROOT / "var" / "layers_probe.py"
    probe.parent.mkdir(exist_ok=True)
    probe.write_text("import os\nfrom bot.db import models, queries\n\ndef f():\n    import rasa.core\n")
    try:
        names = [name for _, name in imports(probe)]
        assert names == ["os", "bot.db.models", "bot.db.queries", "rasa.core"]
        assert crosses("bot.db.models", {"bot.db"}) and not crosses("bot.dbx", {"bot.db"})
    finally:
        probe.unlink()
