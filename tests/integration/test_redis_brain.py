"""Brains on Redis in one process: URLs, Cluster, tenant isolation, failures, cost."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import pytest

from neuram_core import Brain, Engram, HashingEmbedder, MemoryType, StoreUnavailableError
from tests.servers import RedisServer, require_redis_server, shared_cluster

pytest.importorskip("redis")

from neuram_core.stores.redis import RedisStore

TENANTS = ["alice", "a*", "al{ice}", "x:y"]


def fake_store(server: Any) -> RedisStore:
    import fakeredis

    return RedisStore(fakeredis.FakeAsyncRedis(server=server), close_client=True)


async def brain_on(kind: str, request: pytest.FixtureRequest, namespace: str = "default") -> Brain:
    if kind == "fakeredis":
        server = request.getfixturevalue("fake_server")
        return await Brain.create(store=fake_store(server), namespace=namespace, embedder=HashingEmbedder(64))
    url = request.getfixturevalue("redis_url")
    return await Brain.create(redis_url=url, namespace=namespace, embedder=HashingEmbedder(64))


def inspector(kind: str, request: pytest.FixtureRequest) -> RedisStore:
    """A store of our own on the Brain's Redis (a Brain's store lives on the Brain's loop)."""
    if kind == "fakeredis":
        return fake_store(request.getfixturevalue("fake_server"))
    return RedisStore.from_url(request.getfixturevalue("redis_url"))


KINDS = [pytest.param("fakeredis"), pytest.param("redis", marks=pytest.mark.redis)]


@pytest.mark.redis
async def test_brain_on_a_redis_url_survives_reopening(redis_url: str) -> None:
    brain = await Brain.create(redis_url=f"{redis_url}/2", namespace="u1", embedder=HashingEmbedder(64))
    try:
        assert isinstance(brain.store, RedisStore)
        fact = await brain.perceive("Python dictionaries keep insertion order", gate=False)
        assert (await brain.sleep())["consolidated"] == 1
        [(found, _)] = await brain.recall("dictionaries insertion order", top_k=1)
        assert found.engram_id == fact.engram_id and found.access_count == 1
    finally:
        await brain.close()
    again = Brain.open(f"{redis_url}/2", namespace="u1", embedder=HashingEmbedder(64))  # sync API
    try:
        [stored] = again.sync.list()
        assert (stored.engram_id, stored.access_count) == (fact.engram_id, 1)
        assert stored.stability == found.stability
    finally:
        again.sync.close()


@pytest.mark.redis
async def test_brain_on_a_redis_cluster() -> None:
    url = shared_cluster().url  # redis+cluster://127.0.0.1:<port>
    brains = [
        await Brain.create(redis_url=url, namespace=ns, embedder=HashingEmbedder(64))
        for ns in ("cluster-a", "cluster-b")
    ]
    try:
        for brain in brains:
            await brain.clear()
            await brain.perceive(f"the secret of {brain.namespace} is kept here", gate=False)
            await brain.perceive(f"another memory held by {brain.namespace} only", gate=False)
            assert (await brain.sleep())["consolidated"] == 2
        for brain in brains:
            found = await brain.recall("the secret is kept", top_k=5)
            assert len(found) == 2
            assert all(f" {brain.namespace} " in e.content for e, _ in found)
            assert all(e.access_count == 1 and e.associations for e, _ in found)
            engram = found[0][0]
            assert (await brain.reinforce(engram.engram_id, 0.5)).stability > engram.stability
    finally:
        for brain in brains:
            await brain.close()
    reopened = await Brain.create(redis_url=url, namespace="cluster-a", embedder=HashingEmbedder(64))
    try:
        assert len(await reopened.list()) == 2
    finally:
        await reopened.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_tenants_never_see_each_other(kind: str, request: pytest.FixtureRequest) -> None:
    """"alice", "a*", "al{ice}" and "x:y": same store, look-alike names, no leaks."""
    first = await brain_on(kind, request, TENANTS[0])
    try:
        brains = {ns: first.for_namespace(ns) for ns in TENANTS}
        secrets = {}
        for ns, brain in brains.items():
            secrets[ns] = await brain.perceive(f"the vault code of {ns} is {len(ns)}", gate=False)
            await brain.perceive(f"shared words vault code appear in {ns} too", gate=False)
            await brain.sleep()
        for ns, brain in brains.items():
            mine = {e.engram_id for e in await brain.list()}
            assert secrets[ns].engram_id in mine and len(mine) == 2
            found = await brain.recall("vault code", top_k=10)
            assert {e.engram_id for e, _ in found} == mine
            for other, secret in secrets.items():
                if other != ns:
                    with pytest.raises(ValueError):
                        await brain.get(secret.engram_id)
                    assert await brain.forget(secret.engram_id) is False
        # Pattern characters do not match other tenants: clearing "a*" clears only "a*".
        assert await brains["a*"].clear() == 2
        assert await brains["al{ice}"].clear() == 2
        look = inspector(kind, request)
        try:
            assert await look.namespaces() == sorted(["alice", "x:y"])
        finally:
            await look.close()
        for ns in ("alice", "x:y"):
            assert len(await brains[ns].list()) == 2
    finally:
        await first.close()
    # A fresh Brain (fresh index, loaded from Redis) sees only its own tenant too.
    fresh = await brain_on(kind, request, "x:y")
    try:
        assert {e.engram_id for e in await fresh.list()} >= {secrets["x:y"].engram_id}
        assert len(await fresh.list()) == 2
    finally:
        await fresh.close()


async def test_two_brains_follow_each_other_through_the_change_stream(fake_server: Any) -> None:
    a = await Brain.create(store=fake_store(fake_server), namespace="n", embedder=HashingEmbedder(64))
    b = await Brain.create(store=fake_store(fake_server), namespace="n", embedder=HashingEmbedder(64))
    try:
        fact = await a.perceive("The staging database is called kestrel", gate=False, consolidate=True)
        [(seen, _)] = await b.recall("staging database name", top_k=1)
        assert seen.engram_id == fact.engram_id
        await asyncio.gather(*(b.recall("staging database", top_k=1) for _ in range(10)),
                             *(a.recall("staging database", top_k=1) for _ in range(10)))
        [stored] = await fake_store(fake_server).get("n", [fact.engram_id])
        assert stored is not None and stored.access_count == 21
        await b.forget(fact.engram_id)
        assert await a.recall("staging database", top_k=1) == []
    finally:
        await a.close()
        await b.close()


async def test_sleep_lock_keeps_a_second_worker_out_until_it_expires(fake_server: Any) -> None:
    brain = await Brain.create(store=fake_store(fake_server), namespace="n", embedder=HashingEmbedder(64))
    crashed = fake_store(fake_server)  # a worker that took the lock and died
    try:
        await brain.perceive("a fact waiting for its sleep", gate=False)
        assert await crashed.acquire_lock("n", "sleep", "crashed-worker", 0.2)
        assert (await brain.sleep())["locked_out"] == 1
        assert len(brain.hippocampus.pending) == 1
        await asyncio.sleep(0.3)
        result = await brain.sleep()
        assert (result["locked_out"], result["consolidated"]) == (0, 1)
        # Released after the cycle: another worker may take it at once.
        assert await crashed.acquire_lock("n", "sleep", "next-worker", 5)
    finally:
        await crashed.close()
        await brain.close()


# -- failures ----------------------------------------------------------------------------------
async def test_redis_failing_mid_sleep_loses_nothing(fake_server: Any) -> None:
    store = fake_store(fake_server)
    brain = await Brain.create(store=store, namespace="n", embedder=HashingEmbedder(64))
    try:
        items = [await brain.perceive(f"important fact number {i} to keep", gate=False) for i in range(3)]
        acquire = store.acquire_lock

        async def acquire_then_fail(*args: Any) -> bool:
            got = await acquire(*args)
            fake_server.connected = False  # Redis goes away after the lock, before the write
            return got

        store.acquire_lock = acquire_then_fail  # type: ignore[method-assign]
        with pytest.raises(StoreUnavailableError):
            await brain.sleep()
        assert set(brain.hippocampus.pending) == {e.engram_id for e in items}
        assert len(brain.working_memory) == 3
        fake_server.connected = True
        written = await fake_store(fake_server).get("n", [e.engram_id for e in items])
        assert all(e is not None and not e.consolidated for e in written)  # stored at perception, pending
        store.acquire_lock = acquire  # type: ignore[method-assign]
        result = await brain.sleep()  # the next cycle consolidates them
        assert result["consolidated"] == 3
        assert brain.hippocampus.pending == {}
        assert await fake_store(fake_server).count("n") == 3
    finally:
        fake_server.connected = True
        await brain.close()


@pytest.mark.redis
async def test_redis_crashing_mid_sleep_then_coming_back(tmp_path: Any) -> None:
    """A real server SIGKILLed mid-sleep and restarted: the items land on a later cycle,
    including one from the background sleep loop."""
    require_redis_server()
    server = RedisServer(directory=tmp_path, appendonly=True).start()
    restarted = RedisServer(port=server.port, directory=tmp_path, appendonly=True)
    brain = await Brain.create(redis_url=server.url, namespace="n", embedder=HashingEmbedder(64))
    try:
        items = [await brain.perceive(f"durable fact number {i} to keep", gate=False) for i in range(3)]
        store = brain.store
        acquire = store.acquire_lock

        async def acquire_then_crash(*args: Any) -> bool:
            got = await acquire(*args)
            server.kill()
            return got

        store.acquire_lock = acquire_then_crash  # type: ignore[method-assign]
        with pytest.raises(StoreUnavailableError):
            await brain.sleep()
        store.acquire_lock = acquire  # type: ignore[method-assign]
        assert set(brain.hippocampus.pending) == {e.engram_id for e in items}

        await brain.start_sleep_cycle(0.05)  # fails quietly while Redis is down
        await asyncio.sleep(0.3)
        assert set(brain.hippocampus.pending) == {e.engram_id for e in items}
        restarted.start()
        deadline = time.monotonic() + 10
        while brain.hippocampus.pending and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        assert brain.hippocampus.pending == {}
        await brain.stop_sleep_cycle()
        look = RedisStore.from_url(server.url)
        try:
            assert await look.count("n") == 3
        finally:
            await look.close()
    finally:
        await brain.close()
        server.stop()
        restarted.stop()


@pytest.mark.redis
async def test_a_full_redis_refuses_writes_and_nothing_is_lost(redis_url: str) -> None:
    import redis

    admin = redis.Redis.from_url(redis_url)
    brain = await Brain.create(redis_url=redis_url, namespace="n", embedder=HashingEmbedder(64))
    try:
        fact = await brain.perceive("a memory that must survive a full Redis", gate=False)
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", 1)  # full: every write is refused with OOM
        with pytest.raises(StoreUnavailableError, match="maxmemory"):
            await brain.sleep()
        assert fact.engram_id in brain.hippocampus.pending
        admin.config_set("maxmemory", 0)
        assert (await brain.sleep())["consolidated"] == 1
    finally:
        admin.config_set("maxmemory", 0)
        admin.close()
        await brain.close()


# -- cost ------------------------------------------------------------------------------------
@pytest.mark.redis
async def test_sleep_over_a_large_store_with_few_due_stays_fast(redis_url: str) -> None:
    n, dim = 10_000, 16
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    store = RedisStore.from_url(redis_url)
    try:
        for start in range(0, n, 5000):
            await store.put("big", [
                (Engram(f"memory {i}", MemoryType.SEMANTIC, 0.5, embedding=vectors[i],
                        engram_id=f"e{i}", stability=1000.0, last_accessed=time.time(), consolidated=True),
                 time.time() + 86400 * 365)
                for i in range(start, start + 5000)
            ])
        await store.put("big", [
            (Engram(f"faded {i}", MemoryType.EPISODIC, 0.5, embedding=vectors[i],
                    engram_id=f"due{i}", last_accessed=1000.0, consolidated=True), 2000.0)
            for i in range(3)
        ])
    finally:
        await store.close()
    started = time.perf_counter()
    brain = await Brain.create(redis_url=redis_url, namespace="big", embedder=HashingEmbedder(dim))
    loaded = time.perf_counter() - started
    try:
        assert len(brain.hippocampus) == n + 3
        started = time.perf_counter()
        result = await brain.sleep()
        slept = time.perf_counter() - started
        assert result["pruned_ltm"] == 3
        assert len(brain.hippocampus) == n
        assert slept < 0.25, f"sleep over {n} engrams took {slept:.3f}s (load took {loaded:.2f}s)"
    finally:
        await brain.close()
