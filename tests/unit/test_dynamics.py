"""Every formula with exact numbers."""

from __future__ import annotations

import math

import pytest

from neuram_core import (
    Engram,
    MemoryType,
    NeuramConfig,
    apply_recall,
    apply_reward,
    compute_retention,
    encoding_stability,
    forget_at,
    ltp_boost,
    ltp_stability,
    recall_score,
    retention,
    retrieval_effort,
    reward_factor,
    salience_boost,
    time_until_forgotten,
)

T0 = 1_700_000_000.0
HOUR = 3600.0


def engram(stability: float = 10.0, salience: float = 0.5, last: float = T0) -> Engram:
    return Engram("x", MemoryType.EPISODIC, salience, stability=stability, last_accessed=last, encoded_at=last)


def test_retention_is_ebbinghaus_in_hours() -> None:
    assert retention(0.0, 10.0) == 1.0
    assert retention(10.0, 10.0) == pytest.approx(math.exp(-1))
    assert retention(5.0, 2.0) == pytest.approx(0.0820849986)
    assert retention(-3.0, 2.0) == 1.0  # clock skew never gives R > 1
    assert retention(1.0, 0.0) == 0.0


def test_compute_retention_reads_hours_since_last_access() -> None:
    e = engram(stability=10.0)
    assert compute_retention(e, T0 + 10 * HOUR) == pytest.approx(0.3678794412)
    assert compute_retention(e, T0) == 1.0


def test_time_until_forgotten_uses_the_5_percent_threshold() -> None:
    e = engram(stability=10.0)
    assert time_until_forgotten(e, T0) == pytest.approx(10 * math.log(20))  # 29.957 h
    assert time_until_forgotten(e, T0 + 20 * HOUR) == pytest.approx(10 * math.log(20) - 20)
    assert time_until_forgotten(e, T0 + 40 * HOUR) == 0.0
    assert time_until_forgotten(e, T0, threshold=0.5) == pytest.approx(10 * math.log(2))


def test_forget_at_is_when_retention_hits_the_threshold() -> None:
    e = engram(stability=10.0)
    at = forget_at(e)
    assert at == pytest.approx(T0 + 10 * math.log(20) * HOUR)
    assert compute_retention(e, at) == pytest.approx(0.05)


def test_ltp_is_the_seed_formula() -> None:
    # stability += 0.3 × salience_boost × log(1 + access_count)
    assert ltp_stability(10.0, 1.0, 1) == pytest.approx(10.0 + 0.3 * math.log(2))
    assert ltp_stability(10.0, 2.0, 3) == pytest.approx(10.0 + 0.3 * 2.0 * math.log(4))
    assert ltp_stability(10.0, 2.0, 0) == 10.0
    assert ltp_stability(10.0, 1.0, 1, rate=1.0) == pytest.approx(10.0 + math.log(2))


def test_salience_boost_and_reward_factor() -> None:
    assert salience_boost(0.5) == 1.0
    assert salience_boost(1.0) == 4.0
    assert salience_boost(0.0) == 0.25
    assert salience_boost(0.75) == pytest.approx(2.0)
    assert salience_boost(1.0, base=9.0) == 9.0
    assert reward_factor(0.0) == 1.0
    assert reward_factor(0.9) == pytest.approx(math.exp(0.9))
    assert reward_factor(-0.5, gain=2.0) == pytest.approx(math.exp(-1.0))


def test_encoding_stability_combines_type_salience_and_reward() -> None:
    config = NeuramConfig()
    assert encoding_stability(72.0, 0.5, 0.0, config) == 72.0
    assert encoding_stability(72.0, 1.0, 0.0, config) == 288.0
    assert encoding_stability(72.0, 0.5, 0.9, config) == pytest.approx(72.0 * math.exp(0.9))


def test_retrieval_effort_and_recall_score() -> None:
    assert retrieval_effort(1.0) == 0.0  # 40 × (e^(1 − R) − 1): a fresh memory teaches nothing
    assert retrieval_effort(0.25) == pytest.approx(40.0 * (math.exp(0.75) - 1.0))  # 44.68
    assert recall_score(0.8, 1.0, 0.2) == pytest.approx(0.8)
    assert recall_score(0.8, 0.5, 0.2) == pytest.approx(0.8 * 0.9)
    assert recall_score(0.8, 0.0, 1.0) == 0.0


def test_apply_recall_counts_potentiates_and_restarts_the_curve() -> None:
    e = engram(stability=10.0, salience=0.75)  # Amygdala boost 2.0, episodic base 168 h
    at = T0 + 10 * HOUR  # R = e^-1
    r = math.exp(-1)
    effort = 40.0 * (math.exp(1 - r) - 1)
    assert ltp_boost(e, r) == pytest.approx(2.0 * effort * 168.0)
    out = apply_recall(e, at)
    assert out.access_count == 1
    assert out.last_accessed == at
    assert out.synaptic_strength == pytest.approx(r)
    # stability += 0.3 × salience_boost × log(1 + access_count)
    assert out.stability == pytest.approx(10.0 + 0.3 * (2.0 * effort * 168.0) * math.log(2))  # 2_473.86 h
    assert e.access_count == 0  # pure: the input is untouched
    again = apply_recall(out, at + HOUR)  # massed: an hour later, access_count 2
    effort = 40.0 * (math.exp(1 - math.exp(-1 / out.stability)) - 1)
    assert again.stability == pytest.approx(out.stability + 0.3 * (2.0 * effort * 168.0) * math.log(3))  # +1.79 h


def test_apply_reward_scales_stability_and_tracks_value() -> None:
    e = engram(stability=10.0)
    assert apply_reward(e, 0.5).stability == pytest.approx(10.0 * math.exp(0.5))
    assert apply_reward(e, -0.5).stability == pytest.approx(10.0 * math.exp(-0.5))
    assert apply_reward(apply_reward(e, 0.5), 0.25).reward == 0.75


def test_config_lifetimes_match_the_documented_curve() -> None:
    config = NeuramConfig()
    days = {t: config.base_stability_hours[t] * config.consolidation_gain[t] * math.log(20) / 24 for t in MemoryType}
    assert round(days[MemoryType.EPISODIC]) == 84
    assert round(days[MemoryType.HABITUAL]) == 42
    assert round(days[MemoryType.SEMANTIC]) == 168
    assert round(days[MemoryType.PROCEDURAL]) == 419


def test_config_validates() -> None:
    with pytest.raises(ValueError, match="retention_threshold"):
        NeuramConfig(retention_threshold=0.0)
    with pytest.raises(ValueError, match="ltp_rate"):
        NeuramConfig(ltp_rate=float("nan"))
    with pytest.raises(TypeError, match="unknown config"):
        NeuramConfig().replace(nope=1)
    with pytest.raises(ValueError, match="base_stability_hours"):
        NeuramConfig(base_stability_hours={MemoryType.EPISODIC: 1.0})
    assert NeuramConfig().replace(ltp_rate=0.5).ltp_rate == 0.5
