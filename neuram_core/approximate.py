"""Approximate dense search for large indexes: an inverted file (IVF) of 8-bit codes.

A cue is compared with a few hundred cluster centroids, then with the codes of the
closest ``probes`` clusters only; the best candidates are re-ranked exactly by the
Hippocampus against its float32 rows. FAISS (a maintained C++ library) holds the lists;
it was chosen by measurement on real MiniLM vectors (docs/speed.md): IVF builds a 1M
index in seconds where the graph indexes (HNSW) took minutes on two cores, and the
8-bit codes cost 384 bytes a vector beside the exact rows instead of another 1,536.

Ids in the lists are the Hippocampus's rows: a swap-delete moves the last row's id.
FAISS is imported when the first index is built, so ``import neuram`` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from neuram_core.engram import Vector

__all__ = ["ApproximateIndex", "list_count", "measured_recall", "probe_count"]

_TRAINING_POINTS_PER_LIST = 32
_TRAINING_ITERATIONS = 10
_MAX_LISTS = 2048
_PARALLEL_ADD = 10_000  # adds at least this large use every OpenMP thread; smaller ones one


@contextmanager
def _one_thread(faiss: Any, rows: int) -> Iterator[None]:
    """One OpenMP thread for a small add: FAISS's threads wait at a barrier for work that
    takes microseconds (measured: one add 9.6 ms on two busy cores, 0.02 ms on one). The
    setting is the calling thread's own, restored after."""
    if rows >= _PARALLEL_ADD:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def list_count(n: int) -> int:
    """Clusters for an index of ``n`` vectors: the power of two nearest 3·√n, at most
    2,048 (training time grows with it; chosen on LoCoMo vectors grown to 100k and 1M)
    and never more than the vectors."""
    if n < 1:
        raise ValueError(f"an approximate index needs at least one vector, not {n}")
    return int(min(_MAX_LISTS, n, 2 ** round(math.log2(3 * math.sqrt(n)))))


def probe_count(lists: int, probes: int) -> int:
    """Clusters searched per cue: ``probes`` at 1,024 clusters, scaled by √(lists / 1,024),
    at least 1 and at most every cluster."""
    return max(1, min(lists, round(probes * math.sqrt(lists / 1024))))


class ApproximateIndex:
    """Candidates for a cue among many unit vectors, by inner product; ids are rows."""

    def __init__(self, faiss: Any, index: Any, size: int) -> None:
        self._faiss = faiss
        self._index = index
        self.trained_size = size  # how many vectors it was trained on (the rebuild policy reads it)

    @classmethod
    def build(
        cls, vectors: Vector, probes: int, *, candidates: int = 128, min_recall: float = 0.0, seed: int = 0
    ) -> tuple[ApproximateIndex | None, float]:
        """Train the clusters on a sample of ``vectors`` (row i gets id i), add the sample,
        measure the recall@10 the index gives among it (:func:`measured_recall`), and add
        the rest if it reaches ``min_recall``; the index (None below it) and that recall.
        Data the clusters do not fit so costs the training, not a million adds.
        ``probes`` clusters are searched per cue at 1,024 clusters, × √(clusters / 1,024)
        at other sizes (64 → 91 at 2,048: the 1M index needs a few more for the same recall)."""
        import faiss as loaded  # a C++ library: loaded only when an index this large exists

        faiss: Any = loaded  # its stubs lack part of the API used here (DirectMap)
        n, dimension = vectors.shape
        lists = list_count(n)
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        index.cp.niter = _TRAINING_ITERATIONS
        index.cp.min_points_per_centroid = 1
        index.cp.seed = seed
        sample = min(n, _TRAINING_POINTS_PER_LIST * lists)
        rows = np.random.default_rng(seed).choice(n, sample, replace=False) if sample < n else np.arange(n)
        index.train(np.ascontiguousarray(vectors[np.sort(rows)], dtype=np.float32))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # removal by id without a scan
        index.nprobe = probe_count(lists, probes)
        built = cls(faiss, index, n)
        rows = np.sort(rows)
        built.add(rows.astype(np.int64), vectors[rows])
        quality = measured_recall(built, vectors, candidates, rows=rows)
        if quality < min_recall:
            return None, quality
        rest = np.ones(n, dtype=bool)
        rest[rows] = False
        if rest.any():
            others = np.flatnonzero(rest)
            built.add(others.astype(np.int64), vectors[others])
        return built, quality

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, rows: npt.NDArray[np.int64], vectors: Vector) -> None:
        with _one_thread(self._faiss, len(rows)):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), rows.astype(np.int64, copy=False))

    def remove(self, row: int) -> None:
        with _one_thread(self._faiss, 1):
            self._index.remove_ids(np.array([row], dtype=np.int64))

    def move(self, source: int, target: int, vector: Vector) -> None:
        """Row ``source`` now lives at ``target`` (a swap-delete); ``target``'s old entry is
        gone with it."""
        self._index.remove_ids(np.array([source, target], dtype=np.int64))
        self._index.add_with_ids(
            np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1), np.array([target], dtype=np.int64)
        )

    def search(self, vector: Vector, count: int) -> npt.NDArray[np.intp]:
        """Up to ``count`` rows whose codes best match ``vector``, best first (the codes'
        order: re-rank them exactly)."""
        _, ids = self._index.search(np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1), count)
        found: npt.NDArray[np.intp] = ids[0].astype(np.intp)
        return found[found >= 0]


def measured_recall(
    index: ApproximateIndex,
    vectors: Vector,
    candidates: int,
    *,
    rows: npt.NDArray[np.intp] | None = None,
    sample: int = 32,
) -> float:
    """recall@10 of ``index`` (its candidates re-ranked exactly) against exact search among
    the rows it holds (``rows`` of ``vectors``; None: all of them), for ``sample`` of them
    as cues (each one's own row left out): how well the clusters fit this data. Real
    embeddings cluster (≈ 0.99 on LoCoMo's); vectors with no structure do not (random
    ones: ≈ 0.1–0.3), and then exact search is the right one."""
    held = np.arange(vectors.shape[0]) if rows is None else np.asarray(rows)
    if held.shape[0] <= 11:
        return 1.0
    rng = np.random.default_rng(held.shape[0])
    cues = held[rng.choice(held.shape[0], min(sample, held.shape[0]), replace=False)]
    exact = vectors[held] @ vectors[cues].T  # one pass over the rows for every cue
    hits = 0
    for j, row in enumerate(cues.tolist()):
        column = exact[:, j]
        column[held == row] = -np.inf
        truth = set(held[np.argpartition(-column, 10)[:10]].tolist())
        found = index.search(vectors[row], candidates + 1)
        found = found[found != row]
        scores = vectors[found] @ vectors[row]
        hits += len(truth & set(found[np.argsort(-scores)[:10]].tolist()))
    return hits / (10 * len(cues))
