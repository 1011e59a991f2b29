"""The association graph between rows of an index, and spreading activation over it.

An engram's edges live in fixed-width arrays of its row (a few links each: the temporal
ones perceive makes, and theirs back), not in a dict of dicts by id: ~73 bytes an engram
where the dicts took ~310, and a recall spreads from its seeds in a few numpy steps where a
Python loop over every edge took a fifth of its time. A row with more edges than the width
keeps the rest in a small dict of its own. Edges keep their insertion order, which decides
ties, as a dict's did. Pure numpy: no ids, no I/O (the Hippocampus maps rows to ids).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from neuram_core.activation import contains

__all__ = ["AssociationGraph", "Reached"]

_WIDTH = 6  # edges a row holds in place: the 3 temporal links perceive makes, and 3 back


class Reached(NamedTuple):
    """The rows a spread reached, ascending, and for each the strongest path to it: its
    value, the seed it started at, the neighbour it arrived from and that last edge's
    weight (clamped to [0, 1])."""

    rows: npt.NDArray[np.intp]
    values: npt.NDArray[np.float64]
    sources: npt.NDArray[np.intp]
    vias: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]

    def find(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """Where each of ``rows`` is in this (-1 for a row not reached)."""
        if not self.rows.shape[0]:
            return np.full(rows.shape[0], -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(self.rows, rows), self.rows.shape[0] - 1)
        return np.where(self.rows[at] == rows, at, -1)


def _nothing_reached() -> Reached:
    none = np.zeros(0, dtype=np.intp)
    return Reached(none, np.zeros(0), none, none, np.zeros(0))


class AssociationGraph:
    """Symmetric weighted edges between rows; a repeated edge keeps its largest weight
    (never below 0). Rows move with :meth:`move` when their index swap-deletes one."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """No rows, no edges."""
        self._to: npt.NDArray[np.int32] = np.full((0, _WIDTH), -1, dtype=np.int32)
        self._weight: npt.NDArray[np.float64] = np.zeros((0, _WIDTH), dtype=np.float64)
        self._degree: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)  # edges in place
        self._more: dict[int, dict[int, float]] = {}  # a row's edges past the width, in order

    def reserve(self, rows: int) -> None:
        """Room for rows 0 … ``rows`` − 1 (grown by doubling as links need)."""
        have = self._degree.shape[0]
        if rows <= have:
            return
        size = max(rows, 2 * have)
        to = np.full((size, _WIDTH), -1, dtype=np.int32)
        weight = np.zeros((size, _WIDTH), dtype=np.float64)
        degree = np.zeros(size, dtype=np.uint8)
        to[:have], weight[:have], degree[:have] = self._to, self._weight, self._degree
        self._to, self._weight, self._degree = to, weight, degree

    def link(self, a: int, b: int, weight: float) -> None:
        """An edge between rows ``a`` and ``b`` (none from a row to itself)."""
        if a == b:
            return
        self.reserve(max(a, b) + 1)
        self._add(a, b, weight)
        self._add(b, a, weight)

    def link_from(self, a: int, edges: list[tuple[int, float]]) -> None:
        """:meth:`link` ``a`` to each of ``edges`` (row, weight), skipping at once those
        it holds at that weight or more (a refresh after each recall re-reads them all)."""
        have = dict(self.neighbours(a))
        for b, weight in edges:
            old = have.get(b)
            if old is None or weight > old:
                self.link(a, b, weight)
                have[b] = weight

    def link_many(self, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp], weights: npt.NDArray[np.float64]) -> None:
        """:meth:`link` for each (a[k], b[k], weights[k]) in turn, in a few array passes (a
        load links a million engrams): the same edges, weights and order."""
        keep = a != b
        if not keep.any():
            return
        a, b, weights = a[keep], b[keep], weights[keep]
        self.reserve(int(max(a.max(), b.max())) + 1)
        # Each edge both ways, in the order link adds them; after the edges the rows had.
        sources = np.stack([a, b], axis=1).ravel()
        targets = np.stack([b, a], axis=1).ravel()
        weights = np.repeat(weights.astype(np.float64), 2)
        rows = np.unique(sources)
        had_targets, had_weights, had_at = self._edges_from(rows)
        sources = np.concatenate([rows[had_at], sources])
        targets = np.concatenate([had_targets, targets])
        weights = np.concatenate([had_weights, weights])
        size = np.int64(self._degree.shape[0])
        pairs, first, inverse = np.unique(
            sources.astype(np.int64) * size + targets, return_index=True, return_inverse=True
        )
        strongest = np.zeros(pairs.shape[0])  # a repeated edge keeps its largest weight, never below 0
        np.fmax.at(strongest, inverse.reshape(-1), weights)  # fmax: NaN counts as nothing
        pair_sources, pair_targets = pairs // size, pairs % size
        order = np.lexsort((first, pair_sources))  # by row, each row's edges as first made
        pair_sources, pair_targets, strongest = pair_sources[order], pair_targets[order], strongest[order]
        starts = np.flatnonzero(np.r_[True, pair_sources[1:] != pair_sources[:-1]])
        counts = np.diff(np.r_[starts, pair_sources.shape[0]])
        rank = np.arange(pair_sources.shape[0]) - np.repeat(starts, counts)
        self._to[rows], self._weight[rows], self._degree[rows] = -1, 0.0, 0
        if self._more:
            for row in rows.tolist():
                self._more.pop(row, None)
        placed = rank < _WIDTH
        self._to[pair_sources[placed], rank[placed]] = pair_targets[placed]
        self._weight[pair_sources[placed], rank[placed]] = strongest[placed]
        self._degree[pair_sources[starts]] = np.minimum(counts, _WIDTH)
        for source, target, weight in zip(
            pair_sources[~placed].tolist(), pair_targets[~placed].tolist(), strongest[~placed].tolist(), strict=True
        ):
            self._more.setdefault(source, {})[target] = weight

    def weight(self, a: int, b: int) -> float | None:
        """The weight of the edge from ``a`` to ``b``, None if there is none."""
        for other, weight in self.neighbours(a):
            if other == b:
                return weight
        return None

    def neighbours(self, row: int) -> list[tuple[int, float]]:
        """``row``'s edges in the order they were made: (neighbour row, weight)."""
        if row >= self._degree.shape[0]:
            return []
        degree = int(self._degree[row])
        edges = list(zip(self._to[row, :degree].tolist(), self._weight[row, :degree].tolist(), strict=True))
        more = self._more.get(row)
        if more:
            edges.extend(more.items())
        return edges

    def drop(self, row: int) -> list[int]:
        """Remove every edge of ``row``; the rows that lose an edge to it."""
        others = [other for other, _ in self.neighbours(row)]
        for other in others:
            self._unlink(other, row)
        if row < self._degree.shape[0]:
            self._to[row] = -1
            self._weight[row] = 0.0
            self._degree[row] = 0
        self._more.pop(row, None)
        return others

    def move(self, source: int, target: int) -> None:
        """Row ``source``'s edges now belong to ``target`` (a swap-delete), which holds
        none (:meth:`drop` it first); each neighbour keeps the edge in its place."""
        if source == target or source >= self._degree.shape[0]:
            return
        self.reserve(target + 1)
        for other, _ in self.neighbours(source):
            at = self._slot(other, source)
            if at >= 0:
                self._to[other, at] = target
            else:
                more = self._more[other]
                self._more[other] = {(target if k == source else k): w for k, w in more.items()}
        self._to[target], self._weight[target], self._degree[target] = (
            self._to[source],
            self._weight[source],
            self._degree[source],
        )
        self._to[source], self._weight[source], self._degree[source] = -1, 0.0, 0
        moved = self._more.pop(source, None)
        if moved is not None:
            self._more[target] = moved

    def _slot(self, a: int, b: int) -> int:
        """Where ``a`` holds its edge to ``b`` in place (-1: past the width, or none)."""
        held = self._to[a, : int(self._degree[a])].tolist()  # a handful: a list is quicker to search than an array
        return held.index(b) if b in held else -1

    def _add(self, a: int, b: int, weight: float) -> None:
        at = self._slot(a, b)
        if at >= 0:
            if weight > self._weight[a, at]:
                self._weight[a, at] = weight
            return
        more = self._more.get(a)
        if more is not None and b in more:
            old = more[b]
            more[b] = weight if weight > old else old
            return
        weight = weight if weight > 0.0 else 0.0  # NaN and negative weights count as 0
        degree = int(self._degree[a])
        if degree < _WIDTH:
            self._to[a, degree], self._weight[a, degree] = b, weight
            self._degree[a] = degree + 1
        else:
            self._more.setdefault(a, {})[b] = weight

    def _unlink(self, a: int, b: int) -> None:
        """Remove the edge from ``a`` to ``b``; the edges after it close up, in order."""
        i = self._slot(a, b)
        more = self._more.get(a)
        if i < 0:
            if more is not None:
                more.pop(b, None)
                if not more:
                    del self._more[a]
            return
        degree = int(self._degree[a])
        self._to[a, i : degree - 1] = self._to[a, i + 1 : degree].copy()
        self._weight[a, i : degree - 1] = self._weight[a, i + 1 : degree].copy()
        if more:  # the first edge past the width takes the freed place
            other = next(iter(more))
            self._to[a, degree - 1], self._weight[a, degree - 1] = other, more.pop(other)
            if not more:
                del self._more[a]
        else:
            self._to[a, degree - 1], self._weight[a, degree - 1] = -1, 0.0
            self._degree[a] = degree - 1

    def _edges_from(
        self, rows: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.intp]]:
        """Every edge of ``rows``, in their order and each row's edges in theirs: the
        neighbour, the weight and the position in ``rows`` of the row it leaves."""
        inside = rows < self._degree.shape[0]  # a row past the arrays has no edges
        if inside.all():
            to, weight = self._to[rows], self._weight[rows]
        else:
            to = np.full((rows.shape[0], _WIDTH), -1, dtype=np.int32)
            weight = np.zeros((rows.shape[0], _WIDTH), dtype=np.float64)
            to[inside], weight[inside] = self._to[rows[inside]], self._weight[rows[inside]]
        starts, slots = np.nonzero(to >= 0)  # row by row, each row's edges in order
        targets, weights = to[starts, slots].astype(np.intp), weight[starts, slots]
        if self._more:
            more = self._more
            extra = [(i, other, w) for i, row in enumerate(rows.tolist()) for other, w in more.get(row, {}).items()]
            if extra:
                where, others, more_weights = zip(*extra, strict=True)
                starts = np.concatenate([starts, np.array(where, dtype=np.intp)])
                targets = np.concatenate([targets, np.array(others, dtype=np.intp)])
                weights = np.concatenate([weights, np.array(more_weights, dtype=np.float64)])
                order = np.argsort(starts, kind="stable")  # a row's own edges, then its others
                starts, targets, weights = starts[order], targets[order], weights[order]
        return targets, weights, starts

    def spread(
        self,
        seeds: npt.NDArray[np.intp],
        values: npt.NDArray[np.float64],
        *,
        decay: float,
        hops: int,
        floor: float,
    ) -> Reached:
        """What each row reached from ``seeds`` receives over at least one edge: the
        strongest path seed × Π(edge weight × decay) of at most ``hops`` edges (weights
        clamped to [0, 1], NaN as 0), and where it came from (spreading activation, Collins
        & Loftus 1975). A seed's own value is not counted: recall adds this to a row's own
        match, so a memory perceived next to a strong match is lifted by its context
        (temporal context, Howard & Kahana 2002). Seeds of value ≤ 0 spread nothing; a path
        at most ``floor`` stops, and none returns to its own seed. Ties go to the earlier
        seed, then the earlier edge; a later hop must beat what an earlier one gave."""
        positive = values > 0
        front, front_values, front_sources = seeds[positive], values[positive].astype(np.float64), seeds[positive]
        best = _nothing_reached()
        for _ in range(hops):
            if not front.shape[0]:
                break
            targets, weights, starts = self._edges_from(front)
            weights = np.minimum(weights, 1.0)  # held at 0 or more (NaN as 0): clamped to [0, 1]
            reached = front_values[starts] * weights * decay
            sources = front_sources[starts]
            ok = (reached > floor) & (targets != sources)
            targets, weights, reached, sources, vias = (
                targets[ok],
                weights[ok],
                reached[ok],
                sources[ok],
                front[starts[ok]],
            )
            if not targets.shape[0]:
                break
            known = np.full(targets.shape[0], -np.inf)
            at = best.find(targets)
            known[at >= 0] = best.values[at[at >= 0]]
            beats = reached > known
            if not beats.any():
                break
            # Per target: its strongest path this hop (the first on ties), if it beats the best before.
            order = np.lexsort((np.arange(targets.shape[0]), -reached, targets))
            first = np.ones(order.shape[0], dtype=np.bool_)
            first[1:] = targets[order[1:]] != targets[order[:-1]]
            winners = order[first]
            winners = winners[beats[winners]]
            # The next hop starts from them in the order a walk over the edges improves them.
            _, first_beat = np.unique(targets[beats], return_index=True)
            improved_at = np.flatnonzero(beats)[first_beat]  # ascending by target, as winners
            walk = np.argsort(improved_at, kind="stable")
            winners = winners[walk]
            front, front_values, front_sources = targets[winners], reached[winners], sources[winners]
            kept = ~contains(front, best.rows)
            merged = Reached(
                np.concatenate([best.rows[kept], front]),
                np.concatenate([best.values[kept], front_values]),
                np.concatenate([best.sources[kept], front_sources]),
                np.concatenate([best.vias[kept], vias[winners]]),
                np.concatenate([best.weights[kept], weights[winners]]),
            )
            order = np.argsort(merged.rows, kind="stable")
            best = Reached(
                merged.rows[order],
                merged.values[order],
                merged.sources[order],
                merged.vias[order],
                merged.weights[order],
            )
        return best
