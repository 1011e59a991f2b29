"""The LongTermStore contract for per-namespace info (get_info / set_info), on every store.

A Brain records there which embedder made a namespace's vectors; the compare-and-set is
what keeps two workers with different models from both claiming a new namespace.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from neuram_core.types import LongTermStore
from tests.contract.support import Backend, engram

NS = "tenant"
ISOLATED = ["alice", "a*", "al{ice}", "x:y", "alice:info", "%61lice", "ä 🧠"]
RECORD = {"embedder": "sentence-transformers/all-MiniLM-L6-v2", "dimension": 384}


async def test_a_new_namespace_has_no_info(store: LongTermStore) -> None:
    assert await store.get_info(NS) == {}


async def test_set_info_replaces_the_whole_object(store: LongTermStore) -> None:
    rich = {"embedder": 'ü 🧠 "quoted" {braces}', "dimension": 384, "nested": {"a": [1, 2.5, None, True]}}
    assert await store.set_info(NS, rich) is True
    assert await store.get_info(NS) == rich
    assert await store.set_info(NS, {"reembedding": "hashing-64"}) is True
    assert await store.get_info(NS) == {"reembedding": "hashing-64"}  # nothing of the old object stays
    assert await store.set_info(NS, {}) is True
    assert await store.get_info(NS) == {}


async def test_compare_and_set(store: LongTermStore) -> None:
    assert await store.set_info(NS, RECORD, expected={}) is True  # nothing recorded: claimed
    assert await store.set_info(NS, {"embedder": "other"}, expected={}) is False
    assert await store.get_info(NS) == RECORD
    stale = {**RECORD, "dimension": 385}
    assert await store.set_info(NS, {"embedder": "other"}, expected=stale) is False
    assert await store.set_info(NS, {"embedder": "other"}, expected={"embedder": RECORD["embedder"]}) is False
    assert await store.get_info(NS) == RECORD
    moving = {**RECORD, "reembedding": "hashing-64"}
    assert await store.set_info(NS, moving, expected=dict(reversed(RECORD.items()))) is True  # order is no matter
    assert await store.set_info(NS, {}, expected=moving) is True
    assert await store.get_info(NS) == {}


async def test_only_one_of_many_racing_claims_wins(backend: Backend) -> None:
    stores = [backend.store] + ([await backend.open() for _ in range(3)] if backend.shared else [])
    claims = [stores[n % len(stores)].set_info(NS, {"embedder": f"model-{n}"}, expected={}) for n in range(12)]
    won = await asyncio.gather(*claims)
    assert sum(won) == 1
    assert await backend.store.get_info(NS) == {"embedder": f"model-{won.index(True)}"}


async def test_another_store_object_sees_the_info(backend: Backend) -> None:
    if not backend.shared:
        pytest.skip("one store object is the whole store")
    await backend.store.set_info(NS, RECORD)
    other = await backend.open()
    assert await other.get_info(NS) == RECORD


async def test_namespaces_keep_their_own_info(store: LongTermStore) -> None:
    for n, namespace in enumerate(ISOLATED):
        await store.set_info(namespace, {"embedder": f"model-{n}"})
    for n, namespace in enumerate(ISOLATED):
        assert await store.get_info(namespace) == {"embedder": f"model-{n}"}
    assert await store.get_info("al") == {}


async def test_info_is_not_an_engram(store: LongTermStore) -> None:
    """Recording info neither lists the namespace, counts, nor writes to the change log;
    writing and deleting engrams leave the info as it is."""
    cursor, _ = await store.changes(NS, None)
    await store.set_info(NS, RECORD)
    assert await store.namespaces() == []
    assert await store.count(NS) == 0
    assert await store.changes(NS, cursor) == (cursor, [])
    await store.put(NS, [(engram("e1"), 1.0), (engram("e2"), 2e9)])
    await store.prune(NS, 10.0, 10)
    await store.delete(NS, ["e2"])
    assert await store.get_info(NS) == RECORD


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (["embedder"], TypeError, "info must be a mapping"),
        ({1: "x"}, TypeError, "keys must be str"),
        ({"": "x"}, ValueError, "keys must not be empty"),
        ({"dimension": math.nan}, ValueError, "JSON values only"),
        ({"embedder": object()}, ValueError, "JSON values only"),
    ],
)
async def test_bad_info_is_refused_before_anything_is_written(
    store: LongTermStore, bad: Any, error: type[Exception], match: str
) -> None:
    await store.set_info(NS, RECORD)
    with pytest.raises(error, match=match):
        await store.set_info(NS, bad)
    with pytest.raises(error, match=match.replace("info", "expected")):
        await store.set_info(NS, {}, expected=bad)
    assert await store.get_info(NS) == RECORD
