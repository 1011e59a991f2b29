"""The forgetting curve, LTP, salience and reward: pure functions over numbers.

Times are epoch seconds; stabilities and ages are hours, as in the seed's R(t) = e^(-t/S).
"""

from __future__ import annotations

import dataclasses
import math
from typing import overload

import numpy as np
import numpy.typing as npt

from neuram_core.clock import SystemClock
from neuram_core.config import NeuramConfig
from neuram_core.engram import Engram

__all__ = [
    "DEFAULT_CONFIG",
    "apply_recall",
    "apply_reward",
    "compute_retention",
    "encoding_stability",
    "forget_at",
    "forget_at_for",
    "hours_between",
    "ltp_boost",
    "ltp_stability",
    "recall_score",
    "recall_scores",
    "retention",
    "retentions",
    "retrieval_effort",
    "reward_factor",
    "salience_boost",
    "time_until_forgotten",
]

DEFAULT_CONFIG = NeuramConfig()
SECONDS_PER_HOUR = 3600.0
FloatArray = npt.NDArray[np.float64]
_WALL_CLOCK = SystemClock()  # only for the seed-compatible ``now=None`` defaults below


def _now_or_wall_clock(now: float | None) -> float:
    """``now``, or the wall clock for callers of the seed API that give no time."""
    return _WALL_CLOCK.now() if now is None else now


def hours_between(earlier: float, later: float) -> float:
    """Elapsed hours, never negative (clocks of two processes may disagree slightly)."""
    return max(0.0, (later - earlier) / SECONDS_PER_HOUR)


def retention(hours: float, stability: float) -> float:
    """Ebbinghaus: R(t) = e^(-t/S), t and S in hours."""
    if stability <= 0:
        return 0.0
    return math.exp(-max(0.0, hours) / stability)


def retentions(hours: FloatArray, stability: FloatArray) -> FloatArray:
    """:func:`retention` for arrays, value for value and bit for bit: recall scores every
    activated engram at once. ``math.exp`` per value, as numpy's exp may differ in the last bit."""
    positive = stability > 0
    exponent = np.divide(-np.maximum(hours, 0.0), stability, out=np.zeros_like(hours), where=positive)
    values = np.fromiter(map(math.exp, exponent.tolist()), dtype=np.float64, count=exponent.shape[0])
    values[~positive] = 0.0
    return values


def compute_retention(engram: Engram, now: float | None = None) -> float:
    """How much of ``engram`` is left at ``now``, 0–1. The core always passes its Clock's
    time; ``now=None`` reads the wall clock (:class:`SystemClock`), as the seed's API did."""
    return retention(hours_between(engram.last_accessed, _now_or_wall_clock(now)), engram.stability)


def time_until_forgotten(
    engram: Engram, now: float | None = None, threshold: float = DEFAULT_CONFIG.retention_threshold
) -> float:
    """Hours until retention falls below ``threshold`` (0 if it already has). ``now=None``
    reads the wall clock (:class:`SystemClock`), as the seed's API did."""
    now = _now_or_wall_clock(now)
    left = engram.stability * math.log(1.0 / threshold) - hours_between(engram.last_accessed, now)
    return max(0.0, left)


def forget_at(engram: Engram, threshold: float = DEFAULT_CONFIG.retention_threshold) -> float:
    """Epoch seconds at which retention crosses ``threshold``: the forget-at index score.
    A threshold of 0 is never crossed (infinity)."""
    if threshold <= 0.0:
        return math.inf
    return engram.last_accessed + engram.stability * math.log(1.0 / threshold) * SECONDS_PER_HOUR


def forget_at_for(engram: Engram, config: NeuramConfig = DEFAULT_CONFIG) -> float:
    """The forget-at score a store keeps ``engram`` by: a pending trace is due when it falls
    below ``consolidation_threshold`` (too faded to consolidate, so sleep's prune drops it),
    a consolidated one when it falls below ``retention_threshold``; an expiring one at the
    earlier of that and its ``expires_at``; a pinned one never (infinity)."""
    if engram.pinned:
        return math.inf  # never due: a pinned memory is never pruned
    threshold = config.retention_threshold if engram.consolidated else config.consolidation_threshold
    due = forget_at(engram, threshold)
    return due if engram.expires_at is None else min(due, engram.expires_at)


def salience_boost(salience: float, base: float = DEFAULT_CONFIG.salience_boost_base) -> float:
    """Amygdala's stability multiplier: base^(2·salience − 1); 1 at salience 0.5."""
    return float(base ** (2.0 * salience - 1.0))


def reward_factor(reward: float, gain: float = DEFAULT_CONFIG.reward_gain) -> float:
    """Dopamine's multiplier on a habit's stability: e^(gain·reward); <1 for negative reward."""
    return math.exp(gain * reward)


def encoding_stability(base_hours: float, salience: float, reward: float, config: NeuramConfig) -> float:
    """Stability at encoding: the type's base, boosted by salience and any reward."""
    return base_hours * salience_boost(salience, config.salience_boost_base) * reward_factor(reward, config.reward_gain)


def ltp_stability(
    stability: float, salience_boost: float, access_count: int, rate: float = DEFAULT_CONFIG.ltp_rate
) -> float:
    """Seed formula: stability + rate × salience_boost × log(1 + access_count)."""
    return stability + rate * salience_boost * math.log1p(access_count)


def retrieval_effort(retention_at_recall: float) -> float:
    """2 − R: recalling a faded memory is a bigger event than recalling a fresh one.

    Multiplying the LTP salience boost by it is what makes spaced recalls build more
    stability than massed ones (the spacing effect)."""
    return 2.0 - retention_at_recall


def ltp_boost(engram: Engram, retention_at_recall: float, config: NeuramConfig = DEFAULT_CONFIG) -> float:
    """The ``salience_boost`` term of the seed's LTP formula for one recall, in hours:
    Amygdala boost × retrieval effort (2 − R) × the type's base stability.

    The seed counted stability in units of its base stability (one hour); with bases of
    days, the same unit keeps each recall's gain in the seed's proportion (about a fifth
    of the base at the first recall), so that recall visibly strengthens a memory."""
    return (
        salience_boost(engram.salience, config.salience_boost_base)
        * retrieval_effort(retention_at_recall)
        * config.base_stability_hours[engram.memory_type]
    )


def apply_recall(engram: Engram, now: float, config: NeuramConfig = DEFAULT_CONFIG) -> Engram:
    """The engram after one recall at ``now``: counted, potentiated, its curve restarted."""
    strength = compute_retention(engram, now)
    access_count = engram.access_count + 1
    return dataclasses.replace(
        engram,
        access_count=access_count,
        stability=ltp_stability(engram.stability, ltp_boost(engram, strength, config), access_count, config.ltp_rate),
        last_accessed=max(now, engram.last_accessed),
        synaptic_strength=strength,
    )


def apply_reward(engram: Engram, reward: float, config: NeuramConfig = DEFAULT_CONFIG) -> Engram:
    """The engram after a dopamine-style reward in [-1, 1]: stability scaled, value tracked."""
    return dataclasses.replace(
        engram,
        stability=engram.stability * reward_factor(reward, config.reward_gain),
        reward=engram.reward + reward,
    )


@overload
def recall_score(activation: float, retention_now: float, weight: float) -> float: ...
@overload
def recall_score(activation: FloatArray, retention_now: FloatArray, weight: float) -> FloatArray: ...
def recall_score(
    activation: float | FloatArray, retention_now: float | FloatArray, weight: float
) -> float | FloatArray:
    """Rank score: activation × (1 − w + w × R), so vivid memories edge out faded ones.

    The one definition of the score, for one engram or (as arrays) for many."""
    return activation * (1.0 - weight + weight * retention_now)


def recall_scores(
    activation: FloatArray, hours_since_access: FloatArray, stability: FloatArray, weight: float
) -> FloatArray:
    """:func:`recall_score` of many engrams at once, from their activation, the hours since
    each was last accessed (negative: clock skew, counts as 0) and their stability: what
    the Hippocampus ranks by. Equal, bit for bit, to the scalar functions per engram."""
    return recall_score(activation, retentions(hours_since_access, stability), weight)
