"""python -m bench kb [--tune] [--quick]"""

from __future__ import annotations

import sys


def main(argv: list) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[0] == "kb":
        from bench.kb import main as kb_main

        return kb_main(argv[1:])
    print(f"unknown benchmark {argv[0]!r}; try: kb", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
