"""Public seams: one place embeds, the cue's text reaches the index, a recall can be
looked at without strengthening, sync code reaches the Brain's loop, and forget says
whether it forgot (as neuram 0.1.0 did)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from neuram_core import (
    Amygdala,
    Brain,
    Engram,
    HashingEmbedder,
    Hippocampus,
    MemoryType,
    SentenceTransformerEmbedder,
    SleepCycle,
    activation,
)
from neuram_core.regions.hippocampus import Activation, Cue


# -- one place embeds ----------------------------------------------------------------------------
async def test_a_brains_hippocampus_never_embeds(brain: Brain) -> None:
    """Inside a Brain, embedding runs in Brain._embed only (off the loop): its index
    loads no model and refuses to embed, with a message that says why."""
    with pytest.raises(RuntimeError, match="indexes vectors only"):
        brain.hippocampus.embed(["anything"])
    with pytest.raises(RuntimeError, match="its owner embeds"):
        brain.hippocampus.encode(Engram("no vector", MemoryType.SEMANTIC, 0.5))
    engram = await brain.perceive("the boiler is serviced every October", memory_type="semantic")
    assert engram.engram_id in brain.hippocampus  # the Brain embedded it


def test_a_hippocampus_alone_still_embeds_with_the_default_model() -> None:
    assert isinstance(Hippocampus().embedder, SentenceTransformerEmbedder)  # resolved, not loaded yet
    assert Hippocampus(HashingEmbedder(16)).embed(["x"]).shape == (1, 16)
    with pytest.raises(ValueError, match="takes no embedder"):
        Hippocampus(HashingEmbedder(), embeds=False)
    with pytest.raises(TypeError, match="embeds must be a bool"):
        Hippocampus(embeds="no")  # type: ignore[arg-type]


# -- the cue's text reaches the index --------------------------------------------------------------
def record_cues(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every cue Hippocampus.activate is given, in order (the real method still runs)."""
    seen: list[Any] = []
    real = Hippocampus.activate

    def activate(self: Hippocampus, query: Any, *args: Any, **kwargs: Any) -> list[Activation]:
        seen.append(query)
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(Hippocampus, "activate", activate)
    return seen


async def test_recall_hands_the_hippocampus_the_query_text_beside_its_vector(
    brain: Brain, monkeypatch: pytest.MonkeyPatch
) -> None:
    await brain.perceive("the spare key is under the blue flower pot", memory_type="semantic")
    seen = record_cues(monkeypatch)
    query = "where is the spare key?"
    await brain.recall(query)
    await brain.activations(query)
    assert [type(cue) for cue in seen] == [Cue, Cue]
    assert [cue.text for cue in seen] == [query, query]
    np.testing.assert_array_equal(seen[0].vector, brain.embedder.embed([query])[0])


def test_pattern_complete_keeps_the_text_of_a_text_cue(monkeypatch: pytest.MonkeyPatch) -> None:
    hpc = Hippocampus(HashingEmbedder())
    hpc.encode(Engram("we discussed Redis persistence", MemoryType.EPISODIC, 0.5))
    seen = record_cues(monkeypatch)
    vector = hpc.embed(["Redis"])[0]
    assert hpc.pattern_complete("Redis")[0][0].content == "we discussed Redis persistence"
    assert hpc.pattern_complete(vector)[0][0].content == "we discussed Redis persistence"
    assert [cue.text for cue in seen] == ["Redis", None]
    assert hpc.complete(Cue("Redis", vector), 1) == hpc.complete(vector, 1)  # a bare vector still works


# -- looking at a recall ----------------------------------------------------------------------------
async def test_activations_show_what_recall_returns_and_how_without_strengthening(brain: Brain) -> None:
    await brain.perceive("booked flights to Lisbon for May", memory_type="episodic")
    await brain.perceive("the Lisbon hotel has a rooftop pool", memory_type="episodic")  # linked in time
    await brain.perceive("the cat sleeps on the sofa all afternoon", memory_type="episodic")
    lit = await brain.activations("flights Lisbon", top_k=1)
    assert all(isinstance(a, Activation) for a in lit) and len(lit) >= 2  # beyond top_k: the associates
    assert [a.score for a in lit] == sorted((a.score for a in lit), reverse=True)
    assert all(e.access_count == 0 for e in await brain.list())  # only looked
    [(recalled, score)] = await brain.recall("flights Lisbon", top_k=1, strengthen=False)
    assert (recalled.engram_id, score) == (lit[0].engram.engram_id, lit[0].score)
    assert await brain.activations("flights Lisbon", top_k=0) == []
    assert [a.engram.memory_type for a in await brain.activations("Lisbon", memory_type="semantic")] == []
    with pytest.raises(ValueError):
        await brain.activations("  ")
    with pytest.raises(ValueError):
        await brain.activations("Lisbon", top_k=-1)


def test_sync_code_runs_coroutines_on_the_brains_loop_and_closes_it() -> None:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder())
    brain.sync.perceive("the red folder holds the contracts", memory_type="semantic")
    assert brain.call_blocking(brain.store.count(brain.namespace)) == 1  # on the loop that owns the store
    assert [a.engram.content for a in brain.sync.activations("contracts folder", top_k=1)][:1] == [
        "the red folder holds the contracts"
    ]
    brain.close_blocking()
    brain.close_blocking()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        brain.call_blocking(brain.store.count(brain.namespace))
    with pytest.raises(RuntimeError, match="closed"):
        brain.sync.recall("contracts")


# -- forget --------------------------------------------------------------------------------------------
async def test_forget_says_whether_something_was_removed(brain: Brain) -> None:
    held = await brain.perceive("the gate code is 1234", memory_type="semantic")  # working memory only
    stored = await brain.perceive("the wifi password is on the fridge", memory_type="semantic", consolidate=True)
    assert await brain.forget(held.engram_id) is True
    assert await brain.forget(stored.engram_id) is True
    assert await brain.forget(stored.engram_id) is False
    assert await brain.forget("never-seen") is False
    assert brain.hippocampus.get(held.engram_id) is None and brain.working_memory == []
    assert await brain.store.count(brain.namespace) == 0
    with pytest.raises(ValueError):
        await brain.forget("")
    with pytest.raises(TypeError):
        await brain.forget(42)  # type: ignore[arg-type]


def test_forget_through_the_sync_facade_returns_the_bool() -> None:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder())
    with brain.sync as memory:
        engram = memory.perceive("the boiler is serviced every October", memory_type="semantic")
        assert memory.forget(engram.engram_id) is True
        assert memory.forget(engram.engram_id) is False


# -- dead code is gone -------------------------------------------------------------------------------
async def test_unused_names_are_gone(brain: Brain) -> None:
    assert not hasattr(activation, "cosine_scores")
    assert not hasattr(Amygdala, "stability_boost")
    assert not hasattr(SleepCycle(brain), "cycles")
