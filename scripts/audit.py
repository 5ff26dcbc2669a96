"""Known vulnerabilities in the lock files: `make audit`.

    python scripts/audit.py requirements/hub.txt requirements/assistant.txt \
        [--allow requirements/audit-allow.yml] [--advisories PATH/advisory-database/vulns]

By default it asks pip-audit (PyPI's vulnerability data) about every pinned
release. A package index that serves no vulnerability data (a mirror: PyPI's
per-release JSON missing) makes pip-audit skip every package and say "no known
vulnerabilities"; this script counts the skipped ones and says it could not
audit them instead (exit status 2). With --advisories it reads the same data,
the OSV files of github.com/pypa/advisory-database, from a local checkout.

An advisory listed in the allow-list (its id, the package, and the reason it
cannot reach this product) is reported as accepted, not as a finding. Exit
status: 0 clean, 1 a finding, 2 could not audit.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)")


def pins(lock: Path) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def affected(advisory: dict, name: str, version: Version) -> bool:
    for entry in advisory.get("affected", []):
        if canonicalize_name(entry.get("package", {}).get("name", "")) != name:
            continue
        if str(version) in {str(v) for v in entry.get("versions", [])}:
            return True
        for spread in entry.get("ranges", []):
            if spread.get("type") == "ECOSYSTEM" and in_range(spread.get("events", []), version):
                return True
    return False


def in_range(events: List[dict], version: Version) -> bool:
    """OSV events, in order: introduced opens a range, fixed / last_affected closes it."""
    inside = False
    for event in events:
        try:
            if "introduced" in event:
                inside = inside or version >= Version(str(event["introduced"]))
            elif "fixed" in event and version >= Version(str(event["fixed"])):
                inside = False
            elif "last_affected" in event and version > Version(str(event["last_affected"])):
                inside = False
        except InvalidVersion:
            continue
    return inside


def findings(lock: Path, advisories: Path) -> Iterator[Tuple[str, str, str, str]]:
    for name, pinned in sorted(pins(lock).items()):
        folder = advisories / name
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            advisory = yaml.safe_load(path.read_text())
            if advisory.get("withdrawn"):
                continue
            if affected(advisory, name, Version(pinned)):
                aliases = ", ".join(a for a in advisory.get("aliases", []) if a.startswith("CVE"))
                yield name, pinned, advisory["id"], aliases


Finding = Tuple[str, str, str, str]  # package, pinned release, advisory id, its CVE aliases


def pip_audit(lock: Path) -> Tuple[List[Finding], int]:
    """(findings, how many packages pip-audit could not look up) for a hashed lock."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--disable-pip", "--no-deps"]
        command += ["--progress-spinner", "off", "-f", "json", "-o", str(report)]
        subprocess.run(command, capture_output=True, text=True)
        if not report.exists():
            return [], len(pins(lock))
        data = json.loads(report.read_text())
    found: List[Finding] = []
    skipped = 0
    for dependency in data.get("dependencies", []):
        if "skip_reason" in dependency:
            skipped += 1
        for vuln in dependency.get("vulns", []):
            aliases = ", ".join(a for a in vuln.get("aliases", []) if a.startswith("CVE"))
            found.append((canonicalize_name(dependency["name"]), dependency["version"], vuln["id"], aliases))
    return found, skipped


def allowed(path: Optional[Path]) -> Dict[Tuple[str, str], str]:
    """(package, advisory id) -> the reason it is accepted."""
    if path is None or not path.exists():
        return {}
    entries = yaml.safe_load(path.read_text()) or []
    return {(canonicalize_name(e["package"]), str(e["id"])): str(e["reason"]) for e in entries}


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", type=Path, nargs="+")
    parser.add_argument("--advisories", type=Path, help="a local copy of the advisory database's vulns/ folder")
    parser.add_argument("--allow", type=Path, help="accepted advisories, each with its reason (YAML)")
    args = parser.parse_args(argv)
    accepted = allowed(args.allow)
    status = 0
    for lock in args.locks:
        if args.advisories:
            found, skipped = list(findings(lock, args.advisories)), 0
        else:
            found, skipped = pip_audit(lock)
        real = 0
        for name, pinned, advisory, aliases in found:
            reason = accepted.get((name, advisory))
            print(f"{name}=={pinned}  {advisory}  {aliases}" + (f"  accepted: {reason}" if reason else ""))
            real += reason is None
        if real:
            status = 1
        source = f"the advisories in {args.advisories}" if args.advisories else "pip-audit"
        counted = f"{real} known vulnerabilities ({len(found) - real} accepted) in {len(pins(lock))} pinned packages"
        print(f"{lock}: {counted}, from {source}")
        if skipped:
            print(f"{lock}: {skipped} packages could not be audited (the index served no vulnerability data for them)")
            status = status or 2
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
