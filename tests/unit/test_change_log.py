"""The SQLite change log stays bounded, and a reader it left behind reloads.

Two SQLiteStore objects on one file stand for two processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, NeuramConfig
from neuram_core.engram import Engram
from neuram_core.errors import ChangeLogTrimmedError, StoreUnavailableError
from neuram_core.stores.sqlite import SQLiteStore
from tests.contract.support import engram

NS = "default"
KEEP = 20
START = 1_700_000_000.0
DAY = 86400.0


def log_rows(path: Path, namespace: str | None = None) -> int:
    with sqlite3.connect(path) as conn:
        if namespace is None:
            return int(conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0])
        return int(conn.execute("SELECT COUNT(*) FROM changes WHERE ns = ?", (namespace,)).fetchone()[0])


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SQLiteStore, SQLiteStore]]:
    """A writer and a reader on one file, each keeping KEEP entries per namespace."""
    path = tmp_path / "memory.db"
    writer, reader = SQLiteStore(path, change_log_keep=KEEP), SQLiteStore(path, change_log_keep=KEEP)
    yield writer, reader
    await writer.close()
    await reader.close()


@contextlib.asynccontextmanager
async def _store(path: Path, keep: int | None = KEEP) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(path, change_log_keep=keep)
    try:
        yield store
    finally:
        await store.close()


async def put(store: SQLiteStore, namespace: str, *ids: str) -> None:
    await store.put(namespace, [(engram(i), 1e12) for i in ids])


# -- the store ---------------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [0, -3, True, 2.5, "100"])
def test_change_log_keep_must_be_a_positive_int(keep: object) -> None:
    with pytest.raises(ValueError, match="change_log_keep"):
        SQLiteStore(":memory:", change_log_keep=keep)  # type: ignore[arg-type]


async def test_a_cursor_that_is_not_ours_is_a_clear_error(stores: tuple[SQLiteStore, SQLiteStore]) -> None:
    writer, _ = stores
    with pytest.raises(ValueError, match="not a SQLite change cursor"):
        await writer.changes(NS, "1700000000-0")
    with pytest.raises(TypeError, match="cursor must be a str"):
        await writer.changes(NS, 7)  # type: ignore[arg-type]


async def test_writes_keep_the_log_bounded_per_namespace(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    async with _store(path) as store:
        for i in range(300):
            await put(store, "a", f"e{i}")
        await put(store, "b", *(f"b{i}" for i in range(500)))  # one write, far over the bound
        assert KEEP <= log_rows(path, "a") < KEEP + KEEP // 4
        assert log_rows(path, "b") == KEEP


async def test_the_bound_holds_when_every_write_is_another_process(tmp_path: Path) -> None:
    """A CLI call opens a store, writes once and exits: the trim schedule lives in the file."""
    path = tmp_path / "memory.db"
    for i in range(120):
        async with _store(path) as store:
            await put(store, NS, f"e{i}")
    assert log_rows(path) < KEEP + KEEP // 4


async def test_a_reader_the_trim_left_behind_is_told(stores: tuple[SQLiteStore, SQLiteStore]) -> None:
    writer, reader = stores
    lagging, _ = await reader.changes(NS, None)
    for i in range(3 * KEEP):
        await put(writer, NS, f"e{i}")
    with pytest.raises(ChangeLogTrimmedError) as caught:
        await reader.changes(NS, lagging)
    assert caught.value.namespace == NS and isinstance(caught.value, RuntimeError)
    fresh, _ = await reader.changes(NS, None)  # what a reload starts from
    await put(writer, NS, "after")
    assert [c.engram_id for c in (await reader.changes(NS, fresh))[1]] == ["after"]


async def test_a_reader_that_keeps_up_is_never_told(stores: tuple[SQLiteStore, SQLiteStore]) -> None:
    writer, reader = stores
    cursor, _ = await reader.changes(NS, None)
    seen: list[str] = []
    for i in range(5 * KEEP):
        await put(writer, NS, f"e{i}")
        cursor, changes = await reader.changes(NS, cursor)
        seen += [c.engram_id for c in changes]
    assert seen == [f"e{i}" for i in range(5 * KEEP)]


async def test_trimming_one_namespace_leaves_readers_of_another_alone(
    stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    writer, reader = stores
    cursor_a, _ = await reader.changes("a", None)
    cursor_b, _ = await reader.changes("b", None)
    await put(writer, "b", "b1")
    for i in range(3 * KEEP):  # the global seq moves far past the b reader's cursor
        await put(writer, "a", f"a{i}")
    await put(writer, "b", "b2")
    _, changes = await reader.changes("b", cursor_b)
    assert [c.engram_id for c in changes] == ["b1", "b2"]
    with pytest.raises(ChangeLogTrimmedError):
        await reader.changes("a", cursor_a)


async def test_trim_changes_trims_every_namespace_now(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    async with _store(path, keep=None) as unbounded:
        cursor, _ = await unbounded.changes("a", None)
        for namespace in ("a", "b"):
            for i in range(KEEP + 5):
                await put(unbounded, namespace, f"e{i}")
        assert log_rows(path) == 2 * (KEEP + 5)  # keep=None: nothing trimmed
        assert await unbounded.trim_changes() == 0
        async with _store(path) as bounded:
            assert await bounded.trim_changes("b") == 5
            assert await bounded.trim_changes() == 5
            assert log_rows(path, "a") == log_rows(path, "b") == KEEP
        with pytest.raises(ChangeLogTrimmedError):
            await unbounded.changes("a", cursor)


# -- brains --------------------------------------------------------------------------------------
async def test_20000_operations_leave_a_bounded_log(tmp_path: Path) -> None:
    """Perceive, consolidate, recall (LTP) and prune: 20,000 logged changes, a bounded table."""
    path = tmp_path / "memory.db"
    clock = ManualClock(START)
    keep = 500
    brain = await Brain.create(store=SQLiteStore(path, change_log_keep=keep), embedder=HashingEmbedder(), clock=clock)
    try:
        operations, round_ = 0, 0
        while operations < 20_000:
            texts = [f"round {round_} fact {i} on topic {i % 17} in colour {i * 7 % 13}" for i in range(400)]
            await brain.perceive_many(texts, memory_type="episodic", gate=False)
            clock.advance(hours=1)
            operations += (await brain.sleep())["consolidated"]
            for q in range(6):
                operations += len(await brain.recall(f"topic {q % 17} colour {q % 13}", top_k=50))
            if round_ % 4 == 3:  # a month passes: what was not recalled fades and is pruned
                clock.advance(days=30)
                operations += (await brain.sleep())["pruned_ltm"]
            round_ += 1
            assert log_rows(path) < keep + keep // 4
        assert len(await brain.list()) > 0
    finally:
        await brain.close()


async def _brain(path: Path, clock: ManualClock, namespace: str = NS) -> Brain:
    store = SQLiteStore(path, change_log_keep=KEEP)
    config = NeuramConfig(working_memory_span_seconds=365 * DAY)  # holds across the months we skip
    return await Brain.create(store=store, namespace=namespace, embedder=HashingEmbedder(), clock=clock, config=config)


def held_ids(brain: Brain) -> set[str]:
    return {e.engram_id for e in brain.working_memory}


async def index_of(brain: Brain) -> dict[str, float]:
    """The consolidated engrams a brain indexes, with their stabilities."""
    return {e.engram_id: e.stability for e in await brain.list() if e.consolidated}


def reloads(caplog: pytest.LogCaptureFixture, namespace: str) -> int:
    return sum(f"{namespace!r} trimmed" in r.getMessage() for r in caplog.records)


async def test_a_lagging_brain_reloads_and_converges(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="neuram_core.brain")
    path = tmp_path / "memory.db"
    clock = ManualClock(START)
    writer, lagging = await _brain(path, clock), await _brain(path, clock)
    try:
        lasting = [
            await writer.perceive(f"lasting fact {i}", "episodic", 0.9, gate=False, consolidate=True) for i in range(12)
        ]
        for i in range(12):
            await writer.perceive(f"faint fact {i}", "episodic", 0.1, gate=False, consolidate=True)
        assert len(await index_of(lagging)) == 24  # caught up through the log
        held = await lagging.perceive("lasting fact 0", "episodic", 0.9, gate=False)  # recognised: now held
        assert held.engram_id == lasting[0].engram_id and held.engram_id in held_ids(lagging)
        local = await lagging.perceive("a note only the lagging brain has", gate=False)
        assert not local.consolidated
        looked_away, _ = await lagging.store.changes(NS, None)

        await writer.forget(held.engram_id)
        await writer.recall("lasting fact 3", top_k=4)  # LTP: new stabilities
        replaced = lasting[5].engram_id
        await writer.perceive("a rewritten fact", "episodic", 0.9, gate=False, consolidate=True, engram_id=replaced)
        clock.advance(days=40)
        assert (await writer.sleep())["pruned_ltm"] >= 12  # the faint ones fade
        for i in range(KEEP):
            await writer.perceive(f"new fact {i}", "semantic", 0.9, gate=False, consolidate=True)
        with pytest.raises(ChangeLogTrimmedError):
            await lagging.store.changes(NS, looked_away)

        assert held.engram_id in held_ids(lagging)  # until the reload below
        caplog.clear()
        converged = await index_of(lagging)
        assert reloads(caplog, NS) == 1
        fresh = await _brain(path, clock)
        try:
            assert converged == await index_of(fresh)
        finally:
            await fresh.close()
        assert held.engram_id not in converged and held.engram_id not in held_ids(lagging)
        # Written through, the lagging brain's note faded unconsolidated: the writer's sleep pruned it.
        assert local.engram_id not in {e.engram_id for e in await lagging.list()}
        assert (await lagging.get(replaced)).content == "a rewritten fact"
        again = await lagging.perceive("lasting fact 5", "episodic", 0.9, gate=False)
        assert again.engram_id != replaced  # the old content no longer names the rewritten id
    finally:
        await writer.close()
        await lagging.close()


async def test_a_reader_of_another_namespace_is_not_forced_to_reload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="neuram_core.brain")
    path = tmp_path / "memory.db"
    clock = ManualClock(START)
    writer_a, reader_b = await _brain(path, clock, "a"), await _brain(path, clock, "b")
    writer_b, reader_a = writer_a.for_namespace("b"), reader_b.for_namespace("a")
    try:
        await reader_a.list()
        first = await writer_b.perceive("b knows this", gate=False, consolidate=True)
        assert first.engram_id in await index_of(reader_b)
        for i in range(3 * KEEP):
            await writer_a.perceive(f"a learns fact {i}", gate=False, consolidate=True)
        second = await writer_b.perceive("b learns this later", gate=False, consolidate=True)
        assert set(await index_of(reader_b)) == {first.engram_id, second.engram_id}
        assert len(await index_of(reader_a)) == 3 * KEEP
        assert reloads(caplog, "b") == 0 and reloads(caplog, "a") == 1
    finally:
        await writer_a.close()
        await reader_b.close()


class FlakyStore(SQLiteStore):
    """Fails the next scan when told to, as a store going away mid-reload would."""

    fail_next_scan = False

    async def scan(self, namespace: str) -> AsyncIterator[Engram]:
        if self.fail_next_scan:
            self.fail_next_scan = False
            raise StoreUnavailableError("the store went away")
        async for found in super().scan(namespace):
            yield found


async def test_a_reload_that_fails_is_tried_again(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    clock = ManualClock(START)
    flaky = FlakyStore(path, change_log_keep=KEEP)
    writer = await _brain(path, clock)
    lagging = await Brain.create(store=flaky, embedder=HashingEmbedder(), clock=clock)
    try:
        gone = await writer.perceive("soon forgotten", gate=False, consolidate=True)
        assert gone.engram_id in await index_of(lagging)
        await writer.forget(gone.engram_id)
        for i in range(2 * KEEP):
            await writer.perceive(f"fact {i}", gate=False, consolidate=True)
        flaky.fail_next_scan = True
        with pytest.raises(StoreUnavailableError):
            await lagging.list()
        assert set(await index_of(lagging)) == set(await index_of(writer))  # reloaded on the next call
        assert gone.engram_id not in await index_of(lagging)
    finally:
        await writer.close()
        await lagging.close()


async def test_a_vector_changed_by_another_process_is_indexed_anew(tmp_path: Path) -> None:
    """A re-embed elsewhere rewrites only the vector. Following it must move the row and
    its approximate code too: a refresh takes new dynamics and keeps the row's vector."""
    path = tmp_path / "memory.db"
    clock = ManualClock(START)
    brain = await _brain(path, clock)
    try:
        moved = await brain.perceive("the boat is moored at pier nine", "semantic", 0.9, gate=False)
        other = await brain.perceive("the car is parked on level three", "semantic", 0.9, gate=False)
        assert moved.embedding is not None and other.embedding is not None
        old, new = np.array(moved.embedding), np.array(other.embedding)
        async with _store(path) as elsewhere:
            await elsewhere.update(NS, [moved.engram_id], lambda e: (dataclasses.replace(e, embedding=new), 1e12))
        await brain.recall("anything at all", top_k=1)  # follows the change log first
        indexed = brain.hippocampus.get(moved.engram_id)
        assert indexed is not None and np.array_equal(indexed.embedding, new)
        assert {e.engram_id for e, c in brain.hippocampus.nearest(new, 2) if c > 0.999} == {
            moved.engram_id,
            other.engram_id,
        }
        assert all(c < 0.999 for _, c in brain.hippocampus.nearest(old, 2))  # nothing answers as the old vector
    finally:
        await brain.close()


async def test_a_vector_changed_elsewhere_keeps_the_edges_not_yet_written(tmp_path: Path) -> None:
    """Re-encoding a memory re-embedded by another process keeps its edges: one to a
    memory perceived in the same batch, not yet written, is written with that memory."""
    path = tmp_path / "memory.db"
    clock = ManualClock(START)
    brain = await _brain(path, clock)
    try:
        boat = await brain.perceive("the boat is moored at pier nine", "semantic", 0.9, gate=False)
        clock.advance(5)
        assert boat.embedding is not None
        new = np.roll(np.array(boat.embedding), 1)
        async with _store(path) as elsewhere:
            await elsewhere.update(NS, [boat.engram_id], lambda e: (dataclasses.replace(e, embedding=new), 1e12))
            car, again = await brain.perceive_many(
                ["the car is parked on level three", "the boat is moored at pier nine"], "semantic", gate=False
            )
            assert again.engram_id == boat.engram_id  # recognised: rehearsed through the store
            stored_car, stored_boat = await elsewhere.get(NS, [car.engram_id, boat.engram_id])
        assert stored_car is not None and boat.engram_id in dict(stored_car.associations)
        assert stored_boat is not None and car.engram_id in dict(stored_boat.associations)
        assert car.engram_id in brain.hippocampus.neighbours(boat.engram_id)
        indexed = brain.hippocampus.get(boat.engram_id)
        assert indexed is not None and np.array_equal(indexed.embedding, new)
    finally:
        await brain.close()


async def test_a_store_object_serves_one_open_brain_at_a_time(tmp_path: Path) -> None:
    """The change log names the store object that wrote each change, and a Brain skips
    its own store's: a second Brain on the same object would never see the first one's
    writes (and the first close would close the store under it). So it is refused, for
    any namespace, with nothing started; ``for_namespace`` and a second store object on
    the same file work, and once the first is closed the object's file opens again."""
    path = tmp_path / "memory.db"
    store = SQLiteStore(path)
    first = await Brain.create(store=store, namespace="a", embedder=HashingEmbedder())
    threads = threading.active_count()
    try:
        for namespace in ("a", "b"):
            with pytest.raises(ValueError, match=r"already in use by an open Brain \(namespace 'a'\).*for_namespace"):
                await Brain.create(store=store, namespace=namespace, embedder=HashingEmbedder())
            with pytest.raises(ValueError, match="already in use"):
                Brain.open(store=store, namespace=namespace, embedder=HashingEmbedder())
        assert threading.active_count() == threads  # no loop left running by a refused open
        other = first.for_namespace("b")
        await other.perceive("a note in another namespace", gate=False)
        second = await Brain.create(store=SQLiteStore(path), namespace="a", embedder=HashingEmbedder())
        try:
            await first.perceive("Ada moved to Lisbon", gate=False)
            assert [e.content for e, _ in await second.recall("Ada Lisbon", top_k=1)] == ["Ada moved to Lisbon"]
        finally:
            await second.close()
        await first.perceive("still open", gate=False)  # the refusals left it working
    finally:
        await first.close()
    again = await Brain.create(path=path, namespace="a", embedder=HashingEmbedder())
    try:
        assert {e.content for e in await again.list()} == {"Ada moved to Lisbon", "still open"}
    finally:
        await again.close()


async def test_a_brain_that_fails_to_construct_reports_its_own_error_and_lets_the_store_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The construction's error reaches the caller even when closing the store then
    fails too, and the store object is free for the next Brain."""
    import neuram_core.brain as brain_module

    store = SQLiteStore(tmp_path / "memory.db")

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("the construction's own error")

    async def unclosable() -> None:
        raise ConnectionError("the store would not close")

    with monkeypatch.context() as patch:
        patch.setattr(brain_module, "SleepCycle", broken)
        patch.setattr(store, "close", unclosable)
        with pytest.raises(KeyError, match="the construction's own error"):
            await Brain.create(store=store, embedder=HashingEmbedder())
    brain = await Brain.create(store=store, embedder=HashingEmbedder())  # not "already in use"
    await brain.close()
