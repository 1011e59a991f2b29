"""Hippocampus: the in-process index over everything the namespace remembers.

A contiguous float32 matrix (one row per engram, grown by doubling, rows swap-deleted)
answers cues with one matrix-vector product. It holds the only copy of each vector: an
indexed engram's embedding is a read-only view of its row, re-pointed when the row moves,
and an engram that leaves the index (or is replaced in it) takes a copy of its own. From
``approximate_min_engrams`` on, an approximate index (approximate.py) proposes candidates
that the matrix re-ranks exactly.
A long text's fragments (engrams with ``fragment_of`` set) are rows of their own: a cue that
matches one completes its whole, which recall returns in its place.
An association graph carries temporal links between items perceived close together;
pattern completion spreads activation from the best direct matches to their associates.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from neuram_core.activation import contains, sorted_union, top_k_indices
from neuram_core.approximate import ApproximateIndex
from neuram_core.association import AssociationGraph
from neuram_core.clock import SystemClock
from neuram_core.config import NeuramConfig
from neuram_core.dynamics import SECONDS_PER_HOUR, recall_scores, superseded_penalty
from neuram_core.embeddings import resolve_embedder
from neuram_core.engram import Engram, MemoryType, Vector
from neuram_core.kept import KeyPrints
from neuram_core.lexicon import LexicalMatch, Lexicon
from neuram_core.types import Clock, Embedder

__all__ = ["Activation", "Cue", "Hippocampus", "Listing"]

_TYPE_CODES = {t: i for i, t in enumerate(MemoryType)}
_SEED_FACTOR = 4
_MIN_SEEDS = 32
_FLOOR_MIN_MEMORIES = 8
_LAZY_LEXICON = 10_000  # a bulk encode this large defers the word index to its first use
_NO_ROWS: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
_MIN_APPROXIMATE_RECALL = 0.9  # below it (vectors with no cluster structure) search stays exact
_WITHIN_SHARE = 32  # a filter allowing at most 1/this of the rows: each allowed row compared (_match_within)
_MOMENT_SAMPLE = 1024  # rows whose cosines estimate a cue's mean and spread when search is approximate


class Cue(NamedTuple):
    """What recall is asked: the query's words (None when only a vector is known) and its
    embedding. Dense matching reads the vector; cues that match words read the text."""

    text: str | None
    vector: Vector


class Activation(NamedTuple):
    """How one engram answered a cue: activation = similarity + lexical + spread, and
    score = activation × (1 − w + w × retention) × (superseded_rank_factor if superseded)."""

    engram: Engram
    similarity: float  # cosine between the cue and the engram (dense pattern completion)
    activation: float  # what the cues and its associates gave it, before retention
    score: float  # what recall ranks by
    lexical: float = 0.0  # the cue's rare words it holds, on the dense cue's scale
    spread: float = 0.0  # what its strongest associate passed on (temporal context)
    spread_from: str | None = None  # the seed that spread started at
    spread_via: str | None = None  # the neighbour it arrived from, over an edge of spread_weight
    spread_weight: float = 0.0
    relevance: float = 0.0  # activation in standard deviations above the cue's mean cosine
    fragment: str | None = None  # the fragment of it that the cue matched, if not its own start


_Filters = tuple[MemoryType | None, float | None, float | None, float, Callable[[Engram], bool] | None]


class _CueMatch(NamedTuple):
    """How a cue matched the index, for activate: its seeds (rows best first and their
    fused scores), the cue's mean and spread of cosines, and the scores and admission of
    any row (the engrams spreading reaches)."""

    seed_rows: npt.NDArray[np.intp]
    seed_values: npt.NDArray[np.floating]
    mean: float
    std: float
    scores: Callable[[npt.NDArray[np.intp]], tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]
    allowed: Callable[[npt.NDArray[np.intp]], npt.NDArray[np.bool_] | None]


_FIELDS = ("last_accessed", "stability", "access_count", "pinned", "superseded")  # the columns of Hippocampus._fields
_LAST_ACCESSED, _STABILITY = _FIELDS.index("last_accessed"), _FIELDS.index("stability")
_SUPERSEDED = _FIELDS.index("superseded")


class Listing(NamedTuple):
    """Engrams, their ids and their fields, one array each, in step (element k of each is
    of ``engrams[k]``): what :meth:`Hippocampus.listing` hands a list page to filter and
    sort by."""

    engrams: list[Engram]
    ids: list[str]
    encoded_at: npt.NDArray[np.float64]
    last_accessed: npt.NDArray[np.float64]
    stability: npt.NDArray[np.float64]
    access_count: npt.NDArray[np.float64]
    pinned: npt.NDArray[np.bool_]

    def where(self, keep: npt.NDArray[np.bool_]) -> Listing:
        """The engrams (and fields) ``keep`` marks, in their order."""
        rows = np.flatnonzero(keep)
        engrams, ids = self.engrams, self.ids
        chosen = rows.tolist()
        return Listing(
            [engrams[row] for row in chosen],
            [ids[row] for row in chosen],
            self.encoded_at[rows],
            self.last_accessed[rows],
            self.stability[rows],
            self.access_count[rows],
            self.pinned[rows],
        )

    @classmethod
    def of(cls, engrams: Iterable[Engram]) -> Listing:
        """A listing of these engrams, in their order (one Python pass over them)."""
        engrams = list(engrams)
        fields = np.array([_fields_of(e) for e in engrams], dtype=np.float64).reshape(len(engrams), len(_FIELDS)).T
        last_accessed, stability, access_count, pinned, _ = fields  # the order of _FIELDS
        return cls(
            engrams,
            [e.engram_id for e in engrams],
            np.array([e.encoded_at for e in engrams], dtype=np.float64),
            last_accessed.copy(),
            stability.copy(),
            access_count.copy(),
            pinned == 1.0,
        )


class Hippocampus:
    """Episodic index: pattern completion, temporal association, spreading activation."""

    def __init__(
        self,
        embedder: Embedder | str | None = None,
        *,
        clock: Clock | None = None,
        config: NeuramConfig | None = None,
        embeds: bool = True,
    ) -> None:
        """``embedder`` as :func:`resolve_embedder` takes it (None: the default model, loaded
        on first use). ``embeds=False`` makes an index of vectors only, for an owner that
        embeds elsewhere (a Brain embeds off its event loop): it never loads a model."""
        if not isinstance(embeds, bool):
            raise TypeError(f"embeds must be a bool, not {type(embeds).__name__}")
        if not embeds and embedder is not None:
            raise ValueError("a Hippocampus with embeds=False takes no embedder")
        self._embeds = embeds
        self._embedder_spec = embedder
        self._embedder: Embedder | None = None if isinstance(embedder, str | None) else embedder
        self.clock = clock or SystemClock()
        self.config = config or NeuramConfig()
        self._dimension: int | None = None
        self._reserved = 0  # rows to allocate when the dimension becomes known
        self._matrix: Vector = np.zeros((0, 0), dtype=np.float32)
        self._lent: Vector = self._matrix  # the matrix, read-only: its rows are the engrams' embeddings
        self._types: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
        self._encoded_at: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
        self._expires_at: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)  # inf: never
        self._fields: npt.NDArray[np.float64] = np.zeros((0, len(_FIELDS)), dtype=np.float64)  # for listing
        self._is_part: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)  # a fragment's row
        self._whole_of: dict[str, str] = {}  # fragment id -> the id of its whole
        self._parts: dict[str, list[str]] = {}  # whole id -> its indexed fragments' ids
        self._folding: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None  # see _fold_rows
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._engrams: dict[str, Engram] = {}
        self._graph = AssociationGraph()  # edges between rows
        self._waiting: dict[str, dict[str, float]] = {}  # an id not indexed yet -> the edges it will have
        self._waits_for: dict[str, set[str]] = {}  # an indexed id -> the ids in _waiting it has an edge to
        self._recent: deque[tuple[float, str]] = deque(maxlen=64)
        self._by_content: dict[MemoryType, dict[str, str]] = {t: {} for t in MemoryType}  # no key tuple per engram
        self._lexicon = Lexicon(self.config.bm25_k1, self.config.bm25_b)
        self._lexicon_stale = False  # after a bulk load: rebuilt from content on first use
        self._approximate: ApproximateIndex | None = None  # built at the first cue past the size
        self._moment_sample: Vector = np.zeros((0, 0), dtype=np.float32)  # rows drawn at its build
        self._unfit_at = 0  # the size at which an index was built and did not fit the vectors
        self.pending: dict[str, None] = {}  # encoded, not yet consolidated (ordered set)

    # -- embedding -------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedder, resolved (and its model loaded) on first use."""
        if not self._embeds:
            raise RuntimeError(
                "this Hippocampus indexes vectors only (embeds=False): its owner embeds; "
                "give engrams an embedding and cues as vectors"
            )
        if self._embedder is None:
            self._embedder = resolve_embedder(self._embedder_spec)
        return self._embedder

    def embed(self, texts: Sequence[str]) -> Vector:
        return self.embedder.embed(texts)

    # -- index maintenance -----------------------------------------------------------
    def encode(self, engram: Engram, *, pending: bool | None = None) -> Engram:
        """Index ``engram`` (embedding it if needed); ``pending`` marks it unconsolidated."""
        if engram.embedding is None:
            engram.embedding = self.embed([engram.content])[0]
        vector = np.asarray(engram.embedding, dtype=np.float32).reshape(-1)
        if self._dimension is None:
            self._dimension = vector.shape[0]
            rows = max(16, self._reserved)
            self._set_matrix(np.zeros((rows, self._dimension), dtype=np.float32))
            self._types = np.zeros(rows, dtype=np.int8)
            self._encoded_at = np.zeros(rows, dtype=np.float64)
            self._expires_at = np.full(rows, np.inf, dtype=np.float64)
            self._fields = np.zeros((rows, len(_FIELDS)), dtype=np.float64)
            self._is_part = np.zeros(rows, dtype=np.bool_)
        if vector.shape[0] != self._dimension:
            raise ValueError(f"embedding has {vector.shape[0]} dimensions, the index holds {self._dimension}")
        row = self._rows.get(engram.engram_id)
        if row is None:
            row = len(self._ids)
            self._grow(row + 1)
            self._ids.append(engram.engram_id)
            self._rows[engram.engram_id] = row
            if engram.engram_id in self._parts:  # a whole after its fragments: they fold into it now
                self._folding = None
            if not self._lexicon_stale:
                self._lexicon.add(engram.engram_id, engram.content, row)
            if engram.engram_id in self._waiting:
                self._graph.link_many(*self._settle(engram.engram_id))
        elif self._approximate is not None:
            self._approximate.remove(row)  # re-encoded: its new vector replaces the old code
        self._detach_replaced(engram)
        self._matrix[row] = vector
        engram.embedding = self._lent[row]
        if self._approximate is not None:
            self._approximate.add(np.array([row], dtype=np.int64), vector.reshape(1, -1))
        self._types[row] = _TYPE_CODES[engram.memory_type]
        self._encoded_at[row] = engram.encoded_at
        self._expires_at[row] = _expiry(engram)
        self._fields[row] = _fields_of(engram)
        self._engrams[engram.engram_id] = engram
        self._is_part[row] = self._note_part(engram)
        if engram.fragment_of is None:  # a fragment is recognised as part of its whole, not alone
            self._by_content[engram.memory_type][engram.content] = engram.engram_id
        self._link_all(engram)
        if pending is True:
            self.pending[engram.engram_id] = None
        elif pending is False:
            self.pending.pop(engram.engram_id, None)
        return engram

    def encode_many(self, engrams: Sequence[Engram], *, pending: bool | None = None) -> None:
        """:meth:`encode` for many engrams (loading an index): one matrix write for all,
        and the association graph built inline (a load's inner loop)."""
        engrams = list(engrams)
        if len({e.engram_id for e in engrams}) < len(engrams):  # repeated ids: keep encode's order
            for engram in engrams:
                self.encode(engram, pending=pending)
            return
        missing = [e for e in engrams if e.embedding is None]
        if missing:
            for engram, vector in zip(missing, self.embed([e.content for e in missing]), strict=True):
                engram.embedding = vector
        if not engrams:
            return
        if self._dimension is None:
            self.encode(engrams[0], pending=pending)  # sets up the matrix
            engrams = engrams[1:]
            if not engrams:
                return
        block = self._block([e.embedding for e in engrams])  # type: ignore[misc]
        ids, row_of = self._ids, self._rows
        self._grow(len(ids) + len(engrams))
        rows = np.empty(len(engrams), dtype=np.intp)
        known = len(ids)  # rows below this already hold an indexed vector
        if len(engrams) >= _LAZY_LEXICON:
            self._lexicon_stale = True  # a load: the word index waits for the first cue with words
        defer = self._lexicon_stale
        added: list[tuple[str, str, int]] = []
        waiting = self._waiting
        settled: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]] = []
        for j, engram in enumerate(engrams):
            row = row_of.get(engram.engram_id)
            if row is None:
                row = len(ids)
                ids.append(engram.engram_id)
                row_of[engram.engram_id] = row
                if engram.engram_id in self._parts:  # a whole after its fragments: they fold into it now
                    self._folding = None
                if not defer:
                    added.append((engram.engram_id, engram.content, row))
                if waiting and engram.engram_id in waiting:
                    settled.append(self._settle(engram.engram_id))
            rows[j] = row
        if added:
            self._lexicon.add_many(added)
        for j in np.flatnonzero(rows < known).tolist():  # re-encoded: an older copy keeps its vector
            self._detach_replaced(engrams[j])
        self._matrix[rows] = block
        lent = self._lent
        for engram, row in zip(engrams, rows.tolist(), strict=True):
            engram.embedding = lent[row]  # the decoded copy is dropped: one vector per engram
        if self._approximate is not None:
            for row in rows[rows < known].tolist():  # re-encoded: new vectors replace the old codes
                self._approximate.remove(row)
            self._approximate.add(rows.astype(np.int64), block)
        self._types[rows] = [_TYPE_CODES[e.memory_type] for e in engrams]
        self._encoded_at[rows] = [e.encoded_at for e in engrams]
        self._expires_at[rows] = [_expiry(e) for e in engrams]
        self._fields[rows] = [_fields_of(e) for e in engrams]
        self._is_part[rows] = [e.fragment_of is not None for e in engrams]
        by_content, indexed, whole_of = self._by_content, self._engrams, self._whole_of
        # The edges the engrams' links make, gathered and then linked in one pass (a load's inner loop).
        starts: list[int] = []
        ends: list[int] = []
        weights: list[float] = []
        for engram, row in zip(engrams, rows.tolist(), strict=True):
            a = engram.engram_id
            indexed[a] = engram
            if engram.fragment_of is not None:
                self._note_part(engram)
                continue  # a fragment has no content of its own to recognise, and no links
            if a in whole_of:  # an id once a fragment, now a whole
                self._note_part(engram)
            by_content[engram.memory_type][engram.content] = a
            for b, weight in engram.associations:
                other = row_of.get(b)
                if other is None:
                    self._wait(a, b, weight)
                else:
                    starts.append(row)
                    ends.append(other)
                    weights.append(weight)
        settled.append(
            (np.array(starts, dtype=np.intp), np.array(ends, dtype=np.intp), np.array(weights, dtype=np.float64))
        )
        self._graph.link_many(*(np.concatenate(parts) for parts in zip(*settled, strict=True)))
        if pending is True:
            self.pending.update(dict.fromkeys(e.engram_id for e in engrams))
        elif pending is False and self.pending:
            for engram in engrams:
                self.pending.pop(engram.engram_id, None)

    def track(self, engrams: Iterable[Engram]) -> None:
        """Set the pending mark of indexed engrams from their own ``consolidated`` flag, as
        the store recorded it: a trace any worker perceived stays pending until a sleep
        (anyone's) consolidated it."""
        pending, rows = self.pending, self._rows
        for engram in engrams:
            if engram.engram_id not in rows:
                continue
            if engram.consolidated:
                pending.pop(engram.engram_id, None)
            else:
                pending[engram.engram_id] = None

    def _block(self, vectors: Sequence[Vector]) -> Vector:
        """The rows to write for many embeddings, each checked against the index's dimension."""
        try:
            block = np.stack(vectors).astype(np.float32, copy=False).reshape(len(vectors), -1)
        except ValueError:  # ragged: find the first that does not fit, for the message
            block = None
        if block is None or block.shape[1] != self._dimension:
            for vector in vectors:
                size = np.asarray(vector).size
                if size != self._dimension:
                    raise ValueError(f"embedding has {size} dimensions, the index holds {self._dimension}")
            raise ValueError(f"embeddings do not fit the index's {self._dimension} dimensions")
        return block

    def reserve(self, capacity: int) -> None:
        """Room for ``capacity`` rows and an eighth more in one allocation, now or when the
        first engram sets the dimension: a load that knows its size then never copies the
        matrix to grow it, nor does what is perceived after, until the index has grown by
        that eighth (the matrix's pages past its rows are zeros never touched, which cost
        no memory; at 1M, the first perceive after a load copied 1.5 GB and re-pointed a
        million vectors: 3.8 s). A load of many also defers the word index to its first use."""
        room = capacity + capacity // 8
        self._reserved = max(self._reserved, room)
        if self._dimension is not None:
            self._grow(room)
        if capacity - len(self._ids) >= _LAZY_LEXICON:
            self._lexicon_stale = True  # a load: the word index waits for the first cue with words

    def _grow(self, needed: int) -> None:
        if needed <= self._matrix.shape[0]:
            return
        size = max(needed, 2 * self._matrix.shape[0])
        matrix = np.zeros((size, self._matrix.shape[1]), dtype=np.float32)
        matrix[: len(self._ids)] = self._matrix[: len(self._ids)]
        old = self._matrix
        self._set_matrix(matrix)
        self._relend(old)
        self._types = np.resize(self._types, size)
        self._encoded_at = np.resize(self._encoded_at, size)
        self._expires_at = np.resize(self._expires_at, size)
        self._fields = np.resize(self._fields, (size, len(_FIELDS)))
        self._is_part = np.resize(self._is_part, size)
        self._graph.reserve(size)

    def _note_part(self, engram: Engram) -> bool:
        """Record whether ``engram`` is a fragment, and of which whole; True if it is."""
        engram_id, whole = engram.engram_id, engram.fragment_of
        before = self._whole_of.get(engram_id)
        if before == whole:
            return whole is not None
        self._folding = None
        if before is not None:
            self._unnote_part(engram_id)
        if whole is None:
            return False
        self._whole_of[engram_id] = whole
        self._parts.setdefault(whole, []).append(engram_id)
        return True

    def _unnote_part(self, engram_id: str) -> None:
        whole = self._whole_of.pop(engram_id, None)
        if whole is None:
            return
        self._folding = None
        parts = self._parts.get(whole)
        if parts is not None:
            parts.remove(engram_id)
            if not parts:
                del self._parts[whole]

    def parts(self, engram_id: str) -> list[str]:
        """The ids of the indexed fragments of the engram ``engram_id``, in text order."""
        return list(self._parts.get(engram_id, ()))

    def whole(self, engram_id: str) -> Engram | None:
        """The engram ``engram_id`` stands for in recall: its whole if it is a fragment
        (None while that whole is not indexed), else itself (None if not indexed)."""
        return self._engrams.get(self._whole_of.get(engram_id, engram_id))

    def _fold(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """The fragments' rows (ascending) and their wholes' rows (-1: a whole not indexed),
        kept until a row moves or a fragment comes or goes."""
        if self._folding is None:
            parts = np.flatnonzero(self._is_part[: len(self._ids)])
            row_of, ids, whole_of = self._rows, self._ids, self._whole_of
            wholes = np.fromiter(
                (row_of.get(whole_of[ids[r]], -1) for r in parts.tolist()), dtype=np.intp, count=len(parts)
            )
            self._folding = (parts, wholes)
        return self._folding

    def _fold_rows(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """The row of the engram each row stands for in recall: a fragment's whole (-1 while
        that whole is not indexed), else the row itself."""
        if not self._whole_of:
            return rows
        parts, wholes = self._fold()
        at = np.minimum(np.searchsorted(parts, rows), len(parts) - 1)
        hit = parts[at] == rows
        folded = rows.copy()
        folded[hit] = wholes[at[hit]]
        return folded

    def _best_per_whole(
        self, rows: npt.NDArray[np.intp], values: npt.NDArray[np.floating], k: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.floating]]:
        """The ``k`` best of ``rows`` by ``values``, best first, keeping for each whole only
        its best row (its own or a fragment's); a fragment of no indexed whole is dropped."""
        if not self._whole_of:
            order = top_k_indices(values, k)
            return rows[order], values[order]
        order = np.argsort(-values, kind="stable")
        wholes = self._fold_rows(rows[order])
        order, wholes = order[wholes >= 0], wholes[wholes >= 0]
        _, first = np.unique(wholes, return_index=True)
        order = order[np.sort(first)][:k]
        return rows[order], values[order]

    def _best_wholes(
        self, scores: npt.NDArray[np.floating], k: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.floating]]:
        """The ``k`` best wholes by ``scores`` (one per row of the index), best first, each
        as its best row (its own or a fragment's): a whole scores its best part's score.
        One pass over the fragments, however many there are."""
        if not self._whole_of:
            rows = top_k_indices(scores, k)
            return rows, scores[rows]
        parts, wholes = self._fold()
        known = wholes >= 0
        folded = scores.copy()
        np.maximum.at(folded, wholes[known], scores[parts[known]])
        folded[parts] = -np.inf
        top = top_k_indices(folded, k)
        top = top[folded[top] > -np.inf]
        members = parts[known & np.isin(wholes, top)]  # the fragments of the wholes chosen
        rows = np.concatenate([top, members])
        return self._best_per_whole(rows, scores[rows], k)

    def orphans(self) -> dict[str, list[str]]:
        """Indexed fragments whose whole is not indexed, by the id of that whole: left
        behind if a process died between deleting a whole and its fragments."""
        return {whole: list(parts) for whole, parts in self._parts.items() if whole not in self._rows}

    @property
    def fragment_count(self) -> int:
        """How many of the indexed rows are fragments of a longer text."""
        return len(self._whole_of)

    @property
    def memory_count(self) -> int:
        """How many memories are indexed: rows that are not fragments (a long text is one)."""
        return len(self._ids) - len(self._whole_of)

    def _set_matrix(self, matrix: Vector) -> None:
        """Hold ``matrix``, and a read-only view of it whose rows the engrams borrow."""
        self._matrix = matrix
        self._lent = matrix.view()
        self._lent.flags.writeable = False  # its rows are views that cannot write the matrix

    def _lends(self, engram: Engram) -> bool:
        """Whether ``engram``'s embedding is a row of the matrix (a view, not its own array)."""
        vector = engram.embedding
        return vector is not None and vector.base is self._matrix

    def _detach(self, engram: Engram) -> None:
        """Give ``engram`` its own copy of its vector: it leaves the index (or is replaced in
        it) and its row is about to be overwritten or reused by another engram."""
        if self._lends(engram):
            engram.embedding = np.array(engram.embedding, dtype=np.float32)  # writeable, as decoded

    def _detach_replaced(self, engram: Engram) -> None:
        """Detach the object indexed under ``engram``'s id if ``engram`` is a new one."""
        old = self._engrams.get(engram.engram_id)
        if old is not None and old is not engram:
            self._detach(old)

    def _follow(self, engram: Engram, row: int) -> None:
        """Point an engram whose vector moved (swap-delete) at its new row."""
        if self._lends(engram):
            engram.embedding = self._lent[row]

    def _relend(self, old: Vector) -> None:
        """Point every engram that borrowed a row of ``old`` (the matrix before it grew) at
        its row in the new one: a view would keep the old matrix alive and go stale."""
        rows = self._lent[: len(self._ids)]  # iterated in C: a view per row
        for engram, view in zip(map(self._engrams.__getitem__, self._ids), rows, strict=True):
            vector = engram.embedding
            if vector is not None and vector.base is old:
                engram.embedding = view

    def _adopt(self, engram: Engram, row: int) -> None:
        """Lend a refreshed engram its row if it carries that row's vector (the usual case: a
        new copy of the same memory); one that carries another keeps its own (the matrix
        keeps what encode wrote: a refresh changes dynamics, not vectors), never a view."""
        vector, mine = engram.embedding, self._lent[row]
        if vector is None:
            return
        if vector.dtype == np.float32 and vector.shape == mine.shape and vector.tobytes() == mine.tobytes():
            engram.embedding = mine
        elif np.shares_memory(vector, self._matrix):
            engram.embedding = np.array(vector, dtype=np.float32)

    def refresh(self, engram: Engram) -> None:
        """Replace the stored object (new dynamics) of an engram already indexed; the old
        object keeps a copy of its vector, the new one borrows the row (see _adopt)."""
        if engram.engram_id not in self._rows:
            self.encode(engram)
            return
        old = self._engrams[engram.engram_id]
        if engram.embedding is None:
            engram.embedding = old.embedding
        self._detach_replaced(engram)
        self._engrams[engram.engram_id] = engram
        row = self._rows[engram.engram_id]
        self._adopt(engram, row)
        self._expires_at[row] = _expiry(engram)  # pinning may change it
        self._fields[row] = _fields_of(engram)  # recall, reward and pinning do
        self._link_all(engram)

    def remove(self, engram_id: str, *, with_fragments: bool = True) -> Engram | None:
        """Drop an engram and its edges; swap-deletes its row (O(1)). A whole takes its
        fragments with it, unless ``with_fragments=False`` (its id is about to be indexed
        afresh, and the fragments the store holds for it are already indexed). The engram
        returned holds a copy of its vector, no longer a view of the matrix."""
        row = self._rows.get(engram_id)
        if row is None:
            return None
        for part in self._parts.pop(engram_id, ()) if with_fragments else ():
            self._whole_of.pop(part, None)
            self.remove(part)
        self._folding = None  # rows move
        self._unnote_part(engram_id)
        row = self._rows.pop(engram_id)
        neighbours = [self._ids[other] for other in self._graph.drop(row)]
        for missing in self._waits_for.pop(engram_id, ()):
            edges = self._waiting[missing]
            del edges[engram_id]
            if not edges:
                del self._waiting[missing]
        self._detach(self._engrams[engram_id])  # it is returned, and its row is overwritten or reused
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._ids[row] = moved
            self._rows[moved] = row
            if not self._lexicon_stale:
                self._lexicon.move(moved, row)
            self._matrix[row] = self._matrix[last]
            self._graph.move(last, row)
            self._follow(self._engrams[moved], row)
            if self._approximate is not None:
                self._approximate.move(last, row)
            self._types[row] = self._types[last]
            self._encoded_at[row] = self._encoded_at[last]
            self._expires_at[row] = self._expires_at[last]
            self._fields[row] = self._fields[last]
            self._is_part[row] = self._is_part[last]
        elif self._approximate is not None:
            self._approximate.remove(row)
        self._ids.pop()
        self.pending.pop(engram_id, None)
        gone = self._engrams[engram_id]
        if not self._lexicon_stale:
            self._lexicon.remove(engram_id, gone.content)
        same = self._by_content[gone.memory_type]
        if same.get(gone.content) == engram_id:
            del same[gone.content]
        for other in neighbours:
            neighbour = self._engrams[other]
            neighbour.associations = [(i, w) for i, w in neighbour.associations if i != engram_id]
        return self._engrams.pop(engram_id)

    def clear(self) -> None:
        self._approximate, self._unfit_at = None, 0  # dropped first: no code removals one by one
        for engram_id in list(self._ids):
            self.remove(engram_id)
        self._recent.clear()
        self._lexicon.clear()
        self._graph.clear()
        self._waiting.clear()
        self._waits_for.clear()
        self._lexicon_stale = False

    # -- association -------------------------------------------------------------------
    def _link_all(self, engram: Engram) -> None:
        """The edges of an indexed engram's links: to indexed engrams in the graph, to
        others once they are indexed."""
        a = engram.engram_id
        edges = []
        for b, weight in engram.associations:
            other = self._rows.get(b)
            if other is None:
                self._wait(a, b, weight)
            else:
                edges.append((other, weight))
        if edges:
            self._graph.link_from(self._rows[a], edges)

    def _wait(self, a: str, b: str, weight: float) -> None:
        """Keep the edge from indexed ``a`` to ``b``, not indexed yet, until ``b`` is (a
        load may read an engram before the one it links to)."""
        edges = self._waiting.setdefault(b, {})
        old = edges.get(a, 0.0)
        edges[a] = weight if weight > old else old
        self._waits_for.setdefault(a, set()).add(b)

    def _settle(
        self, engram_id: str
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """The edges that waited for ``engram_id``, just indexed, as rows to link."""
        edges = self._waiting.pop(engram_id)
        for other in edges:
            waits = self._waits_for[other]
            waits.discard(engram_id)
            if not waits:
                del self._waits_for[other]
        row = self._rows[engram_id]
        return (
            np.fromiter((self._rows[other] for other in edges), dtype=np.intp, count=len(edges)),
            np.full(len(edges), row, dtype=np.intp),
            np.fromiter(edges.values(), dtype=np.float64, count=len(edges)),
        )

    def associate(self, a: str, b: str, weight: float) -> None:
        """A symmetric edge between two indexed engrams (kept on both engrams' lists)."""
        if not math.isfinite(weight):
            raise ValueError(f"association weight must be a finite number, not {weight!r}")
        if a == b or a not in self._engrams or b not in self._engrams:
            return
        rows = self._rows[a], self._rows[b]
        self._graph.link(*rows, weight)
        held = self._graph.weight(*rows)
        assert held is not None  # just linked
        for this, other in ((a, b), (b, a)):
            engram = self._engrams[this]
            kept = [(i, w) for i, w in engram.associations if i != other]
            engram.associations = [*kept, (other, held)]

    def temporal_context(self, at: float) -> list[tuple[str, float]]:
        """Recently perceived engrams to link a new one that happened at ``at`` to: those
        within the temporal window of it in event time, before or after (a history may be
        perceived out of order), closest first, weight e^(-|Δt|/window)."""
        window = self.config.temporal_window_seconds
        near: list[tuple[float, int, str]] = []
        for order, (when, engram_id) in enumerate(self._recent):
            gap = abs(at - when)
            if gap <= window and engram_id in self._engrams:
                near.append((gap, -order, engram_id))  # a tie goes to the later perceived
        near.sort()
        links: dict[str, float] = {}
        for gap, _, engram_id in near:
            if len(links) >= self.config.temporal_links:
                break
            links.setdefault(engram_id, math.exp(-gap / window))
        return list(links.items())

    def note_encoded(self, engram: Engram) -> None:
        """Remember when ``engram`` happened (its event time), for temporal association."""
        self._recent.append((engram.encoded_at, engram.engram_id))

    def recognise(self, content: str, memory_type: MemoryType) -> Engram | None:
        """The engram already holding exactly this content and type, if any."""
        same = self._by_content.get(memory_type)
        engram_id = None if same is None else same.get(content)
        return None if engram_id is None else self._engrams.get(engram_id)

    def nearest(self, vector: Vector, k: int, *, parts: bool = True) -> list[tuple[Engram, float]]:
        """The ``k`` engrams closest to ``vector`` by cosine, best first, with it: what a new
        input is compared with to tell a paraphrase or an update (one matrix-vector product,
        or the approximate index's candidates re-ranked exactly). A long text is as close as
        its closest part (its own start or a fragment); ``parts=False`` compares with its
        own start only (revision and paraphrase compare texts, not a passage of one)."""
        n = len(self._ids)
        if n == 0 or k <= 0 or vector.shape[-1] != self._dimension:
            return []
        vector = np.asarray(vector, dtype=np.float32)
        index = self.approximate_index()
        if index is None:
            scores = self._matrix[:n] @ vector
            if not parts and self._whole_of:
                scores[self._fold()[0]] = -np.inf
            rows, cosines = self._best_wholes(scores, k)
        else:
            wanted = max(4 * k, self.config.approximate_candidates)
            found = index.search(vector, wanted + min(len(self._whole_of), 4 * wanted))  # fragments crowd it
            if not parts and self._whole_of:
                found = found[~self._is_part[found]]
            rows, cosines = self._best_per_whole(found, self._matrix[found] @ vector, k)
        wholes = self._fold_rows(rows).tolist()
        return [(self._engrams[self._ids[w]], float(c)) for w, c in zip(wholes, cosines.tolist(), strict=True)]

    def neighbours(self, engram_id: str) -> dict[str, float]:
        """The engrams linked to ``engram_id`` and the weights of the links (those not
        indexed yet too)."""
        row = self._rows.get(engram_id)
        if row is None:
            return dict(self._waiting.get(engram_id, {}))
        linked = {self._ids[other]: weight for other, weight in self._graph.neighbours(row)}
        for missing in self._waits_for.get(engram_id, ()):
            linked[missing] = self._waiting[missing][engram_id]
        return linked

    # -- recall -------------------------------------------------------------------------
    def pattern_complete(
        self,
        cue: str | Vector,
        top_k: int = 10,
        *,
        memory_type: MemoryType | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[tuple[Engram, float]]:
        """The engrams a partial cue (text, embedded here, or a vector) brings back, best
        first, with their scores."""
        if not self._ids or top_k <= 0:
            return []
        vector = self.embed([cue])[0] if isinstance(cue, str) else np.asarray(cue, np.float32)
        query = Cue(cue if isinstance(cue, str) else None, vector)
        return self.complete(query, top_k, memory_type=memory_type, since=since, until=until)

    def complete(
        self,
        query: Cue | Vector,
        top_k: int,
        *,
        memory_type: MemoryType | None = None,
        since: float | None = None,
        until: float | None = None,
        now: float | None = None,
        where: Callable[[Engram], bool] | None = None,
    ) -> list[tuple[Engram, float]]:
        """Pattern completion for an embedded cue (a bare vector is a cue without text);
        ``where`` keeps only matching engrams."""
        found = self.activate(
            query, top_k, memory_type=memory_type, since=since, until=until, now=now, where=where, limit=top_k
        )
        return [(a.engram, a.score) for a in found]

    def activate(
        self,
        query: Cue | Vector,
        top_k: int,
        *,
        memory_type: MemoryType | None = None,
        since: float | None = None,
        until: float | None = None,
        now: float | None = None,
        where: Callable[[Engram], bool] | None = None,
        limit: int | None = None,
        min_relevance: float | None = None,
        spread: bool = True,
    ) -> list[Activation]:
        """Everything a cue lights up, best first, with how: its own cosine, its activation
        after spreading, its score. ``top_k`` sizes the seed set as recall does; ``limit``
        cuts the list (None: every activated engram); ``spread=False`` asks the cues alone
        (no temporal context); ``min_relevance`` (× √(2 ln n)) drops what does
        not stand out from chance (recall may then return fewer than ``top_k``, or nothing).
        Reads only: nothing is strengthened."""
        n = len(self._ids)
        if n == 0 or top_k <= 0:
            return []
        vector = query.vector if isinstance(query, Cue) else query
        if vector.shape[-1] != self._dimension:
            raise ValueError(f"cue has {vector.shape[-1]} dimensions, the index holds {self._dimension}")
        config = self.config
        now = self.clock.now() if now is None else now
        text = query.text if isinstance(query, Cue) else None
        seeds_wanted = max(top_k * _SEED_FACTOR, _MIN_SEEDS)
        matched_cue = None
        index = self.approximate_index()
        if index is not None:
            matched_cue = self._match_approximately(
                index, vector, text, n, seeds_wanted, (memory_type, since, until, now, where)
            )
        if matched_cue is None:
            matched_cue = self._match_exactly(vector, text, n, seeds_wanted, (memory_type, since, until, now, where))
        mean, std = matched_cue.mean, matched_cue.std
        ids = self._ids
        seed_values = matched_cue.seed_values.astype(np.float64)
        positive = seed_values > 0  # a seed must match the cue at all (a cue that matches nothing recalls nothing)
        matched_seeds, seed_values = matched_cue.seed_rows[positive], seed_values[positive]
        seeds = self._fold_rows(matched_seeds)  # a fragment's row seeds its whole (at most one row per whole)
        # A seed passes on what it matched above the cue's typical cosine: an average memory
        # lends its neighbours nothing.
        spreading = seed_values > max(mean, 0.0)
        reached = self._graph.spread(
            seeds[spreading],
            seed_values[spreading] - mean,
            decay=config.spreading_decay,
            hops=config.spreading_hops if spread else 0,
            floor=config.spreading_floor * max(std, 1e-6),
        )
        others = reached.rows[~contains(seeds, reached.rows)]
        cand_rows = np.concatenate([seeds, others])
        # What each matched with: its own row, or the fragment of it that the cue matched best.
        matched_rows = np.concatenate([matched_seeds, others]) if self._whole_of else cand_rows
        keep = matched_cue.allowed(cand_rows)
        if keep is not None and not keep.all():
            cand_rows, matched_rows = cand_rows[keep], matched_rows[keep]
        if not cand_rows.shape[0]:
            return []
        own, matched = matched_cue.scores(matched_rows)
        lent = reached.find(cand_rows)  # where spreading reached each (-1: it did not)
        lifted = np.zeros(cand_rows.shape[0])
        lifted[lent >= 0] = reached.values[lent[lent >= 0]]
        activated = matched + lifted
        relevance = (activated - mean) / std if std > 0 else np.zeros_like(activated)
        last, stability = self._fields[cand_rows, _LAST_ACCESSED], self._fields[cand_rows, _STABILITY]
        # Every activated engram scored at once; equal, bit for bit, to
        # recall_score(activation, compute_retention(engram, now), w) per engram.
        values = recall_scores(activated, (now - last) / SECONDS_PER_HOUR, stability, config.recall_retention_weight)
        if since is None and until is None:  # a question about now: updates outrank what they revised
            stale = self._fields[cand_rows, _SUPERSEDED] > 0.0
            values = superseded_penalty(values, stale, config.superseded_rank_factor)
        bar = _relevance_bar(min_relevance, n)
        chosen = np.arange(cand_rows.shape[0]) if bar is None else np.flatnonzero(relevance >= bar)
        count = chosen.shape[0] if limit is None else max(0, min(limit, chosen.shape[0]))
        if count == 0:
            return []
        if count < chosen.shape[0]:  # the best by score, then by id: only those at the cut or above can be
            cut = np.partition(values[chosen], chosen.shape[0] - count)[chosen.shape[0] - count]
            chosen = chosen[values[chosen] >= cut]
        chosen_ids = [ids[r] for r in cand_rows[chosen].tolist()]
        ranked = zip((-values[chosen]).tolist(), chosen_ids, chosen.tolist(), strict=True)
        out = []
        engrams = self._engrams
        by_fragment = matched_rows is not cand_rows
        for negated, engram_id, j in sorted(ranked)[:count]:
            lift = int(lent[j]) if lent[j] >= 0 else None
            out.append(
                Activation(
                    engrams[engram_id],
                    float(own[j]),
                    float(activated[j]),
                    -negated,
                    lexical=float(matched[j] - own[j]),
                    spread=float(lifted[j]),
                    spread_from=None if lift is None else ids[reached.sources[lift]],
                    spread_via=None if lift is None else ids[reached.vias[lift]],
                    spread_weight=0.0 if lift is None else float(reached.weights[lift]),
                    relevance=float(relevance[j]),
                    fragment=ids[matched_rows[j]] if by_fragment and matched_rows[j] != cand_rows[j] else None,
                )
            )
        return out

    @property
    def lexicon_deferred(self) -> bool:
        """Whether a bulk load left the word index to be built at its first use."""
        return self._lexicon_stale

    def lexicon(self) -> Lexicon:
        """The word index, built from the indexed contents first if a bulk load left it
        for later (tokenising a million texts would double a store's start-up)."""
        if self._lexicon_stale:
            self._lexicon.clear()
            self._lexicon.add_many((i, self._engrams[i].content, row) for row, i in enumerate(self._ids))
            self._lexicon_stale = False
        return self._lexicon

    def approximate_index(self) -> ApproximateIndex | None:
        """The approximate index when the index is large enough for one (built, or rebuilt
        after the index doubled or shrank to a quarter, here: at the first cue that needs
        it); None while every row is compared — also when a built one found fewer than 90 %
        of the exact top 10 for a sample of the rows (vectors that do not cluster)."""
        n, threshold = len(self._ids), self.config.approximate_min_engrams
        index = self._approximate
        if threshold <= 0:
            return None  # exact search asked for (an index built before is kept up to date)
        if n < threshold // 2 or (index is None and n < threshold):
            self._approximate = None
            return None
        if index is None or n > 2 * index.trained_size or 4 * n < index.trained_size or index.exhausted:
            if index is None and self._unfit_at and n <= 2 * self._unfit_at:
                return None  # these vectors did not cluster: try again when they have doubled
            vectors = self._matrix[:n]
            config = self.config
            index, _ = ApproximateIndex.build(
                vectors,
                config.approximate_probes,
                candidates=config.approximate_candidates,
                min_recall=_MIN_APPROXIMATE_RECALL,
            )
            if index is None:
                self._approximate, self._unfit_at = None, n
                return None
            self._install(index)
        return index

    def _install(self, index: ApproximateIndex) -> None:
        n = len(self._ids)
        self._approximate, self._unfit_at = index, 0
        rows = np.random.default_rng(n).choice(n, min(n, _MOMENT_SAMPLE), replace=False)
        self._moment_sample = self._matrix[np.sort(rows)].copy()

    @property
    def approximate_wanted(self) -> bool:
        """Whether the next cue would build an approximate index (none is held, and the
        index is large enough for one): when one kept beside the store is worth reading."""
        n, threshold = len(self._ids), self.config.approximate_min_engrams
        unfit = self._unfit_at and n <= 2 * self._unfit_at  # see approximate_index
        return self._approximate is None and threshold > 0 and n >= threshold and not unfit

    def restore_kept(self, words: bytes | None, approximate: bytes | None) -> tuple[bool, bool]:
        """Take back the word index and the approximate index kept by
        :meth:`lexicon_snapshot` and :meth:`approximate_snapshot` (None: none kept) instead
        of building them after a load; whatever changed since is re-indexed. Whether each
        was taken: not if it does not fit these engrams, or is not wanted (the word index
        already built, or an approximate index held or not worth having)."""
        if self._dimension is None or not self._ids:
            return False, False
        n = len(self._ids)
        key_prints = KeyPrints.of(self._ids)
        took_words = took_approximate = False
        if words is not None and self._lexicon_stale:
            engrams = self._engrams
            if self._lexicon.restore(words, key_prints, self._ids, lambda key: engrams[key].content):
                self._lexicon_stale, took_words = False, True
        if approximate is not None and self.approximate_wanted:
            probes = self.config.approximate_probes
            index = ApproximateIndex.from_bytes(approximate, key_prints, self._matrix[:n], probes)
            if index is not None:
                self._install(index)
                took_approximate = True
        return took_words, took_approximate

    def lexicon_snapshot(self) -> bytes | None:
        """The word index as bytes to keep beside the store; None when it is not built,
        too little changed since it was built, read back or kept (:class:`~neuram_core.kept.Drift`),
        or a load of this size builds it as it goes (it is read back only where a load defers it)."""
        lexicon, engrams = self._lexicon, self._engrams
        if self._lexicon_stale or len(self._ids) < _LAZY_LEXICON or not lexicon.drift.worth_keeping(len(lexicon)):
            return None
        return lexicon.to_bytes(lambda key: engrams[key].content)

    def approximate_snapshot(self) -> bytes | None:
        """The approximate index as bytes to keep beside the store, so the next start-up
        need not build it; None when there is none, too little changed since it was
        built, read back or kept (:class:`~neuram_core.kept.Drift`), or a training point
        of its centres and code books was removed since (it is kept again once rebuilt)."""
        index = self._approximate
        if index is None or not index.keepable or not index.drift.worth_keeping(len(index)):
            return None
        return index.to_bytes(self._ids, self._matrix[: len(self._ids)])

    def _lexical(self, text: str | None, n: int, std: float) -> LexicalMatch | None:
        """What the cue's words match, or None when the word cue is off or matches nothing
        (or nothing varies): the one switch for both kinds of search."""
        if not text or self.config.lexical_weight <= 0 or std <= 0:
            return None
        match = self.lexicon().match(text, n)
        return None if match is None or match.std <= 0 else match

    def _lexical_scale(self, match: LexicalMatch, std: float) -> float:
        """BM25 rescaled so its spread over the index is ``lexical_weight`` × the cosines'
        spread: one fused score on the cosine's scale."""
        return self.config.lexical_weight * std / match.std

    def _match_exactly(
        self, vector: Vector, text: str | None, n: int, seeds_wanted: int, filters: _Filters
    ) -> _CueMatch:
        """Every row compared with the cue: the seeds are the exact best."""
        cosines = self._matrix[:n] @ vector
        mean, std = float(cosines.mean()), float(cosines.std())
        fused = cosines
        match = self._lexical(text, n, std)
        if match is not None:
            fused = cosines.copy()
            fused[match.rows] += (self._lexical_scale(match, std) * match.values).astype(np.float32)
        memory_type, since, until, now, where = filters
        allowed = self._allowed(n, memory_type, since, until, now)
        if where is not None:
            wanted = np.fromiter((_admits(where, self.whole(i)) for i in self._ids), dtype=bool, count=n)
            allowed = wanted if allowed is None else allowed & wanted
        if allowed is not None and self._whole_of:  # a fragment is reached as its whole is
            parts, wholes = self._fold()
            allowed[parts] &= (wholes >= 0) & allowed[np.maximum(wholes, 0)]
        ranked = fused if allowed is None else np.where(allowed, fused, np.float32(-np.inf)).astype(np.float32)
        rows, _ = self._best_wholes(ranked, seeds_wanted)

        def scores(rows: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
            return cosines[rows].astype(np.float64), fused[rows].astype(np.float64)

        def admitted(rows: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_] | None:
            return None if allowed is None else allowed[rows]

        return _CueMatch(rows, ranked[rows], mean, std, scores, admitted)

    def _match_approximately(
        self,
        index: ApproximateIndex,
        vector: Vector,
        text: str | None,
        n: int,
        seeds_wanted: int,
        filters: _Filters,
    ) -> _CueMatch | None:
        """The approximate index's candidates and the word cue's best rows, re-ranked
        exactly; the cue's mean and spread estimated on a fixed sample of rows. None when
        the filters keep too few candidates to trust (then every row is compared)."""
        sample = self._moment_sample @ vector
        mean, std = float(sample.mean()), float(sample.std())
        wanted = max(self.config.approximate_candidates, 2 * seeds_wanted)
        candidates = index.search(vector, wanted + min(len(self._whole_of), 4 * wanted))  # fragments crowd it
        match = self._lexical(text, n, std)
        scale = 0.0
        if match is not None:
            scale = self._lexical_scale(match, std)
            best = match.strongest(wanted)  # a positive scale keeps the order
            candidates = sorted_union(candidates, match.rows[best])

        memory_type, since, until, now, where = filters
        filtered = memory_type is not None or since is not None or until is not None or where is not None

        def admitted(rows: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_] | None:
            known = None
            if self._whole_of:  # a fragment is reached as its whole is
                rows = self._fold_rows(rows)
                known = rows >= 0
                rows = np.where(known, rows, 0)
            keep = self._allowed_rows(rows, memory_type, since, until, now)
            if known is not None and not known.all():
                keep = known if keep is None else keep & known
            if where is not None:
                found = np.fromiter((where(self._engrams[self._ids[r]]) for r in rows.tolist()), bool, len(rows))
                keep = found if keep is None else keep & found
            return keep

        def scores(rows: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
            cosines = (self._matrix[rows] @ vector).astype(np.float64)
            return cosines, cosines if match is None else cosines + scale * match.at(rows)

        _, fused = scores(candidates)
        keep = admitted(candidates)
        if keep is not None:
            kept = int(keep.sum())
            if kept < seeds_wanted or (filtered and 2 * kept < len(candidates)):
                # A filter that keeps few: its best may lie past the candidates.
                if not filtered or where is not None or self._whole_of:
                    return None  # every row compared
                return self._match_within(
                    index, vector, match, candidates.shape[0], wanted, seeds_wanted, filters, (mean, std), scores
                )
            candidates, fused = candidates[keep], fused[keep]
        best, values = self._best_per_whole(candidates, fused.astype(np.float32), seeds_wanted)
        return _CueMatch(best, values, mean, std, scores, admitted)

    def _match_within(
        self,
        index: ApproximateIndex,
        vector: Vector,
        match: LexicalMatch | None,
        searched: int,
        wanted: int,
        seeds_wanted: int,
        filters: _Filters,
        moments: tuple[float, float],
        scores: Callable[[npt.NDArray[np.intp]], tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]],
    ) -> _CueMatch | None:
        """The seeds among the rows a type or time filter allows, when the candidates held
        too few of them. The allowed rows are found in one pass over the columns. If they
        are a thirty-second of the index or fewer, each is compared with the cue (at 1M, a
        thirtieth of the rows took 26 ms where every row took 150); if more, the index is
        asked again for as many times the candidates, in as many times the clusters, as the
        filter is selective, and the word cue's best allowed rows join them. None (every
        row compared) if even those hold too few allowed rows."""
        memory_type, since, until, now, _ = filters
        n = len(self._ids)
        allowed = self._allowed(n, memory_type, since, until, now)
        if allowed is None:
            return None
        rows = np.flatnonzero(allowed)

        def admitted(at: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_] | None:
            return allowed[at]

        if _WITHIN_SHARE * rows.shape[0] > n:
            widen = n / max(rows.shape[0], 1)
            candidates = index.search(vector, math.ceil(wanted * widen), widen=widen)
            if match is not None:
                inside = np.flatnonzero(allowed[match.rows])
                best = inside[top_k_indices(match.values[inside], wanted)]
                candidates = sorted_union(candidates, match.rows[best])
            rows = candidates[allowed[candidates]]
            if rows.shape[0] < seeds_wanted or 2 * rows.shape[0] < searched:
                return None
        _, fused = scores(rows)
        best = top_k_indices(fused, seeds_wanted)
        return _CueMatch(rows[best], fused[best].astype(np.float32), *moments, scores, admitted)

    def _allowed(
        self, n: int, memory_type: MemoryType | None, since: float | None, until: float | None, now: float
    ) -> npt.NDArray[np.bool_] | None:
        """The rows a cue may reach (None: all): of the type, in the window, not expired."""
        live = self._expires_at[:n] > now  # an expired memory is hidden until sleep prunes it
        if memory_type is None and since is None and until is None:
            return None if live.all() else live
        allowed = live
        if memory_type is not None:
            allowed &= self._types[:n] == _TYPE_CODES[memory_type]
        if since is not None:
            allowed &= self._encoded_at[:n] >= since
        if until is not None:
            allowed &= self._encoded_at[:n] <= until
        return allowed

    def _allowed_rows(
        self,
        rows: npt.NDArray[np.intp],
        memory_type: MemoryType | None,
        since: float | None,
        until: float | None,
        now: float,
    ) -> npt.NDArray[np.bool_] | None:
        """:meth:`_allowed` for some rows only (None: all of them)."""
        allowed = self._expires_at[rows] > now
        if memory_type is not None:
            allowed &= self._types[rows] == _TYPE_CODES[memory_type]
        if since is not None:
            allowed &= self._encoded_at[rows] >= since
        if until is not None:
            allowed &= self._encoded_at[rows] <= until
        return None if allowed.all() else allowed

    # -- reading ---------------------------------------------------------------------------
    def listing(self, now: float, memory_type: MemoryType | None = None) -> Listing:
        """The engrams not expired at ``now`` (only those of ``memory_type``, if given), in
        no particular order, with their fields as arrays (copies): picked by the index's
        expiry and type columns, as recall picks the rows a cue may reach. A list page of
        25 out of 100k memories filters and sorts by these arrays, not by a Python pass
        over every engram (which costs tens of ms: each is an object of its own in memory);
        its owner cannot reach the columns otherwise."""
        n = len(self._ids)
        allowed = self._allowed(n, memory_type, None, None, now)
        if self._whole_of:  # fragments are read as part of their wholes
            allowed = ~self._is_part[:n] if allowed is None else allowed & ~self._is_part[:n]
        if allowed is None:
            ids = self._ids[:n]
            encoded_at, fields = self._encoded_at[:n].copy(), self._fields[:n].T.copy()
        else:
            rows = np.flatnonzero(allowed)
            ids = [self._ids[row] for row in rows.tolist()]
            encoded_at, fields = self._encoded_at[rows], self._fields[rows].T.copy()
        engrams = self._engrams
        last_accessed, stability, access_count, pinned, _ = fields  # the order of _FIELDS
        return Listing(
            [engrams[engram_id] for engram_id in ids],
            ids,
            encoded_at,
            last_accessed,
            stability,
            access_count,
            pinned == 1.0,
        )

    def get(self, engram_id: str) -> Engram | None:
        return self._engrams.get(engram_id)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, engram_id: object) -> bool:
        return engram_id in self._rows

    def indexed_ids(self) -> list[str]:
        """Every indexed id, fragments included (iteration leaves fragments out)."""
        return list(self._ids)

    def __iter__(self) -> Iterator[Engram]:
        """The indexed engrams, fragments left out (:meth:`parts` names a whole's)."""
        if not self._whole_of:
            return iter(list(self._engrams.values()))
        return iter([e for e in self._engrams.values() if e.fragment_of is None])

    @property
    def dimension(self) -> int | None:
        return self._dimension


def _relevance_bar(factor: float | None, n: int) -> float | None:
    """The relevance a result needs: ``factor`` × √(2 ln n), about the largest of n
    standard normal draws (what the best unrelated memory reaches by chance); None when
    there is no floor or too few memories to calibrate one on."""
    if not factor or n < _FLOOR_MIN_MEMORIES:
        return None
    return factor * math.sqrt(2.0 * math.log(n))


def _admits(where: Callable[[Engram], bool], engram: Engram | None) -> bool:
    """Whether ``where`` keeps ``engram`` (a fragment's whole; None: not indexed, never)."""
    return engram is not None and where(engram)


def _fields_of(engram: Engram) -> tuple[float, float, float, float, float]:
    """The row of an engram's fields that change (:data:`_FIELDS`; pinned and superseded as
    1 or 0: a recall reads them for its candidates without touching their objects)."""
    return (
        engram.last_accessed,
        engram.stability,
        float(engram.access_count),
        1.0 if engram.pinned else 0.0,
        0.0 if engram.superseded_by is None else 1.0,
    )


def _expiry(engram: Engram) -> float:
    """The row value of an engram's expiry: infinity for one that never expires (a pinned
    one's expiry waits until it is unpinned)."""
    return math.inf if engram.pinned or engram.expires_at is None else engram.expires_at
