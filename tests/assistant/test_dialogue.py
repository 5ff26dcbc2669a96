"""`rasa test core` on the test stories in tests/stories/ (every rule and story, per language)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_test_stories_cover_every_rule_and_story_in_every_language():
    import yaml

    trained = set()
    for path in (ROOT / "data").glob("*/*.yml"):
        content = yaml.safe_load(path.read_text()) or {}
        for block in content.get("rules", []) + content.get("stories", []):
            trained.add(block.get("rule") or block.get("story"))
    covered = {}
    for path in (ROOT / "tests" / "stories").glob("*.yml"):
        for story in (yaml.safe_load(path.read_text()) or {}).get("stories", []):
            # Test stories are named "<rule or story name> (<lang>)".
            name, _, language = story["story"].rpartition(" (")
            covered.setdefault(name, set()).add(language.rstrip(")"))
    missing = {name for name in trained if covered.get(name) != {"pt", "es", "en"}}
    assert not missing, f"rules/stories without test stories in all three languages: {missing}"


def test_rasa_test_core_passes(model_path, tmp_path):
    result = subprocess.run(
        [
            str(BIN / "rasa"),
            "test",
            "core",
            "--model",
            str(model_path),
            "--stories",
            str(ROOT / "tests" / "stories"),
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
            "--no-plot",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + details
