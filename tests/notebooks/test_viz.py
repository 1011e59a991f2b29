"""neuram_core.viz: the plot helpers, on the hashing embedder with matplotlib's Agg backend."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, MemoryType, time_until_forgotten

matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("networkx")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from neuram_core.viz import activation_around, plot_associations, plot_retention  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def filled() -> Iterator[Brain]:
    clock = ManualClock()
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    for text, kind, salience in [
        ("Paris is the capital of France", "semantic", 0.5),
        ("We visited the Louvre museum in Paris", "episodic", 0.9),
        ("The Eiffel tower is made of iron", "semantic", 0.2),
        ("To deploy: build the wheel, then upload it", "procedural", 0.5),
    ]:
        brain.sync.perceive(text, memory_type=kind, salience=salience)
        clock.advance(30)
    clock.advance(hours=3)
    brain.sync.perceive("The user always prefers concise answers", memory_type="habitual")
    brain.sync.sleep()
    yield brain
    brain.sync.close()
    import matplotlib.pyplot as plt

    plt.close("all")


def test_plot_retention_of_a_brain(filled: Brain) -> None:
    fig = plot_retention(filled)
    assert isinstance(fig, Figure)
    [ax] = fig.axes
    curves = [line for line in ax.lines if len(line.get_xdata()) > 2]
    assert len(curves) == 5
    assert all(0.0 <= y <= 1.0 for line in curves for y in line.get_ydata())
    assert ax.get_legend() is not None


def test_plot_retention_by_type_and_of_engrams(filled: Brain) -> None:
    fig = plot_retention(filled.sync, by_type=True, title="t")
    assert [ax.get_title() for ax in fig.axes] == ["episodic", "semantic", "procedural", "habitual"]
    engrams = filled.sync.list()
    now = filled.clock.now()
    labels = [f"#{i}" for i in range(len(engrams))]
    fig = plot_retention(engrams, now=now, days=30, labels=labels)
    [ax] = fig.axes
    assert ax.get_xlim() == (0.0, 30.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    # The forgetting point sits where time_until_forgotten says.
    one = [e for e in engrams if e.memory_type is MemoryType.HABITUAL]
    fig = plot_retention(one, now=now)
    dots = [line for line in fig.axes[0].lines if len(line.get_xdata()) == 1]
    assert dots[0].get_xdata()[0] == pytest.approx(time_until_forgotten(one[0], now) / 24)


def test_plot_retention_bad_input(filled: Brain) -> None:
    with pytest.raises(TypeError):
        plot_retention(["not an engram"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="labels"):
        plot_retention(filled, labels=["one"])
    with pytest.raises(ValueError, match="days"):
        plot_retention(filled, days=0)


def test_activation_around_matches_recall_without_strengthening(filled: Brain) -> None:
    nodes = activation_around(filled, "capital of France", top_k=3)
    assert nodes[0].engram.content == "Paris is the capital of France"
    assert [n.recalled for n in nodes[:3]] == [True] * 3 and not any(n.recalled for n in nodes[3:])
    assert all(n.activation >= n.similarity - 1e-9 for n in nodes)
    assert all(n.engram.access_count == 0 for n in nodes)  # no LTP
    recalled = filled.sync.recall("capital of France", top_k=3)
    assert [e.engram_id for e, _ in recalled] == [n.engram.engram_id for n in nodes[:3]]
    assert [s for _, s in recalled] == pytest.approx([n.score for n in nodes[:3]])


def test_plot_associations(filled: Brain) -> None:
    fig = plot_associations(filled, "capital of France", top_k=2)
    assert isinstance(fig, Figure)
    [ax] = fig.axes
    assert "capital of France" in ax.get_title()
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Paris is the capital" in texts
    with pytest.raises(TypeError):
        plot_associations([], "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        plot_associations(filled, " ")


def test_import_neuram_core_does_not_import_plotting() -> None:
    code = "import sys, neuram_core, neuram_core.cli; print(sorted({'matplotlib', 'networkx'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
