"""Known vulnerabilities in a lock file, from a local copy of the PyPI advisory data.

    python scripts/audit.py requirements/hub.txt --advisories PATH/advisory-database/vulns

`pip-audit` asks PyPI's JSON API or OSV over the network; a machine that reaches
only the package index (this project's CI) cannot, so this reads the same data,
the OSV files of github.com/pypa/advisory-database, from a checkout. Prints every
pinned release an advisory affects; exit status 1 when there is one.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

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


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--advisories", type=Path, required=True, help="the advisory database's vulns/ folder")
    args = parser.parse_args(argv)
    found = list(findings(args.lock, args.advisories))
    for name, pinned, advisory, aliases in found:
        print(f"{name}=={pinned}  {advisory}  {aliases}")
    print(f"{len(found)} known vulnerabilities in {len(pins(args.lock))} pinned packages of {args.lock}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
