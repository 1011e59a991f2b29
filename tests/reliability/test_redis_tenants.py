"""For any two distinct namespaces on a real Redis and a real 3-node Redis Cluster,
nothing perceived in one is ever recalled, listed, read, exported, forgotten, cleared or
pruned through the other."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuram_core import Brain, HashingEmbedder, ManualClock, UnknownEngramError
from tests.reliability.test_tenants import namespaces
from tests.servers import shared_cluster, shared_server

pytest.importorskip("redis")

from neuram_core.stores.redis import RedisStore

pytestmark = [pytest.mark.redis, pytest.mark.timeout(180)]

EXAMPLES = 50
tried: dict[str, int] = {}


@pytest.fixture(scope="module", params=["redis", "cluster"])
def root(request: pytest.FixtureRequest) -> Iterator[tuple[Brain, str]]:
    url = shared_server().url if request.param == "redis" else shared_cluster().url
    brain = Brain.open(url, namespace="tenants-root", embedder=HashingEmbedder(64), clock=ManualClock())
    yield brain, url
    print(f"\ntenant pairs tried on {request.param}: {tried.get(url, 0)}")
    brain.sync.close()


def export(url: str, namespace: str) -> tuple[int, list[str]]:
    """What `neuram export` reads: count and scan of the namespace, on a store of our own."""

    async def read() -> tuple[int, list[str]]:
        store = RedisStore.from_url(url)
        try:
            return await store.count(namespace), [e.engram_id async for e in store.scan(namespace)]
        finally:
            await store.close()

    return asyncio.run(read())


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=st.lists(namespaces, min_size=2, max_size=2, unique=True))
def test_two_namespaces_never_see_each_other_on_redis(root: tuple[Brain, str], pair: list[str]) -> None:
    brain, store_url = root
    ours, theirs = (brain.for_namespace(ns).sync for ns in pair)
    tried[store_url] = tried.get(store_url, 0) + 1
    ours.clear()
    theirs.clear()
    secret = ours.perceive(f"the secret of {pair[0]!r} is a purple lighthouse", memory_type="semantic")
    ours.sleep()
    assert export(store_url, pair[0]) == (1, [secret.engram_id])

    assert theirs.recall("secret purple lighthouse", top_k=50) == []
    assert theirs.list() == []
    assert export(store_url, pair[1]) == (0, [])
    with pytest.raises(UnknownEngramError):
        theirs.get(secret.engram_id)
    assert theirs.forget(secret.engram_id) is False  # not theirs to forget
    assert theirs.clear() == 0
    theirs.brain.clock.advance(days=10_000)  # type: ignore[attr-defined]
    assert theirs.sleep()["pruned_ltm"] == 0  # their sleep never prunes our memories
    assert [e.engram_id for e in ours.list()] == [secret.engram_id]
    assert export(store_url, pair[0]) == (1, [secret.engram_id])
    ours.clear()

