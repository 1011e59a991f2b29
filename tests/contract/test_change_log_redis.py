"""The Redis change log: a reader that MAXLEN trimming left behind is told, and reloads.

Each test runs on fakeredis, a real redis-server and a real Redis Cluster; several
RedisStore objects on one server stand for several processes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, NeuramConfig
from neuram_core.errors import ChangeLogTrimmedError
from tests.contract.support import engram
from tests.servers import require_fakeredis_lua, shared_cluster, shared_server

pytest.importorskip("redis.asyncio")

from neuram_core.stores.redis import RedisStore

NS = "ns"
MAXLEN = 10
# MAXLEN ~ trims whole stream nodes (100 entries by default): this many writes trim for sure.
OVERFLOW = 450

Opener = Callable[[], RedisStore]


KINDS = ["fakeredis", pytest.param("redis", marks=pytest.mark.redis), pytest.param("cluster", marks=pytest.mark.redis)]


@pytest.fixture(params=KINDS)
async def open_store(request: pytest.FixtureRequest) -> AsyncIterator[Opener]:
    """Opens store objects on one fresh keyspace, each keeping about MAXLEN log entries."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    opened: list[RedisStore] = []
    server: Any = None
    if request.param == "fakeredis":
        require_fakeredis_lua()
        import fakeredis

        server = fakeredis.FakeServer()

    def open_one() -> RedisStore:
        if server is not None:
            client = fakeredis.FakeAsyncRedis(server=server)
            store = RedisStore(client, prefix=prefix, log_maxlen=MAXLEN, close_client=True)
        elif request.param == "redis":
            store = RedisStore.from_url(shared_server().url, prefix=prefix, log_maxlen=MAXLEN)
        else:
            store = RedisStore.from_url(shared_cluster().url, cluster=True, prefix=prefix, log_maxlen=MAXLEN)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


async def put(store: RedisStore, namespace: str, *ids: str) -> None:
    await store.put(namespace, [(engram(i, embedding=None), 1e12) for i in ids])


async def test_a_reader_the_trim_left_behind_is_told(open_store: Opener) -> None:
    writer, reader = open_store(), open_store()
    await put(writer, NS, "first")
    lagging, _ = await reader.changes(NS, None)
    await put(writer, NS, *(f"e{i}" for i in range(OVERFLOW)))
    assert await writer.client.xlen(writer.keys(NS).log) < OVERFLOW  # trimmed
    with pytest.raises(ChangeLogTrimmedError) as caught:
        await reader.changes(NS, lagging)
    assert caught.value.namespace == NS
    fresh, _ = await reader.changes(NS, None)  # what a reload starts from
    await put(writer, NS, "after")
    assert [c.engram_id for c in (await reader.changes(NS, fresh))[1]] == ["after"]


async def test_a_reader_that_saw_an_empty_log_is_told_only_after_a_trim(open_store: Opener) -> None:
    writer, reader = open_store(), open_store()
    empty, _ = await reader.changes(NS, None)
    assert empty == "0-0"
    await put(writer, NS, "a", "b")
    assert [c.engram_id for c in (await reader.changes(NS, empty))[1]] == ["a", "b"]
    await put(writer, NS, *(f"e{i}" for i in range(OVERFLOW)))
    with pytest.raises(ChangeLogTrimmedError):
        await reader.changes(NS, empty)


async def test_a_reader_that_keeps_up_is_never_told(open_store: Opener) -> None:
    writer, reader = open_store(), open_store()
    cursor, _ = await reader.changes(NS, None)
    seen: list[str] = []
    for start in range(0, 300, 7):
        ids = [f"e{i}" for i in range(start, min(start + 7, 300))]
        await put(writer, NS, *ids)
        cursor, changes = await reader.changes(NS, cursor)
        seen += [c.engram_id for c in changes]
    assert seen == [f"e{i}" for i in range(300)]


async def test_trimming_one_namespace_leaves_readers_of_another_alone(open_store: Opener) -> None:
    writer, reader = open_store(), open_store()
    await put(writer, "b", "b0")
    cursor_b, _ = await reader.changes("b", None)
    await put(writer, "b", "b1")
    await put(writer, "a", *(f"a{i}" for i in range(OVERFLOW)))
    await put(writer, "b", "b2")
    assert [c.engram_id for c in (await reader.changes("b", cursor_b))[1]] == ["b1", "b2"]


async def test_a_lagging_brain_reloads_and_converges(open_store: Opener, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="neuram_core.brain")
    clock = ManualClock()
    config = NeuramConfig(working_memory_span_seconds=365 * 86400.0)

    async def brain() -> Brain:
        return await Brain.create(store=open_store(), embedder=HashingEmbedder(64), clock=clock, config=config)

    writer, lagging = await brain(), await brain()
    try:
        kept = await writer.perceive("a fact both brains hold", "semantic", 0.9, gate=False, consolidate=True)
        gone = await writer.perceive("a fact that will be forgotten", "semantic", 0.9, gate=False, consolidate=True)
        assert {kept.engram_id, gone.engram_id} <= {e.engram_id for e in await lagging.list()}
        held = await lagging.perceive("a fact that will be forgotten", "semantic", 0.9, gate=False)
        assert held.engram_id == gone.engram_id  # recognised, and now in working memory
        local = await lagging.perceive("a note only the lagging brain has", gate=False)

        await writer.forget(gone.engram_id)
        await writer.recall("a fact both brains hold", top_k=1)  # LTP: a new stability
        await writer.perceive_many([f"new fact {i} on topic {i % 9}" for i in range(OVERFLOW)], gate=False)
        # Sleep replays every worker's pending traces: the lagging brain's note is among them.
        assert (await writer.sleep())["consolidated"] == OVERFLOW + 1
        assert gone.engram_id in {e.engram_id for e in lagging.working_memory}

        caplog.clear()
        lagged = {e.engram_id: e.stability for e in await lagging.list() if e.consolidated}
        assert sum("trimmed past" in r.getMessage() for r in caplog.records) == 1
        fresh = await brain()
        try:
            assert lagged == {e.engram_id: e.stability for e in await fresh.list()}
        finally:
            await fresh.close()
        assert gone.engram_id not in lagged and kept.engram_id in lagged
        assert gone.engram_id not in {e.engram_id for e in lagging.working_memory}
        assert local.engram_id in {e.engram_id for e in await lagging.list()}
    finally:
        await writer.close()
        await lagging.close()
