"""A perceived memory is durable at once: written through to the store as pending (not yet
consolidated), so it outlives the process, a crash included, and every worker sees it;
sleep still decides what is kept and what fades (issue 14, "Nothing lost")."""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, NeuramConfig
from neuram_core.dynamics import forget_at, forget_at_for
from neuram_core.engram import Engram, MemoryType
from neuram_core.stores.sqlite import SQLiteStore
from tests.conftest import START
from tests.crash_after_perceive import perceive_then_sigkill

NS = "default"


async def open_brain(path: Path, clock: ManualClock | None = None) -> Brain:
    return await Brain.create(path=path, embedder=HashingEmbedder(), clock=clock or ManualClock(START))


@pytest.fixture
async def workers(tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[Brain, Brain]]:
    """Two Brains on one SQLite file: two store objects, as two processes would have."""
    path = tmp_path / "memory.db"
    one, two = await open_brain(path, clock), await open_brain(path, clock)
    try:
        yield one, two
    finally:
        await one.close()
        await two.close()


async def stored(brain: Brain, engram_id: str) -> Engram:
    [engram] = await brain.store.get(brain.namespace, [engram_id])
    assert engram is not None, f"{engram_id} is not in the store"
    return engram


# -- outliving the process ------------------------------------------------------------------
async def test_a_process_killed_right_after_perceive_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    engram_id = perceive_then_sigkill(f"sqlite:///{path}", NS, "the spare key hangs behind the boiler")
    brain = await Brain.create(path=path, embedder=HashingEmbedder())
    try:
        [(found, _)] = await brain.recall("where is the spare key", top_k=1)
        assert found.engram_id == engram_id and not found.consolidated
        stats = await brain.stats()
        assert (stats["pending"], stats["long_term"]) == (1, 0)
    finally:
        await brain.close()


async def test_perceive_then_close_then_reopen_recalls_it(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "memory.db"
    brain = await open_brain(path, clock)
    heard = await brain.perceive("the wifi password is on the fridge", memory_type="semantic")
    await brain.close()

    again = await open_brain(path, clock)
    try:
        [(found, _)] = await again.recall("wifi password", top_k=1)
        assert found.engram_id == heard.engram_id and not found.consolidated
        assert set(again.hippocampus.pending) == {heard.engram_id}
        assert (await again.sleep())["consolidated"] == 1  # a restart's sleep consolidates it
        assert (await stored(again, heard.engram_id)).consolidated
    finally:
        await again.close()


async def test_a_failed_write_leaves_nothing_half_written(brain: Brain, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("store went away")

    monkeypatch.setattr(brain.store, "put", broken)
    with pytest.raises(ConnectionError):
        await brain.perceive("the meeting moved to room four", memory_type="semantic")
    with pytest.raises(ConnectionError):
        await brain.perceive_many(["first note of the batch", "second note of the batch"], gate=False)
    assert len(brain.hippocampus) == 0 and not brain.hippocampus.pending and brain.working_memory == []


# -- every worker sees it at once ---------------------------------------------------------------
async def test_two_workers_see_each_others_pending_memories_at_once(workers: tuple[Brain, Brain]) -> None:
    one, two = workers
    mine = await one.perceive("Ada's flight lands at gate B12", memory_type="episodic")
    [(found, _)] = await two.recall("which gate does Ada's flight land at", top_k=1)
    assert found.engram_id == mine.engram_id and not found.consolidated
    theirs = await two.perceive("Ada prefers the window seat", memory_type="habitual")
    assert {e.engram_id for e in await one.list()} == {mine.engram_id, theirs.engram_id}
    for brain in workers:
        stats = await brain.stats()
        assert (stats["pending"], stats["long_term"]) == (2, 0)


async def test_ltp_on_a_pending_engram_reaches_the_store_and_other_workers(
    workers: tuple[Brain, Brain], clock: ManualClock
) -> None:
    one, two = workers
    heard = await one.perceive("the boat leaves at six", memory_type="episodic")
    clock.advance(hours=2)
    [(recalled, _)] = await two.recall("when does the boat leave", top_k=1)
    assert recalled.access_count == 1 and recalled.stability > heard.stability
    kept = await stored(one, heard.engram_id)
    assert (kept.access_count, kept.stability, kept.consolidated) == (1, recalled.stability, False)
    await one.list()  # follows the store
    assert (await one.get(heard.engram_id)).stability == recalled.stability
    # Its forget-at moved with it: not due until the new curve falls below the threshold.
    due = forget_at_for(kept, one.config)
    assert await one.store.prune(NS, due - 1, 10) == []


async def test_ltp_and_reward_on_a_pending_engram_survive_a_reopen(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "memory.db"
    brain = await open_brain(path, clock)
    habit = await brain.perceive("the user always wants metric units", memory_type="habitual")
    clock.advance(hours=1)
    [(recalled, _)] = await brain.recall("metric units", top_k=1)
    rewarded = await brain.reinforce(habit.engram_id, 0.5)
    assert rewarded.stability == pytest.approx(recalled.stability * math.exp(0.5))
    await brain.close()

    again = await open_brain(path, clock)
    try:
        found = await again.get(habit.engram_id)
        assert (found.access_count, found.stability, found.reward) == (1, rewarded.stability, 0.5)
        assert habit.engram_id in again.hippocampus.pending  # still waiting for a sleep
    finally:
        await again.close()


async def test_temporal_links_to_a_new_engram_are_stored_on_both_sides(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "memory.db"
    brain = await open_brain(path, clock)
    first = await brain.perceive("we landed in Lisbon at noon", memory_type="episodic")
    await brain.sleep()  # the first one is long-term now; the link still reaches it
    clock.advance(seconds=30)
    second = await brain.perceive("the hotel is near the river", memory_type="episodic")
    await brain.close()

    store = SQLiteStore(path)
    try:
        old, new = await store.get(NS, [first.engram_id, second.engram_id])
        assert old is not None and new is not None and old.consolidated and not new.consolidated
        assert dict(old.associations)[second.engram_id] == pytest.approx(math.exp(-30 / 300))
        assert dict(new.associations)[first.engram_id] == pytest.approx(math.exp(-30 / 300))
    finally:
        await store.close()


# -- sleep still decides --------------------------------------------------------------------------
async def test_sleep_drops_a_pending_trace_that_faded_whoever_perceived_it(
    workers: tuple[Brain, Brain], clock: ManualClock
) -> None:
    one, two = workers
    faint = await one.perceive("a passing remark about the weather", memory_type="episodic", salience=0.0)
    clock.advance(days=30)
    report = await two.sleep()
    assert report == {"consolidated": 0, "pruned_wm": 1, "pruned_ltm": 0, "locked_out": 0}
    assert await one.store.get(NS, [faint.engram_id]) == [None]
    assert await one.list() == [] and not one.hippocampus.pending


async def test_a_pending_trace_is_due_when_it_falls_below_the_consolidation_threshold(brain: Brain) -> None:
    config = brain.config
    heard = await brain.perceive("the plumber comes on monday", memory_type="episodic")
    due = forget_at(heard, config.consolidation_threshold)
    assert forget_at_for(heard, config) == due < forget_at(heard, config.retention_threshold)
    assert await brain.store.prune(NS, due - 1.0, 10) == []  # vivid enough to consolidate until then
    assert await brain.store.prune(NS, due, 10) == [heard.engram_id]


def test_forget_at_for_picks_the_threshold_by_consolidation() -> None:
    config = NeuramConfig()
    engram = Engram("x", MemoryType.SEMANTIC, 0.5, stability=10.0, last_accessed=START)
    assert forget_at_for(engram, config) == forget_at(engram, config.consolidation_threshold)
    engram.consolidated = True
    assert forget_at_for(engram, config) == forget_at(engram, config.retention_threshold)
    engram.consolidated = False  # a threshold of 0: every pending trace is kept for sleep
    assert forget_at_for(engram, config.replace(consolidation_threshold=0.0)) == math.inf


async def test_two_sleeping_workers_consolidate_a_vivid_trace_exactly_once(workers: tuple[Brain, Brain]) -> None:
    one, two = workers
    heard = await one.perceive("the lease ends in March", memory_type="semantic")
    await two.list()  # the other worker holds it pending too
    reports = [*await asyncio.gather(one.sleep(), two.sleep()), await one.sleep(), await two.sleep()]
    assert sum(r["consolidated"] for r in reports) == 1
    gain = one.config.consolidation_gain[MemoryType.SEMANTIC]
    kept = await stored(one, heard.engram_id)
    assert kept.consolidated and kept.stability == pytest.approx(heard.stability * gain)


async def test_consolidation_applies_only_to_a_record_still_pending(workers: tuple[Brain, Brain]) -> None:
    """A worker whose index is behind (it never followed the first's sleep) must not
    multiply the stability a second time."""
    one, two = workers
    heard = await one.perceive("the lease ends in March", memory_type="semantic")
    await two.list()
    stale = two.hippocampus.get(heard.engram_id)
    assert stale is not None and not stale.consolidated
    assert (await one.sleep())["consolidated"] == 1
    once = (await stored(one, heard.engram_id)).stability
    assert await asyncio.to_thread(two.call_blocking, two.sleep_cycle.consolidate([stale])) == 0  # on its loop
    assert (await stored(one, heard.engram_id)).stability == once
    assert heard.engram_id not in two.hippocampus.pending  # it learned the stored state


async def test_consolidate_true_writes_the_consolidated_engram_directly(brain: Brain) -> None:
    fact = await brain.perceive("water boils at 100 degrees at sea level", memory_type="semantic", consolidate=True)
    kept = await stored(brain, fact.engram_id)
    assert kept.consolidated and fact.consolidated and not brain.hippocampus.pending
    stats = await brain.stats()
    assert (stats["pending"], stats["long_term"]) == (0, 1)


async def test_perceive_many_writes_each_batch_in_one_put(brain: Brain, monkeypatch: pytest.MonkeyPatch) -> None:
    puts: list[int] = []
    real_put = brain.store.put

    async def counted(namespace: str, items: Any) -> None:
        puts.append(len(items))
        await real_put(namespace, items)

    monkeypatch.setattr(brain.store, "put", counted)
    texts = [f"note number {i} about the garden shed" for i in range(600)]
    engrams = await brain.perceive_many(texts, memory_type="semantic", gate=False)
    assert puts == [512, 88]
    assert await brain.store.count(NS) == 600 == len(brain.hippocampus.pending)
    first = await stored(brain, engrams[0].engram_id)
    assert {i for i, _ in first.associations} == {e.engram_id for e in engrams[1:4]}  # linked within the batch


# -- records written before version 3 -------------------------------------------------------------
async def test_a_version_2_record_loads_as_consolidated(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "memory.db"
    brain = await open_brain(path, clock)
    fact = await brain.perceive("Paris is the capital of France", memory_type="semantic", consolidate=True)
    await brain.perceive("a pending note that stays pending", memory_type="semantic")
    await brain.close()
    with sqlite3.connect(path) as conn:  # as neuram wrote it before version 3
        [record] = conn.execute("SELECT record FROM engrams WHERE id = ?", (fact.engram_id,)).fetchone()
        fields = json.loads(record)
        fields.pop("consolidated", None)  # version 4 writes it only for pending traces
        conn.execute("UPDATE engrams SET record = ? WHERE id = ?", (json.dumps({**fields, "v": 2}), fact.engram_id))

    again = await open_brain(path, clock)
    try:
        assert (await again.get(fact.engram_id)).consolidated
        stats = await again.stats()
        assert (stats["pending"], stats["long_term"]) == (1, 1)
    finally:
        await again.close()
