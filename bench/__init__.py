"""Benchmarks: `python -m bench <name>` (see bench/README.md). Not tests: they measure."""
