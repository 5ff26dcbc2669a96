"""python -m bench kb [--tune] [--quick]
python -m bench load [--hub-url URL] [--rasa-url URL] [--levels 1,10,50,200] [--quick]
python -m bench nlu [--quick --rasa-url URL]
python -m bench coldstart
python -m bench soak [--hub-url URL] [--minutes 10] [--conversations 50] [--quick]
python -m bench faults [--customers 10] [--faults actions,rasa,hub] [--quick --rasa-url URL]
python -m bench answers [--rasa-url URL] [--split test|dev] [--quick]
python -m bench conversations [--hub-url URL --rasa-url URL] [--lang pt] [--only NAME] [--label before|after] [-v]
python -m bench privacy [--quick] [--repeat 200]
python -m bench reports [--database-url URL] [--conversations 100000] [--quick]     (not in `all`: several minutes)
python -m bench cluster [--levels 50,200] [--quick]     (not in `all`: needs PostgreSQL, Redis and HAProxy)
python -m bench profile [--rasa-url URL] [--actions-url URL] [--label before|after]     (not in `all`: needs py-spy)
python -m bench all [--skip-nlu] [--skip-soak] [--skip-faults] [--report-only]     (also `make bench`)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Benchmarks that load Rasa or the actions in process run in the assistant's
# environment; the others drive the hub and import it, so they run in the hub's.
IN_ASSISTANT = ("kb", "answers", "nlu")


def main(argv: list) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    from bench.stack import ASSISTANT_BIN, HUB_PYTHON

    python = ASSISTANT_BIN / "python" if argv[0] in IN_ASSISTANT else HUB_PYTHON
    if Path(sys.prefix).resolve() != python.parent.parent.resolve():
        # The same command from either environment: hand over to the right one.
        os.execv(str(python), [str(python), "-m", "bench", *argv])
    if argv[0] == "kb":
        from bench.kb import main as kb_main

        return kb_main(argv[1:])
    if argv[0] == "load":
        from bench.load import main as load_main

        return load_main(argv[1:])
    if argv[0] == "nlu":
        from bench.nlu import main as nlu_main

        return nlu_main(argv[1:])
    if argv[0] in (
        "answers",
        "conversations",
        "coldstart",
        "soak",
        "faults",
        "privacy",
        "reports",
        "cluster",
        "profile",
        "all",
    ):
        from importlib import import_module

        return import_module(f"bench.{argv[0]}").main(argv[1:])
    names = "kb, answers, conversations, load, nlu, coldstart, soak, faults, privacy, reports, cluster, all"
    print(f"unknown benchmark {argv[0]!r}; try: {names}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
