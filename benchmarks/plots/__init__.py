"""The figures of docs/ (``python -m benchmarks.plots.memory_model``), drawn from the real engine."""
