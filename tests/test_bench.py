"""The benchmark scripts still run and write their report (figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_kb_benchmark_runs_and_reports(model_path, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "kb", "--quick", "--model", str(model_path), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "kb-quick.json").read_text())
    assert set(report) >= {"Carolina", "plain BM25", "ResponseSelector alone", "thresholds"}
    assert "| Carolina |" in (tmp_path / "kb-quick.md").read_text()
