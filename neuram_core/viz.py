"""Plots of a memory: forgetting curves and the association graph around a recall.

Needs the ``notebooks`` extra (``pip install "neuram[notebooks]"``): matplotlib and
networkx are imported inside the functions, so ``import neuram_core`` never loads them.
Every function returns a matplotlib ``Figure`` (shown inline by Jupyter) and reads the
memory without changing it: no LTP, no rehearsal.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from neuram_core.config import NeuramConfig
from neuram_core.dynamics import SECONDS_PER_HOUR, time_until_forgotten
from neuram_core.engram import Engram, MemoryType

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from neuram_core.brain import Brain
    from neuram_core.sync import SyncBrain

__all__ = ["TYPE_COLORS", "ActivatedEngram", "activation_around", "plot_associations", "plot_retention"]

# One colour per memory type, used by every plot.
TYPE_COLORS = {
    MemoryType.EPISODIC: "#d62728",
    MemoryType.SEMANTIC: "#1f77b4",
    MemoryType.PROCEDURAL: "#2ca02c",
    MemoryType.HABITUAL: "#9467bd",
}
_INSTALL_HINT = 'plotting needs the notebooks extra: pip install "neuram[notebooks]" (matplotlib, networkx)'
_SECONDS_PER_DAY = 86400.0


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return plt


def _networkx() -> Any:
    try:
        import networkx as nx  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return nx


def _brain_of(source: object) -> Brain | None:
    from neuram_core.brain import Brain
    from neuram_core.sync import SyncBrain

    if isinstance(source, SyncBrain):
        return source.brain
    if isinstance(source, Brain):
        return source
    return None


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- forgetting curves --------------------------------------------------------------------
def plot_retention(
    source: Brain | SyncBrain | Iterable[Engram],
    *,
    now: float | None = None,
    days: float | None = None,
    by_type: bool = False,
    threshold: float | None = None,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Each engram's forgetting curve R(t) = e^(-t/S) from ``now`` on, over ``days``.

    ``source`` is a Brain (everything its namespace holds, by its clock) or engrams.
    Curves are coloured by memory type; a dot marks where each one falls below the
    pruning ``threshold`` (the config's, 5 %), i.e. :func:`time_until_forgotten`.
    ``by_type=True`` draws one panel per memory type. ``labels`` replace the legend
    entries (one per engram; default: the content, shortened).
    """
    plt = _pyplot()
    brain = _brain_of(source)
    config = brain.config if brain is not None else NeuramConfig()
    if brain is not None:
        engrams = brain.sync.list()
        now = brain.clock.now() if now is None else now
    else:
        engrams = list(source)  # type: ignore[arg-type]
        if not all(isinstance(e, Engram) for e in engrams):
            raise TypeError("plot_retention takes a Brain or an iterable of Engrams")
        if now is None:
            now = max((e.last_accessed for e in engrams), default=0.0)
    threshold = config.retention_threshold if threshold is None else threshold
    if labels is not None and len(labels) != len(engrams):
        raise ValueError(f"got {len(labels)} labels for {len(engrams)} engrams")
    names = list(labels) if labels is not None else [_short(e.content, 40) for e in engrams]
    left = [time_until_forgotten(e, now, threshold) / 24.0 for e in engrams]
    if days is not None and (isinstance(days, bool) or not math.isfinite(days) or days <= 0):
        raise ValueError(f"days must be finite and > 0, got {days!r}")

    kinds = [k for k in MemoryType if any(e.memory_type is k for e in engrams)] if by_type else [None]
    if ax is not None and len(kinds) > 1:
        raise ValueError("by_type draws several panels; do not pass ax with it")
    if ax is None:
        cols = 2 if len(kinds) > 1 else 1
        rows = math.ceil(len(kinds) / cols)
        fig, grid = plt.subplots(rows, cols, figsize=(6.5 * cols, 4.2 * rows), squeeze=False, sharey=True)
        axes = list(grid.flat)
        for extra in axes[len(kinds) :]:
            extra.set_visible(False)
    else:
        fig, axes = ax.figure, [ax]
    for kind, panel in zip(kinds, axes, strict=False):
        mine = [u for e, u in zip(engrams, left, strict=True) if kind is None or e.memory_type is kind]
        horizon = days if days is not None else (1.1 * max(mine, default=1.0) or 1.0)
        t = np.linspace(0.0, horizon, 400)
        for engram, name, until in zip(engrams, names, left, strict=True):
            if kind is not None and engram.memory_type is not kind:
                continue
            hours = (now - engram.last_accessed) / SECONDS_PER_HOUR + t * 24.0
            curve = np.exp(-np.maximum(hours, 0.0) / engram.stability)
            color = TYPE_COLORS[engram.memory_type]
            style = "-" if engram.salience >= 0.5 else "--"
            width = 1.0 + 2.0 * engram.salience
            panel.plot(t, curve, style, color=color, linewidth=width, alpha=0.85, label=name)
            if until <= horizon:
                panel.plot([until], [threshold], "o", color=color, markersize=5)
        panel.axhline(threshold, color="grey", linestyle=":", linewidth=1)
        panel.text(horizon, threshold, f" prune < {threshold:.0%}", va="bottom", ha="right", fontsize=8, color="grey")
        panel.set_xlim(0, horizon)
        panel.set_ylim(0, 1.02)
        panel.set_xlabel("days from now")
        panel.set_ylabel("retention R")
        panel.set_title(kind.value if kind is not None else (title or "Forgetting curves"))
        panel.grid(alpha=0.25)
        if panel.lines:
            panel.legend(fontsize=8, loc="upper right")
    if title and len(kinds) > 1:
        fig.suptitle(title)
    fig.tight_layout()
    return fig  # type: ignore[no-any-return]


# -- the association graph -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ActivatedEngram:
    """One node of the graph around a cue: how it was reached and how it ranks."""

    engram: Engram
    similarity: float  # cosine between the cue and the engram (pattern completion)
    activation: float  # after spreading activation: max(own similarity, best path from a seed)
    score: float  # what recall ranks by: activation × (1 − w + w × retention)
    recalled: bool  # among the top_k a recall would return now


def activation_around(brain: Brain | SyncBrain, query: str, top_k: int | None = None) -> list[ActivatedEngram]:
    """What a recall of ``query`` would light up, without recalling (no LTP), best first:
    recall's own ranking (:meth:`Brain.activations`), read only."""
    real = _brain_of(brain)
    if real is None:
        raise TypeError(f"activation_around takes a Brain, not {type(brain).__name__}")
    k = real.config.default_top_k if top_k is None else top_k
    return [
        ActivatedEngram(a.engram, a.similarity, a.activation, a.score, recalled=rank < k)
        for rank, a in enumerate(real.sync.activations(query, k))
    ]


def plot_associations(
    brain: Brain | SyncBrain,
    query: str,
    *,
    top_k: int | None = None,
    max_nodes: int = 20,
    ax: Axes | None = None,
) -> Figure:
    """The association graph around a recall of ``query``, coloured by activation.

    The cue sits in the middle, linked (dashed) to the engrams it matches directly; solid
    edges are associations (width = weight). Node colour and the number under each label
    are the activation after spreading; the ``top_k`` a recall would return have a thick
    outline. Node edge colour is the memory type. Nothing is recalled or strengthened.
    """
    plt = _pyplot()
    nx = _networkx()
    real = _brain_of(brain)
    if real is None:
        raise TypeError(f"plot_associations takes a Brain, not {type(brain).__name__}")
    floor = real.config.spreading_floor
    found = [a for a in activation_around(real, query, top_k) if a.recalled or a.activation >= floor][:max_nodes]
    graph = nx.Graph()
    cue = "__cue__"
    graph.add_node(cue)
    shown = {a.engram.engram_id: a for a in found}
    for item in found:
        graph.add_node(item.engram.engram_id)
    assoc_edges = []
    for item in found:
        for other, weight in real.hippocampus.neighbours(item.engram.engram_id).items():
            if other in shown and item.engram.engram_id < other:
                graph.add_edge(item.engram.engram_id, other, weight=weight)
                assoc_edges.append((item.engram.engram_id, other, weight))
    direct = [a for a in found if a.similarity > 0 and a.similarity >= a.activation - 1e-9]
    for item in direct:
        graph.add_edge(cue, item.engram.engram_id, weight=0.3 * item.similarity)

    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 7.5))
    else:
        fig = ax.figure
    best = max((a.similarity for a in direct), default=1.0) or 1.0
    for u, v, data in graph.edges(data=True):  # layout distance: good matches near the cue, links short
        if cue in (u, v):
            data["distance"] = 1.0 + 0.8 * (1.0 - data["weight"] / 0.3 / best)
        else:
            data["distance"] = 1.0 - 0.3 * data["weight"]
    pos = nx.kamada_kawai_layout(graph, weight="distance")
    cmap = plt.get_cmap("YlOrBr")
    peak = max((a.activation for a in found), default=1.0) or 1.0
    nx.draw_networkx_edges(
        graph,
        pos,
        edgelist=[(u, v) for u, v, _ in assoc_edges],
        width=[0.5 + 4.0 * w for _, _, w in assoc_edges],
        edge_color="#555555",
        alpha=0.6,
        ax=ax,
    )
    nx.draw_networkx_edges(
        graph,
        pos,
        edgelist=[(cue, a.engram.engram_id) for a in direct],
        style="dashed",
        edge_color="#1f77b4",
        alpha=0.5,
        ax=ax,
    )
    if assoc_edges:
        nx.draw_networkx_edge_labels(
            graph, pos, edge_labels={(u, v): f"{w:.2f}" for u, v, w in assoc_edges}, font_size=7, ax=ax
        )
    ids = [a.engram.engram_id for a in found]
    nx.draw_networkx_nodes(
        graph,
        pos,
        nodelist=ids,
        node_color=[cmap(0.05 + 0.55 * a.activation / peak) for a in found],
        node_size=[300 + 1700 * a.activation / peak for a in found],
        edgecolors=[TYPE_COLORS[a.engram.memory_type] for a in found],
        linewidths=[3.5 if a.recalled else 1.2 for a in found],
        ax=ax,
    )
    nx.draw_networkx_nodes(graph, pos, nodelist=[cue], node_shape="*", node_size=900, node_color="#1f77b4", ax=ax)
    labels = {
        a.engram.engram_id: "\n".join(textwrap.wrap(_short(a.engram.content, 48), 24)) + f"\n{a.activation:.2f}"
        for a in found
    }
    labels[cue] = "\n".join(textwrap.wrap(f"“{_short(query, 48)}”", 24))
    ys = [float(p[1]) for p in pos.values()]
    span = (max(ys) - min(ys)) or 1.0
    below = {n: (float(p[0]), float(p[1]) - 0.045 * span) for n, p in pos.items()}  # text under the node
    nx.draw_networkx_labels(graph, below, labels=labels, font_size=7.5, verticalalignment="top", ax=ax)
    ax.margins(0.08)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor=c, markeredgewidth=2.5,
                   markersize=9, label=k.value)
        for k, c in TYPE_COLORS.items()
    ]  # fmt: skip
    handles.append(plt.Line2D([], [], color="#1f77b4", linestyle="--", label="direct match (cosine)"))
    handles.append(plt.Line2D([], [], color="#555555", linewidth=2, label="association (weight)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    k = real.config.default_top_k if top_k is None else top_k
    ax.set_title(
        fontsize=10,
        label=f"Spreading activation for “{_short(query, 60)}” — number = activation, thick outline = top {k} recalled",
    )
    ax.set_axis_off()
    fig.tight_layout()
    return fig  # type: ignore[no-any-return]
