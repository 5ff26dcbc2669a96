"""The benchmark scripts still run and write their report (figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_kb_benchmark_runs_and_reports(rasa_server, tmp_path):
    # Against the session's running Rasa: loading the model a second time would
    # add a minute to every test run.
    result = subprocess.run(
        [sys.executable, "-m", "bench", "kb", "--quick", "--rasa-url", rasa_server, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "kb-quick.json").read_text())
    assert set(report) >= {"Carolina", "plain BM25", "ResponseSelector alone", "thresholds"}
    assert "| Carolina |" in (tmp_path / "kb-quick.md").read_text()
