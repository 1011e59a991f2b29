"""Why recall brought a memory back: the parts of its score, cue by cue.

score = (similarity + lexical + spread) × retention_factor × superseded_factor, where
retention_factor = 1 − w + w × retention (w = recall_retention_weight) and
superseded_factor is superseded_rank_factor for a revised fact asked about now, else 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neuram_core.engram import Engram

__all__ = ["Explanation"]


@dataclass(frozen=True)
class Explanation:
    """One recalled memory and the parts of its score."""

    engram: Engram
    score: float
    similarity: float  # dense cue: cosine between the query and the memory
    lexical: float  # word cue: the query's rare words it holds, on the cosine's scale
    spread: float  # temporal context: what its strongest associate passed on
    spread_from: str | None  # the memory that spread started at (matched by the cues)
    spread_via: str | None  # the neighbour it arrived from
    spread_weight: float  # that edge's weight
    activation: float  # similarity + lexical + spread
    relevance: float  # activation in standard deviations above the query's mean cosine
    retention: float  # e^(-t/S) now
    retention_factor: float  # 1 − w + w × retention
    superseded_factor: float  # superseded_rank_factor for a stale fact, else 1
    fragment_id: str | None = None  # the fragment of a long text the cues matched (its similarity and words)
    fragment_content: str | None = None  # that fragment's text

    def as_dict(self) -> dict[str, Any]:
        """The parts as plain JSON-ready values (the engram as its id and content)."""
        return {
            "engram_id": self.engram.engram_id,
            "content": self.engram.content,
            "score": self.score,
            "similarity": self.similarity,
            "lexical": self.lexical,
            "spread": self.spread,
            "spread_from": self.spread_from,
            "spread_via": self.spread_via,
            "spread_weight": self.spread_weight,
            "activation": self.activation,
            "relevance": self.relevance,
            "retention": self.retention,
            "retention_factor": self.retention_factor,
            "superseded_factor": self.superseded_factor,
            "fragment_id": self.fragment_id,
            "fragment_content": self.fragment_content,
        }
