"""python -m bench all [--skip-nlu] [--skip-soak] [--skip-faults] [--report-only]: every benchmark in one
run, one report (--report-only: just the report, from each benchmark's latest files).

Starts the stack (cold start), runs the load and soak benchmarks against it, stops it,
then the fault runs (which start their own stack), personal-data masking, the
knowledge-base and NLU benchmarks; writes bench/results/report.md and report.json
with every figure, next to each benchmark's own files and plots.
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List

from bench import coldstart, faults, load, output, privacy, soak, stack

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    cores = len([line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("processor")])
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"


def main(argv: List[str]) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if "--report-only" in argv:  # after running one benchmark alone: the report from every benchmark's latest files
        write_report()
        return 0
    cold, processes = coldstart.measure(keep=True)
    output.save(RESULTS, "coldstart", False, cold, coldstart.markdown(cold))
    if processes is None:
        print("the stack did not answer; see var/bench-servers.log")
        return 1
    try:
        load.main(["--hub-url", coldstart.HUB, "--rasa-url", "http://127.0.0.1:5005"])
        if "--skip-soak" not in argv:
            soak.main(["--hub-url", coldstart.HUB])
    finally:
        stack.stop(processes)
    if "--skip-faults" not in argv:
        faults.main([])
    privacy.main([])
    # These load Rasa in process: in the assistant's environment.
    assistant = [["kb"], ["answers"]] + ([] if "--skip-nlu" in argv else [["nlu"]])
    for benchmark in assistant:
        subprocess.run([str(stack.ASSISTANT_BIN / "python"), "-m", "bench", *benchmark], cwd=stack.ROOT, check=False)
    write_report()
    return 0


def write_report() -> None:
    """report.md and report.json from each benchmark's own files."""
    report: Dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "machine": machine()}
    sections = [f"# Benchmarks ({report['date']}, {report['machine']})", ""]
    for name in ("coldstart", "load", "soak", "faults", "privacy", "kb", "answers", "nlu"):
        path = RESULTS / f"{name}.md"
        if path.exists():
            report[name] = json.loads((RESULTS / f"{name}.json").read_text())
            text = path.read_text()
            if not text.startswith("# "):  # kb.md is a bare table with its caption
                text = "# Knowledge-base answers\n\n" + text
            sections.append(text.replace("\n# ", "\n## ").replace("# ", "## ", 1))
            if (RESULTS / f"{name}.png").exists():
                sections.append(f"![{name}]({name}.png)\n")
    (RESULTS / "report.md").write_text("\n".join(sections))
    (RESULTS / "report.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {RESULTS / 'report.md'}")
