"""The LongTermStore contract, run against every store (see conftest.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import math

import numpy as np
import pytest

from neuram_core.engram import Engram, MemoryType
from neuram_core.types import Change, LongTermStore
from tests.contract.support import Backend, engram

NS = "tenant"
ISOLATED = ["alice", "a*", "al{ice}", "x:y", "alice:e", "al", "%61lice", "a?", "[a]", "ä 🧠"]


def assert_same(a: Engram | None, b: Engram) -> None:
    assert a is not None
    for field in dataclasses.fields(Engram):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if field.name == "embedding":
            assert (left is None) == (right is None)
            if left is not None:
                assert left.dtype == np.float32
                np.testing.assert_array_equal(left, right)
        elif field.name == "associations":
            assert [(i, w) for i, w in left] == [(i, w) for i, w in right]
        else:
            assert left == right, field.name


def bump(engram: Engram) -> tuple[Engram, float]:
    """A recall-like change: count it, move its forget-at."""
    updated = dataclasses.replace(engram, access_count=engram.access_count + 1)
    return updated, 2_000_000_000.0 + updated.access_count


async def ids_of(store: LongTermStore, namespace: str) -> set[str]:
    return {e.engram_id async for e in store.scan(namespace)}


def test_implements_the_protocol(store: LongTermStore) -> None:
    assert isinstance(store, LongTermStore)
    assert isinstance(store.origin, str) and store.origin
    assert store.corrupt_records == 0  # type: ignore[attr-defined]


# -- put / get ---------------------------------------------------------------------------------
async def test_put_get_round_trip_keeps_every_field(store: LongTermStore) -> None:
    full = engram(
        "e1",
        "12:30 Ünïcode, emoji 🧠, quotes \" ', 5:colons: and newlines\nare kept",
        memory_type=MemoryType.HABITUAL,
        salience=0.123456789012345,
        synaptic_strength=0.1 + 0.2,
        stability=1e-7,
        access_count=12,
        associations=[("e2", 0.3333333333333333), ("x:{y}", 1.0)],
        fragments=["f1", "f2"],
        metadata={"user": "ü", "n": 3, "nested": {"a": [1, 2.5, None, True]}},
        reward=-0.75,
        fragment_of="parent",
    )
    bare = engram("e2", embedding=None, metadata={}, associations=[])
    await store.put(NS, [(full, 1_800_000_000.5), (bare, 1_800_000_001.0)])
    got = await store.get(NS, ["e2", "missing", "e1"])
    assert got[1] is None
    assert_same(got[0], bare)
    assert_same(got[2], full)
    assert got[2] is not None and got[2].consolidated


async def test_embedding_is_float32_exact(store: LongTermStore) -> None:
    vector = np.array([1e-38, -0.0, 3.4028235e38, 0.1, -1.5], dtype=np.float32)
    await store.put(NS, [(engram("v", embedding=vector), 1e9)])
    [got] = await store.get(NS, ["v"])
    assert got is not None and got.embedding is not None
    assert got.embedding.tobytes() == vector.tobytes()


async def test_put_replaces_the_whole_record(store: LongTermStore) -> None:
    await store.put(NS, [(engram("e", "first", metadata={"a": 1}, fragment_of="p"), 1e9)])
    await store.put(NS, [(engram("e", "second", embedding=None), 2e9)])
    [got] = await store.get(NS, ["e"])
    assert got is not None
    assert (got.content, got.metadata, got.fragment_of, got.embedding) == ("second", {}, None, None)
    assert await store.count(NS) == 1


async def test_empty_calls_are_no_ops(store: LongTermStore) -> None:
    await store.put(NS, [])
    assert await store.get(NS, []) == []
    assert await store.update(NS, [], bump) == []
    assert await store.delete(NS, []) == 0
    assert await store.count(NS) == 0
    assert await ids_of(store, NS) == set()
    assert await store.prune(NS, 1e12, 10) == []


# -- update ----------------------------------------------------------------------------------
async def test_update_applies_the_change_and_returns_what_is_stored(store: LongTermStore) -> None:
    await store.put(NS, [(engram("a"), 1e9), (engram("b"), 1e9)])
    result = await store.update(NS, ["b", "missing", "a"], bump)
    assert [None if e is None else (e.engram_id, e.access_count) for e in result] == [
        ("b", 1), None, ("a", 1)
    ]
    assert all(e is None or e.consolidated for e in result)
    stored = await store.get(NS, ["a", "b"])
    assert [e.access_count for e in stored if e is not None] == [1, 1]
    # The forget-at score moved too: nothing is due before it.
    assert await store.prune(NS, 1e9, 10) == []


async def test_update_with_no_outcome_leaves_the_engram(store: LongTermStore) -> None:
    await store.put(NS, [(engram("a", access_count=4), 1e9)])
    cursor, _ = await store.changes(NS, None)
    [result] = await store.update(NS, ["a"], lambda e: None)
    assert result is not None and result.access_count == 4
    assert (await store.changes(NS, cursor))[1] == []


async def test_update_that_raises_writes_nothing(store: LongTermStore) -> None:
    await store.put(NS, [(engram("a"), 1e9)])

    def boom(e: Engram) -> tuple[Engram, float]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await store.update(NS, ["a"], boom)
    [got] = await store.get(NS, ["a"])
    assert got is not None and got.access_count == 0


async def test_concurrent_updates_lose_nothing(backend: Backend) -> None:
    """Two store objects (two 'workers'), many concurrent read-modify-writes: all count."""
    first = backend.store
    second = await backend.open() if backend.shared else first
    await first.put(NS, [(engram("hot"), 1e9), (engram("cold"), 1e9)])
    rounds = 20

    async def worker(store: LongTermStore) -> None:
        for _ in range(rounds):
            await store.update(NS, ["hot", "cold"], bump)

    await asyncio.gather(*(worker(s) for s in (first, second, first, second)))
    for got in await second.get(NS, ["hot", "cold"]):
        assert got is not None and got.access_count == 4 * rounds


# -- delete / prune ----------------------------------------------------------------------------
async def test_delete_counts_what_existed(store: LongTermStore) -> None:
    await store.put(NS, [(engram(i), 1e9) for i in "abc"])
    assert await store.delete(NS, ["a", "missing", "c"]) == 2
    found = await store.get(NS, ["a", "b", "c"])
    assert [e is not None for e in found] == [False, True, False]
    assert await ids_of(store, NS) == {"b"}
    assert await store.count(NS) == 1
    assert await store.prune(NS, 1e12, 10) == ["b"]
    assert await store.delete(NS, ["a"]) == 0


async def test_delete_result_matches_get(store: LongTermStore) -> None:
    await store.put(NS, [(engram("a"), 1e9)])
    assert await store.delete(NS, ["a"]) == 1
    assert await store.get(NS, ["a"]) == [None]


async def test_prune_takes_only_what_is_due_earliest_first(store: LongTermStore) -> None:
    await store.put(
        NS,
        [(engram("late"), 3000.0), (engram("due2"), 2000.0), (engram("due1"), 1000.0),
         (engram("edge"), 2500.0)],
    )
    assert await store.prune(NS, 2500.0, 2) == ["due1", "due2"]
    assert await store.prune(NS, 2500.0, 10) == ["edge"]  # <= now is due
    assert await store.prune(NS, 2500.0, 10) == []
    assert await ids_of(store, NS) == {"late"}
    assert await store.count(NS) == 1


async def test_prune_spares_what_a_recall_moved(store: LongTermStore) -> None:
    await store.put(NS, [(engram("a"), 1000.0), (engram("b"), 1000.0)])
    await store.update(NS, ["a"], lambda e: (e, 5000.0))
    assert await store.prune(NS, 2000.0, 10) == ["b"]
    assert await ids_of(store, NS) == {"a"}


async def test_update_after_prune_finds_nothing(store: LongTermStore) -> None:
    await store.put(NS, [(engram("a"), 1000.0)])
    assert await store.prune(NS, 2000.0, 10) == ["a"]
    assert await store.update(NS, ["a"], bump) == [None]
    assert await store.get(NS, ["a"]) == [None]


async def test_concurrent_prune_and_recall(backend: Backend) -> None:
    """Whatever interleaving, an engram is either pruned (and stays gone) or recalled
    (and stays), never both: no recall resurrects a pruned engram, no prune eats a recall."""
    store = backend.store
    other = await backend.open() if backend.shared else store
    n = 60
    await store.put(NS, [(engram(f"e{i}"), 1000.0) for i in range(n)])
    pruned, recalled = await asyncio.gather(
        store.prune(NS, 2000.0, n),
        other.update(NS, [f"e{i}" for i in range(n)], lambda e: (e, 9000.0)),
    )
    survived = {e.engram_id for e in recalled if e is not None}
    assert survived.isdisjoint(pruned)
    assert survived | set(pruned) == {f"e{i}" for i in range(n)}
    assert await ids_of(store, NS) == survived


# -- scan / count / namespaces ----------------------------------------------------------------
async def test_scan_yields_everything_once(store: LongTermStore) -> None:
    n = 2345  # crosses every store's page size (SQLite 2,000 rows; Redis 500 per read)
    await store.put(NS, [(engram(f"id{i:05d}", embedding=None), 1e9 + i) for i in range(n)])
    seen = [e.engram_id async for e in store.scan(NS)]
    assert len(seen) == n
    assert set(seen) == {f"id{i:05d}" for i in range(n)}
    assert await store.count(NS) == n


async def test_corrupt_records_are_skipped_and_counted(backend: Backend) -> None:
    store = backend.store
    await store.put(NS, [(engram(i), 1e9) for i in ("ok", "bad_number", "bad_json", "bad_vec")])
    await backend.corrupt(NS, "bad_number", "stability", "not a number")
    await backend.corrupt(NS, "bad_json", "assoc", "[[")
    await backend.corrupt(NS, "bad_vec", "embedding", b"\x00\x01\x02")
    assert await ids_of(store, NS) == {"ok"}
    assert store.corrupt_records == 3  # type: ignore[attr-defined]
    assert [e is not None for e in await store.get(NS, ["ok", "bad_json"])] == [True, False]
    assert store.corrupt_records == 4  # type: ignore[attr-defined]
    assert await store.update(NS, ["bad_number"], bump) == [None]


async def test_a_non_finite_association_weight_is_refused_and_nothing_written(store: LongTermStore) -> None:
    bad = engram("bad", associations=[("ok", float("nan"))])
    with pytest.raises(ValueError):
        await store.put(NS, [(engram("ok"), 1e9), (bad, 1e9)])
    assert await ids_of(store, NS) == set()


async def test_a_non_finite_association_weight_is_corrupt(backend: Backend) -> None:
    """A NaN edge weight would poison spreading activation: the record is skipped instead."""
    store = backend.store
    await store.put(NS, [(engram(i, associations=[("ok", 0.5)]), 1e9) for i in ("ok", "nan_edge")])
    await backend.corrupt(NS, "nan_edge", "assoc", [["ok", float("nan")]])
    assert await ids_of(store, NS) == {"ok"}
    assert store.corrupt_records == 1  # type: ignore[attr-defined]


async def test_missing_field_is_corrupt(backend: Backend) -> None:
    store = backend.store
    await store.put(NS, [(engram("a"), 1e9)])
    await backend.corrupt(NS, "a", "content", None)
    assert await ids_of(store, NS) == set()
    assert store.corrupt_records == 1  # type: ignore[attr-defined]


async def test_namespaces_lists_those_holding_engrams(store: LongTermStore) -> None:
    assert await store.namespaces() == []
    await store.put("b", [(engram("x"), 1e9)])
    await store.put("a:1", [(engram("x"), 1e9)])
    await store.put("c", [(engram("y"), 1e9)])
    assert await store.namespaces() == ["a:1", "b", "c"]
    await store.delete("c", ["y"])
    assert await store.namespaces() == ["a:1", "b"]


async def test_namespaces_never_see_each_other(store: LongTermStore) -> None:
    """Same ids in look-alike namespaces: each sees only its own engram."""
    for ns in ISOLATED:
        await store.put(ns, [(engram("same", f"content of {ns}"), 1000.0), (engram(f"own-{ns}"), 1e9)])
    assert await store.namespaces() == sorted(ISOLATED)
    for ns in ISOLATED:
        [got] = await store.get(ns, ["same"])
        assert got is not None and got.content == f"content of {ns}"
        assert await ids_of(store, ns) == {"same", f"own-{ns}"}
        assert await store.count(ns) == 2
    # Writes in one namespace leave the others alone.
    assert await store.prune("a*", 2000.0, 100) == ["same"]
    assert await store.delete("al{ice}", ["same", "own-alice"]) == 1
    await store.update("x:y", ["same"], bump)
    for ns in ISOLATED:
        [got] = await store.get(ns, ["same"])
        if ns in ("a*", "al{ice}"):
            assert got is None
        else:
            assert got is not None and got.access_count == (1 if ns == "x:y" else 0)
        assert await store.count(ns) == (1 if ns in ("a*", "al{ice}") else 2)
    assert await ids_of(store, "alice") == {"same", "own-alice"}
    assert await store.acquire_lock("alice", "sleep", "w1", 30)
    assert await store.acquire_lock("a*", "sleep", "w2", 30)


# -- change log ------------------------------------------------------------------------------
async def test_changes_follow_writes_in_order(backend: Backend) -> None:
    store = backend.store
    cursor, nothing = await store.changes(NS, None)
    assert isinstance(cursor, str) and nothing == []
    await store.put(NS, [(engram("a"), 1000.0), (engram("b"), 1e9)])
    await store.put("elsewhere", [(engram("z"), 1e9)])
    await store.update(NS, ["b"], bump)
    await store.delete(NS, ["b", "never"])
    await store.prune(NS, 2000.0, 10)
    cursor2, changes = await store.changes(NS, cursor)
    me = store.origin
    assert changes == [
        Change("a", "put", me), Change("b", "put", me), Change("b", "put", me),
        Change("b", "delete", me), Change("a", "delete", me),
    ]
    assert await store.changes(NS, cursor2) == (cursor2, [])
    if backend.shared:  # another store object sees the same log, with our origin
        other = await backend.open()
        assert other.origin != me
        await other.put(NS, [(engram("c"), 1e9)])
        cursor3, changes = await store.changes(NS, cursor2)
        assert changes == [Change("c", "put", other.origin)]
        assert (await other.changes(NS, cursor2))[1] == changes
        assert (await other.changes(NS, None))[0] == cursor3


async def test_cursor_taken_before_a_write_sees_it(store: LongTermStore) -> None:
    await store.put(NS, [(engram("old"), 1e9)])
    cursor, _ = await store.changes(NS, None)
    await store.put(NS, [(engram("new"), 1e9)])
    _, changes = await store.changes(NS, cursor)
    assert [c.engram_id for c in changes] == ["new"]


# -- locks -------------------------------------------------------------------------------------
async def test_lock_has_one_owner_and_expires(backend: Backend) -> None:
    store = backend.store
    other = await backend.open() if backend.shared else store
    # 1 s to live: a stalled moment of a busy machine (a cluster client's first command
    # learns the slots) must not lapse the lock between the next two lines.
    assert await store.acquire_lock(NS, "sleep", "w1", 1.0)
    assert not await other.acquire_lock(NS, "sleep", "w2", 30)
    assert await store.acquire_lock(NS, "sleep", "w1", 1.0)  # its owner may renew it
    assert await other.acquire_lock(NS, "other-lock", "w2", 30)
    assert await other.acquire_lock("other-ns", "sleep", "w2", 30)
    await other.release_lock(NS, "sleep", "w2")  # not the owner: no effect
    assert not await other.acquire_lock(NS, "sleep", "w2", 30)
    await asyncio.sleep(1.2)  # w1 "crashed": its lock lapses
    assert await other.acquire_lock(NS, "sleep", "w2", 30)
    assert not await store.acquire_lock(NS, "sleep", "w1", 30)
    await other.release_lock(NS, "sleep", "w2")
    assert await store.acquire_lock(NS, "sleep", "w1", 30)


async def test_concurrent_lock_attempts_one_wins(backend: Backend) -> None:
    stores = [backend.store] + ([await backend.open() for _ in range(3)] if backend.shared else [])
    owners = [f"w{i}" for i in range(8)]
    won = await asyncio.gather(
        *(stores[i % len(stores)].acquire_lock(NS, "sleep", o, 30) for i, o in enumerate(owners))
    )
    assert sum(won) == 1


async def test_close_is_idempotent(backend: Backend) -> None:
    extra = await backend.open()
    await extra.close()
    await extra.close()


async def test_forget_at_scores_keep_precision(store: LongTermStore) -> None:
    t = 1_700_000_123.456789
    await store.put(NS, [(engram("a"), t), (engram("b"), math.nextafter(t, math.inf))])
    assert await store.prune(NS, t, 10) == ["a"]
