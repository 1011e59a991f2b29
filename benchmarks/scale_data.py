"""Real embeddings for the scale rows: LoCoMo's turns and their sentences embedded with the
default model (MiniLM), grown to 100k and 1M by noisy copies, and LoCoMo's questions as
queries. Random vectors are the worst case for approximate search and decide nothing.

The data is CC BY-NC: it is read from ``--locomo`` (../shared/benchdata/locomo10.json by
default) and never copied into the repository. The embeddings are cached in a private
folder of the user's cache (0700, files 0600) so a rerun does not embed 20,000 texts again.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.locomo import load

__all__ = ["DEFAULT_LOCOMO", "grow", "real_vectors"]

DEFAULT_LOCOMO = Path(__file__).resolve().parents[2] / "shared" / "benchdata" / "locomo10.json"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_QUESTIONS = 500


def _texts(path: Path) -> tuple[list[str], list[str]]:
    """Every turn and, for a turn of several sentences, each sentence; and up to 500
    questions (the question text only), spread over all conversations."""
    rows: list[str] = []
    questions: list[str] = []
    for conversation in load(path):
        for _, turns in conversation.sessions:
            for turn in turns:
                rows.append(turn.text)
                parts = [p for p in _SENTENCE.split(turn.text) if len(p.split()) >= 3]
                if len(parts) > 1:
                    rows.extend(parts)
        questions.extend(q for q, _, _ in conversation.questions if q.strip())
    step = max(1, len(questions) // _QUESTIONS)
    return rows, questions[::step][:_QUESTIONS]


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neuram-bench"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(base, 0o700)
    return base


def real_vectors(path: Path, say: Callable[[str], None]) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """(rows, their texts, queries, query texts): unit float32 MiniLM vectors of LoCoMo's
    turns and sentences, and of its questions."""
    from neuram_core.embeddings import model_embedder

    rows, questions = _texts(path)
    digest = hashlib.sha256("\x00".join([*rows, "--", *questions]).encode()).hexdigest()[:16]
    cached = _cache_dir() / f"locomo-minilm-{digest}.npz"
    if cached.exists():
        with np.load(cached) as saved:
            return saved["rows"], rows, saved["queries"], questions
    say(f"  embedding {len(rows):,} LoCoMo turns and sentences and {len(questions)} questions (cached after)")
    embedder = model_embedder()
    vectors = np.asarray(embedder.embed(rows), dtype=np.float32)
    queries = np.asarray(embedder.embed(questions), dtype=np.float32)
    descriptor = os.open(cached, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        np.savez(out, rows=vectors, queries=queries)
    return vectors, rows, queries, questions


def grow(rows: np.ndarray, n: int, sigma: float, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unit vectors: the real rows first, then copies of random real rows plus
    Gaussian noise of ``sigma`` per dimension, re-normalised (σ = 0.05 leaves a copy at
    cosine ≈ 0.71 to its parent, σ = 0.02 at ≈ 0.93: near-duplicates); and each vector's
    real parent (its own row for the real ones), whose text a copy carries."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, rows.shape[1]), dtype=np.float32)
    real = min(n, len(rows))
    out[:real] = rows[:real]
    parents = np.arange(n) % len(rows)
    for start in range(real, n, 100_000):
        stop = min(n, start + 100_000)
        parents[start:stop] = rng.integers(0, len(rows), stop - start)
        block = rows[parents[start:stop]]
        block = block + rng.normal(0.0, sigma, block.shape).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out, parents
