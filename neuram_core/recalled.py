"""What an adapter hands out for a recalled memory, built in one place for every adapter.

Two rules live here so that no adapter gets them wrong on its own:

- *Look, then rehearse what was shown.* An adapter recalls with ``strengthen=False`` and
  calls ``rehearse`` on exactly the memories it shows (a retriever shows all it returns;
  a chat memory only those that reach the prompt). A memory forgotten elsewhere between
  the two steps is still shown, only not strengthened.
- *One metadata vocabulary* (:data:`RECALL_KEYS`, documented in docs/metadata.md):
  retention is read at the moment of recall, before this recall's LTP restarts the curve.

The plans here are driven by :func:`neuram_core.plan.run_sync` or ``run_async``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from neuram_core.engram import Engram
from neuram_core.errors import UnknownEngramError
from neuram_core.plan import BrainLike, Plan, call

__all__ = [
    "PROMPT_MIN_RELEVANCE",
    "RECALL_KEYS",
    "Recalled",
    "RecallingBrain",
    "look",
    "recall",
    "recalled_metadata",
    "rehearse_shown",
]

RECALL_KEYS = (
    "engram_id",
    "memory_type",
    "score",
    "retention",
    "stability_hours",
    "access_count",
    "encoded_at",
    "superseded_by",
)
"""The keys neuram adds to a recalled memory's metadata, in every adapter."""

PROMPT_MIN_RELEVANCE = 0.8
"""The relevance floor of the adapters that fill a prompt (chat memories, middleware): a
memory that does not stand out from chance is noise in a prompt. See docs/recall.md."""


def recalled_metadata(
    engram: Engram, score: float | None, retention: float, hidden: Collection[str] = ()
) -> dict[str, Any]:
    """The engram's own metadata (minus ``hidden`` keys) plus :data:`RECALL_KEYS`.

    neuram's keys win: an engram metadata key of the same name is shadowed here (it is
    still in ``brain.get(engram_id).metadata``), so a reader can always trust them."""
    own = {key: value for key, value in engram.metadata.items() if key not in hidden}
    ours: dict[str, Any] = {
        "engram_id": engram.engram_id,
        "memory_type": engram.memory_type.value,
        "score": None if score is None else float(score),
        "retention": float(retention),
        "stability_hours": engram.stability,
        "access_count": engram.access_count,
        "encoded_at": engram.encoded_at,
        "superseded_by": engram.superseded_by,  # set: a later memory revised this one
    }
    return {**own, **ours}


class RecallingBrain(BrainLike, Protocol):
    """A brain these plans can use: ``recall``/``rehearse`` (async and on ``.sync``) and
    ``retention`` by its own clock."""

    def retention(self, engram: Engram) -> float: ...


@dataclass(frozen=True, slots=True)
class Recalled:
    """One recalled memory: the engram (after this recall's LTP, if any), its recall score,
    and its retention at the moment of recall (before that LTP refreshed it)."""

    engram: Engram
    score: float
    retention: float

    def metadata(self, hidden: Collection[str] = ()) -> dict[str, Any]:
        """:func:`recalled_metadata` for this memory."""
        return recalled_metadata(self.engram, self.score, self.retention, hidden)


def look(brain: RecallingBrain, query: str, **options: Any) -> Plan[list[Recalled]]:
    """Recall without leaving a trace (no LTP), noting each memory's retention now.

    ``options`` are ``Brain.recall``'s (``top_k``, ``memory_type``, ``metadata``, ...)."""
    if "strengthen" in options:
        raise TypeError("look() never strengthens; use recall(..., strengthen=...)")
    hits = yield call(brain, "recall", query, strengthen=False, **options)
    # By the brain's clock, before any LTP restarts the curve.
    return [Recalled(engram, float(score), brain.retention(engram)) for engram, score in hits]


def rehearse_shown(brain: BrainLike, engrams: Sequence[Engram]) -> Plan[dict[str, Engram]]:
    """LTP on exactly ``engrams`` (what was shown); their strengthened versions by id.

    One forgotten meanwhile (say by another process) is left out and the rest are still
    strengthened: it was shown, it just has nothing left to strengthen."""
    ids = list(dict.fromkeys(engram.engram_id for engram in engrams))
    while ids:
        try:
            fresh: list[Engram] = yield call(brain, "rehearse", ids)
        except UnknownEngramError as gone:
            if gone.engram_id not in ids:  # not one of ours: nothing safe to retry
                return {}
            ids.remove(gone.engram_id)
            continue
        return {engram.engram_id: engram for engram in fresh}
    return {}


def recall(brain: RecallingBrain, query: str, *, strengthen: bool = True, **options: Any) -> Plan[list[Recalled]]:
    """:func:`look`, then (with ``strengthen``) LTP on everything found, as a retriever
    shows all it returns. Retention stays the value read before the LTP."""
    if not isinstance(strengthen, bool):
        raise TypeError(f"strengthen must be a bool, not {type(strengthen).__name__}")
    found = yield from look(brain, query, **options)
    if not strengthen or not found:
        return found
    fresh = yield from rehearse_shown(brain, [r.engram for r in found])
    return [dataclasses.replace(r, engram=fresh.get(r.engram.engram_id, r.engram)) for r in found]
