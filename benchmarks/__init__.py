"""Benchmarks for the delivery engine: scale, Telegram's limits, memory, responsiveness.

Each module runs with `uv run python -m benchmarks.<name> [--quick]` and writes its
figures to stdout and to `benchmarks/results/<name>.json`. See docs/performance.md.
"""
