"""The association graph between rows: edges kept in fixed-width arrays (and a dict past
them), moved with their rows, and spreading activation over them in array steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuram_core import Engram, HashingEmbedder, MemoryType
from neuram_core.association import AssociationGraph, Reached
from neuram_core.regions.hippocampus import Hippocampus


def _spread_by_walk(
    seeds: list[tuple[int, float]], graph: AssociationGraph, decay: float, hops: int, floor: float
) -> dict[int, tuple[float, int, int, float]]:
    """The strongest paths by a plain walk over every edge, one at a time (how recall
    spread before the arrays): row -> (value, seed, via, weight)."""
    best: dict[int, tuple[float, int, int, float]] = {}
    frontier = {row: (value, row) for row, value in seeds if value > 0}
    for _ in range(hops):
        improved: dict[int, tuple[float, int]] = {}
        for node, (activation, source) in frontier.items():
            for other, weight in graph.neighbours(node):
                weight = min(max(weight, 0.0), 1.0)
                value = activation * weight * decay
                if value <= floor or other == source:
                    continue
                known = best.get(other)
                if known is None or value > known[0]:
                    best[other] = (value, source, node, weight)
                    improved[other] = (value, source)
        if not improved:
            break
        frontier = improved
    return best


def _as_dict(reached: Reached) -> dict[int, tuple[float, int, int, float]]:
    return {
        int(r): (float(v), int(s), int(via), float(w))
        for r, v, s, via, w in zip(*reached, strict=True)
    }


def _spread(graph: AssociationGraph, seeds: list[tuple[int, float]], **how: float) -> Reached:
    rows = np.array([r for r, _ in seeds], dtype=np.intp)
    values = np.array([v for _, v in seeds], dtype=np.float64)
    decay, hops, floor = how.get("decay", 0.7), int(how.get("hops", 1)), how.get("floor", 0.0)
    return graph.spread(rows, values, decay=decay, hops=hops, floor=floor)


def test_one_hop_gives_each_neighbour_seed_times_weight_times_decay() -> None:
    graph = AssociationGraph()
    graph.link(0, 1, 0.5)
    graph.link(0, 2, 1.0)
    graph.link(3, 2, 0.8)
    reached = _as_dict(_spread(graph, [(0, 0.4), (3, 1.0)], decay=0.7))
    # 1: 0.4 × 0.5 × 0.7 = 0.14 from 0; 2: 0.4 × 1.0 × 0.7 = 0.28 from 0, beaten by 1.0 × 0.8 × 0.7 = 0.56 from 3
    assert reached == {1: (pytest.approx(0.14), 0, 0, 0.5), 2: (pytest.approx(0.56), 3, 3, 0.8)}


def test_a_seed_is_lifted_by_another_seed_but_never_by_its_own_path_back() -> None:
    graph = AssociationGraph()
    graph.link(0, 1, 1.0)
    reached = _as_dict(_spread(graph, [(0, 1.0), (1, 0.5)], decay=0.5, hops=2))
    # 1 gets 1.0 × 1 × 0.5 = 0.5 from 0; 0 gets 0.5 × 0.5 = 0.25 from 1; 0 → 1 → 0 is its own path back
    assert reached == {1: (0.5, 0, 0, 1.0), 0: (0.25, 1, 1, 1.0)}


def test_two_hops_go_through_a_neighbour_and_the_floor_stops_weak_paths() -> None:
    graph = AssociationGraph()
    graph.link(0, 1, 1.0)
    graph.link(1, 2, 0.5)
    reached = _as_dict(_spread(graph, [(0, 1.0)], decay=0.6, hops=2))
    assert reached == {1: (0.6, 0, 0, 1.0), 2: (pytest.approx(0.18), 0, 1, 0.5)}
    assert set(_as_dict(_spread(graph, [(0, 1.0)], decay=0.6, hops=2, floor=0.2))) == {1}
    assert set(_as_dict(_spread(graph, [(0, 1.0)], decay=0.6, hops=1))) == {1}
    assert _spread(graph, [(0, 1.0)], hops=0).rows.shape == (0,)
    assert _spread(graph, [(0, 0.0), (1, -1.0)], hops=2).rows.shape == (0,)  # seeds of value ≤ 0 spread nothing


def test_weights_are_clamped_and_a_repeated_edge_keeps_the_largest() -> None:
    graph = AssociationGraph()
    graph.link(0, 1, 3.0)  # clamped to 1 when it spreads
    graph.link(0, 2, float("nan"))  # held as 0
    graph.link(0, 3, -1.0)  # held as 0
    graph.link(0, 4, 0.2)
    graph.link(4, 0, 0.6)
    graph.link(0, 4, 0.4)
    assert graph.neighbours(0) == [(1, 3.0), (2, 0.0), (3, 0.0), (4, 0.6)]
    assert graph.neighbours(4) == [(0, 0.6)]
    reached = _as_dict(_spread(graph, [(0, 1.0)], decay=0.5))
    assert reached == {1: (0.5, 0, 0, 1.0), 4: (0.3, 0, 0, 0.6)}


def test_edges_past_the_width_keep_their_order_through_drops_and_moves() -> None:
    graph = AssociationGraph()
    for other in range(1, 11):
        graph.link(0, other, other / 10)
    assert [r for r, _ in graph.neighbours(0)] == list(range(1, 11))
    graph.drop(3)
    graph.drop(9)
    assert [r for r, _ in graph.neighbours(0)] == [1, 2, 4, 5, 6, 7, 8, 10]
    graph.link(0, 11, 0.5)  # a new edge comes after the others, wherever they are held
    assert [r for r, _ in graph.neighbours(0)] == [1, 2, 4, 5, 6, 7, 8, 10, 11]
    graph.drop(11)
    graph.drop(1)
    graph.move(10, 1)  # a swap-delete: row 10 now lives at row 1
    assert graph.neighbours(0) == [(2, 0.2), (4, 0.4), (5, 0.5), (6, 0.6), (7, 0.7), (8, 0.8), (1, 1.0)]
    assert graph.neighbours(1) == [(0, 1.0)] and graph.neighbours(10) == []
    graph.drop(2)
    graph.move(0, 2)
    assert [r for r, _ in graph.neighbours(2)] == [4, 5, 6, 7, 8, 1]
    assert all(graph.neighbours(r) == [(2, w)] for r, w in graph.neighbours(2))
    assert graph.neighbours(0) == []


def test_link_many_makes_what_linking_one_at_a_time_makes() -> None:
    rng = np.random.default_rng(5)
    one, many = AssociationGraph(), AssociationGraph()
    for graph in (one, many):
        graph.link(2, 5, 0.3)
        for other in range(10, 20):  # a row past the width before the batch
            graph.link(7, other, 0.1)
    a = rng.integers(0, 40, 400)
    b = rng.integers(0, 40, 400)
    weights = rng.choice([0.1, 0.5, 0.9, 1.5, -0.5, float("nan")], 400)
    for x, y, w in zip(a.tolist(), b.tolist(), weights.tolist(), strict=True):
        one.link(x, y, w)
    many.link_many(a, b, weights)
    for row in range(45):
        assert many.neighbours(row) == one.neighbours(row)
    assert max(len(one.neighbours(r)) for r in range(40)) > 6  # some rows hold edges past the width


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_spreading_in_arrays_matches_a_walk_over_every_edge(hops: int) -> None:
    rng = np.random.default_rng(hops)
    graph = AssociationGraph()
    for _ in range(600):  # some rows past the width; weights from a few values, so paths tie
        graph.link(int(rng.integers(0, 120)), int(rng.integers(0, 120)), float(rng.choice([0.25, 0.5, 1.0, 1.25])))
    for trial in range(20):
        rows = rng.choice(120, size=12, replace=False)
        values = rng.choice([-0.1, 0.2, 0.4, 0.8], size=12)
        seeds = list(zip(rows.tolist(), values.tolist(), strict=True))
        floor = 0.0 if trial % 2 else 0.05
        expected = _spread_by_walk(seeds, graph, 0.5, hops, floor)
        assert _as_dict(_spread(graph, seeds, decay=0.5, hops=hops, floor=floor)) == expected
        assert expected  # the test compares something


def _engram(engram_id: str, links: list[tuple[str, float]], at: float = 0.0) -> Engram:
    kind = MemoryType.EPISODIC
    return Engram(f"text of {engram_id}", kind, 0.5, engram_id=engram_id, associations=links, encoded_at=at)


def test_an_edge_to_an_engram_not_indexed_yet_waits_for_it() -> None:
    hpc = Hippocampus(HashingEmbedder(32))
    hpc.encode(_engram("a", [("b", 0.5)]))
    assert hpc.neighbours("a") == {"b": 0.5} and hpc.neighbours("b") == {"a": 0.5}
    hpc.encode_many([_engram("c", []), _engram("b", [])])
    assert hpc.neighbours("b") == {"a": 0.5} and hpc.neighbours("a") == {"b": 0.5}
    hpc.remove("a")
    assert hpc.neighbours("b") == {}
    hpc.encode(_engram("d", [("e", 0.9)]))
    hpc.remove("d")  # what waited for e with it goes too
    hpc.encode(_engram("e", []))
    hpc.encode(_engram("d", []))
    assert hpc.neighbours("e") == {} and hpc.neighbours("d") == {}


def test_a_swap_delete_keeps_each_engram_its_own_edges() -> None:
    hpc = Hippocampus(HashingEmbedder(32))
    hpc.encode_many([_engram(f"n{i}", [(f"n{i - 1}", 0.9)] if i else [], float(i)) for i in range(8)])
    hpc.remove("n2")  # n7's row moves into n2's
    assert hpc.neighbours("n1") == {"n0": 0.9}
    assert hpc.neighbours("n3") == {"n4": 0.9}
    assert hpc.neighbours("n7") == {"n6": 0.9}
    assert hpc.neighbours("n6") == {"n5": 0.9, "n7": 0.9}
    assert [i for i, _ in hpc.get("n3").associations] == []  # type: ignore[union-attr]
    assert [i for i, _ in hpc.get("n1").associations] == ["n0"]  # type: ignore[union-attr]
    vector = hpc.get("n6").embedding  # type: ignore[union-attr]
    found = {a.engram.engram_id: a for a in hpc.activate(vector, 3, limit=None)}
    assert found["n7"].spread_from == "n6" and math.isclose(found["n7"].spread_weight, 0.9)
