"""Brains in separate processes sharing one Redis namespace (a real redis-server)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from neuram_core import Brain, HashingEmbedder
from tests.integration.conftest import Worker

pytestmark = pytest.mark.redis

Spawn = Callable[[str, str], Worker]


async def test_what_one_process_consolidates_the_other_recalls(redis_url: str, spawn: Spawn) -> None:
    here = await Brain.create(redis_url=redis_url, namespace="team", embedder=HashingEmbedder(64))
    try:
        there = spawn(redis_url, "team")
        fact = there.call("perceive", text="The capital of Australia is Canberra, not Sydney")
        assert there.call("sleep")["consolidated"] == 1
        # The other process's index learns of it from the change stream, within one recall.
        found = await here.recall("capital of Australia", top_k=3)
        assert [e.engram_id for e, _ in found] == [fact["id"]]
        assert found[0][0].consolidated

        mine = await here.perceive("Bob's favourite colour is green", gate=False)
        assert (await here.sleep())["consolidated"] == 1
        recalled = there.call("recall", query="favourite colour of Bob", top_k=3)
        assert mine.engram_id in [r["id"] for r in recalled]

        # Forgetting travels too.
        there.call("forget", id=fact["id"])
        assert fact["id"] not in [e.engram_id for e, _ in await here.recall("capital of Australia")]
        assert fact["id"] not in [e.engram_id for e in await here.list()]
    finally:
        await here.close()


async def test_concurrent_recalls_add_up_exactly(redis_url: str, spawn: Spawn) -> None:
    seed = await Brain.create(redis_url=redis_url, namespace="hot", embedder=HashingEmbedder(64))
    try:
        engram = await seed.perceive("The deploy key lives in the team vault", gate=False, consolidate=True)
    finally:
        await seed.close()
    workers = [spawn(redis_url, "hot") for _ in range(3)]
    times, key = 25, f"barrier:{uuid.uuid4().hex}"
    for worker in workers:  # all start together, recall the same engram at once
        worker.send("recall_many", query="deploy key vault", times=times, barrier=key, parties=3)
    assert [w.read() for w in workers] == [times] * 3

    from neuram_core.stores.redis import RedisStore

    store = RedisStore.from_url(redis_url)
    try:
        [stored] = await store.get("hot", [engram.engram_id])
    finally:
        await store.close()
    assert stored is not None
    assert stored.access_count == engram.access_count + 3 * times
    assert stored.stability > engram.stability


async def test_restart_after_a_kill_keeps_stability_and_associations(
    redis_url: str, spawn: Spawn
) -> None:
    first = spawn(redis_url, "restart")
    for text in (
        "Alice moved to Lisbon in March",
        "Alice works as a marine biologist",
        "Alice's dog is called Pixel",
    ):
        first.call("perceive", text=text)
    assert first.call("sleep")["consolidated"] == 3
    before = {e["id"]: e for e in first.call("list")}
    assert all(e["consolidated"] and e["associations"] for e in before.values())
    first.call("close")
    assert first.kill() == -9  # SIGKILL: nothing left to flush

    second = spawn(redis_url, "restart")
    after = {e["id"]: e for e in second.call("list")}
    assert after == before  # stability, associations, access counts: exactly as stored
    recalled = second.call("recall", query="Alice moved to Lisbon", top_k=1)
    assert recalled[0]["content"] == "Alice moved to Lisbon in March"


async def test_a_newcomer_sees_writes_from_before_and_after_it_opened(
    redis_url: str, spawn: Spawn
) -> None:
    """Loaded from Redis at start, then kept in step by the change stream."""
    writer = spawn(redis_url, "busy")
    ids = []
    for i in range(5):
        ids.append(writer.call("perceive", text=f"fact number {i} about the busy namespace")["id"])
    writer.call("sleep")
    reader = await Brain.create(redis_url=redis_url, namespace="busy", embedder=HashingEmbedder(64))
    try:
        for i in range(5, 10):
            ids.append(writer.call("perceive", text=f"fact number {i} about the busy namespace")["id"])
        writer.call("sleep")
        assert {e.engram_id for e in await reader.list()} == set(ids)
    finally:
        await reader.close()
