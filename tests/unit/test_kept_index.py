"""The approximate index kept beside the store: read back at start-up instead of built,
checked entry by entry against what the store holds now, and dropped with any delete."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, MemoryType, NeuramConfig
from neuram_core.approximate import ApproximateIndex
from neuram_core.kept import Drift, KeyPrints, holding_entries, text_fingerprints, unpack
from neuram_core.kept import vector_fingerprints as fingerprints
from neuram_core.lexicon import Lexicon
from neuram_core.stores import SQLiteStore
from neuram_core.types import DerivedDataStore
from tests.unit.test_approximate import DIM, T0, N, clustered, index_of, note

KEPT = "approximate-index"
WORDS = "word-index"
LARGE = 12_000
# The kept word index's arrays, in order (neuram_core.lexicon writes them): the format is
# a contract between runs, pinned here.
WORD_INDEX_FORMAT = {
    "term_lengths": np.int32,
    "terms": np.uint8,
    "key_prints": np.uint64,
    "prints": np.uint64,
    "lengths": np.float32,
    "posting_terms": np.int32,
    "posting_keys": np.int32,
    "posting_tf": np.uint16,
}
CONFIG = NeuramConfig(approximate_min_engrams=1000, approximate_probes=96)
NOW = T0 + 10 * N + 60
_MASK = 2**64 - 1


def splitmix64(i: int) -> int:
    """The reference for the fingerprint's multipliers, in Python integers."""
    x = (i * 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def test_a_fingerprint_is_the_weighted_sum_of_the_rows_words_mod_2_64() -> None:
    row = np.array([[1.0, -2.0, 0.0]], dtype=np.float32)  # words 0x3F800000, 0xC0000000, 0
    expected = (0x3F800000 * (splitmix64(1) | 1) + 0xC0000000 * (splitmix64(2) | 1)) & _MASK
    assert int(fingerprints(row)[0]) == expected


def test_equal_rows_print_alike_and_a_changed_row_does_not() -> None:
    vectors = clustered(3000)
    prints = fingerprints(vectors)
    assert prints.dtype == np.uint64 and prints.shape == (3000,)
    assert np.array_equal(fingerprints(vectors[[5, 5]]), prints[[5, 5]])
    changed = vectors[5].copy()
    changed[17] = np.nextafter(changed[17], np.float32(2))  # one bit of one dimension
    assert fingerprints(changed.reshape(1, -1))[0] != prints[5]
    assert len(set(prints.tolist())) == 3000


def print_of(key: str) -> bytes:
    return text_fingerprints([key]).tobytes()


def prints_of(n: int) -> KeyPrints:
    return KeyPrints.of([f"e{i:05d}" for i in range(n)])


def kept_and_restored(vectors: np.ndarray) -> tuple[ApproximateIndex, ApproximateIndex, bytes]:
    built, _ = ApproximateIndex.build(vectors, probes=96)
    assert built is not None
    keys = [f"e{i:05d}" for i in range(len(vectors))]
    data = built.to_bytes(keys, vectors)
    restored = ApproximateIndex.from_bytes(data, KeyPrints.of(keys), vectors, probes=96)
    assert restored is not None
    return built, restored, data


def test_a_restored_index_answers_as_the_one_kept() -> None:
    vectors = clustered(N)
    built, restored, _ = kept_and_restored(vectors)
    assert len(restored) == N and restored.trained_size == built.trained_size
    assert (built.drift.changes, restored.drift.changes) == (0, 0)  # nothing changed since it was kept
    for q in clustered(20, seed=4):
        assert restored.search(q, 10).tolist() == built.search(q, 10).tolist()


def test_what_changed_since_is_found_and_re_indexed() -> None:
    vectors = clustered(N + 100)
    built, _ = ApproximateIndex.build(vectors[:N], probes=96)
    assert built is not None
    data = built.to_bytes([f"e{i:05d}" for i in range(N)], vectors[:N])
    # Since then: e00010 was forgotten, e00020 re-embedded as e02500's vector, 100 added;
    # the store now loads them in another order (rows shuffled).
    now = {f"e{i:05d}": vectors[i] for i in range(N + 100) if i != 10}
    now["e00020"] = vectors[2500].copy()
    order = list(now)
    np.random.default_rng(0).shuffle(order)
    rows = np.stack([now[k] for k in order])
    restored = ApproximateIndex.from_bytes(data, KeyPrints.of(order), rows, probes=96)
    assert restored is not None
    assert len(restored) == N + 99
    assert (restored.drift.changes, restored.drift.removals) == (2 + 101, 2)  # two dropped; e00020 and 100 added
    # Candidates come coarsely ordered (the Hippocampus re-ranks them): look among them.
    assert {"e00020", "e02500"} <= {order[r] for r in restored.search(vectors[2500], 2).tolist()}
    assert order.index("e03050") in restored.search(vectors[3050], 2).tolist()
    assert "e00020" not in {order[r] for r in restored.search(vectors[20], 50).tolist()}  # not by its old vector
    assert "e00010" not in {order[r] for r in restored.search(vectors[10], 50).tolist()}


def test_an_index_mostly_changed_since_is_not_taken_back() -> None:
    vectors = clustered(N)
    built, _ = ApproximateIndex.build(vectors, probes=96)
    assert built is not None
    data = built.to_bytes([f"e{i:05d}" for i in range(N)], vectors)
    others = clustered(N, seed=9)  # every vector re-embedded
    assert ApproximateIndex.from_bytes(data, prints_of(N), others, probes=96) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:-1],  # cut short
        lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:],  # one bit flipped
        lambda d: b"neuram-ivf-9\n" + d[13:],  # another format
        lambda d: b"",
    ],
)
def test_damaged_bytes_are_refused_not_read(damage: object) -> None:
    vectors = clustered(N)
    _, _, data = kept_and_restored(vectors)
    assert callable(damage)
    assert ApproximateIndex.from_bytes(damage(data), prints_of(N), vectors, probes=96) is None


def test_an_index_of_another_dimension_is_refused() -> None:
    vectors = clustered(N)
    _, _, data = kept_and_restored(vectors)
    wider = np.hstack([vectors, vectors]) / np.sqrt(2)
    assert ApproximateIndex.from_bytes(data, prints_of(N), wider, probes=96) is None


def test_keeping_drops_removed_vectors_from_the_lists() -> None:
    vectors = clustered(N + 10)
    built, _ = ApproximateIndex.build(vectors[:N], probes=96)
    assert built is not None
    built.add(np.arange(N, N + 10), vectors[N:])  # added after training
    built.remove(N + 7)  # marked dead: still in the lists until a third are
    assert built.listed == N + 10
    keys = [f"e{i:05d}" for i in range(N + 10)]
    data = built.to_bytes(keys, vectors)
    assert built.listed == N + 9  # dropped before writing: nothing of it is kept
    key_prints = text_fingerprints(keys)
    assert key_prints[N + 7].tobytes() not in data and key_prints[N + 8].tobytes() in data
    restored = ApproximateIndex.from_bytes(data, KeyPrints.of(keys), vectors, probes=96)
    assert restored is not None and len(restored) == N + 10  # row N + 7 is in the index given: re-added
    assert (restored.drift.changes, restored.drift.removals) == (1, 0)  # re-added: the kept copy lacked it


def test_an_index_that_lost_a_training_point_is_not_kept_until_rebuilt() -> None:
    """The cluster centres and code books are means of the training points: with the
    others known, a removed one could be worked out from them."""
    vectors = clustered(N + 10)
    built, _ = ApproximateIndex.build(vectors[:N], probes=96)  # every one of the N trains it
    assert built is not None
    built.add(np.arange(N, N + 10), vectors[N:])
    keys = [f"e{i:05d}" for i in range(N + 10)]
    built.remove(N + 3)  # added after training: nothing of it is in the centres
    assert built.keepable and built.to_bytes(keys, vectors)
    built.add(np.array([5]), vectors[N + 3 : N + 4])  # a training point re-encoded
    assert not built.keepable
    with pytest.raises(ValueError, match="rebuild it to keep it"):
        built.to_bytes(keys, vectors)
    rebuilt, _ = ApproximateIndex.build(vectors, probes=96)
    assert rebuilt is not None and rebuilt.keepable


def test_nothing_of_a_removed_vector_is_in_the_kept_bytes() -> None:
    """FAISS's fast-scan lists leave a removed entry's code in their last block's padding:
    the kept bytes after adding and removing a vector are those of an index that never held it."""
    vectors = clustered(N)

    def kept_after(extra: np.ndarray | None) -> bytes:
        index, _ = ApproximateIndex.build(vectors, probes=96)
        assert index is not None
        rows = vectors
        if extra is not None:
            index.add(np.array([N]), extra)
            index.remove(N)
            rows = np.vstack([vectors, extra])
        else:
            index.add(np.array([N]), vectors[:1])  # the same slots issued as the others
            index.remove(N)
            rows = np.vstack([vectors, vectors[:1]])
        return index.to_bytes([f"e{i:05d}" for i in range(N + 1)], rows)

    never = kept_after(None)
    assert kept_after(clustered(1, seed=11)) == never
    assert kept_after(clustered(1, seed=12)) == never


def test_a_hippocampus_snapshot_is_only_offered_when_something_changed() -> None:
    hippocampus = index_of(clustered(N))
    assert hippocampus.approximate_snapshot() is None  # no index yet
    assert hippocampus.approximate_wanted
    assert hippocampus.approximate_index() is not None
    data = hippocampus.approximate_snapshot()
    assert data is not None
    assert hippocampus.approximate_snapshot() is None  # kept, unchanged since
    other = index_of(clustered(N))
    assert other.restore_kept(None, data) == (False, True)
    assert not other.approximate_wanted and other.approximate_snapshot() is None
    other.encode_many([note(N + i, v) for i, v in enumerate(clustered(29, seed=5))], pending=False)
    assert other.approximate_snapshot() is None  # 29 added, under 1 % of 3,029: the reader adds them
    other.encode_many([note(N + 29 + i, v) for i, v in enumerate(clustered(2, seed=6))], pending=False)
    assert other.approximate_snapshot() is not None  # 31: over 1 % of 3,031
    other.remove(f"e{N:05d}")  # one added after training
    assert other.approximate_snapshot() is not None  # any removal: the store dropped the kept copy
    other.remove("e00003")  # a training point
    assert other.approximate_snapshot() is None  # not kept until rebuilt


def test_drift_asks_for_a_write_on_any_removal_or_one_percent_added() -> None:
    drift = Drift()
    assert not drift.worth_keeping(1000)
    drift.added(9)
    assert not drift.worth_keeping(1000)
    drift.added()
    assert drift.worth_keeping(1000)
    removed = Drift()
    removed.removed()
    assert removed.worth_keeping(10**6) and (removed.changes, removed.removals) == (1, 1)
    assert Drift(5).worth_keeping(0)  # an index built from nothing


def engrams(vectors: np.ndarray) -> list[tuple[Engram, float]]:
    """Long-term notes as a store holds them, with a forget-at far off."""
    return [(note(i, v, stability=504.0, consolidated=True), 4e9) for i, v in enumerate(vectors)]


def open_brain(path: Path) -> Brain:
    return Brain.open(path=str(path), embedder=HashingEmbedder(DIM), clock=ManualClock(NOW), config=CONFIG)


def indexed_brain(path: Path, n: int) -> Brain:
    """A Brain on a store of ``n`` notes (written by another Brain first), its indexes
    built by a first recall: what a close keeps."""
    brain = open_brain(path)
    brain.call_blocking(brain.store.put(brain.namespace, engrams(clustered(n))))
    brain.sync.close()
    brain = open_brain(path)
    brain.sync.recall("topic 7", 10)
    return brain


def kept(path: Path, namespace: str = "default", name: str = KEPT) -> bytes | None:
    async def read() -> bytes | None:
        store = SQLiteStore(path)
        try:
            return await store.read_derived(namespace, name)
        finally:
            await store.close()

    return asyncio.run(read())


def test_a_brain_keeps_its_indexes_at_close_and_reads_them_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "memory.db"
    vectors = clustered(LARGE)  # a load this large leaves the word index for later
    brain = open_brain(path)
    brain.call_blocking(brain.store.put(brain.namespace, engrams(vectors)))
    brain.sync.close()
    assert kept(path) is None and kept(path, name=WORDS) is None  # never loaded: nothing to keep
    brain = open_brain(path)
    first = brain.sync.recall("topic 7", 10)
    brain.sync.close()
    assert kept(path) is not None and kept(path, name=WORDS) is not None
    # The next start-up reads them: building either would fail.
    monkeypatch.setattr(ApproximateIndex, "build", lambda *a, **k: pytest.fail("built, not read back"))
    monkeypatch.setattr(Lexicon, "_occurrences", lambda *a, **k: pytest.fail("tokenised, not read back"))
    writes: list[str] = []
    write = SQLiteStore.write_derived

    async def counted(
        self: SQLiteStore, namespace: str, items: dict[str, bytes], engram_ids: list[str], *, seen: str | None
    ) -> bool:
        writes.extend(items)
        return await write(self, namespace, items, engram_ids, seen=seen)

    monkeypatch.setattr(SQLiteStore, "write_derived", counted)
    brain = open_brain(path)
    brain.sync.stats()  # loads the index: the kept ones are read with it
    assert not brain.hippocampus.approximate_wanted and not brain.hippocampus.lexicon_deferred
    again = brain.sync.recall("topic 7", 10)
    assert [e.engram_id for e, _ in again] == [e.engram_id for e, _ in first]
    brain.sync.close()
    assert writes == []  # unchanged since they were read: not written again


def kept_with_a_late_memory(path: Path) -> str:
    """A store of N notes whose approximate index is kept, holding one memory perceived
    after the index was built (not a training point of it); that memory's id."""
    brain = indexed_brain(path, N)
    late = brain.sync.perceive("My locker code is 4471 at the north gym", memory_type=MemoryType.SEMANTIC)
    assert late is not None
    brain.sync.close()
    before = kept(path)
    assert before is not None and print_of(late.engram_id) in before
    return late.engram_id


def test_forgetting_drops_what_was_kept_and_the_close_keeps_it_again(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    late = kept_with_a_late_memory(path)
    brain = open_brain(path)
    assert brain.sync.forget(late)
    assert kept(path) is None  # dropped in the delete's own transaction
    brain.sync.close()
    after = kept(path)
    assert after is not None and print_of(late) not in after and print_of("e00043") in after


def test_the_sqlite_store_keeps_derived_data_per_namespace(tmp_path: Path) -> None:
    async def run() -> None:
        store = SQLiteStore(tmp_path / "memory.db")
        assert isinstance(store, DerivedDataStore)
        assert await store.read_derived("alice", KEPT) is None
        await store.put("alice", engrams(clustered(3)))
        assert await store.write_derived("alice", {KEPT: b"one"}, ["e00000"], seen=None)
        assert await store.write_derived("alice", {KEPT: b"two", WORDS: b"words"}, ["e00000", "e00001"], seen=None)
        assert await store.write_derived("bob", {KEPT: b"bob's"}, [], seen=None)
        assert await store.read_derived("alice", KEPT) == b"two"  # replaced
        assert await store.namespaces() == ["alice"]  # kept data alone makes no namespace
        # Refused, nothing written, when the data names an engram no longer stored.
        assert not await store.write_derived("alice", {KEPT: b"stale"}, ["e00000", "gone"], seen=None)
        assert await store.read_derived("alice", KEPT) == b"two"
        await store.put("alice", engrams(clustered(2))[:1])
        assert await store.read_derived("alice", KEPT) == b"two"  # a write leaves it: the reader checks
        assert await store.delete("alice", ["nobody"]) == 0
        assert await store.read_derived("alice", KEPT) == b"two"  # nothing deleted: nothing dropped
        assert await store.delete("alice", ["e00000"]) == 1
        assert await store.read_derived("alice", KEPT) is None and await store.read_derived("alice", WORDS) is None
        assert await store.read_derived("bob", KEPT) == b"bob's"  # another namespace's stays
        await store.put("bob", [(engrams(clustered(2))[0][0], 1.0)])
        assert await store.prune("bob", 2.0, 10) == ["e00000"]
        assert await store.read_derived("bob", KEPT) is None  # a prune drops it too
        cursor, _ = await store.changes("alice", None)
        assert await store.write_derived("alice", {KEPT: b"three"}, ["e00001"], seen=cursor)
        other = SQLiteStore(tmp_path / "memory.db")  # another process's store object
        await other.put("alice", engrams(clustered(2))[1:])
        await other.close()
        # Another process wrote after the cursor: the data may not reflect it, refused.
        assert not await store.write_derived("alice", {KEPT: b"four"}, ["e00001"], seen=cursor)
        assert await store.read_derived("alice", KEPT) == b"three"
        now, _ = await store.changes("alice", None)
        assert await store.write_derived("alice", {KEPT: b"four"}, ["e00001"], seen=now)
        await store.drop_derived("alice")
        assert await store.read_derived("alice", KEPT) is None
        with pytest.raises(TypeError, match="must be bytes"):
            await store.write_derived("bob", {KEPT: "text"}, [], seen=None)  # type: ignore[dict-item]
        await store.close()

    asyncio.run(run())


def test_a_forget_by_another_process_is_followed_before_keeping(tmp_path: Path) -> None:
    """Another process forgets an engram this Brain indexes: its close follows the change
    first, so what it keeps does not name the engram (the forget dropped the kept copy)."""
    path = tmp_path / "memory.db"
    late = kept_with_a_late_memory(path)
    brain = open_brain(path)
    brain.sync.stats()  # loaded, the kept index read back
    other = open_brain(path)
    assert other.sync.forget(late)
    other.sync.close()
    brain.sync.close()
    after = kept(path)
    assert after is not None and print_of(late) not in after and print_of("e00043") in after


def test_a_keep_naming_an_engram_no_longer_stored_is_refused(tmp_path: Path) -> None:
    """A prune cut short by the close: the store deleted the engram, the index still holds
    it. The write is refused rather than write it back."""
    path = tmp_path / "memory.db"
    brain = indexed_brain(path, N)
    brain.call_blocking(brain.store.delete(brain.namespace, ["e00042"]))  # behind the index's back
    brain.sync.close()
    assert kept(path) is None


def test_rewriting_a_memory_in_place_drops_what_was_kept(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    brain = indexed_brain(path, N)
    brain.sync.close()
    assert kept(path) is not None
    brain = open_brain(path)
    brain.sync.perceive("My locker code is 4471, the new one", engram_id="e00042")
    assert kept(path) is None  # the old text's words and vector code are gone from the file
    brain.sync.close()

def test_keys_are_matched_by_their_prints() -> None:
    current = text_fingerprints(["a", "b", "c"])
    kept = text_fingerprints(["c", "gone", "a"])
    assert KeyPrints(current).rows(kept).tolist() == [2, -1, 0]  # type: ignore[union-attr]
    assert KeyPrints(current[:0]).rows(kept).tolist() == [-1, -1, -1]  # type: ignore[union-attr]
    assert KeyPrints(np.array([5, 5], dtype=np.uint64)).rows(kept) is None  # two keys alike: not trusted


TEXTS = [f"{name} went to {place} on day {i}" for i, (name, place) in enumerate(
    (n, p) for n in ("Ada", "Bob", "Caro", "Dan") for p in ("Paris", "Lisbon", "Oslo", "Rome", "Kyoto")
)]


def lexicon_of(texts: list[str], keys: list[str]) -> Lexicon:
    lexicon = Lexicon()
    lexicon.add_many([(key, text, row) for row, (key, text) in enumerate(zip(keys, texts, strict=True))])
    return lexicon


def matches(lexicon: Lexicon, cue: str, n: int) -> dict[int, float]:
    found = lexicon.match(cue, n)
    assert found is not None
    return dict(zip(found.rows.tolist(), found.values.tolist(), strict=True))


def same_as_a_fresh_build(restored: Lexicon, keys: list[str], texts: list[str]) -> None:
    """``restored`` matches every cue exactly as an index built from scratch over the rows
    ``keys``/``texts`` (row i = keys[i]) does: the same rows, in the same order (which
    decides ties), with the same scores."""
    fresh = lexicon_of(texts, keys)
    assert len(restored) == len(fresh)
    for cue in ("Ada in Paris", "Rome on day 7", "Eve late", "Kyoto Kyoto Bob", "Zoe Quito", "went"):
        mine, theirs = restored.match(cue, len(keys)), fresh.match(cue, len(keys))
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            assert mine.rows.tolist() == theirs.rows.tolist()
            assert mine.values.tolist() == theirs.values.tolist()
            assert sorted(mine.strongest(5).tolist()) == sorted(theirs.strongest(5).tolist())
    assert restored.idf("pari") == fresh.idf("pari")


def test_a_restored_word_index_scores_as_a_fresh_build() -> None:
    keys = [f"k{i}" for i in range(len(TEXTS))]
    built = lexicon_of(TEXTS, keys)
    built.add("late", "Eve went to Paris late", len(keys))  # a tail posting, after the load
    all_keys, all_texts = [*keys, "late"], [*TEXTS, "Eve went to Paris late"]
    built.add("secret", "Zanzibar hunter2", len(all_keys))
    built.remove("secret", "Zanzibar hunter2")  # forgotten: none of its words is kept
    data = built.to_bytes(dict(zip(all_keys, all_texts, strict=True)).__getitem__)
    assert b"zanzibar" not in data and b"hunter2" not in data and b"kyoto" in data
    assert built.drift.changes == 0
    restored = Lexicon()
    text_of = dict(zip(all_keys, all_texts, strict=True)).__getitem__
    assert restored.restore(data, KeyPrints.of(all_keys), all_keys, text_of)
    assert restored.drift.changes == 0
    same_as_a_fresh_build(restored, all_keys, all_texts)


def test_a_restored_word_index_follows_what_changed_since() -> None:
    keys = [f"k{i}" for i in range(len(TEXTS))]
    data = lexicon_of(TEXTS, keys).to_bytes(dict(zip(keys, TEXTS, strict=True)).__getitem__)
    # Since: k0's text rewritten, k3 forgotten, two added; the rows now load in another order.
    now = {key: text for key, text in zip(keys, TEXTS, strict=True) if key != "k3"}
    now["k0"] = "Zoe went to Quito"
    now["new1"], now["new2"] = "Eve went to Paris late", "Bob went to Quito"
    order = sorted(now, reverse=True)
    restored = Lexicon()
    assert restored.restore(data, KeyPrints.of(order), order, now.__getitem__)
    assert (restored.drift.changes, restored.drift.removals) == (2 + 3, 2)  # k0 and k3 dropped; k0 and two added
    same_as_a_fresh_build(restored, order, [now[key] for key in order])
    mostly = {key: f"other text {i}" for i, key in enumerate(keys)}
    assert not Lexicon().restore(data, KeyPrints.of(keys), keys, mostly.__getitem__)


def test_a_word_index_made_another_way_or_damaged_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [f"k{i}" for i in range(len(TEXTS))]
    text_of = dict(zip(keys, TEXTS, strict=True)).__getitem__
    data = lexicon_of(TEXTS, keys).to_bytes(text_of)
    prints = KeyPrints.of(keys)
    assert not Lexicon().restore(data[:-2], prints, keys, text_of)
    assert not Lexicon().restore(data[:30] + bytes([data[30] ^ 4]) + data[31:], prints, keys, text_of)
    monkeypatch.setattr("neuram_core.lexicon._TERMS_MADE_BY", "another tokeniser")
    assert not Lexicon().restore(data, prints, keys, text_of)


def test_a_failed_keep_is_logged_and_the_close_still_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "memory.db"
    brain = indexed_brain(path, N)

    async def too_big(self: SQLiteStore, namespace: str, items: object, engram_ids: object, *, seen: object) -> bool:
        raise sqlite3.DataError("string or blob too big")  # past SQLite's 1 GB per value

    monkeypatch.setattr(SQLiteStore, "write_derived", too_big)
    with caplog.at_level("WARNING", logger="neuram_core.brain"):
        brain.sync.close()
    assert "could not keep the indexes of namespace 'default': string or blob too big" in caplog.text
    assert kept(path) is None
    brain = open_brain(path)  # the next start-up builds it, as without a kept copy
    assert brain.sync.recall("topic 7", 10)
    brain.sync.close()


def test_a_rewrite_by_another_process_is_followed_before_keeping(tmp_path: Path) -> None:
    """Another process rewrites a memory this Brain indexes: the close follows the change
    first, so what it keeps holds the new text, never the one it replaced."""
    path = tmp_path / "memory.db"
    brain = indexed_brain(path, LARGE)
    other = open_brain(path)
    other.sync.perceive("My locker code is 4471, Zanzibar", engram_id="e00042")
    other.sync.close()
    brain.sync.close()
    words = kept(path, name=WORDS)
    assert words is not None
    unpacked = unpack(b"neuram-words-1\n", WORD_INDEX_FORMAT, words)
    assert unpacked is not None
    arrays = unpacked[1]
    at = int(np.flatnonzero(arrays["key_prints"] == text_fingerprints(["e00042"])[0])[0])
    assert arrays["prints"][at] == text_fingerprints(["My locker code is 4471, Zanzibar"])[0]



def test_a_brain_whose_store_was_written_behind_its_back_keeps_nothing(tmp_path: Path) -> None:
    """An import wrote through the store (the server's path): the index may hold the old
    texts, so neither a close nor an unload (the server's memory budget) keeps it."""
    path = tmp_path / "memory.db"
    brain = indexed_brain(path, N)
    brain.call_blocking(brain.discard_kept_indexes())
    brain.call_blocking(brain.unload())
    assert kept(path) is None
    brain.sync.close()
    assert kept(path) is None


def test_discarding_the_kept_indexes_drops_what_the_store_kept(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    indexed_brain(path, N).sync.close()
    assert kept(path) is not None
    brain = open_brain(path)
    brain.call_blocking(brain.discard_kept_indexes())
    assert kept(path) is None  # at once, not at the close
    brain.sync.close()
    assert kept(path) is None


def test_the_entries_that_hold_name_a_row_print_alike_and_come_first_for_it() -> None:
    rows = np.array([2, -1, 0, 2, 1], dtype=np.int64)  # entry 3 names row 2 again; entry 1 no row
    changed = {4}  # entry 4's source prints otherwise now
    held = holding_entries(rows, lambda named: np.array([int(e) not in changed for e in named]))
    assert held.tolist() == [0, 2]
