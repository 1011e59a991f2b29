"""One Brain, any caller: several event loops, plain sync code, sync code inside a loop."""

from __future__ import annotations

import asyncio
import os
import select
import threading
import time
from pathlib import Path

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


@pytest.mark.parametrize("closing", ["sync", "async"])
@pytest.mark.parametrize("work", ["recall", "perceive"])
def test_a_close_under_running_calls_fails_them_clearly_and_hangs_none(
    tmp_path: Path, closing: str, work: str
) -> None:
    """Calls already running finish, later ones get "this Brain is closed": never a call
    left waiting on a stopped loop, nor the store's own "closed database" error."""
    brain = Brain.open(path=tmp_path / "m.db", namespace="x", embedder=HashingEmbedder())
    brain.sync.perceive("the archive key is blue", gate=False)
    errors: list[str] = []
    started = threading.Barrier(5)

    def worker(n: int) -> None:
        started.wait()
        try:
            for i in range(20_000):  # bounded: the close ends it long before
                if work == "recall":
                    brain.sync.recall(f"where is key {i}")
                else:
                    brain.sync.perceive(f"worker {n} wrote note {i} about tables", gate=False)
        except Exception as exc:  # what each caller sees is the point
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.2)
    if closing == "sync":
        brain.sync.close()
    else:
        asyncio.run(brain.close())
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert len(errors) == 4 and set(errors) == {"RuntimeError: this Brain is closed"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_is_told_to_open_its_own_brain(tmp_path: Path) -> None:
    brain = Brain.open(path=tmp_path / "m.db", embedder=HashingEmbedder())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what a call says, then leave at once, whatever happens
        try:
            try:
                brain.sync.recall("anything")
                answer = b"no error"
            except BaseException as exc:
                answer = f"{type(exc).__name__}: {exc}".encode()
            os.write(write, answer)
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 30)
    said = os.read(read, 4096).decode() if ready else "the child said nothing within 30 s"
    os.waitpid(pid, 0)
    os.close(read)
    brain.sync.close()
    assert f"this Brain was opened by process {os.getpid()}" in said and "open a Brain in each process" in said


def test_an_async_call_after_close_warns_of_nothing(recwarn: pytest.WarningsRecorder) -> None:
    async def main() -> None:
        brain = await Brain.create(path=":memory:", embedder=HashingEmbedder())
        await brain.close()
        with pytest.raises(RuntimeError, match="this Brain is closed"):
            await brain.recall("anything")

    asyncio.run(main())
    import gc

    gc.collect()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]
