"""One Brain, any caller: several event loops, plain sync code, sync code inside a loop."""

from __future__ import annotations

import asyncio

import pytest

from neuram_core import Brain, HashingEmbedder


def test_a_brain_outlives_the_loop_that_created_it() -> None:
    async def make() -> Brain:
        brain = await Brain.create(path=":memory:", embedder=HashingEmbedder())
        await brain.perceive("the train leaves from platform nine", memory_type="semantic")
        return brain

    brain = asyncio.run(make())

    async def use() -> str:
        await brain.sleep()
        [(engram, _)] = await brain.recall("train platform", top_k=1)
        return engram.content

    assert asyncio.run(use()) == "the train leaves from platform nine"
    assert brain.sync.recall("train platform", top_k=1)[0][0].content.startswith("the train")
    brain.sync.close()


def test_plain_sync_use() -> None:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder())
    with brain.sync as memory:
        memory.perceive("the red folder holds the contracts", memory_type="semantic")
        assert memory.sleep()["consolidated"] == 1
        assert memory.recall("contracts folder", top_k=1)[0][0].consolidated
        assert len(memory.working_memory) == 1
    with pytest.raises(RuntimeError, match="closed"):
        brain.sync.recall("anything")


async def test_sync_calls_inside_a_running_loop_like_jupyter() -> None:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder())
    # a notebook cell calling sync code while its own loop runs
    brain.sync.perceive("the dentist appointment is on monday", memory_type="episodic")
    assert brain.sync.recall("dentist appointment", top_k=1)[0][0].content.startswith("the dentist")
    assert (await brain.recall("dentist", top_k=1))[0][0].access_count == 2
    await brain.close()


async def test_concurrent_calls_from_two_loops() -> None:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder())

    def other_thread() -> int:
        async def work() -> int:
            for i in range(20):
                await brain.perceive(f"note {i} from the worker thread about item{i}", memory_type="semantic")
            return len(await brain.list())

        return asyncio.run(work())

    results = await asyncio.gather(
        asyncio.to_thread(other_thread),
        *[brain.perceive(f"main loop fact {i} about widget{i}", memory_type="semantic") for i in range(20)],
    )
    assert results[0] >= 20
    assert len(await brain.list()) == 40
    await brain.close()
    await brain.close()  # idempotent
