"""The scale rows' plumbing on synthetic data (the real run needs LoCoMo and minutes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import scale
from benchmarks.scale_data import grow


def synthetic(n: int = 400, dim: int = 16) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(n, dim)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    queries = rows[:20] + 0.1 * rng.normal(size=(20, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return rows, [f"turn {i} about garden {i % 7}" for i in range(n)], queries, [f"garden {i}?" for i in range(20)]


def test_grow_keeps_the_real_rows_and_copies_near_their_parents() -> None:
    rows = synthetic()[0]
    grown, parents = grow(rows, 1000, 0.02)
    assert grown.shape == (1000, 16) and grown.dtype == np.float32
    assert np.array_equal(grown[:400], rows) and parents[:400].tolist() == list(range(400))
    assert np.allclose(np.linalg.norm(grown, axis=1), 1.0, atol=1e-5)
    to_parent = np.einsum("ij,ij->i", grown[400:], rows[parents[400:]])
    assert 0.98 < float(to_parent.mean()) < 1.0  # σ 0.02 in 16 dimensions: cos ≈ 1 − 16σ²/2
    again, _ = grow(rows, 1000, 0.02)
    assert np.array_equal(grown, again)  # seeded


def test_recall_at_10_counts_shared_neighbours() -> None:
    assert scale._recall_at_10([list(range(10)), list(range(5, 15))], [list(range(10)), list(range(10))]) == 0.75


def test_bench_scale_wires_every_row(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = synthetic()
    monkeypatch.setattr(scale, "real_vectors", lambda path, say: data)
    monkeypatch.setattr(scale, "QUERIES", 20)
    said: list[str] = []
    results: dict[str, Any] = scale.bench_scale(
        Path("unused"), [1000], [0.05], ["faiss-ivf"], 1000, 0, [1500], said.append
    )
    [row] = results["recall_approx"]
    assert row["n"] == 1000 and 0.0 <= row["recall_at_10"] <= 1.0 and row["p50_ms"] > 0
    assert [p["name"] for p in results["peers"]] == ["faiss-ivf"]
    [footprint] = results["footprint"]
    assert (
        footprint["n"] == 1500 and footprint["sqlite_bytes_per_engram"] > 100 + 4 * 16
    )  # the note and its vector, at least
    assert results["startup_s"][0]["store"] == "sqlite" and results["rss_bytes_per_engram"] > 0
    scale.print_scale(results)
    out = capsys.readouterr().out
    assert "| 1,000 | 0.05 |" in out and "| faiss-ivf | 1,000 |" in out and "| 1,500 |" in out
