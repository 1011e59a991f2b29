from __future__ import annotations

import numpy as np
import pytest

from neuram_core import spread_activation
from neuram_core.activation import sorted_union, top_k_indices


def test_activation_decays_by_0_6_per_hop() -> None:
    graph = {"a": {"b": 1.0}, "b": {"a": 1.0, "c": 1.0}, "c": {"b": 1.0, "d": 1.0}, "d": {"c": 1.0}}
    act = spread_activation({"a": 1.0}, graph, decay=0.6, hops=2)
    assert act == {"a": 1.0, "b": pytest.approx(0.6), "c": pytest.approx(0.36)}
    assert "d" not in act  # three hops away
    act3 = spread_activation({"a": 1.0}, graph, decay=0.6, hops=3)
    assert act3["d"] == pytest.approx(0.216)


def test_edge_weights_multiply_and_the_strongest_path_wins() -> None:
    graph = {"a": {"b": 0.5, "c": 1.0}, "c": {"b": 1.0}}
    act = spread_activation({"a": 1.0}, graph, decay=0.6, hops=2)
    # direct a-b: 0.5 × 0.6 = 0.30; via c: 0.6 × 0.6 = 0.36
    assert act["b"] == pytest.approx(0.36)


def test_seeds_keep_their_own_activation_and_floor_drops_weak_paths() -> None:
    graph = {"a": {"b": 1.0}, "b": {"a": 1.0}}
    act = spread_activation({"a": 0.5, "b": 0.9}, graph, decay=0.6, hops=2, floor=0.1)
    assert act == {"a": pytest.approx(0.54), "b": 0.9}
    assert spread_activation({"a": 0.1}, graph, floor=0.1) == {"a": 0.1}


def test_callable_neighbours() -> None:
    act = spread_activation({"x": 1.0}, lambda n: [("y", 0.5)] if n == "x" else [])
    assert act["y"] == pytest.approx(0.3)


def test_top_k_indices_best_first() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7], dtype=np.float32)
    assert top_k_indices(scores, 2).tolist() == [1, 3]
    assert top_k_indices(scores, 10).tolist() == [1, 3, 2, 0]
    assert top_k_indices(scores, 0).tolist() == []


def test_sorted_union_is_union1d() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        a = rng.choice(400, rng.integers(0, 60), replace=False).astype(np.intp)
        b = rng.choice(400, rng.integers(0, 60), replace=False).astype(np.intp)
        union = sorted_union(a, b)
        assert union.dtype == np.intp and np.array_equal(union, np.union1d(a, b))
    assert sorted_union(np.array([5, 1], dtype=np.intp), np.array([1, 9, 0], dtype=np.intp)).tolist() == [0, 1, 5, 9]
