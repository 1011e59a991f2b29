"""The Hippocampus holds each vector once: an indexed engram's embedding is a read-only
view of its matrix row. Every way a row changes (growth, swap-delete, re-encode, refresh,
clear) must leave each engram's embedding equal to what it was given, and an engram that
left the index (or was replaced in it) with a copy of its own."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from neuram_core import Brain, Engram, HashingEmbedder, Hippocampus, ManualClock, MemoryType
from neuram_core.codec import embedding_from_bytes, embedding_to_bytes, engram_from_export, engram_to_export
from neuram_core.stores.sqlite import SQLiteStore

DIM = 8


def vector(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def note(i: int, seed: int | None = None) -> Engram:
    embedding = vector(i if seed is None else seed)
    return Engram(f"note {i}", MemoryType.SEMANTIC, 0.5, embedding=embedding, engram_id=f"n{i}")


def held(hpc: Hippocampus, engram_id: str) -> Engram:
    engram = hpc.get(engram_id)
    assert engram is not None
    return engram


def vector_of(engram: Engram) -> np.ndarray:
    assert engram.embedding is not None
    return engram.embedding


def index(count: int) -> tuple[Hippocampus, dict[str, np.ndarray]]:
    """An index of ``count`` notes, one encode each (the matrix grows from 16 rows), and
    copies of the vectors they were given."""
    hpc = Hippocampus(embeds=False)
    given = {}
    for i in range(count):
        engram = note(i)
        given[engram.engram_id] = vector_of(engram).copy()
        hpc.encode(engram)
    return hpc, given


def assert_lent(hpc: Hippocampus, given: dict[str, np.ndarray]) -> None:
    """Every indexed engram's embedding is its own matrix row, read-only, and equals the
    vector it was given."""
    assert len(hpc) == len(given)
    for engram in hpc:
        row = hpc._rows[engram.engram_id]
        assert engram.embedding is not None
        assert engram.embedding.base is hpc._matrix  # a view of the current matrix, not a stale one
        assert np.shares_memory(engram.embedding, hpc._matrix[row])
        assert not engram.embedding.flags.writeable
        np.testing.assert_array_equal(engram.embedding, given[engram.engram_id])


def assert_detached(engram: Engram, hpc: Hippocampus, expected: np.ndarray) -> None:
    assert engram.embedding is not None
    assert not np.shares_memory(engram.embedding, hpc._matrix)
    np.testing.assert_array_equal(engram.embedding, expected)


def test_an_indexed_engram_borrows_its_row_read_only() -> None:
    hpc, given = index(3)
    assert_lent(hpc, given)
    with pytest.raises(ValueError, match="read-only"):
        vector_of(held(hpc, "n1"))[0] = 1.0
    np.testing.assert_array_equal(hpc._matrix[1], given["n1"])


def test_growth_points_every_engram_at_the_new_matrix() -> None:
    hpc, given = index(5)
    kept = held(hpc, "n2")
    first = hpc._matrix
    for i in range(5, 70):  # 16 rows, then 32, 64, 128: three reallocations
        engram = note(i)
        given[engram.engram_id] = vector_of(engram).copy()
        hpc.encode(engram)
    assert hpc._matrix is not first
    assert_lent(hpc, given)
    assert kept is held(hpc, "n2")
    first[:] = 0.0  # the old matrix: no engram reads it any more
    np.testing.assert_array_equal(vector_of(kept), given["n2"])


def test_a_bulk_encode_that_grows_the_matrix_points_every_engram_at_it() -> None:
    hpc, given = index(10)
    batch = [note(i) for i in range(10, 60)]
    given.update({e.engram_id: vector_of(e).copy() for e in batch})
    hpc.encode_many(batch)
    assert_lent(hpc, given)


def test_swap_delete_detaches_the_removed_and_moves_the_last() -> None:
    hpc, given = index(10)
    moved = held(hpc, "n9")
    gone = hpc.remove("n2")
    assert gone is not None
    assert_detached(gone, hpc, given.pop("n2"))
    assert hpc._rows["n9"] == 2 and moved is held(hpc, "n9")
    assert_lent(hpc, given)
    again = note(10)  # takes the row n9 left: nothing anyone holds may change
    given["n10"] = vector_of(again).copy()
    hpc.encode(again)
    assert_lent(hpc, given)
    assert_detached(gone, hpc, vector(2))


def test_removing_the_last_row_detaches_it_before_the_row_is_reused() -> None:
    hpc, given = index(4)
    gone = hpc.remove("n3")
    assert gone is not None
    hpc.encode(note(4))
    assert_detached(gone, hpc, given["n3"])


def test_re_encoding_an_id_detaches_the_older_object() -> None:
    hpc, given = index(4)
    older = held(hpc, "n1")
    newer = note(1, seed=99)  # the same id, a new vector
    hpc.encode(newer)
    given["n1"] = vector(99)
    assert held(hpc, "n1") is newer
    assert_lent(hpc, given)
    assert_detached(older, hpc, vector(1))


def test_a_bulk_re_encode_detaches_the_older_objects() -> None:
    hpc, given = index(4)
    older = [held(hpc, "n0"), held(hpc, "n3")]
    hpc.encode_many([note(0, seed=50), note(3, seed=53), note(4)])
    given.update({"n0": vector(50), "n3": vector(53), "n4": vector(4)})
    assert_lent(hpc, given)
    for engram, seed in zip(older, (0, 3), strict=True):
        assert_detached(engram, hpc, vector(seed))


def test_re_encoding_the_same_object_keeps_it_lent() -> None:
    hpc, given = index(3)
    same = held(hpc, "n1")
    hpc.encode(same)
    hpc.encode_many([same, note(3)])
    given["n3"] = vector(3)
    assert_lent(hpc, given)


def test_refresh_lends_the_new_copy_and_detaches_the_old() -> None:
    hpc, given = index(4)
    old = held(hpc, "n1")
    decoded = dataclasses.replace(old, access_count=3)  # as a store returns it: a vector of its own
    assert not np.shares_memory(vector_of(decoded), hpc._matrix)
    hpc.refresh(decoded)
    assert held(hpc, "n1") is decoded
    assert_lent(hpc, given)
    assert_detached(old, hpc, given["n1"])
    bare = dataclasses.replace(decoded, embedding=None, access_count=4)  # no vector: the row's
    hpc.refresh(bare)
    assert_lent(hpc, given)
    assert_detached(decoded, hpc, given["n1"])


def test_refresh_with_another_vector_keeps_it_and_the_matrix_keeps_its_row() -> None:
    hpc, given = index(4)
    other = dataclasses.replace(held(hpc, "n1"), embedding=vector(77))
    hpc.refresh(other)
    np.testing.assert_array_equal(hpc._matrix[1], given["n1"])  # refresh changes dynamics, not vectors
    assert_detached(other, hpc, vector(77))
    hpc.remove("n0")  # n3 moves to row 0: nothing other holds may change
    assert_detached(other, hpc, vector(77))
    stray = dataclasses.replace(held(hpc, "n2"), access_count=1)
    stray.embedding = vector_of(held(hpc, "n3"))  # another row's view
    hpc.refresh(stray)
    assert_detached(stray, hpc, given["n3"])


def test_clear_detaches_every_engram() -> None:
    hpc, given = index(20)
    held = list(hpc)
    hpc.clear()
    assert len(hpc) == 0
    hpc.encode_many([note(i, seed=100 + i) for i in range(20)])
    for engram in held:
        assert_detached(engram, hpc, given[engram.engram_id])


def test_a_copy_made_from_an_indexed_engram_owns_its_vector() -> None:
    hpc, given = index(4)
    copy = dataclasses.replace(held(hpc, "n3"), content="another note")
    assert copy.embedding is not None and copy.embedding.flags.writeable
    hpc.remove("n0")  # n3's row moves
    assert_detached(copy, hpc, given["n3"])


def test_a_lent_vector_serialises_as_its_copy(tmp_path: Path) -> None:
    hpc, given = index(3)
    engram = held(hpc, "n2")
    assert embedding_to_bytes(vector_of(engram)) == embedding_to_bytes(given["n2"])
    exported = engram_from_export(engram_to_export(engram))
    np.testing.assert_array_equal(vector_of(exported), given["n2"])


async def test_a_store_writes_a_lent_vector_byte_for_byte(tmp_path: Path) -> None:
    hpc, given = index(3)
    store = SQLiteStore(tmp_path / "memory.db")
    try:
        await store.put("default", [(e, 4e9) for e in hpc])
        [read] = await store.get("default", ["n1"])
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "memory.db") as conn:
        blobs = dict(conn.execute("SELECT id, embedding FROM engrams"))
    assert blobs == {i: embedding_to_bytes(v) for i, v in given.items()}
    assert read is not None
    np.testing.assert_array_equal(vector_of(read), embedding_from_bytes(blobs["n1"]))


async def test_what_recall_returned_keeps_its_vector_while_others_are_forgotten(tmp_path: Path) -> None:
    clock = ManualClock(1_700_000_000.0)
    brain = await Brain.create(path=str(tmp_path / "memory.db"), embedder=HashingEmbedder(), clock=clock)
    try:
        for i in range(12):
            await brain.perceive(f"fact number {i}: the shed key hangs on hook {i}", memory_type="semantic")
            clock.advance(600)
        [(recalled, _)] = await brain.recall("the shed key hangs on hook 3", top_k=1)
        kept = np.array(recalled.embedding)
        for engram in await brain.list():
            if engram.engram_id != recalled.engram_id and "hook 1" not in engram.content:
                await brain.forget(engram.engram_id)  # swap-deletes move rows
        for i in range(40):  # the matrix grows past 16 and 32 rows
            await brain.perceive(f"another fact {i}: the red bicycle is in garage {i}", memory_type="semantic")
            clock.advance(600)
        np.testing.assert_array_equal(vector_of(recalled), kept)
        await brain.forget(recalled.engram_id)
        await brain.perceive("a last fact: the blue kayak is on the roof rack", memory_type="semantic")
        np.testing.assert_array_equal(vector_of(recalled), kept)
        hpc = brain.hippocampus
        given = {e.engram_id: np.array(hpc._matrix[hpc._rows[e.engram_id]]) for e in hpc}
        assert_lent(hpc, given)
    finally:
        await brain.close()


async def test_a_loaded_index_lends_its_rows(tmp_path: Path) -> None:
    path = str(tmp_path / "memory.db")
    brain = await Brain.create(path=path, embedder=HashingEmbedder(), clock=ManualClock(1_700_000_000.0))
    for i in range(30):
        await brain.perceive(f"fact number {i}: the shed key hangs on hook {i}", memory_type="semantic")
    given = {e.engram_id: np.array(e.embedding) for e in brain.hippocampus}
    await brain.close()
    loaded = await Brain.create(path=path, embedder=HashingEmbedder(), clock=ManualClock(1_700_000_000.0))
    try:
        assert_lent(loaded.hippocampus, given)
    finally:
        await loaded.close()
