"""A long-term region is one place: LONG_TERM_REGIONS, and sleep routes by it."""

from __future__ import annotations

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, MemoryType
from neuram_core.engram import Engram
from neuram_core.regions import (
    LONG_TERM_REGIONS,
    BasalGanglia,
    Cerebellum,
    LongTermRegion,
    Neocortex,
    region_class_for,
)


def test_every_memory_type_has_exactly_one_long_term_region() -> None:
    for kind in MemoryType:
        assert sum(kind in region.memory_types for region in LONG_TERM_REGIONS) == 1
    assert region_class_for(MemoryType.SEMANTIC) is Neocortex
    assert region_class_for(MemoryType.EPISODIC) is Neocortex
    assert region_class_for(MemoryType.PROCEDURAL) is Cerebellum
    assert region_class_for(MemoryType.HABITUAL) is BasalGanglia


async def test_sleep_hands_each_engram_to_the_region_that_accepts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each system consolidates what it keeps (before, the Neocortex took every type)."""
    kept: list[tuple[str, str]] = []
    original = LongTermRegion.consolidated

    def recorded(self: LongTermRegion, engram: Engram) -> Engram:
        kept.append((type(self).__name__, engram.memory_type.value))
        return original(self, engram)

    monkeypatch.setattr(LongTermRegion, "consolidated", recorded)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
    try:
        await brain.perceive("Paris is the capital of France", memory_type="semantic")
        await brain.perceive("I met Alice at the harbour", memory_type="episodic")
        await brain.perceive("To deploy: run the tests, then tag", memory_type="procedural")
        await brain.perceive("User prefers short answers", memory_type="habitual")
        assert (await brain.sleep())["consolidated"] == 4
    finally:
        await brain.close()
    assert sorted(kept) == [
        ("BasalGanglia", "habitual"),
        ("Cerebellum", "procedural"),
        ("Neocortex", "episodic"),
        ("Neocortex", "semantic"),
    ]


async def test_a_failed_region_write_leaves_only_its_engrams_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    original = LongTermRegion.consolidated

    def cerebellum_down(self: LongTermRegion, engram: Engram) -> Engram:
        if isinstance(self, Cerebellum):
            raise OSError("disk full")
        return original(self, engram)

    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
    try:
        fact = await brain.perceive("Paris is the capital of France", memory_type="semantic")
        skill = await brain.perceive("To deploy: run the tests, then tag", memory_type="procedural")
        monkeypatch.setattr(LongTermRegion, "consolidated", cerebellum_down)
        with pytest.raises(OSError):
            await brain.sleep()
        pending = brain.hippocampus.pending
        assert skill.engram_id in pending  # nothing lost: the next sleep retries it
        assert fact.engram_id not in pending  # the Neocortex's write (first) went through
        [stored_skill, stored_fact] = await brain.store.get(brain.namespace, [skill.engram_id, fact.engram_id])
        assert stored_skill is not None and not stored_skill.consolidated
        assert stored_fact is not None and stored_fact.consolidated
        monkeypatch.setattr(LongTermRegion, "consolidated", original)
        assert (await brain.sleep())["consolidated"] == 1
        assert not brain.hippocampus.pending and await brain.store.count(brain.namespace) == 2
    finally:
        await brain.close()


def test_config_constants_are_given_per_type_by_name() -> None:
    from neuram_core import NeuramConfig

    config = NeuramConfig()
    assert config.base_stability_hours[MemoryType.PROCEDURAL] == 336.0
    assert config.consolidation_gain[MemoryType.PROCEDURAL] == 10.0
    with pytest.raises(ValueError, match="lacks"):
        config.replace(consolidation_gain={MemoryType.SEMANTIC: 2.0})
