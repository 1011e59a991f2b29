"""The figure of docs/recall.md: LoCoMo evidence recall@k per mechanism, both halves.

    python -m benchmarks.plots.recall_ablation RESULTS_DIR [--out docs/img]

RESULTS_DIR holds the ``--json`` files of ``python -m benchmarks.locomo`` runs named
``MODE.json`` (every mechanism on) and ``MODE-no-NAME.json`` (``--ablate NAME``); each
becomes one curve per half (conversations 1–5 solid, 6–10 dashed).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # a script: no display
import matplotlib.pyplot as plt

KS = ("5", "10", "25")
HALVES = {"conv1-5": "-", "conv6-10": "--"}
# The reference rows of the recall-quality issue, R@10 on the same data (DRAGON also R@5).
REFERENCES = {"plain MiniLM cosine": {"10": 42.2}, "BM25": {"10": 52.6}, "DRAGON": {"5": 56.7, "10": 66.2}}


def runs(folder: Path, mode: str) -> dict[str, dict[str, Any]]:
    """The runs of one mode in ``folder``: label -> result, every mechanism on first."""
    found: dict[str, dict[str, Any]] = {}
    whole = folder / f"{mode}.json"
    if whole.is_file():
        found["every mechanism"] = json.loads(whole.read_text(encoding="utf-8"))
    for path in sorted(folder.glob(f"{mode}-no-*.json")):
        found["without " + path.stem.removeprefix(f"{mode}-no-")] = json.loads(path.read_text(encoding="utf-8"))
    return found


def draw(folder: Path, out: Path) -> Path:
    modes = [m for m in ("retrieval", "timeline") if runs(folder, m)]
    if not modes:
        raise SystemExit(f"no retrieval.json or timeline.json in {folder}")
    fig, axes = plt.subplots(1, len(modes), figsize=(6.2 * len(modes), 4.4), squeeze=False)
    for ax, mode in zip(axes[0], modes, strict=True):
        for index, (label, result) in enumerate(runs(folder, mode).items()):
            color = f"C{index}"
            for half, style in HALVES.items():
                values = [result["recall"][k][half] for k in KS]
                ax.plot([int(k) for k in KS], values, style, color=color, marker="o",
                        label=f"{label} ({half})")
        for name, points in REFERENCES.items():
            ks = [int(k) for k in points]
            ax.plot(ks, list(points.values()), "x", markersize=9, color="black")
            ax.annotate(name, (ks[-1], list(points.values())[-1]), textcoords="offset points", xytext=(6, -4),
                        fontsize=8)
        ax.set_title(f"LoCoMo evidence recall, {mode} mode")
        ax.set_xlabel("k (memories recalled)")
        ax.set_ylabel("recall@k (%)")
        ax.set_xticks([int(k) for k in KS])
        ax.set_ylim(20, 100)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "recall-ablation.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("results", type=Path, help="folder of benchmarks.locomo --json files")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "docs" / "img")
    args = parser.parse_args(argv)
    path = draw(args.results, args.out)
    print(path)
    return path


if __name__ == "__main__":
    main()
