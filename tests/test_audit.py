"""scripts/audit.py reads OSV advisories the way pip-audit does: a pinned release
inside an advisory's range is reported, the fixed release is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADVISORY = """id: PYSEC-0000-1
aliases: [CVE-0000-1]
affected:
- package: {ecosystem: PyPI, name: Some_Lib}
  ranges:
  - type: ECOSYSTEM
    events: [{introduced: "0"}, {fixed: "2.0.1"}]
"""


def audit(tmp_path: Path, pinned: str, allow: str = "") -> subprocess.CompletedProcess:
    (tmp_path / "vulns" / "some-lib").mkdir(parents=True, exist_ok=True)
    (tmp_path / "vulns" / "some-lib" / "PYSEC-0000-1.yaml").write_text(ADVISORY)
    lock = tmp_path / "lock.txt"
    lock.write_text(f"some-lib=={pinned} \\\n    --hash=sha256:00\nother==1.0\n")
    script = ROOT / "scripts" / "audit.py"
    command = [sys.executable, str(script), str(lock), "--advisories", str(tmp_path / "vulns")]
    if allow:
        (tmp_path / "allow.yml").write_text(allow)
        command += ["--allow", str(tmp_path / "allow.yml")]
    return subprocess.run(command, capture_output=True, text=True)


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_an_affected_pin_is_reported(tmp_path):
    result = audit(tmp_path, "2.0.0")
    assert result.returncode == 1 and "some-lib==2.0.0  PYSEC-0000-1  CVE-0000-1" in result.stdout


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_the_fixed_release_is_clean(tmp_path):
    result = audit(tmp_path, "2.0.1")
    assert result.returncode == 0 and "0 known vulnerabilities (0 accepted) in 2 pinned packages" in result.stdout


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_an_accepted_advisory_is_listed_with_its_reason_and_does_not_fail(tmp_path):
    allow = "- {package: Some_Lib, id: PYSEC-0000-1, reason: only reachable through a model file}\n"
    result = audit(tmp_path, "2.0.0", allow)
    assert result.returncode == 0, result.stdout
    assert "PYSEC-0000-1  CVE-0000-1  accepted: only reachable through a model file" in result.stdout
    assert "0 known vulnerabilities (1 accepted)" in result.stdout


def test_the_project_allow_list_gives_a_reason_for_every_entry():
    import yaml

    for entry in yaml.safe_load((ROOT / "requirements" / "audit-allow.yml").read_text()) or []:
        assert {"package", "id", "reason"} <= set(entry) and len(str(entry["reason"])) > 20
