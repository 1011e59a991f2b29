"""One ranking: the Hippocampus ranks by dynamics' score, bit for bit the scalar formula."""

from __future__ import annotations

import time

import numpy as np
import pytest

from neuram_core import Engram, HashingEmbedder, Hippocampus, ManualClock, MemoryType, NeuramConfig
from neuram_core.dynamics import (
    SECONDS_PER_HOUR,
    compute_retention,
    recall_score,
    recall_scores,
    retention,
    retentions,
    time_until_forgotten,
)

NOW = 1_700_000_000.0


def random_engrams(rng: np.random.Generator, n: int) -> list[Engram]:
    """Engrams of every kind the ranking meets, edge cases included: stability 0, a
    negative stability, a last access in the future (another process's clock), one now."""
    stabilities = [0.0, -1.0, 5.0, *rng.uniform(0.01, 500.0, n - 3)]
    offsets = [3600.0, 0.0, 7200.0, *rng.uniform(-90 * 86400.0, 3 * 3600.0, n - 3)]  # > 0: in the future
    return [
        Engram(
            f"memory {i} about topic{i % 7} and thing{i % 11}",
            list(MemoryType)[i % 4],
            0.5,
            stability=float(stability),
            last_accessed=NOW + float(offset),
            encoded_at=NOW - 86400.0,
        )
        for i, (stability, offset) in enumerate(zip(stabilities, offsets, strict=True))
    ]


def test_retentions_are_retention_bit_for_bit() -> None:
    engrams = random_engrams(np.random.default_rng(1), 300)
    hours = np.array([(NOW - e.last_accessed) / SECONDS_PER_HOUR for e in engrams])
    stability = np.array([e.stability for e in engrams])
    expected = [compute_retention(e, NOW) for e in engrams]
    assert retentions(hours, stability).tolist() == expected
    assert expected[0] == expected[1] == 0.0 and expected[2] == 1.0  # S = 0, S < 0, a future access
    assert [retention(h, s) for h, s in zip(hours.tolist(), stability.tolist(), strict=True)] == expected


@pytest.mark.parametrize("weight", [0.0, 0.2, 0.5, 1.0])
def test_recall_scores_are_recall_score_bit_for_bit(weight: float) -> None:
    rng = np.random.default_rng(2)
    engrams = random_engrams(rng, 300)
    activation = rng.uniform(0.0, 1.0, len(engrams))
    hours = np.array([(NOW - e.last_accessed) / SECONDS_PER_HOUR for e in engrams])
    stability = np.array([e.stability for e in engrams])
    scalar = [
        recall_score(a, compute_retention(e, NOW), weight) for a, e in zip(activation.tolist(), engrams, strict=True)
    ]
    assert recall_scores(activation, hours, stability, weight).tolist() == scalar


def test_the_hippocampus_ranks_by_the_one_score() -> None:
    """Every score activate gives is recall_score(activation, R(now), w), exactly, and
    the order is by that score: no second formula hides in the index."""
    clock = ManualClock(NOW)
    config = NeuramConfig()
    hpc = Hippocampus(HashingEmbedder(64), clock=clock, config=config)
    rng = np.random.default_rng(3)
    engrams = random_engrams(rng, 200)
    hpc.encode_many(engrams)
    for _ in range(300):  # associations, so that spreading reaches engrams the cue does not match
        a, b = rng.choice(len(engrams), size=2, replace=False)
        hpc.associate(engrams[a].engram_id, engrams[b].engram_id, float(rng.uniform(0.1, 1.0)))
    found = hpc.activate(hpc.embed(["memory about topic3 and thing5"])[0], 10)
    assert len(found) > 40  # seeds and their associates
    weight = config.recall_retention_weight
    for item in found:
        assert item.score == recall_score(item.activation, compute_retention(item.engram, NOW), weight)
    assert [a.score for a in found] == sorted((a.score for a in found), reverse=True)
    assert {a.engram.stability for a in found} & {0.0, -1.0}  # the edge cases were ranked too


def test_the_seed_api_reads_the_wall_clock_when_no_time_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    wall = 1_800_000_000.0
    monkeypatch.setattr(time, "time", lambda: wall)
    engram = Engram("x", MemoryType.SEMANTIC, 0.5, stability=10.0, last_accessed=wall - 5 * 3600.0)
    assert compute_retention(engram) == compute_retention(engram, wall) == pytest.approx(np.exp(-0.5))
    assert time_until_forgotten(engram) == time_until_forgotten(engram, wall)
