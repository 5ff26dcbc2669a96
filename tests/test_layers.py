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

# package -> what it may not import (top-level names).
FORBIDDEN: Dict[str, Set[str]] = {
    "common": {"bot"} | ASSISTANT | RASA | HUB_LIBRARIES,
    "bot": ASSISTANT | RASA,
    "actions": {"bot"},
    "components": {"bot", "actions"},
    "channels": {"bot", "actions"},
    "rasa_sdk_plugins": {"bot"},
}


def imports(path: Path) -> Iterator[Tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_crosses_a_boundary(package):
    broken = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in imports(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert not broken, "\n".join(broken)


def test_the_rules_see_the_imports():
    """The checker itself finds a plain, a dotted and a function-level import."""
    probe = ROOT / "var" / "layers_probe.py"
    probe.parent.mkdir(exist_ok=True)
    probe.write_text("import os\nfrom bot.db import models\n\ndef f():\n    import rasa.core\n")
    try:
        assert [name for _, name in imports(probe)] == ["os", "bot.db", "rasa.core"]
    finally:
        probe.unlink()
