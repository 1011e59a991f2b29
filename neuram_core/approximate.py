"""Approximate dense search for large indexes: an inverted file (IVF) of 4-bit codes.

A cue is compared with a few hundred cluster centroids, then with the codes of the
closest ``probes`` clusters only; the best candidates are re-ranked exactly by the
Hippocampus against its float32 rows. FAISS (a maintained C++ library) holds the lists;
it was chosen by measurement on real MiniLM vectors (docs/speed.md): IVF builds a 1M
index in seconds where the graph indexes (HNSW) took minutes on two cores. The codes are
product-quantised, 4 bits for every 4 dimensions (48 bytes for 384), scanned with FAISS's
fast-scan kernels: 0.11 ms at 100k vectors where 8-bit codes took 0.47 ms, at an eighth
of their bytes. They cannot order near-duplicates (copies at cosine 0.93 of each other),
so eight times the candidates asked for are re-ranked exactly: at 1M such vectors in 2,048
lists two, three, four and six times found 0.945, 0.970, 0.978 and 0.989 of the exact ten
nearest, in about the same 0.5 ms; in the 1,024 lists built since, six and eight times
found 0.980 and 0.985 (500 questions).

Ids in the lists are slots, not rows: a slot is given to a vector when it is added and
never reused, and the index maps slots to the Hippocampus's rows. A removal marks its
slot dead (the fast-scan lists have no cheap removal by id), a swap-delete re-points the
moved row's slot, and dead slots are dropped from the lists in one pass once they are a
third of the entries. FAISS is imported when the first index is built, so
``import neuram`` stays light.

An index can be kept as bytes beside the store (:meth:`ApproximateIndex.to_bytes`) and
taken back at the next start-up (:meth:`ApproximateIndex.from_bytes`) instead of being
trained and filled again: 3 s at 100k vectors, 13 s at 1M. Each kept entry names its
engram and a fingerprint of its vector, so whatever changed in between (added, removed,
re-embedded, by this process or another) is found and re-indexed, never trusted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from neuram_core.engram import Vector
from neuram_core.kept import Drift, KeyPrints, holding_entries, pack, text_fingerprints, unpack, vector_fingerprints

__all__ = ["ApproximateIndex", "code_count", "list_count", "measured_recall", "probe_count"]

_TRAINING_POINTS_PER_LIST = 32
_TRAINING_ITERATIONS = 10
_MAX_LISTS = 1024
_PARALLEL_ADD = 10_000  # adds at least this large use every OpenMP thread; smaller ones one
_DIMENSIONS_PER_CODE = 4  # one 4-bit code (16 centroids) per 4 dimensions
_MIN_CODE_TRAINING = 1024  # fewer vectors than this: flat lists (a tiny index, codes not worth training)
_RERANKED = 8  # candidates returned per one asked: 4-bit codes cannot order near-duplicates
_SLOTS_PER_ENTRY = 4  # slots issued beyond this × the entries trained: rebuild (see exhausted)
_KEPT_FORMAT = b"neuram-ivf-1\n"  # what to_bytes writes first; from_bytes reads nothing else
_KEPT_ARRAYS = {"index": np.uint8, "slots": np.int64, "prints": np.uint64, "key_prints": np.uint64}


@contextmanager
def _one_thread(faiss: Any, rows: int) -> Iterator[None]:
    """One OpenMP thread for a small add or a single cue: FAISS's threads wait at a barrier
    for work that takes microseconds (measured: one add 9.6 ms on two busy cores, 0.02 ms
    on one). The setting is the calling thread's own, restored after."""
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
    1,024, and never more than the vectors. Training and adding grow with the clusters;
    the 4-bit codes make a longer list cheap to scan: on LoCoMo vectors grown to 1M (σ =
    0.02, 500 questions), 1,024 clusters built in 9.4 s where 2,048 took 21.1 s, for the
    same search time; recall@10 is set by how deep the exact rows re-rank (1,024 clusters
    and eight times the candidates 0.985, 2,048 and six times 0.984)."""
    if n < 1:
        raise ValueError(f"an approximate index needs at least one vector, not {n}")
    return int(min(_MAX_LISTS, n, 2 ** round(math.log2(3 * math.sqrt(n)))))


def probe_count(lists: int, probes: int) -> int:
    """Clusters searched per cue: ``probes`` at 1,024 clusters, scaled by √(lists / 1,024),
    at least 1 and at most every cluster."""
    return max(1, min(lists, round(probes * math.sqrt(lists / 1024))))


def code_count(dimension: int) -> int:
    """4-bit codes per vector: one per 4 dimensions, or the largest divisor of the
    dimension below that (product quantisation splits a vector into equal parts)."""
    wanted = max(1, dimension // _DIMENSIONS_PER_CODE)
    return next(m for m in range(wanted, 0, -1) if dimension % m == 0)


class ApproximateIndex:
    """Candidates for a cue among many unit vectors, by inner product; it answers rows."""

    def __init__(self, faiss: Any, index: Any, size: int) -> None:
        self._faiss = faiss
        self._index = index
        self.trained_size = size  # how many vectors it was trained on (the rebuild policy reads it)
        self._slot_row: npt.NDArray[np.int64] = np.full(max(16, size), -1, dtype=np.int64)  # -1: dead
        self._row_slot: npt.NDArray[np.int64] = np.full(max(16, size), -1, dtype=np.int64)  # -1: none
        self._issued = 0  # slots given out so far (the next slot)
        self._dead = 0  # dead slots still in the lists
        self.drift = Drift()  # since it was built, kept or read back
        # Slots below this held the training points: the cluster centres and the code books
        # are means of them, from which a removed one could be worked out. Once one is
        # removed or re-encoded, the index is not kept beside the store until rebuilt.
        self._trained = 0
        self.keepable = True

    @classmethod
    def build(
        cls, vectors: Vector, probes: int, *, candidates: int = 128, min_recall: float = 0.0, seed: int = 0
    ) -> tuple[ApproximateIndex | None, float]:
        """Train the clusters and codes on a sample of ``vectors`` (row i gets id i), add
        the sample, measure the recall@10 the index gives among it
        (:func:`measured_recall`), and add the rest if it reaches ``min_recall``; the
        index (None below it) and that recall. Data the clusters do not fit so costs the
        training, not a million adds. ``probes`` clusters are searched per cue at 1,024
        clusters, × √(clusters / 1,024) at fewer (a small index's lists are short)."""
        import faiss as loaded  # a C++ library: loaded only when an index this large exists

        faiss: Any = loaded  # its stubs lack part of the API used here
        n, dimension = vectors.shape
        lists = list_count(n)
        quantizer = faiss.IndexFlatIP(dimension)
        sample = min(n, _TRAINING_POINTS_PER_LIST * lists)
        if sample < _MIN_CODE_TRAINING:
            index = faiss.IndexIVFFlat(quantizer, dimension, lists, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFPQFastScan(
                quantizer, dimension, lists, code_count(dimension), 4, faiss.METRIC_INNER_PRODUCT
            )
            index.by_residual = False  # one lookup table per cue; trains in a fifth of the time, same recall
            index.pq.cp.niter = _TRAINING_ITERATIONS
            index.pq.cp.seed = seed
        index.cp.niter = _TRAINING_ITERATIONS
        index.cp.min_points_per_centroid = 1
        index.cp.seed = seed
        rows = np.random.default_rng(seed).choice(n, sample, replace=False) if sample < n else np.arange(n)
        rows = np.sort(rows)
        sample = np.ascontiguousarray(vectors[rows], dtype=np.float32)
        index.train(sample)
        index.nprobe = probe_count(lists, probes)
        built = cls(faiss, index, n)
        built.add(rows.astype(np.int64), sample)  # slot i: row rows[i]
        built._trained = rows.shape[0]
        quality = measured_recall(built, vectors, candidates, rows=rows)
        if quality < min_recall:
            return None, quality
        rest = np.ones(n, dtype=bool)
        rest[rows] = False
        if rest.any():
            others = np.flatnonzero(rest)
            built.add(others.astype(np.int64), vectors[others])
        return built, quality

    def to_bytes(self, keys: Sequence[str], vectors: Vector) -> bytes:
        """This index as bytes to keep beside the store: the FAISS lists, and for each
        entry the key of its row (``keys[row]``) and a fingerprint of its vector
        (``vectors[row]``), so that :meth:`from_bytes` can tell which entries still hold.
        Dead entries are dropped from the lists first: nothing of a removed vector is kept."""
        if not self.keepable:
            raise ValueError("a training point of this index was removed since it was built: rebuild it to keep it")
        if self._dead:
            self._drop_dead()
        self._clear_padding()
        slots = np.flatnonzero(self._slot_row[: self._issued] >= 0).astype(np.int64)
        rows = self._slot_row[slots]
        header = {
            "dimension": int(self._index.d),
            "trained_size": self.trained_size,
            "issued": self._issued,
            "trained_slots": self._trained,
        }
        payload = pack(
            _KEPT_FORMAT,
            header,
            _KEPT_ARRAYS,
            index=self._faiss.serialize_index(self._index),
            slots=slots,
            prints=vector_fingerprints(vectors)[rows],
            key_prints=text_fingerprints([keys[row] for row in rows.tolist()]),
        )
        self.drift = Drift()
        return payload

    @classmethod
    def from_bytes(
        cls, data: bytes, key_prints: KeyPrints, vectors: Vector, probes: int
    ) -> ApproximateIndex | None:
        """The index :meth:`to_bytes` kept, brought up to date with ``vectors`` (row i
        holds the engram whose key ``key_prints`` printed i-th): an entry whose key is
        gone or whose vector's fingerprint changed is dropped, and a row without an entry
        is added. None if ``data`` is not such an index (damaged, another format or
        dimension)."""
        kept = unpack(_KEPT_FORMAT, _KEPT_ARRAYS, data)
        if kept is None:
            return None
        header, arrays = kept
        n, dimension = vectors.shape
        slots, prints = arrays["slots"], arrays["prints"]
        issued, trained_size, trained = header.get("issued"), header.get("trained_size"), header.get("trained_slots")
        if (
            header.get("dimension") != dimension
            or not isinstance(issued, int)
            or not isinstance(trained_size, int)
            or trained_size < 1
            or not isinstance(trained, int)
            or not 0 <= trained <= issued
            or slots.shape != prints.shape
            or (slots.shape[0] and (int(slots.min()) < 0 or int(slots.max()) >= issued))
        ):
            return None
        rows = key_prints.rows(arrays["key_prints"]) if arrays["key_prints"].shape == slots.shape else None
        if rows is None:
            return None
        import faiss as loaded

        faiss: Any = loaded
        index = faiss.deserialize_index(arrays["index"])
        if index.d != dimension or index.ntotal != slots.shape[0]:
            return None
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = probe_count(ivf.nlist, probes)
        live = holding_entries(rows, lambda named: vector_fingerprints(vectors)[rows[named]] == prints[named])
        if 2 * live.shape[0] < n:
            return None  # most of it changed: train afresh on what is there now
        built = cls(faiss, index, trained_size)
        built._slot_row = np.full(max(16, issued), -1, dtype=np.int64)
        built._slot_row[slots[live]] = rows[live]
        built._row_slot = np.full(max(16, n), -1, dtype=np.int64)
        built._row_slot[rows[live]] = slots[live]
        built._issued = issued
        built._trained = trained
        built.keepable = bool((built._slot_row[:trained] >= 0).all())  # one changed since: not again
        built._dead = slots.shape[0] - live.shape[0]
        built.drift = Drift(built._dead, built._dead)
        missing = np.flatnonzero(built._row_slot[:n] < 0)
        built.add(missing.astype(np.int64), vectors[missing])
        built._compact()
        return built

    def __len__(self) -> int:
        """The live entries (dead slots not counted)."""
        return int(self._index.ntotal) - self._dead

    @property
    def listed(self) -> int:
        """The entries in the lists, dead slots not yet dropped included."""
        return int(self._index.ntotal)

    @property
    def exhausted(self) -> bool:
        """Whether so many slots were given out (adds and re-encodes) that the slot map
        outgrew the index it serves: the owner rebuilds it then."""
        return self._issued > _SLOTS_PER_ENTRY * max(self.trained_size, len(self), 1)

    def add(self, rows: npt.NDArray[np.int64], vectors: Vector) -> None:
        """Index ``vectors`` as ``rows`` (a row that had a vector: its old one is dropped)."""
        rows = np.asarray(rows, dtype=np.int64)
        count = rows.shape[0]
        if not count:
            return
        replaced = self._kill(rows)
        slots = np.arange(self._issued, self._issued + count, dtype=np.int64)
        self._slot_row = _fit(self._slot_row, self._issued + count)
        self._row_slot = _fit(self._row_slot, int(rows.max()) + 1)
        with _one_thread(self._faiss, count):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), slots)
        self._issued += count
        self._slot_row[slots] = rows
        self._row_slot[rows] = slots
        self.drift.added(count - replaced)
        self.drift.removed(replaced)  # a re-encode: the kept copy holds the old vector's entry
        self._compact()

    def remove(self, row: int) -> None:
        self.drift.removed(self._kill(np.array([row], dtype=np.int64)))
        self._compact()

    def move(self, source: int, target: int) -> None:
        """Row ``source`` now lives at ``target`` (a swap-delete); ``target``'s old entry is
        gone with it."""
        self.drift.removed(self._kill(np.array([target], dtype=np.int64)))
        slot = self._row_slot[source] if source < self._row_slot.shape[0] else -1
        if slot >= 0:
            self._row_slot[source] = -1
            self._row_slot = _fit(self._row_slot, target + 1)
            self._row_slot[target] = slot
            self._slot_row[slot] = target
        self._compact()

    def search(self, vector: Vector, count: int, *, widen: float = 1.0) -> npt.NDArray[np.intp]:
        """The rows whose codes best match ``vector``, best first by code: about
        8 × ``count`` of them, since 4-bit codes rank coarsely (re-rank them exactly).
        ``widen`` probes that many times the clusters (for a cue whose filter allows a
        share of the rows: their closest lie in more of them)."""
        total = int(self._index.ntotal)
        if total == 0 or count <= 0:
            return np.zeros(0, dtype=np.intp)
        live = max(1, total - self._dead)
        asked = min(total, math.ceil(_RERANKED * count * total / live))  # dead slots come back too
        cue = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        probes = int(self._index.nprobe)
        with _one_thread(self._faiss, 1):
            try:  # set and restored, not passed as search parameters: older fast-scan lists refuse those
                self._index.nprobe = min(int(self._index.nlist), math.ceil(probes * max(widen, 1.0)))
                _, slots = self._index.search(cue, asked)
            finally:
                self._index.nprobe = probes
        found: npt.NDArray[np.int64] = slots[0]
        rows = self._slot_row[found[found >= 0]]
        live_rows: npt.NDArray[np.intp] = rows[rows >= 0].astype(np.intp)
        return live_rows

    def _kill(self, rows: npt.NDArray[np.int64]) -> int:
        """Mark the slots of ``rows`` dead (rows without one are skipped); how many were."""
        rows = rows[rows < self._row_slot.shape[0]]
        slots = self._row_slot[rows]
        slots = slots[slots >= 0]
        if not slots.shape[0]:
            return 0
        self._slot_row[slots] = -1
        self._row_slot[rows] = -1
        if self._trained and bool((slots < self._trained).any()):
            self.keepable = False
        killed = int(np.unique(slots).shape[0])
        self._dead += killed
        return killed

    def _compact(self) -> None:
        """Drop the dead slots from the lists in one pass once they are a third of them."""
        if 3 * self._dead >= int(self._index.ntotal):
            self._drop_dead()

    def _clear_padding(self) -> None:
        """Zero the unused places of each list's last block. Fast-scan lists hold codes in
        blocks of 32; removing an entry moves the list's last one into its place without
        clearing where it was, so a removed vector's code would otherwise be written out."""
        faiss = self._faiss
        ivf = faiss.extract_index_ivf(self._index)
        lists = faiss.downcast_InvertedLists(ivf.invlists)
        if not isinstance(lists, faiss.BlockInvertedLists):
            return  # flat lists hold exactly their entries
        packer = ivf.get_CodePacker()
        zero = np.zeros(packer.code_size, dtype=np.uint8)
        for number in range(lists.nlist):
            size = lists.list_size(number)
            end = -(-size // packer.nvec) * packer.nvec
            if end == size:
                continue
            blocks = faiss.rev_swig_ptr(lists.get_codes(number), end // packer.nvec * packer.block_size)
            blocks = blocks.reshape(-1, packer.block_size)
            for place in range(size, end):
                packer.pack_1(zero, place, blocks)

    def _drop_dead(self) -> None:
        dead = np.flatnonzero(self._slot_row[: self._issued] < 0).astype(np.int64)
        with _one_thread(self._faiss, 1):
            self._index.remove_ids(dead)
        self._dead = 0


def _fit(array: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.int64]:
    """``array`` with room for ``size`` entries (doubled, new ones -1)."""
    if size <= array.shape[0]:
        return array
    grown = np.full(max(size, 2 * array.shape[0]), -1, dtype=np.int64)
    grown[: array.shape[0]] = array
    return grown


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
