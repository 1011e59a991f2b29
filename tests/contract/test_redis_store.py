"""What only the Redis store promises: key layout, escaping, URLs, failures, cost."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuram_core.codec import engram_to_fields
from neuram_core.errors import ChangeLogTrimmedError, StoreUnavailableError
from tests.contract.support import engram
from tests.servers import free_port, require_fakeredis_lua, shared_cluster, shared_server

redis_asyncio = pytest.importorskip("redis.asyncio")

from neuram_core.stores.redis import (  # noqa: E402
    RedisStore,
    escape_namespace,
    record_version,
    unescape_namespace,
    unpack_record,
)


@pytest.fixture
async def fake() -> AsyncIterator[RedisStore]:
    require_fakeredis_lua()
    import fakeredis

    store = RedisStore(fakeredis.FakeAsyncRedis(), prefix="neuram", close_client=True)
    yield store
    await store.close()


@pytest.fixture
async def real() -> AsyncIterator[RedisStore]:
    store = RedisStore.from_url(shared_server().url, prefix=f"t{uuid.uuid4().hex[:10]}")
    yield store
    await store.close()


@pytest.fixture
async def cluster() -> AsyncIterator[RedisStore]:
    store = RedisStore.from_url(shared_cluster().url, prefix=f"t{uuid.uuid4().hex[:10]}")
    yield store
    await store.close()


# -- names ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("namespace", "escaped"),
    [
        ("alice", "alice"),
        ("a*", "a%2A"),
        ("al{ice}", "al%7Bice%7D"),
        ("x:y", "x%3Ay"),
        ("50%", "50%25"),
        ("a?[b]", "a%3F%5Bb%5D"),
        ("ä 🧠", "%C3%A4%20%F0%9F%A7%A0"),
        ("user_1.a-b~c", "user_1.a-b~c"),
    ],
)
def test_namespace_escaping(namespace: str, escaped: str) -> None:
    assert escape_namespace(namespace) == escaped
    assert unescape_namespace(escaped) == namespace
    assert not set(escaped) & set("{}*?[]:")


def test_escaping_is_one_to_one() -> None:
    names = ["alice", "a*", "al{ice}", "x:y", "a%2A", "%", "%25", "alice:e", "alice}", "{alice"]
    assert len({escape_namespace(n) for n in names}) == len(names)
    with pytest.raises(ValueError):
        escape_namespace("")
    with pytest.raises(TypeError):
        escape_namespace(3)  # type: ignore[arg-type]


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_escaping_never_merges_two_namespaces(a: str, b: str) -> None:
    try:
        ea, eb = escape_namespace(a), escape_namespace(b)
    except UnicodeEncodeError:  # lone surrogates: Brain rejects such names up front
        return
    assert (ea == eb) == (a == b)
    assert not set(ea) & set("{}*?[]:") and unescape_namespace(ea) == a


def test_keys_of_one_namespace_share_one_hash_tag() -> None:
    from redis.crc import key_slot

    for ns in ["alice", "a*", "al{ice}", "x:y", "}{"]:
        keys = RedisStore.__new__(RedisStore)
        keys.prefix = "neuram"
        k = keys.keys(ns)
        names = [k.forget_at, k.log, k.lock("sleep"), k.engram("id}{x"), k.engram("e")]
        assert all(n.startswith(f"neuram:{{{escape_namespace(ns)}}}:") for n in names)
        assert len({key_slot(n.encode()) for n in names}) == 1


async def test_key_layout(fake: RedisStore) -> None:
    vector = np.arange(8, dtype=np.float32) / 7
    e = engram("e1", embedding=vector, associations=[("e0", 0.5)])
    await fake.put("x:y", [(e, 1234.5)])
    await fake.acquire_lock("x:y", "sleep", "me", 30)
    client = fake.client
    keys = {k.decode() for k in await client.keys("*")}
    assert keys == {
        "neuram:namespaces",
        "neuram:{x%3Ay}:e:e1",
        "neuram:{x%3Ay}:forget_at",
        "neuram:{x%3Ay}:log",
        "neuram:{x%3Ay}:lock:sleep",
    }
    assert await client.type("neuram:{x%3Ay}:e:e1") == b"hash"
    assert await client.type("neuram:{x%3Ay}:forget_at") == b"zset"
    assert await client.type("neuram:{x%3Ay}:log") == b"stream"
    stored = await client.hgetall("neuram:{x%3Ay}:e:e1")
    record = engram_to_fields(e)
    assert set(stored) == {b"d", b"e"}  # two fields: few fields keep the hash small
    assert stored[b"e"] == vector.astype("<f4").tobytes()  # raw float32, 32 bytes
    fields = unpack_record(stored)
    assert set(fields) == {*record, "embedding"}  # the codec's fields, as JSON values
    assert fields["v"] == 4  # with their schema version
    assert fields["assoc"] == [["e0", 0.5]]
    assert fields["stability"] == e.stability and fields["type"] == e.memory_type.value
    assert record_version(stored)  # the change-log id that wrote it
    assert await client.zscore("neuram:{x%3Ay}:forget_at", "e1") == 1234.5
    assert await client.smembers("neuram:namespaces") == {b"x%3Ay"}


async def test_a_long_scan_gives_the_loop_a_turn_every_slice(fake: RedisStore) -> None:
    """A load of a large namespace must not freeze the event loop between two Redis
    round trips: other tasks run at least every 100 decoded engrams (and redis-py gets the
    turns it needs to send the next batch's request while this one decodes)."""
    await fake.put("big", [(engram(f"e{i:04d}"), 4e9) for i in range(1200)])
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    seen = [(e.engram_id, ticks) async for e in fake.scan("big")]
    task.cancel()
    assert sorted(i for i, _ in seen) == [f"e{i:04d}" for i in range(1200)]
    assert all([np.array_equal(e.embedding, engram(e.engram_id).embedding) async for e in fake.scan("big")])
    longest = max(sum(1 for _ in run) for _, run in itertools.groupby(t for _, t in seen))
    assert longest <= 100


async def test_version_changes_on_every_write(fake: RedisStore) -> None:
    key = fake.keys("ns").engram("a")
    await fake.put("ns", [(engram("a"), 1e9)])
    first = record_version(await fake.client.hgetall(key))
    await fake.update("ns", ["a"], lambda e: (e, 1e9))
    second = record_version(await fake.client.hgetall(key))
    assert first and second and first != second


async def test_racing_updates_retry(fake: RedisStore) -> None:
    await fake.put("ns", [(engram("a"), 1e9)])

    def bump(e):  # type: ignore[no-untyped-def]
        e.access_count += 1
        return e, 1e9

    await asyncio.gather(*(fake.update("ns", ["a"], bump) for _ in range(30)))
    [got] = await fake.get("ns", ["a"])
    assert got is not None and got.access_count == 30
    assert fake.update_conflicts > 0  # the compare-and-set path really ran


async def test_a_stale_version_never_overwrites(fake: RedisStore) -> None:
    """Delete + re-put between read and write: the write of the stale read must fail."""
    await fake.put("ns", [(engram("a", access_count=1), 1e9)])
    calls = 0

    def change(e):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return e, 1e9

    original = fake._read

    async def read_then_replace(keys, ids):  # type: ignore[no-untyped-def]
        found = await original(keys, ids)
        if calls == 0:
            await fake.delete("ns", ["a"])
            await fake.put("ns", [(engram("a", access_count=7), 1e9)])
        return found

    fake._read = read_then_replace  # type: ignore[method-assign]
    [got] = await fake.update("ns", ["a"], change)
    assert calls == 2 and got is not None and got.access_count == 7


@pytest.mark.redis
async def test_change_log_is_trimmed_and_a_lagging_reader_is_told(real: RedisStore) -> None:
    real.log_maxlen = 10
    cursor, _ = await real.changes("ns", None)
    n = 450
    await real.put("ns", [(engram(f"e{i}", embedding=None), 1e9) for i in range(n)])
    await real.delete("ns", ["e0"])
    length = await real.client.xlen(real.keys("ns").log)
    assert 10 <= length < n  # MAXLEN ~ trims whole stream nodes
    with pytest.raises(ChangeLogTrimmedError):  # it reloads (tests/contract/test_change_log_redis.py)
        await real.changes("ns", cursor)


def test_client_must_return_bytes() -> None:
    with pytest.raises(ValueError, match="decode_responses"):
        RedisStore(redis_asyncio.Redis(decode_responses=True))
    with pytest.raises(TypeError):
        RedisStore(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prefix"):
        RedisStore(redis_asyncio.Redis(), prefix="a{b}")


# -- URLs ----------------------------------------------------------------------------------
def test_from_url_parses_like_redis_py() -> None:
    store = RedisStore.from_url("redis://:s3cret@db.example:6380/3")
    kwargs = store.client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"], kwargs["password"]) == (
        "db.example", 6380, 3, "s3cret"
    )
    assert kwargs["decode_responses"] is False
    tls = RedisStore.from_url("rediss://user:pw@db.example:6390/0")
    assert tls.client.connection_pool.connection_class.__name__ == "SSLConnection"
    assert tls.client.connection_pool.connection_kwargs["username"] == "user"


def test_from_url_cluster_convention() -> None:
    from redis.asyncio import RedisCluster

    for url, kw in [("redis+cluster://127.0.0.1:7000", {}), ("redis://127.0.0.1:7000", {"cluster": True})]:
        store = RedisStore.from_url(url, **kw)
        assert isinstance(store.client, RedisCluster)
        assert "cluster" in repr(store)
    with pytest.raises(ValueError):
        RedisStore.from_url("redis+cluster://127.0.0.1:7000", cluster=False)
    with pytest.raises(ValueError):
        RedisStore.from_url("localhost:6379")


async def test_unreachable_redis_raises_store_unavailable() -> None:
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailableError):
            await store.put("ns", [(engram("a"), 1e9)])
        with pytest.raises(StoreUnavailableError):
            [e async for e in store.scan("ns")]
        with pytest.raises(RuntimeError):  # StoreUnavailableError is a RuntimeError
            await store.acquire_lock("ns", "sleep", "me", 1)
    finally:
        await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.count("ns")


def test_import_neuram_does_not_import_redis() -> None:
    code = (
        "import sys, neuram, neuram_core, neuram_core.stores\n"
        "assert 'redis' not in sys.modules, 'redis imported'\n"
        "import neuram_core.stores.redis\n"
        "from neuram_core.stores import RedisStore\n"
        "assert 'redis' not in sys.modules, 'redis imported by the module itself'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- real servers --------------------------------------------------------------------------
@pytest.mark.redis
async def test_prune_cost_follows_what_is_due(real: RedisStore) -> None:
    """20,000 engrams, 5 due: pruning is one short script, not a pass over the store."""
    n = 20_000
    template = engram("t", embedding=None)
    for start in range(0, n, 5000):
        await real.put("big", [
            (dataclasses.replace(template, engram_id=f"e{i}"), 4e9 + i) for i in range(start, start + 5000)
        ])
    await real.put("big", [(engram(f"due{i}", embedding=None), 1000.0 + i) for i in range(5)])
    started = time.perf_counter()
    pruned = await real.prune("big", 2e9, 1000)
    elapsed = time.perf_counter() - started
    assert pruned == [f"due{i}" for i in range(5)]
    assert await real.count("big") == n
    assert elapsed < 0.05, f"prune over {n} engrams took {elapsed:.3f}s"


@pytest.mark.redis
async def test_cluster_spreads_namespaces_over_the_shards(cluster: RedisStore) -> None:
    import redis

    for i in range(24):
        await cluster.put(f"user-{i}", [(engram("a"), 1e9), (engram("b"), 1e9)])
    holders = 0
    for port in shared_cluster().ports:
        node = redis.Redis(port=port)
        try:
            keys = [k for k in node.keys(f"{cluster.prefix}:{{*") if b":e:" in k]
        finally:
            node.close()
        holders += bool(keys)
        # On every node, the keys of one namespace are all there together.
        tags = {k.split(b"}")[0] for k in keys}
        for tag in tags:
            assert sum(k.startswith(tag + b"}") for k in keys) == 2
    assert holders >= 2
    assert len(await cluster.namespaces()) == 24
