"""The masking benchmark still runs and writes its report (figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

# Runs the benchmark's command line: no fixture tells (tests/conftest.py).
pytestmark = pytest.mark.processes


def test_privacy_benchmark_runs_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "privacy", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "privacy-quick.json").read_text())
    assert set(report["detectors"]) == {"Carolina", "regex only", "no masking"}
    assert {"recall", "false_positives", "corpus_messages", "long"} <= set(report["detectors"]["Carolina"])
    assert "| Carolina |" in (tmp_path / "privacy-quick.md").read_text()
