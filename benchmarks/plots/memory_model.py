"""The figures of docs/memory-model.md, drawn from the real engine on a manual clock.

    python -m benchmarks.plots.memory_model [--out docs/img] [--only spacing]

Each figure is one function in ``FIGURES`` that runs a scenario on a Brain (in-memory
store; the hashing embedder where only stabilities matter, the real model where similarity
decides) and saves a PNG.
The page shows the PNGs; tests/unit/test_spacing.py asserts the same numbers.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script: no display
import matplotlib.pyplot as plt
import numpy as np

from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, compute_retention, retrieval_effort

T0 = 1_700_000_000.0
HOUR = 3600.0
DAY = 24.0 * HOUR
FACT = "The mitochondria is the powerhouse of the cell"
# Hours after learning (slept on at once): four recalls within one hour on day 1, or on days 1, 4, 8, 13.
SCHEDULES: dict[str, tuple[float, ...]] = {
    "massed": (24.0, 24.0 + 20 / 60, 24.0 + 40 / 60, 25.0),
    "spaced": (24.0, 96.0, 192.0, 312.0),
}
COLORS = {"massed": "#ff7f0e", "spaced": "#1f77b4"}


@dataclass(frozen=True)
class Rehearsed:
    """A memory's snapshots: as learned, then after each rehearsal."""

    snapshots: list[Engram]

    @property
    def stabilities(self) -> list[float]:
        return [e.stability for e in self.snapshots]

    def retention(self, at: float) -> float:
        """Retention at ``at``: the curve of the last snapshot taken by then."""
        current = [e for e in self.snapshots if e.last_accessed <= at] or self.snapshots[:1]
        return compute_retention(current[-1], at)


async def rehearse_on(hours: Sequence[float], kind: str = "semantic") -> Rehearsed:
    """A fact of salience 0.5, learned and slept on at T0, rehearsed ``hours`` after."""
    clock = ManualClock(T0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    try:
        fact = await brain.perceive(FACT, memory_type=kind, salience=0.5, gate=False)
        await brain.sleep()
        snapshots = [await brain.get(fact.engram_id)]
        for at in hours:
            clock.set(T0 + at * HOUR)
            snapshots += await brain.rehearse([fact.engram_id])
        return Rehearsed(snapshots)
    finally:
        await brain.close()


def spacing(out: Path) -> Path:
    """Spaced vs massed: the effort curve, and retention after four rehearsals each way."""
    runs = {name: asyncio.run(rehearse_on(hours)) for name, hours in SCHEDULES.items()}
    fig, (effort_ax, curve_ax) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 2]})
    r = np.linspace(0.0, 1.0, 201)
    effort_ax.plot(r, [retrieval_effort(x) for x in r], color="black", label="40 (e^(1-R) - 1), now")
    effort_ax.plot(r, 2.0 - r, color="grey", linestyle="--", label="2 - R, before")
    effort_ax.set(xlabel="retention R at the recall", ylabel="retrieval effort", yscale="log", ylim=(0.1, 100))
    effort_ax.set_title("What a recall teaches")
    effort_ax.legend()
    days = np.linspace(0.0, 320.0, 3201)
    for name, run in runs.items():
        values = [run.retention(T0 + d * DAY) for d in days]
        label = f"{name}: S = {run.stabilities[-1]:,.0f} h"
        curve_ax.plot(days, values, color=COLORS[name], label=label)
        marks = [(e.last_accessed - T0) / DAY for e in run.snapshots[1:]]
        curve_ax.plot(marks, [1.02] * len(marks), "v", color=COLORS[name])
    ratio = runs["spaced"].stabilities[-1] / runs["massed"].stabilities[-1]
    curve_ax.axhline(0.05, color="grey", linestyle=":", label="pruned below 5 %")
    curve_ax.set(xlabel="days since learning", ylabel="retention R")
    curve_ax.set_title(f"Four rehearsals of a semantic fact: spaced builds {ratio:.2f}x the stability")
    curve_ax.legend()
    for ax in (effort_ax, curve_ax):
        ax.grid(alpha=0.25)
    fig.tight_layout()
    path = out / "memory-model-spacing.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


OLD_FACT = "My manager is Priya Raman"
NEW_FACT = "Priya left; my new manager is Tom Okafor"
QUESTION = "Who is my manager?"


async def scores_over_days(days: Sequence[float], update_day: float) -> dict[str, list[float]]:
    """The recall score of the stale fact and of its update, day by day (the real MiniLM
    model: a revision is decided by similarity). Looking changes nothing: ``activations``."""
    clock = ManualClock(T0)
    brain = await Brain.create(path=":memory:", clock=clock)
    scores: dict[str, list[float]] = {OLD_FACT: [], NEW_FACT: []}
    try:
        await brain.perceive(OLD_FACT, memory_type="semantic", salience=0.5, gate=False)
        await brain.sleep()
        updated = False
        for day in days:
            clock.set(T0 + day * DAY)
            if not updated and day >= update_day:
                await brain.perceive(NEW_FACT, memory_type="semantic", salience=0.5, gate=False)
                await brain.sleep()
                updated = True
            found = {a.engram.content: a.score for a in await brain.activations(QUESTION, top_k=5)}
            for content, series in scores.items():
                series.append(found.get(content, float("nan")))
        return scores
    finally:
        await brain.close()


def update(out: Path) -> Path:
    """An update overtaking its stale fact: ranked first at once, the older fading faster."""
    days = np.arange(0.0, 181.0, 1.0)
    scores = asyncio.run(scores_over_days(days.tolist(), update_day=30.0))
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.plot(days, scores[OLD_FACT], color="#ff7f0e", label=f"stale: {OLD_FACT!r}")
    ax.plot(days, scores[NEW_FACT], color="#1f77b4", label=f"update (day 30): {NEW_FACT!r}")
    ax.axvline(30.0, color="grey", linestyle=":")
    ax.set(xlabel="days", ylabel=f"recall score for {QUESTION!r}")
    ax.set_title("An update ranks first at once (stale score x 0.5) and the stale fact fades twice as fast")
    ax.grid(alpha=0.25)
    ax.legend(loc="lower left")
    fig.tight_layout()
    path = out / "memory-model-update.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


FIGURES: dict[str, Callable[[Path], Path]] = {"spacing": spacing, "update": update}


def main(argv: Sequence[str] | None = None) -> list[Path]:
    """Draw the figures (all, or ``--only`` some) into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "docs" / "img")
    parser.add_argument("--only", action="append", choices=sorted(FIGURES))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = [FIGURES[name](args.out) for name in args.only or FIGURES]
    for path in written:
        print(path)
    return written


if __name__ == "__main__":
    main()
