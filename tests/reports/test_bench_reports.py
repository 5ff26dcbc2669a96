"""The reports benchmark still runs and writes its report (figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REPORTS = {"containment", "kb", "gaps", "live_chat", "tickets", "satisfaction"}

# Runs the benchmark's command line: no fixture tells (tests/conftest.py).
pytestmark = pytest.mark.processes


def test_reports_benchmark_runs_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "reports", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "reports-quick.json").read_text())
    assert report["conversations"] == 300 and report["messages"] == 3000
    assert set(report["periods"]) == {"30 days", "366 days"}
    for period in report["periods"].values():
        assert set(period["reports"]) == REPORTS
        for figures in period["reports"].values():
            assert figures["best_ms"] >= 0 and figures["first_ms"] >= 0
    assert "| gaps |" in (tmp_path / "reports-quick.md").read_text()
