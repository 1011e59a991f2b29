"""The spacing effect (issue 16, item 1): a recall teaches as much as the memory had faded.

The formula with exact numbers, then the real engine (a Brain, the in-memory store, a
manual clock): a fact of salience 0.5, learned and slept on at day 0, rehearsed four times
within one hour on day 1 or four times on days 1, 4, 8 and 13.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from neuram_core import (
    Brain,
    Engram,
    HashingEmbedder,
    ManualClock,
    MemoryType,
    NeuramConfig,
    apply_recall,
    ltp_boost,
    retrieval_effort,
)

T0 = 1_700_000_000.0
HOUR = 3600.0
MASSED = (24.0, 24.0 + 20 / 60, 24.0 + 40 / 60, 25.0)  # hours after learning: day 1, within one hour
SPACED = (24.0, 96.0, 192.0, 312.0)  # days 1, 4, 8 and 13
FACT = "The mitochondria is the powerhouse of the cell"


# -- the formula ---------------------------------------------------------------------------------


def test_retrieval_effort_is_fsrs_shaped_and_near_zero_when_fresh() -> None:
    # 40 × (e^(1 − R) − 1)
    assert retrieval_effort(1.0) == 0.0
    assert retrieval_effort(0.0) == pytest.approx(40.0 * (math.e - 1.0))  # 68.73
    assert retrieval_effort(0.5) == pytest.approx(25.948850828)
    assert retrieval_effort(0.99) == pytest.approx(0.402006688)
    assert retrieval_effort(0.5, scale=2.0, steepness=3.0) == pytest.approx(2.0 * (math.exp(1.5) - 1.0))
    efforts = [retrieval_effort(r / 10) for r in range(11)]
    assert efforts == sorted(efforts, reverse=True)  # the more faded, the more a recall teaches


def test_ltp_boost_and_apply_recall_with_exact_numbers() -> None:
    e = Engram("x", MemoryType.EPISODIC, 0.75, stability=10.0, last_accessed=T0, encoded_at=T0)  # boost 2
    r = math.exp(-1.0)  # recalled after 10 h
    assert ltp_boost(e, r) == pytest.approx(2.0 * 40.0 * math.expm1(1.0 - r) * 168.0)  # 11_848.66 h
    out = apply_recall(e, T0 + 10 * HOUR)
    assert out.stability == pytest.approx(10.0 + 0.3 * 11_848.655_448 * math.log(2))  # 2_473.86 h
    assert (out.access_count, out.last_accessed) == (1, T0 + 10 * HOUR)
    assert out.synaptic_strength == pytest.approx(r)
    again = apply_recall(out, T0 + 10 * HOUR)  # the same moment: R = 1, nothing to learn
    assert again.stability == out.stability and again.access_count == 2


def test_effort_constants_come_from_the_config() -> None:
    config = NeuramConfig().replace(ltp_effort_scale=2.0, ltp_effort_steepness=0.5)
    e = Engram("x", MemoryType.SEMANTIC, 0.5, stability=100.0, last_accessed=T0, encoded_at=T0)
    r = math.exp(-0.5)
    assert ltp_boost(e, r, config) == pytest.approx(2.0 * math.expm1(0.5 * (1.0 - r)) * 336.0)
    for name in ("ltp_effort_scale", "ltp_effort_steepness"):
        with pytest.raises(ValueError, match=name):
            NeuramConfig().replace(**{name: 0.0})


# -- the real engine -------------------------------------------------------------------------------


async def rehearsed(hours: Sequence[float], kind: str = "semantic", *, by_recall: bool = False) -> list[float]:
    """Stability after each rehearsal at ``hours`` after learning (slept on at once)."""
    clock = ManualClock(T0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    try:
        fact = await brain.perceive(FACT, memory_type=kind, salience=0.5, gate=False)
        assert (await brain.sleep())["consolidated"] == 1
        stabilities = []
        for at in hours:
            clock.advance(T0 + at * HOUR - clock.now())
            if by_recall:
                [(fact, _)] = await brain.recall("mitochondria powerhouse of the cell", top_k=1)
            else:
                [fact] = await brain.rehearse([fact.engram_id])
            stabilities.append(fact.stability)
        return stabilities
    finally:
        await brain.close()


async def test_first_rehearsal_matches_the_formula_by_hand() -> None:
    [after] = await rehearsed([24.0])
    consolidated = 336.0 * 4.0  # semantic base × sleep's gain, salience 0.5
    gain = 0.3 * 336.0 * 40.0 * math.expm1(1.0 - math.exp(-24.0 / consolidated)) * math.log(2)
    assert after == pytest.approx(consolidated + gain) == pytest.approx(1393.903957)


async def test_semantic_spaced_over_days_builds_1_68x_massed() -> None:
    massed, spaced = await rehearsed(MASSED), await rehearsed(SPACED)
    assert massed == pytest.approx([1393.903957, 1394.963237, 1396.298885, 1397.848040])
    assert spaced == pytest.approx([1393.903957, 1622.608083, 1953.117603, 2351.571958])
    assert spaced[-1] / massed[-1] == pytest.approx(1.682280, abs=1e-6)  # ≥ 1.5×
    assert massed[-1] / massed[0] == pytest.approx(1.002830, abs=1e-6)  # three more in an hour: +0.3 % (≤ 25 %)


async def test_episodic_spaced_over_days_builds_2_13x_massed() -> None:
    massed, spaced = await rehearsed(MASSED, "episodic"), await rehearsed(SPACED, "episodic")
    assert massed == pytest.approx([721.896084, 722.918762, 724.207413, 725.700828])
    assert spaced == pytest.approx([721.896084, 942.437832, 1226.643467, 1543.565156])
    assert spaced[-1] / massed[-1] == pytest.approx(2.126999, abs=1e-6)
    assert massed[-1] / massed[0] == pytest.approx(1.005270, abs=1e-6)


async def test_three_more_within_minutes_of_learning_add_almost_nothing() -> None:
    minutes = await rehearsed([m / 60 for m in (5, 10, 15, 20)])
    assert minutes[-1] / minutes[0] <= 1.25
    assert minutes == pytest.approx([1344.173287, 1344.447904, 1344.794363, 1345.196484])


async def test_a_recall_teaches_exactly_what_a_rehearsal_does() -> None:
    assert await rehearsed(SPACED, by_recall=True) == await rehearsed(SPACED)


# -- the figure of docs/memory-model.md ------------------------------------------------------------


def test_the_docs_figure_draws_the_tested_scenario(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from benchmarks.plots import memory_model

    assert memory_model.SCHEDULES == {"massed": MASSED, "spaced": SPACED}
    spaced = asyncio.run(memory_model.rehearse_on(SPACED))
    assert spaced.stabilities == pytest.approx([1344.0, 1393.903957, 1622.608083, 1953.117603, 2351.571958])
    assert spaced.retention(T0 + 312 * HOUR + 2351.571958 * HOUR) == pytest.approx(math.exp(-1))
    [png] = memory_model.main(["--out", str(tmp_path), "--only", "spacing"])
    assert png == tmp_path / "memory-model-spacing.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
