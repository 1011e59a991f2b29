"""The Brain end to end on the in-memory store with a manual clock."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, MemoryType, UnknownEngramError

DAY = 86400.0


async def test_seed_quick_start_flow(brain: Brain) -> None:
    await brain.perceive("Paris is the capital of France", memory_type=MemoryType.SEMANTIC)
    await brain.perceive("I had a great meeting with Alice today", memory_type="episodic", salience=0.8)
    await brain.perceive("To debug Python: add breakpoint(), run, inspect locals", memory_type=MemoryType.PROCEDURAL)
    await brain.perceive("User always prefers concise answers", memory_type=MemoryType.HABITUAL, reward=0.9)
    results = await brain.recall("what is the capital of France")
    assert results[0][0].content == "Paris is the capital of France"
    assert len(brain.working_memory) == 4
    stats = await brain.sleep()
    assert stats["consolidated"] == 4 and stats["pruned_wm"] == 0 and stats["pruned_ltm"] == 0
    assert {e.memory_type for e in await brain.list()} == set(MemoryType)
    assert all(e.consolidated for e in await brain.list())


async def test_thalamus_filtered_input_is_marked_and_not_stored(brain: Brain) -> None:
    engram = await brain.perceive("haha ok thanks!")
    assert engram.filtered and engram.filtered_reason == "phatic"
    assert await brain.list() == [] and brain.working_memory == []
    assert (await brain.stats())["filtered"] == 1
    kept = await brain.perceive("haha ok thanks!", gate=False)
    assert not kept.filtered and len(await brain.list()) == 1


async def test_off_task_input_is_dropped_given_a_focus(brain: Brain) -> None:
    await brain.focus("planning the product launch marketing budget")
    assert (await brain.perceive("the launch marketing budget is 40k")).filtered is False
    assert (await brain.perceive("my cat likes sardines very much")).filtered_reason == "off_task"
    await brain.focus(None)
    assert (await brain.perceive("my cat likes sardines very much")).filtered is False


async def test_amygdala_boosts_stability_and_caller_salience_overrides(brain: Brain) -> None:
    plain = await brain.perceive("the meeting moved to room four", memory_type="episodic", salience=0.5)
    vivid = await brain.perceive("the launch party moved to the roof", memory_type="episodic", salience=0.9)
    assert plain.salience == 0.5 and vivid.salience == 0.9
    assert plain.stability == pytest.approx(168.0)
    assert vivid.stability == pytest.approx(168.0 * 4**0.8)
    auto = await brain.perceive("I was devastated and cried when my dog died last year")
    assert auto.salience > 0.5


async def test_recall_searches_working_and_long_term_memory(brain: Brain) -> None:
    await brain.perceive("the wifi password is hunter2 sunflower", memory_type="semantic")
    await brain.sleep()
    await brain.perceive("the office plant needs water on fridays", memory_type="semantic")
    found = {e.content: e for e, _ in await brain.recall("wifi password sunflower office plant water", top_k=5)}
    assert found["the wifi password is hunter2 sunflower"].consolidated is True
    assert found["the office plant needs water on fridays"].consolidated is False


async def test_recall_applies_ltp_and_counts_access(brain: Brain, clock: ManualClock) -> None:
    engram = await brain.perceive("Rust borrow checker rules explained", memory_type="semantic")
    await brain.sleep()
    before = (await brain.get(engram.engram_id)).stability
    clock.advance(hours=10)
    [(recalled, _)] = await brain.recall("borrow checker", top_k=1)
    assert recalled.access_count == 1
    assert recalled.last_accessed == clock.now()
    r = math.exp(-10 / before)
    effort = 40 * (math.exp(1 - r) - 1)  # retrieval effort: the more faded, the more it teaches
    boost = 4 ** (2 * recalled.salience - 1) * effort * 336.0  # semantic base stability
    assert recalled.stability == pytest.approx(before + 0.3 * boost * math.log(2))
    assert (await brain.get(engram.engram_id)).access_count == 1  # persisted in the store


async def test_a_look_without_strengthening_then_rehearse_is_one_recall(brain: Brain, clock: ManualClock) -> None:
    shown = await brain.perceive("Rust borrow checker rules explained", memory_type="semantic")
    unused = await brain.perceive("Rust lifetimes and the borrow checker", memory_type="semantic")
    await brain.sleep()
    before = {e.engram_id: e.stability for e in await brain.list()}
    clock.advance(hours=10)
    for _ in range(3):  # the same cue, three model calls in one turn: no trace
        looked = await brain.recall("borrow checker", top_k=2, strengthen=False)
        assert {e.engram_id for e, _ in looked} == set(before)
        assert all(e.access_count == 0 and e.stability == before[e.engram_id] for e, _ in looked)
    assert brain.working_memory == []
    [rehearsed] = await brain.rehearse([shown.engram_id, shown.engram_id])  # each id once
    r = math.exp(-10 / before[shown.engram_id])
    boost = 4 ** (2 * rehearsed.salience - 1) * 40 * (math.exp(1 - r) - 1) * 336.0
    assert rehearsed.access_count == 1 and rehearsed.last_accessed == clock.now()
    assert rehearsed.stability == pytest.approx(before[shown.engram_id] + 0.3 * boost * math.log(2))
    stored = {e.engram_id: e for e in await brain.store.get(brain.namespace, list(before))}  # type: ignore[misc]
    assert stored[shown.engram_id].access_count == 1 and stored[unused.engram_id].access_count == 0
    assert stored[unused.engram_id].stability == before[unused.engram_id]


async def test_rehearse_checks_every_id_before_strengthening_any(brain: Brain) -> None:
    known = await brain.perceive("the spare key is under the blue pot", gate=False)
    with pytest.raises(UnknownEngramError, match="nope"):
        await brain.rehearse([known.engram_id, "nope"])
    assert (await brain.get(known.engram_id)).access_count == 0
    with pytest.raises(TypeError, match="sequence of str"):
        await brain.rehearse(known.engram_id)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strengthen must be a bool"):
        await brain.recall("key", strengthen="no")  # type: ignore[arg-type]
    assert brain.sync.rehearse([known.engram_id])[0].access_count == 1


async def test_spacing_effect_spaced_recalls_build_more_stability(clock: ManualClock) -> None:
    async def drill(gap_hours: float) -> float:
        brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock(clock.now()))
        await brain.perceive("the mitochondria is the powerhouse of the cell", memory_type="semantic")
        await brain.sleep()
        for _ in range(5):
            brain.clock.advance(hours=gap_hours)  # type: ignore[attr-defined]
            await brain.recall("mitochondria powerhouse", top_k=1)
        [engram] = await brain.list()
        await brain.close()
        return engram.stability

    massed, spaced = await drill(0.01), await drill(48.0)
    assert spaced > massed


async def test_sleep_prunes_below_5_percent_and_procedural_outlives_episodic(brain: Brain, clock: ManualClock) -> None:
    episode = await brain.perceive("we watched a movie at the cinema", memory_type="episodic", salience=0.5)
    skill = await brain.perceive(
        "To reset the router: hold the button ten seconds", memory_type="procedural", salience=0.5
    )
    await brain.sleep()
    episodic_life = (await brain.get(episode.engram_id)).stability * math.log(20) * 3600
    clock.advance(episodic_life - 60)
    assert (await brain.sleep())["pruned_ltm"] == 0  # still just above 5 %
    clock.advance(120)
    stats = await brain.sleep()
    assert stats["pruned_ltm"] == 1
    with pytest.raises(UnknownEngramError):
        await brain.get(episode.engram_id)
    assert (await brain.get(skill.engram_id)).content.startswith("To reset")
    assert [e.content for e, _ in await brain.recall("movie cinema", top_k=3)] != ["we watched a movie at the cinema"]


async def test_reward_strengthens_and_negative_reward_weakens_a_habit(brain: Brain) -> None:
    habit = await brain.perceive("user likes to get answers as bullet lists", memory_type="habitual")
    await brain.sleep()
    base = (await brain.get(habit.engram_id)).stability
    up = await brain.reinforce(habit.engram_id, 0.8)
    assert up.stability == pytest.approx(base * math.exp(0.8))
    await brain.reinforce(habit.engram_id, -0.8)  # back to where it started
    down = await brain.reinforce(habit.engram_id, -0.8)
    assert down.stability == pytest.approx(base * math.exp(-0.8)) and down.stability < base
    # The same salience for both, so that only the reward sets them apart (novelty would not).
    rewarded = await brain.perceive("user always wants dark mode", memory_type="habitual", salience=0.5, reward=0.9)
    neutral = await brain.perceive("user always wants metric units", memory_type="habitual", salience=0.5)
    assert rewarded.stability == pytest.approx(neutral.stability * math.exp(0.9))


async def test_unconsolidated_traces_that_faded_are_pruned_at_sleep(brain: Brain, clock: ManualClock) -> None:
    await brain.perceive("a forgettable remark about the weather pattern", memory_type="episodic", salience=0.0)
    clock.advance(days=30)
    stats = await brain.sleep()
    assert stats == {"consolidated": 0, "pruned_wm": 1, "pruned_ltm": 0, "locked_out": 0}
    assert await brain.list() == []


async def test_hearing_the_same_thing_again_rehearses_it(brain: Brain) -> None:
    first = await brain.perceive("our standup is at nine thirty", memory_type="semantic")
    again = await brain.perceive("our standup is at nine thirty", memory_type="semantic")
    assert again.engram_id == first.engram_id and again.access_count == 1
    assert len(await brain.list()) == 1
    other = await brain.perceive("our standup is at nine thirty", memory_type="semantic", metadata={"session": "b"})
    assert other.engram_id != first.engram_id  # said in another context: its own memory
    assert len(await brain.list()) == 2


async def test_filters_type_time_and_metadata(brain: Brain, clock: ManualClock) -> None:
    early = await brain.perceive(
        "budget review for the garden project", memory_type="episodic", metadata={"user": "ann"}
    )
    clock.advance(days=2)
    await brain.perceive("garden project budget is approved", memory_type="semantic", metadata={"user": "bob"})
    q = "garden project budget"
    assert {e.memory_type for e, _ in await brain.recall(q, memory_type="semantic")} == {MemoryType.SEMANTIC}
    assert [e.engram_id for e, _ in await brain.recall(q, until=early.encoded_at + 1)] == [early.engram_id]
    assert [e.metadata["user"] for e, _ in await brain.recall(q, metadata={"user": "bob"})] == ["bob"]
    assert len(await brain.recall(q, since=clock.now() - 10)) == 1
    assert await brain.recall(q, top_k=0) == []


async def test_forget_removes_everywhere(brain: Brain) -> None:
    a = await brain.perceive("the locker code is 4512", memory_type="semantic")
    await brain.sleep()
    assert await brain.forget(a.engram_id) is True
    assert await brain.recall("locker code") == []
    assert await brain.forget(a.engram_id) is False  # already gone: no error, as in neuram 0.1.0
    assert await brain.store.count(brain.namespace) == 0


async def test_namespaces_never_mix(brain: Brain) -> None:
    other = brain.for_namespace("bob")
    await brain.perceive("alice keeps her keys under the mat", memory_type="semantic")
    await other.perceive("bob keeps his keys in the drawer", memory_type="semantic")
    await brain.sleep()
    await other.sleep()
    assert [e.content for e, _ in await other.recall("keys", top_k=10)] == ["bob keeps his keys in the drawer"]
    assert [e.content for e, _ in await brain.recall("keys", top_k=10)] == ["alice keeps her keys under the mat"]
    assert brain.for_namespace("bob") is other
    assert await brain.namespaces() == ["bob", "default"]


async def test_consolidated_memories_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "memory.db"
    brain = await Brain.create(path=path, embedder=HashingEmbedder(), clock=clock)
    one = await brain.perceive("Marie Curie won two Nobel prizes", memory_type="semantic")
    two = await brain.perceive("she discovered polonium and radium", memory_type="semantic")
    await brain.sleep()
    await brain.recall("Nobel prizes", top_k=1)
    saved = await brain.get(one.engram_id)
    await brain.close()

    again = await Brain.create(path=path, embedder=HashingEmbedder(), clock=clock)
    [(found, _)] = await again.recall("Marie Curie Nobel", top_k=1)
    assert found.engram_id == one.engram_id
    assert found.access_count == saved.access_count + 1
    assert dict(found.associations)[two.engram_id] == pytest.approx(dict(saved.associations)[two.engram_id])
    assert (await again.get(two.engram_id)).content == "she discovered polonium and radium"
    await again.close()


async def test_background_sleep_cycle_consolidates(clock: ManualClock) -> None:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock, sleep_interval_seconds=0.05)
    fact = await brain.perceive("the server room is on floor three", memory_type="semantic")
    await brain.start_sleep_cycle()
    for _ in range(100):
        await asyncio.sleep(0.02)
        if not brain.hippocampus.pending:
            break
    await brain.stop_sleep_cycle()
    [stored] = await brain.store.get(brain.namespace, [fact.engram_id])
    assert stored is not None and stored.consolidated
    assert brain.sleep_cycle.running is False
    await brain.close()


async def test_two_sleepers_never_consolidate_the_same_namespace_at_once(brain: Brain) -> None:
    assert await brain.store.acquire_lock(brain.namespace, "sleep", "another-worker", 60)
    await brain.perceive("the fire drill is on tuesday", memory_type="semantic")
    assert (await brain.sleep())["locked_out"] == 1
    await brain.store.release_lock(brain.namespace, "sleep", "another-worker")
    assert (await brain.sleep())["consolidated"] == 1


async def test_consolidation_failure_keeps_items_for_a_later_cycle(
    brain: Brain, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = await brain.perceive("the quarterly report is due on the fifth", memory_type="semantic")
    real_update = brain.store.update

    async def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("store went away")

    monkeypatch.setattr(brain.store, "update", broken)
    with pytest.raises(ConnectionError):
        await brain.sleep()
    assert len(brain.hippocampus.pending) == 1
    monkeypatch.setattr(brain.store, "update", real_update)
    assert (await brain.sleep())["consolidated"] == 1
    [stored] = await brain.store.get(brain.namespace, [report.engram_id])
    assert stored is not None and stored.consolidated


async def test_engram_id_replaces_and_consolidate_writes_through(brain: Brain) -> None:
    first = await brain.perceive("the door code is 1234", memory_type="semantic", consolidate=True)
    assert await brain.store.count(brain.namespace) == 1
    second = await brain.perceive("the door code is 9876", memory_type="semantic", engram_id=first.engram_id)
    assert second.engram_id == first.engram_id
    assert [e.content for e in await brain.list()] == ["the door code is 9876"]
    [stored] = await brain.store.get(brain.namespace, [first.engram_id])  # the old long-term copy is gone:
    assert stored is not None and stored.content == "the door code is 9876" and not stored.consolidated
