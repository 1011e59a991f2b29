"""Brain.listing: the memories Brain.list returns, with their fields as arrays in step,
kept right by the Hippocampus's columns through recall, reward, pinning, expiry, removal
and a reload from the store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock
from neuram_core.engram import MemoryType
from neuram_core.regions.hippocampus import Listing

HOUR = 3600.0


@pytest.fixture
async def brain(clock: ManualClock) -> AsyncIterator[Brain]:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    yield brain
    await brain.close()


def rows(listing: Listing) -> dict[str, tuple[object, ...]]:
    """Each engram's row: what the arrays say, and what the engram itself says."""
    assert len(listing.engrams) == len(listing.ids) == listing.encoded_at.shape[0] == listing.pinned.shape[0]
    assert [e.engram_id for e in listing.engrams] == listing.ids
    got = {}
    for k, engram in enumerate(listing.engrams):
        fields = (
            float(listing.encoded_at[k]),
            float(listing.last_accessed[k]),
            float(listing.stability[k]),
            float(listing.access_count[k]),
            bool(listing.pinned[k]),
        )
        mine = (engram.encoded_at, engram.last_accessed, engram.stability, float(engram.access_count), engram.pinned)
        assert fields == mine, engram
        got[engram.engram_id] = fields
    return got


async def same_as_list(
    brain: Brain, memory_type: MemoryType | None = None, metadata: dict[str, object] | None = None
) -> set[str]:
    listing = await brain.listing(memory_type, metadata)
    listed = await brain.list(memory_type, metadata)
    assert rows(listing) == rows(Listing.of(listed))
    return set(listing.ids)


async def test_listing_holds_what_list_does_through_every_change(brain: Brain, clock: ManualClock) -> None:
    facts = [f"fact {i}: the {w} is on shelf {i}" for i, w in enumerate(["atlas", "bible", "codex", "diary", "epic"])]
    made = [
        await brain.perceive(text, memory_type=MemoryType.SEMANTIC if i % 2 else MemoryType.EPISODIC, gate=False,
                             metadata={"shelf": i % 2})
        for i, text in enumerate(facts)
    ]  # fmt: skip
    ids = [e.engram_id for e in made]
    assert await same_as_list(brain) == set(ids)
    clock.advance(2 * HOUR)
    await brain.recall("atlas shelf", top_k=2)  # recall changes access count, last access, stability
    await brain.reinforce(ids[1], 1.0)
    await brain.pin(ids[2])
    assert await same_as_list(brain) == set(ids)
    assert rows(await brain.listing())[ids[2]][4] is True
    await brain.unpin(ids[2])
    assert rows(await brain.listing())[ids[2]][4] is False
    expiring = await brain.perceive("a note that expires in an hour", gate=False, expires_at=clock.now() + HOUR)
    kept = await brain.perceive("a note pinned after it was given an expiry", gate=False, expires_at=clock.now() + HOUR)
    await brain.pin(kept.engram_id)  # its expiry waits
    assert expiring.engram_id in await same_as_list(brain)
    clock.advance(2 * HOUR)
    left = await same_as_list(brain)  # expired: left out; pinned: kept
    assert expiring.engram_id not in left and kept.engram_id in left
    assert await brain.forget(ids[0])  # the last row moves into its place
    assert await same_as_list(brain) == set(ids[1:]) | {kept.engram_id}
    assert await same_as_list(brain, MemoryType.SEMANTIC) == {ids[1], ids[3]}
    assert await same_as_list(brain, metadata={"shelf": 0}) == {ids[2], ids[4]}
    assert await same_as_list(brain, MemoryType.EPISODIC, {"shelf": 1}) == set()


async def test_listing_after_a_reload_from_the_store(tmp_path: object, clock: ManualClock) -> None:
    path = f"{tmp_path}/memory.db"
    first = await Brain.create(path=path, embedder=HashingEmbedder(), clock=clock)
    for i in range(30):
        await first.perceive(f"memory number {i} about topic {i % 4}", gate=False, pinned=i % 5 == 0)
    clock.advance(HOUR)
    await first.recall("topic 2", top_k=3)
    before = rows(await first.listing())
    await first.close()
    again = await Brain.create(path=path, embedder=HashingEmbedder(), clock=clock)
    try:
        assert rows(await again.listing()) == before
        assert await same_as_list(again) == set(before)
    finally:
        await again.close()


def test_listing_of_an_empty_index(brain: Brain) -> None:
    listing = brain.hippocampus.listing(0.0)
    assert listing.engrams == [] and listing.ids == [] and listing.stability.shape == (0,)
    assert brain.hippocampus.listing(0.0, MemoryType.SEMANTIC).engrams == []
