"""Benchmarks: scripts that print tables (``python -m benchmarks.speed``); not timed tests."""
