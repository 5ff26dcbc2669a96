"""Where every benchmark's figures go: `<name>.json` and `<name>.md` (or
`<name>-quick.*`, what `make test` writes) in the output folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Union


def save(out: Union[str, Path], name: str, quick: bool, report: Dict[str, Any], text: str) -> Path:
    """Writes the JSON and the Markdown, prints the Markdown; returns the path
    without a suffix (a plot goes next to them with `.png`)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / (f"{name}-quick" if quick else name)
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    stem.with_suffix(".md").write_text(text)
    print(text)
    return stem
