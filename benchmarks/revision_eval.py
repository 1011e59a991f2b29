"""Updates and paraphrases through a real Brain: the rates of issue 16, items 2 and 3.

Every pair of ``tests/data/revision_pairs.json`` runs in a fresh Brain (embedded store in
memory, the default model, a ManualClock): the older statement is perceived and slept on,
the newer one a month later, and slept on. Half A (even indices) chose the constants of
``NeuramConfig``; half B (odd indices) is held out. Prints one table of rates per half.

    python -m benchmarks.revision_eval
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuram_core import Brain, ManualClock
from neuram_core.embeddings import resolve_embedder
from neuram_core.types import Embedder

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "revision_pairs.json"
MONTH = 30 * 86400.0
DAY = 86400.0


@dataclass(frozen=True)
class PairOutcome:
    """What the Brain made of one pair: the newer linked to the older, merged into it, and
    (for an update) whether the newer came first for the question about now."""

    linked: bool
    merged: bool
    newer_first: bool | None = None


def load_pairs(path: Path = PAIRS) -> dict[str, list[dict[str, str]]]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, list)}


def half(items: Sequence[dict[str, str]], which: str) -> list[dict[str, str]]:
    """Half A: the items at even indices (constants chosen on them); B: odd (held out)."""
    return [item for i, item in enumerate(items) if i % 2 == (0 if which == "A" else 1)]


def run_pair(embedder: Embedder, older: str, newer: str, question: str | None, gap: float) -> PairOutcome:
    """Perceive ``older``, sleep, ``gap`` seconds later ``newer``, sleep; then ask ``question``."""
    clock = ManualClock()
    brain = Brain.open(path=":memory:", embedder=embedder, clock=clock)
    try:
        first = brain.sync.perceive(older)
        brain.sync.sleep()
        clock.advance(gap)
        second = brain.sync.perceive(newer)
        brain.sync.sleep()
        merged = second.engram_id == first.engram_id
        linked = not merged and second.supersedes == first.engram_id
        if question is None:
            return PairOutcome(linked, merged)
        ranked = [e.engram_id for e, _ in brain.sync.recall(question, top_k=10, strengthen=False)]
        newer_first = second.engram_id in ranked and (
            first.engram_id not in ranked or ranked.index(second.engram_id) < ranked.index(first.engram_id)
        )
        return PairOutcome(linked, merged, newer_first)
    finally:
        brain.sync.close()


def rate(outcomes: Sequence[PairOutcome], measure: Callable[[PairOutcome], bool | None]) -> float:
    return sum(bool(measure(o)) for o in outcomes) / len(outcomes)


def evaluate(embedder: Embedder, pairs: dict[str, list[dict[str, str]]], which: str) -> dict[str, float]:
    """The rates of one half: updates (newer first, linked, merged), look-alikes (falsely
    linked, falsely merged), paraphrases (recognised)."""
    updates = [run_pair(embedder, p["old"], p["new"], p["question"], MONTH) for p in half(pairs["updates"], which)]
    looks = [run_pair(embedder, p["a"], p["b"], None, MONTH) for p in half(pairs["lookalikes"], which)]
    paras = [run_pair(embedder, p["a"], p["b"], None, DAY) for p in half(pairs["paraphrases"], which)]
    return {
        "updates": len(updates),
        "update newer first": rate(updates, lambda o: o.newer_first),
        "update linked": rate(updates, lambda o: o.linked),
        "update merged": rate(updates, lambda o: o.merged),
        "look-alikes": len(looks),
        "look-alike linked": rate(looks, lambda o: o.linked),
        "look-alike merged": rate(looks, lambda o: o.merged),
        "paraphrases": len(paras),
        "paraphrase recognised": rate(paras, lambda o: o.merged),
        "paraphrase linked": rate(paras, lambda o: o.linked),
    }


def main() -> None:
    embedder = resolve_embedder(None)
    pairs = load_pairs()
    results = {which: evaluate(embedder, pairs, which) for which in ("A", "B")}
    print("| measure | half A (tuning) | half B (held out) |")
    print("|---|---|---|")
    for key in results["A"]:
        a, b = results["A"][key], results["B"][key]
        cells = [f"{v:.0f}" if key in {"updates", "look-alikes", "paraphrases"} else f"{v:.1%}" for v in (a, b)]
        print(f"| {key} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
