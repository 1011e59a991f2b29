"""Pending memories on a real Redis: durable the moment perceive returns, shared by every
worker at once, and still sleep's to keep or to let fade (issue 14, "Nothing lost")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock
from neuram_core.engram import Engram, MemoryType
from tests.conftest import START
from tests.crash_after_perceive import perceive_then_sigkill

pytestmark = pytest.mark.redis

NS = "team"


async def open_brain(redis_url: str, clock: ManualClock | None = None) -> Brain:
    return await Brain.create(
        redis_url=redis_url, namespace=NS, embedder=HashingEmbedder(), clock=clock or ManualClock(START)
    )


async def stored(brain: Brain, ids: Sequence[str]) -> list[Engram | None]:
    """What the store holds, read on the loop that owns the brain's Redis connections."""
    return await asyncio.to_thread(brain.call_blocking, brain.store.get(NS, ids))


@pytest.fixture
async def workers(redis_url: str, clock: ManualClock) -> AsyncIterator[tuple[Brain, Brain]]:
    """Two Brains on one Redis: two store objects (two connection pools), as two processes."""
    one, two = await open_brain(redis_url, clock), await open_brain(redis_url, clock)
    try:
        yield one, two
    finally:
        await one.close()
        await two.close()


async def test_a_process_killed_right_after_perceive_loses_nothing(redis_url: str) -> None:
    engram_id = perceive_then_sigkill(redis_url, NS, "the spare key hangs behind the boiler")
    brain = await Brain.create(redis_url=redis_url, namespace=NS, embedder=HashingEmbedder())
    try:
        [(found, _)] = await brain.recall("where is the spare key", top_k=1)
        assert found.engram_id == engram_id and not found.consolidated
        stats = await brain.stats()
        assert (stats["pending"], stats["long_term"]) == (1, 0)
    finally:
        await brain.close()


async def test_two_workers_see_each_others_pending_memories_at_once(workers: tuple[Brain, Brain]) -> None:
    one, two = workers
    mine = await one.perceive("Ada's flight lands at gate B12", memory_type="episodic")
    [(found, _)] = await two.recall("which gate does Ada's flight land at", top_k=1)
    assert found.engram_id == mine.engram_id
    assert not found.consolidated and found.access_count == 1  # LTP went through the store, still pending
    theirs = await two.perceive("Ada prefers the window seat", memory_type="habitual")
    assert {e.engram_id for e in await one.list()} == {mine.engram_id, theirs.engram_id}
    for brain in workers:
        stats = await brain.stats()
        assert (stats["pending"], stats["long_term"]) == (2, 0)


async def test_two_sleeping_workers_consolidate_a_vivid_trace_exactly_once(workers: tuple[Brain, Brain]) -> None:
    one, two = workers
    heard = await one.perceive("the lease ends in March", memory_type="semantic")
    await two.list()  # the other worker holds it pending too
    stale = two.hippocampus.get(heard.engram_id)
    assert stale is not None
    reports = [*await asyncio.gather(one.sleep(), two.sleep()), await one.sleep(), await two.sleep()]
    assert sum(r["consolidated"] for r in reports) == 1
    again = await asyncio.to_thread(two.call_blocking, two.sleep_cycle.consolidate([stale]))
    assert again == 0  # a stale copy changes nothing
    gain = one.config.consolidation_gain[MemoryType.SEMANTIC]
    [kept] = await stored(one, [heard.engram_id])
    assert kept is not None and kept.consolidated and kept.stability == pytest.approx(heard.stability * gain)
    for brain in workers:
        stats = await brain.stats()
        assert (stats["pending"], stats["long_term"]) == (0, 1)


async def test_sleep_drops_a_pending_trace_that_faded_whoever_perceived_it(
    workers: tuple[Brain, Brain], clock: ManualClock
) -> None:
    one, two = workers
    faint = await one.perceive("a passing remark about the weather", memory_type="episodic", salience=0.0)
    vivid = await one.perceive("the contract renews on the first of June", memory_type="semantic", salience=0.9)
    clock.advance(days=4)  # the faint remark fell below the consolidation threshold; the contract did not
    report = await two.sleep()
    assert report == {"consolidated": 1, "pruned_wm": 1, "pruned_ltm": 0, "locked_out": 0}
    assert await stored(one, [faint.engram_id]) == [None]
    assert [e.engram_id for e in await one.list()] == [vivid.engram_id]
