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
    "interfered_stability",
    "ltp_boost",
    "ltp_stability",
    "novelty",
    "raised_salience_stability",
    "recall_score",
    "recall_scores",
    "retention",
    "retentions",
    "retrieval_effort",
    "reward_factor",
    "salience_boost",
    "superseded_penalty",
    "time_until_forgotten",
    "trace_factor",
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
    """Hours until the memory is gone: retention falls below ``threshold``, or it expires,
    whichever comes first (0 if it already has); infinity for a pinned one, which is never
    pruned. ``now=None`` reads the wall clock (:class:`SystemClock`), as the seed's API did."""
    if engram.pinned:
        return math.inf
    now = _now_or_wall_clock(now)
    left = engram.stability * math.log(1.0 / threshold) - hours_between(engram.last_accessed, now)
    if engram.expires_at is not None:
        left = min(left, (engram.expires_at - now) / SECONDS_PER_HOUR)
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
    earlier of that and its ``expires_at``; a pinned one never (infinity), nor a fragment
    (it goes when its whole goes)."""
    if engram.pinned or engram.fragment_of is not None:
        return math.inf  # never due: a pinned memory is never pruned, a fragment goes with its whole
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


def novelty(closest_cosine: float | None) -> float:
    """How new an input is, 0–1: 1 − its cosine to the closest stored memory (1 when
    nothing is stored; a negative cosine counts as unrelated). The hippocampus compares
    what comes in with what it holds, and novelty drives the dopamine that makes the new
    trace last (Lisman & Grace 2005)."""
    if closest_cosine is None:
        return 1.0
    return 1.0 - min(1.0, max(0.0, closest_cosine))


def trace_factor(salience: float, config: NeuramConfig = DEFAULT_CONFIG) -> float:
    """Synaptic tagging and capture (Frey & Morris 1997): a weak input sets only early,
    short-lived potentiation, which decays within hours to days unless a strong (salient)
    event supplies what makes it last. Perceived input of salience below
    ``tag_min_salience`` is such a weak trace: its stability × ``weak_trace_factor``, so
    sleep's prune removes chatter long before news; tagged input is captured into late,
    lasting potentiation: × ``tagged_trace_factor``."""
    return config.tagged_trace_factor if salience >= config.tag_min_salience else config.weak_trace_factor


def raised_salience_stability(
    stability: float, salience: float, raised: float, config: NeuramConfig = DEFAULT_CONFIG, *, tagged: bool = True
) -> float:
    """Stability of a perceived memory whose salience rose from ``salience`` to ``raised``
    after encoding (the listener's follow-up question marked it as news): scaled by the
    change in the Amygdala's boost and in its tag (:func:`trace_factor`), as if it had been
    encoded that salient, keeping what recalls and sleep added since. ``tagged`` False: its
    stability never carried a tag (a turn that opened a conversation), only the boost moves."""
    before = salience_boost(salience, config.salience_boost_base)
    after = salience_boost(raised, config.salience_boost_base)
    if tagged:
        before, after = before * trace_factor(salience, config), after * trace_factor(raised, config)
    return stability * after / before


def ltp_stability(
    stability: float, salience_boost: float, access_count: int, rate: float = DEFAULT_CONFIG.ltp_rate
) -> float:
    """Seed formula: stability + rate × salience_boost × log(1 + access_count)."""
    return stability + rate * salience_boost * math.log1p(access_count)


def retrieval_effort(
    retention_at_recall: float,
    scale: float = DEFAULT_CONFIG.ltp_effort_scale,
    steepness: float = DEFAULT_CONFIG.ltp_effort_steepness,
) -> float:
    """scale × (e^(steepness × (1 − R)) − 1): how much a recall at retention R teaches.

    Recalling a fresh memory (R ≈ 1) teaches almost nothing; recalling one that has begun
    to fade teaches much more. This is the spacing effect (Cepeda et al. 2006) and Bjork's
    desirable difficulty, in the shape of FSRS's stability increase e^(w10 (1 − R)) − 1
    (Ye et al. 2022; fitted w10 ≈ 1.0), after SuperMemo's two-component model (Wozniak):
    the stability gained grows as retrievability at the review falls. The scale 40 makes a
    recall of a consolidated memory, while R is still near 1, add about twice the hours
    since its previous recall (FSRS's fits give ~15×), enough that four recalls over two
    weeks build ≥ 1.5× the stability of four within an hour (docs/memory-model.md)."""
    return scale * math.expm1(steepness * (1.0 - retention_at_recall))


def ltp_boost(engram: Engram, retention_at_recall: float, config: NeuramConfig = DEFAULT_CONFIG) -> float:
    """The ``salience_boost`` term of the seed's LTP formula for one recall, in hours:
    Amygdala boost × :func:`retrieval_effort` (R) × the type's base stability.

    The seed counted stability in units of its base stability (one hour); with bases of
    days, the same unit keeps a recall's gain proportional to how much the memory was
    built to last, and the effort makes it proportional to how far it had faded."""
    return (
        salience_boost(engram.salience, config.salience_boost_base)
        * retrieval_effort(retention_at_recall, config.ltp_effort_scale, config.ltp_effort_steepness)
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


@overload
def superseded_penalty(score: float, superseded: bool, factor: float) -> float: ...
@overload
def superseded_penalty(score: FloatArray, superseded: npt.NDArray[np.bool_], factor: float) -> FloatArray: ...
def superseded_penalty(
    score: float | FloatArray, superseded: bool | npt.NDArray[np.bool_], factor: float
) -> float | FloatArray:
    """A recall score after revision: × ``factor`` for an engram a newer one supersedes, so
    for a question about now the update outranks the stale fact it replaced (applied only
    to recalls without a since/until window: history asked for is ranked as it was)."""
    if isinstance(score, np.ndarray):
        return np.where(superseded, score * factor, score)
    return score * factor if superseded else score


def interfered_stability(stability: float, factor: float) -> float:
    """Retroactive interference (Müller & Pilzecker 1900; McGeoch 1932): learning a fact
    that replaces an older one weakens the older trace, stability × ``factor``."""
    return stability * factor

