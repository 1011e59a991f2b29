"""Every constant of the model, named, documented and overridable in one place.

Defaults are calibrated for agents whose users come back after days or weeks (the
seed's 0.1.0 forgot an unrecalled memory within hours). With R(t) = e^(-t/S) and the
5 % pruning threshold, a memory is pruned ln(20) ≈ 3.0 stability-lengths after its last
use, so the stabilities below translate into these lifetimes for an unrecalled memory of
salience 0.5 after one sleep: habitual 42 days, episodic 84 days, semantic 168 days,
procedural 419 days. Salience scales that by 0.25× (salience 0) to 4× (salience 1).
A conversation's turn ("Ann: ..." after "Ben: ..." after "Ann: ...") perceived through the
gate is also tagged: under salience 0.72 it leaves a weak trace (× 0.02, gone within days),
above it lasts twice as long; a note is not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

from neuram_core.engram import MemoryType

__all__ = ["NeuramConfig"]


def _per_type(**values: float) -> Mapping[MemoryType, float]:
    """A read-only value per memory type, by the type's value: ``_per_type(episodic=168.0, ...)``.
    A type left out is an error when the config is made (every type needs every constant)."""
    return MappingProxyType({MemoryType(kind): value for kind, value in values.items()})


_NON_NEGATIVE = frozenset(
    {
        "reward_gain",
        "spreading_floor",
        "spreading_hops",
        "lexical_weight",
        "recall_min_relevance",
        "reminding_count",
        "approximate_min_engrams",
        "answer_salience",
        "follow_up_salience",
        "novelty_salience",
        "fragment_words",
    }
)


# Counts handed to FAISS, which takes only whole numbers (a fraction fails deep inside a
# recall otherwise), and a count of words.
_WHOLE = frozenset({"approximate_min_engrams", "approximate_probes", "approximate_candidates", "fragment_words"})


@dataclass(frozen=True, slots=True)
class NeuramConfig:
    """The brain's constants. Pass ``NeuramConfig(...)`` or ``config.replace(...)`` to tune."""

    # SensoryCortex: an unattended input lingers this long, then is gone.
    sensory_buffer_seconds: float = 3.0
    # PrefrontalCortex: Miller's 7 slots; a slot not rehearsed for this long fades.
    working_memory_capacity: int = 7
    working_memory_span_seconds: float = 1800.0
    # Forgetting curve R(t) = e^(-t/S): below this retention a long-term memory is pruned.
    retention_threshold: float = 0.05
    # Stability (hours) at encoding for salience 0.5, before the Amygdala's boost.
    base_stability_hours: Mapping[MemoryType, float] = field(
        default_factory=lambda: _per_type(episodic=168.0, semantic=336.0, procedural=336.0, habitual=168.0)
    )
    # Sleep consolidation multiplies stability: the Cerebellum makes skills very hard to unlearn.
    consolidation_gain: Mapping[MemoryType, float] = field(
        default_factory=lambda: _per_type(episodic=4.0, semantic=4.0, procedural=10.0, habitual=2.0)
    )
    # A pending trace is promoted at sleep only if at least this vivid at replay.
    consolidation_threshold: float = 0.5
    # Amygdala: stability × salience_boost_base ** (2·salience − 1) (0.25× … 4× by default).
    default_salience: float = 0.5
    salience_boost_base: float = 4.0
    # LTP (seed formula): stability += ltp_rate × salience_boost × log(1 + access_count).
    ltp_rate: float = 0.3
    # Retrieval effort in that boost, FSRS-shaped: scale × (e^(steepness × (1 − R)) − 1), R at
    # recall. ~0 for a fresh memory, so spaced recalls build stability and massed ones do not.
    ltp_effort_scale: float = 40.0
    ltp_effort_steepness: float = 1.0
    # BasalGanglia: stability × e^(reward_gain × reward), reward in [-1, 1].
    reward_gain: float = 1.0
    # Partial-cue completion: the cue's words (BM25 over content-word stems, k1 and b) add to
    # the dense cosine, rescaled so their spread over the index is lexical_weight × the
    # cosines' spread (per-query standardisation; see docs/recall.md).
    lexical_weight: float = 0.7
    bm25_k1: float = 1.2
    bm25_b: float = 0.3
    # Spreading activation: a memory receives what a seed matched above the cue's mean
    # cosine × edge weight × spreading_decay per hop, added to its own match; paths weaker
    # than spreading_floor × the cosines' standard deviation are ignored.
    spreading_decay: float = 0.7
    spreading_hops: int = 1
    spreading_floor: float = 0.05
    # Knowing when nothing fits: recall keeps only what stands out from the index at least
    # this many times the best an unrelated memory would reach by chance — relevance (in
    # standard deviations above the cue's mean cosine) ≥ recall_min_relevance × √(2 ln n),
    # the expected maximum of n normal draws. 0 switches the floor off; below 8 memories
    # there is no sample to calibrate on and recall returns its top k.
    recall_min_relevance: float = 0.0
    # Reminding: a new input rehearses up to reminding_count older memories (from before the
    # temporal window) that it cues at least reminding_min_relevance standard deviations
    # above the cue's mean cosine; 0 switches reminding off.
    reminding_count: int = 3
    reminding_min_relevance: float = 4.0
    # The exchange (a conversation's turns, by speaker label): a statement that answers the
    # other speaker's question gains answer_salience (what was asked for is encoded better:
    # curiosity), and one the other speaker asks a follow-up question about gains
    # follow_up_salience (the listener's interest marks it as news). 0 switches either off.
    answer_salience: float = 0.2
    follow_up_salience: float = 0.2
    # Novelty (the hippocampal comparator; Lisman & Grace 2005): a conversation's turn gains
    # novelty_salience × (1 − its cosine to the closest stored memory), so news far from
    # all that is known outlasts another turn of familiar chatter. 0 switches it off.
    novelty_salience: float = 0.3
    # Synaptic tagging: a conversation's turn (exchange.in_conversation) through the gate,
    # appraised below tag_min_salience, leaves only a weak trace, its stability ×
    # weak_trace_factor, gone within days unless rehearsed; a tagged turn lasts ×
    # tagged_trace_factor. A note, a caller's salience=, a deliberate write (gate=False) and
    # a rewrite are encoded as given. tag_min_salience 0 with tagged_trace_factor 1 switches
    # tagging off.
    tag_min_salience: float = 0.72
    weak_trace_factor: float = 0.02
    tagged_trace_factor: float = 2.0
    # Approximate search (approximate.py): from this many engrams on, a cue is matched against
    # an inverted file of 4-bit codes (the closest approximate_probes of 1,024 clusters,
    # scaled by √(clusters / 1,024) at other sizes), then the best 8 × approximate_candidates are
    # re-ranked exactly; below it, for a recall whose metadata predicate keeps few
    # candidates, and for vectors the clusters do not fit, every row is compared (a type or
    # time filter compares the rows it allows, or searches wider). 0 always searches exactly.
    approximate_min_engrams: int = 50_000
    approximate_probes: int = 64
    approximate_candidates: int = 128
    # Fragments: a text of more than fragment_words words is also held as fragments of at
    # most that many (whole sentences), each with its own embedding, so a cue that matches
    # any part of it completes the whole (a model reads only a text's first ~256 word
    # pieces). Chosen on LoCoMo sessions as notes, conversations 1–5 (benchmarks/long_notes.py).
    # 0 switches fragments off.
    fragment_words: int = 60
    # Hippocampus: items perceived within this window are linked (weight e^(-Δt/window)).
    temporal_window_seconds: float = 300.0
    temporal_links: int = 3
    # Recall ranks by activation × (1 − w + w × retention): vivid memories come first.
    recall_retention_weight: float = 0.2
    default_top_k: int = 5
    # Updates (revision.py): a new engram revises one of its nearest neighbours when their
    # cosine is at least this, their specifics differ and it has a revising cue; a recall
    # without since/until scores the older × superseded_rank_factor, and the revision scales
    # the older's stability by interference_factor (retroactive interference).
    revision_min_cosine: float = 0.4
    revision_neighbours: int = 5
    superseded_rank_factor: float = 0.5
    interference_factor: float = 0.5
    # Paraphrase: at least this cosine and no specific or polarity apart rehearses the older.
    paraphrase_min_cosine: float = 0.8
    # Thalamus: fewer content words than this is noise; off-task below this cosine to the focus.
    thalamus_min_content_words: int = 2
    thalamus_focus_threshold: float = 0.15
    # Sleep: how often the background cycle runs, and how long its lock lives.
    sleep_interval_seconds: float = 30.0
    sleep_lock_seconds: float = 60.0
    prune_batch: int = 1000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                missing = set(MemoryType) - set(value)
                if missing:
                    raise ValueError(f"{f.name} lacks {sorted(m.name for m in missing)}")
                for v in value.values():
                    _check_positive(f.name, v)
                object.__setattr__(self, f.name, MappingProxyType(dict(value)))
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{f.name} must be a number, not {type(value).__name__}")
            elif f.name in _WHOLE and not isinstance(value, int):
                raise TypeError(f"{f.name} must be a whole number, not {value!r}")
            elif f.name in {
                "retention_threshold",
                "consolidation_threshold",
                "default_salience",
                "recall_retention_weight",
                "revision_min_cosine",
                "superseded_rank_factor",
                "interference_factor",
                "paraphrase_min_cosine",
                "bm25_b",
                "tag_min_salience",
                "weak_trace_factor",
            }:
                if not 0.0 <= value <= 1.0 or (f.name in {"retention_threshold", "weak_trace_factor"} and value == 0):
                    raise ValueError(f"{f.name} must lie in (0, 1], got {value!r}")
            elif f.name in _NON_NEGATIVE:
                if not math.isfinite(value) or value < 0:
                    raise ValueError(f"{f.name} must be finite and >= 0, got {value!r}")
            else:
                _check_positive(f.name, value)
        if not 0 < self.spreading_decay <= 1:
            raise ValueError("spreading_decay must lie in (0, 1]")

    def replace(self, **changes: object) -> NeuramConfig:
        """A copy with some constants changed (validated like the original)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"unknown config field(s): {', '.join(sorted(unknown))}")
        values.update(changes)
        return NeuramConfig(**values)

    @property
    def forget_after_stabilities(self) -> float:
        """ln(1/threshold): how many stability-lengths a memory lasts unrecalled (≈3.0)."""
        return math.log(1.0 / self.retention_threshold)


def _check_positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
