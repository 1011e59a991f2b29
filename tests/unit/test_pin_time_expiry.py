"""Pinning, event time and expiry (issue 16, items 4-6), on the real engine with a manual clock."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock
from neuram_core.dynamics import forget_at_for, time_until_forgotten
from neuram_core.engram import Engram, MemoryType
from neuram_core.errors import UnknownEngramError

HOUR = 3600.0
DAY = 86400.0
YEAR = 365.0 * DAY
LN20 = math.log(20.0)  # stability-lengths a consolidated memory lasts unrecalled (threshold 5 %)
SEMANTIC_S = 336.0 * 4.0  # semantic base stability at salience 0.5, times the consolidation gain
EPISODIC_S = 168.0  # episodic base stability at salience 0.5, pending

CHAT = [  # (text, event time in days before now), in the order the log is perceived
    ("Dana asked me to review the onboarding checklist draft", 21.0),
    ("We agreed the launch moves to the first week of June", 7.0),
    ("I sent Dana the checklist comments about badge access", 21.0 - 60.0 / DAY),
    ("Marco explained the quarterly travel budget freeze", 14.0),
    ("Marco booked the venue for the June launch party", 7.0 - 240.0 / DAY),
]


@pytest.fixture
async def brain(clock: ManualClock) -> AsyncIterator[Brain]:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    yield brain
    await brain.close()


async def stored(brain: Brain, engram_id: str) -> Engram | None:
    [engram] = await brain.store.get(brain.namespace, [engram_id])
    return engram


# -- pinning -------------------------------------------------------------------------------
async def test_a_pinned_memory_survives_ten_years_and_twenty_sleeps(brain: Brain, clock: ManualClock) -> None:
    kept = await brain.perceive("My passport number is X1234567", "semantic", 0.5, pinned=True, consolidate=True)
    assert kept.pinned and kept.stability == pytest.approx(SEMANTIC_S)
    assert time_until_forgotten(kept, clock.now()) == math.inf
    for _ in range(20):
        clock.advance(YEAR / 2)
        report = await brain.sleep()
        assert report["pruned_ltm"] == report["pruned_wm"] == 0
    engram = await brain.get(kept.engram_id)
    assert engram.pinned and brain.retention(engram) == pytest.approx(math.exp(-10 * YEAR / HOUR / SEMANTIC_S))  # 5e-29
    record = await stored(brain, kept.engram_id)
    assert record is not None and record.pinned


async def test_an_unpinned_twin_is_pruned_after_ln20_stabilities(brain: Brain, clock: ManualClock) -> None:
    twin = await brain.perceive("The storage unit code is 4471", "semantic", 0.5, consolidate=True)
    assert not twin.pinned and twin.stability == pytest.approx(SEMANTIC_S)
    clock.advance(LN20 * SEMANTIC_S * HOUR - 1.0)  # 4,026 h: one second short
    assert (await brain.sleep())["pruned_ltm"] == 0
    clock.advance(2.0)
    assert (await brain.sleep())["pruned_ltm"] == 1
    assert await stored(brain, twin.engram_id) is None


async def test_pin_and_unpin_in_the_store_and_the_index(brain: Brain, clock: ManualClock) -> None:
    engram = await brain.perceive("The backup drive sits in the left drawer", "semantic", 0.5, consolidate=True)
    pinned = await brain.pin(engram.engram_id)
    assert pinned.pinned and pinned.stability == engram.stability and pinned.access_count == 0  # no rehearsal
    assert (await brain.get(engram.engram_id)).pinned
    clock.advance(10 * YEAR)
    assert (await brain.sleep())["pruned_ltm"] == 0
    unpinned = await brain.unpin(engram.engram_id)
    assert not unpinned.pinned
    record = await stored(brain, engram.engram_id)
    assert record is not None and not record.pinned
    assert forget_at_for(record) == pytest.approx(engram.encoded_at + LN20 * SEMANTIC_S * HOUR)  # long past
    assert (await brain.sleep())["pruned_ltm"] == 1
    with pytest.raises(UnknownEngramError):
        await brain.pin(engram.engram_id)


async def test_pin_refuses_unknown_and_malformed_ids(brain: Brain) -> None:
    with pytest.raises(UnknownEngramError, match="nope"):
        await brain.pin("nope")
    with pytest.raises(UnknownEngramError):
        await brain.unpin("nope")
    with pytest.raises(ValueError, match="invalid engram id"):
        await brain.pin("")
    with pytest.raises(TypeError):
        await brain.pin(42)  # type: ignore[arg-type]
    assert await brain.store.count(brain.namespace) == 0


async def test_perceiving_a_known_memory_pinned_pins_it(brain: Brain) -> None:
    first = await brain.perceive("The garage door code is 2580", "semantic", 0.5)
    again = await brain.perceive("The garage door code is 2580", "semantic", 0.5, pinned=True)
    assert again.engram_id == first.engram_id and again.pinned and again.access_count == 1
    record = await stored(brain, first.engram_id)
    assert record is not None and record.pinned and forget_at_for(record) == math.inf
    assert await brain.store.count(brain.namespace) == 1


# -- event time ------------------------------------------------------------------------------
async def test_a_chat_log_takes_its_event_times(brain: Brain, clock: ManualClock) -> None:
    now = clock.now()
    texts = [text for text, _ in CHAT]
    times = [now - days * DAY for _, days in CHAT]
    log = await brain.perceive_many(texts, "episodic", 0.5, at=times, gate=False)
    assert [e.encoded_at for e in log] == times and [e.last_accessed for e in log] == times
    assert [round(brain.retention(e), 4) for e in log] == [0.0498, 0.3679, 0.0498, 0.1353, 0.368]
    assert brain.retention(log[0]) == pytest.approx(math.exp(-21 * 24 / EPISODIC_S))
    # Links follow event time: turns 0-2 (60 s apart) and 1-4 (240 s), not arrival neighbours.
    links = {i: dict((await brain.get(e.engram_id)).associations) for i, e in enumerate(log)}
    ids = [e.engram_id for e in log]
    assert links[0] == {ids[2]: pytest.approx(math.exp(-60 / 300))}
    assert links[2] == {ids[0]: pytest.approx(math.exp(-60 / 300))}
    assert links[1] == {ids[4]: pytest.approx(math.exp(-240 / 300))}
    assert links[4] == {ids[1]: pytest.approx(math.exp(-240 / 300))}
    assert links[3] == {}
    record = await stored(brain, ids[0])
    assert record is not None and dict(record.associations) == links[0]  # the store holds the edges too
    live = await brain.perceive("Priya joined the launch planning call today", "episodic", 0.5)
    assert live.associations == []  # weeks from every turn in event time, though just after in arrival


async def test_since_and_until_follow_event_time(brain: Brain, clock: ManualClock) -> None:
    now = clock.now()
    log = await brain.perceive_many([t for t, _ in CHAT], "episodic", 0.5, at=[now - d * DAY for _, d in CHAT])
    found = await brain.recall("Marco travel budget", 5, since=now - 15 * DAY, until=now - 13 * DAY)
    assert [e.engram_id for e, _ in found] == [log[3].engram_id]
    window = await brain.activations("launch June checklist", 10, since=now - 8 * DAY)
    assert {a.engram.engram_id for a in window} == {log[1].engram_id, log[4].engram_id}
    assert [e.engram_id for e in await brain.list()] == [log[i].engram_id for i in (0, 2, 3, 1, 4)]  # by event time


async def test_old_history_follows_its_curve_through_sleep(brain: Brain, clock: ManualClock) -> None:
    now = clock.now()
    texts = [t for t, _ in CHAT]
    pending = await brain.perceive_many(texts[:2], "episodic", 0.5, at=[now - 21 * DAY, now - 1 * DAY])
    # Pending and below the consolidation threshold (0.5) at 21 days: pruned; one day old: kept.
    assert round(brain.retention(pending[1]), 4) == 0.8669
    report = await brain.sleep()
    assert (report["pruned_wm"], report["consolidated"]) == (1, 1)
    kept = await brain.perceive_many(texts[2:3], "episodic", 0.5, at=now - 21 * DAY, consolidate=True)
    assert kept[0].consolidated and kept[0].stability == pytest.approx(EPISODIC_S * 4)
    clock.set(kept[0].encoded_at + LN20 * EPISODIC_S * 4 * HOUR - 1.0)
    assert (await brain.sleep())["pruned_ltm"] == 0
    clock.advance(2.0)
    assert (await brain.sleep())["pruned_ltm"] == 1  # counted from the event, not from the import


async def test_event_time_accepts_a_datetime(brain: Brain, clock: ManualClock) -> None:
    when = datetime(2023, 11, 1, 9, 30, tzinfo=UTC)
    engram = await brain.perceive("Quarterly review held in the Berlin office", at=when)
    assert engram.encoded_at == engram.last_accessed == when.timestamp() < clock.now()


async def test_bad_times_are_refused_before_anything_is_stored(brain: Brain, clock: ManualClock) -> None:
    now = clock.now()
    with pytest.raises(ValueError, match=r"^at \(1700000001\.000\) is after the clock's now"):
        await brain.perceive("The meeting room is booked", at=now + 1)
    with pytest.raises(ValueError, match=r"at\[2\] .* is after the clock's now"):
        await brain.perceive_many([t for t, _ in CHAT[:3]], at=[now - 10, now - 5, now + 60])
    with pytest.raises(ValueError, match="at has 2 entries for 3 contents"):
        await brain.perceive_many([t for t, _ in CHAT[:3]], at=[now - 10, now - 5])
    with pytest.raises(TypeError, match="at must be a number, not str"):
        await brain.perceive("The meeting room is booked", at="yesterday")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at must be finite"):
        await brain.perceive("The meeting room is booked", at=math.nan)
    with pytest.raises(ValueError, match=r"expires_at \(.*\) must be after the event time"):
        await brain.perceive("The meeting room is booked", at=now - 100, expires_at=now - 100)
    with pytest.raises(ValueError, match=r"expires_at\[1\] .* must be after the event time"):
        await brain.perceive_many([t for t, _ in CHAT[:2]], at=now - 50, expires_at=[None, now - 60])
    with pytest.raises(ValueError, match="a pinned memory never expires"):
        await brain.perceive("The meeting room is booked", pinned=True, expires_at=now + 60)
    with pytest.raises(TypeError, match="pinned must be a bool, not str"):
        await brain.perceive("The meeting room is booked", pinned="yes")  # type: ignore[arg-type]
    assert await brain.store.count(brain.namespace) == 0 and len(brain.hippocampus) == 0


# -- expiry -----------------------------------------------------------------------------------
async def test_an_expiring_memory_is_recalled_before_not_after_and_pruned_at_sleep(
    brain: Brain, clock: ManualClock
) -> None:
    start = clock.now()
    note = await brain.perceive("The office wifi password is tulip42 this week", "semantic", expires_at=start + 3 * DAY)
    assert time_until_forgotten(note, start) == pytest.approx(72.0)  # the expiry comes before the curve
    clock.advance(3 * DAY - 1)
    assert [e.engram_id for e, _ in await brain.recall("office wifi password")] == [note.engram_id]
    clock.advance(1)  # at the expiry
    assert await brain.recall("office wifi password") == []
    assert await brain.activations("office wifi password") == []
    assert await brain.list() == []
    assert (await brain.get(note.engram_id)).expires_at == start + 3 * DAY  # asked by id, it is still there
    report = await brain.sleep()
    assert report["pruned_wm"] + report["pruned_ltm"] == 1
    assert await stored(brain, note.engram_id) is None
    with pytest.raises(UnknownEngramError):
        await brain.get(note.engram_id)


async def test_the_same_words_after_expiry_are_a_new_memory(brain: Brain, clock: ManualClock) -> None:
    old = await brain.perceive("The office wifi password is tulip42", "semantic", expires_at=clock.now() + DAY)
    clock.advance(2 * DAY)
    new = await brain.perceive("The office wifi password is tulip42", "semantic")
    assert new.engram_id != old.engram_id and new.expires_at is None and new.access_count == 0
    assert [e.engram_id for e, _ in await brain.recall("office wifi password", strengthen=False)] == [new.engram_id]
    await brain.sleep()
    assert [e.engram_id for e in await brain.list()] == [new.engram_id]


async def test_pinning_sets_an_expiry_aside_until_unpinned(brain: Brain, clock: ManualClock) -> None:
    note = await brain.perceive("Parking is on level three today", "episodic", expires_at=clock.now() + HOUR)
    await brain.pin(note.engram_id)
    clock.advance(2 * HOUR)
    assert [e.engram_id for e, _ in await brain.recall("parking level", strengthen=False)] == [note.engram_id]
    report = await brain.sleep()
    assert report["pruned_wm"] + report["pruned_ltm"] == 0
    await brain.unpin(note.engram_id)
    assert await brain.recall("parking level") == []
    report = await brain.sleep()
    assert report["pruned_wm"] + report["pruned_ltm"] == 1


async def test_perceive_many_expiry_one_per_input(brain: Brain, clock: ManualClock) -> None:
    now = clock.now()
    texts = [t for t, _ in CHAT[:3]]
    engrams = await brain.perceive_many(texts, "semantic", expires_at=[now + HOUR, None, now + 2 * HOUR])
    assert [e.expires_at for e in engrams] == [now + HOUR, None, now + 2 * HOUR]
    clock.advance(1.5 * HOUR)
    assert [e.content for e in await brain.list()] == texts[1:]


def test_time_until_forgotten_of_pinned_and_expiring_engrams() -> None:
    base = Engram("x", MemoryType.SEMANTIC, 0.5, stability=10.0, last_accessed=0.0)
    assert time_until_forgotten(base, 0.0) == pytest.approx(10.0 * LN20)  # 29.96 h
    assert time_until_forgotten(Engram("x", MemoryType.SEMANTIC, 0.5, stability=10.0, pinned=True), 0.0) == math.inf
    soon = Engram("x", MemoryType.SEMANTIC, 0.5, stability=10.0, expires_at=5 * HOUR)
    assert time_until_forgotten(soon, 0.0) == pytest.approx(5.0)
    assert time_until_forgotten(soon, 6 * HOUR) == 0.0


# -- the sync facade ----------------------------------------------------------------------------
def test_the_sync_facade_pins_and_takes_times(clock: ManualClock) -> None:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    with brain.sync as sync:
        now = clock.now()
        old = sync.perceive("We shipped version two to the pilot customers", at=now - 2 * DAY)
        assert old.encoded_at == now - 2 * DAY
        assert sync.pin(old.engram_id).pinned and not sync.unpin(old.engram_id).pinned
        short = sync.perceive("The demo laptop is charging in room four", expires_at=now + HOUR)
        log = sync.perceive_many([t for t, _ in CHAT[:2]], at=[now - 60, now - 30], pinned=True)
        assert [e.pinned for e in log] == [True, True]
        clock.advance(2 * HOUR)
        assert short.engram_id not in {e.engram_id for e in sync.list()}
        with pytest.raises(UnknownEngramError):
            sync.pin("missing")
