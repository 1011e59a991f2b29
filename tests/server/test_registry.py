"""Many tenants within a budget: idle namespaces leave memory (Brain.unload) and come back
from the store on demand; the background sleep runs for every loaded namespace."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from neuram_core import Brain, HashingEmbedder
from tests.server.harness import require_server_extra


@asynccontextmanager
async def in_process(tmp_path: Path, **options: object) -> AsyncIterator[tuple[object, object]]:
    require_server_extra()
    import httpx

    from neuram_server.app import create_app
    from neuram_server.settings import ServerSettings

    settings = ServerSettings(store=f"sqlite:///{tmp_path / 'memory.db'}", **options)  # type: ignore[arg-type]
    app = create_app(settings, embedder=HashingEmbedder(), mcp=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield http, app.state.neuram


async def test_idle_namespaces_are_unloaded_within_the_budget(tmp_path: Path) -> None:
    async with in_process(tmp_path, max_loaded_engrams=50) as (http, state):
        for n in range(6):
            texts = [f"tenant {n} remembers fact {i} about topic{i}" for i in range(20)]
            made = await http.post(f"/v1/namespaces/t{n}/memories/batch", json={"contents": texts, "gate": False})
            assert made.status_code == 201
            assert state.registry.loaded_engrams() <= 50
        assert state.registry.unloads >= 4
        assert "t0" not in state.registry.loaded()
        found = (await http.post("/v1/namespaces/t0/recall", json={"query": "tenant 0 fact 3 topic3"})).json()
        assert found["results"][0]["memory"]["content"] == "tenant 0 remembers fact 3 about topic3"
        assert "t0" in state.registry.loaded() and state.registry.loaded_engrams() <= 50


async def test_a_namespace_in_use_is_never_unloaded(tmp_path: Path) -> None:
    async with in_process(tmp_path, max_loaded_engrams=1) as (http, state):
        async with state.registry.use("busy") as brain:
            await brain.perceive_many([f"busy fact {i} about thing{i}" for i in range(5)], gate=False)
            await http.post("/v1/namespaces/other/memories", json={"content": "other tenant fact", "gate": False})
            assert "busy" in state.registry.loaded()  # over budget, but in use
        await http.get("/v1/namespaces/other/stats")
        assert "busy" not in state.registry.loaded()


async def test_loaded_namespaces_sleep_in_the_background(tmp_path: Path) -> None:
    async with in_process(tmp_path, sleep_interval_seconds=0.05) as (http, state):
        await http.post("/v1/namespaces/ada/memories", json={"content": "Ada keeps bees", "gate": False})
        async with state.registry.use("ada") as brain:
            assert brain.sleep_cycle.running
    async with in_process(tmp_path, sleep_interval_seconds=0) as (http, state), state.registry.use("ada") as brain:
        assert not brain.sleep_cycle.running


async def test_unload_keeps_the_store_and_reopens(tmp_path: Path) -> None:
    brain = await Brain.create(path=tmp_path / "m.db", embedder=HashingEmbedder())
    try:
        other = brain.for_namespace("other")
        await other.perceive("a fact about owls in the barn", gate=False)
        await other.start_sleep_cycle(60)
        await other.unload()
        assert not other.sleep_cycle.running
        again = brain.for_namespace("other")
        assert again is not other
        assert [e.content for e in await again.list()] == ["a fact about owls in the barn"]
    finally:
        await brain.close()


def test_concurrent_loads_of_one_namespace_load_it_once(tmp_path: Path) -> None:
    async def main() -> None:
        async with in_process(tmp_path) as (http, state):
            answers = await asyncio.gather(*(http.get("/v1/namespaces/same/stats") for _ in range(8)))
            assert {a.status_code for a in answers} == {200}
            assert state.registry.loaded().count("same") == 1

    asyncio.run(main())


@pytest.mark.parametrize("threads", [8])
def test_batching_embedder_shares_calls(threads: int) -> None:
    import threading

    import numpy as np

    from neuram_server.batching import BatchingEmbedder

    class Slow(HashingEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.batches: list[int] = []

        def embed(self, texts):  # type: ignore[no-untyped-def]
            self.batches.append(len(texts))
            threading.Event().wait(0.05)  # a model call's fixed cost
            return super().embed(texts)

    inner = Slow()
    batching = BatchingEmbedder(inner)
    assert batching.identity == HashingEmbedder().identity and batching.dimension == inner.dimension
    results: dict[int, object] = {}
    barrier = threading.Barrier(threads)

    def one(i: int) -> None:
        barrier.wait()
        results[i] = batching.embed([f"query number {i}"])

    workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for i in range(threads):  # each caller gets its own row, the same as embedding alone
        assert np.allclose(results[i], HashingEmbedder().embed([f"query number {i}"]))
    assert len(inner.batches) < threads and sum(inner.batches) == threads


async def test_a_large_export_streams_in_pages_and_imports_whole(tmp_path: Path) -> None:
    async with in_process(tmp_path) as (http, _):
        texts = [f"fact {i} about the archive shelf {i}" for i in range(1203)]
        await http.post("/v1/namespaces/big/memories/batch", json={"contents": texts, "gate": False})
        lines = (await http.get("/v1/namespaces/big/export")).text.splitlines()
        assert len(lines) == 1204 and len({json.loads(line).get("engram_id") for line in lines[1:]}) == 1203
        done = await http.post("/v1/namespaces/big-copy/import", content="\n".join(lines).encode())
        assert done.json() == {"imported": 1203}
        assert (await http.get("/v1/namespaces/big-copy/stats")).json()["indexed"] == 1203


async def test_an_import_unloads_its_namespace_without_keeping_its_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexes in memory were made before the import rewrote memories in the store:
    keeping them would write the old texts back into the file."""
    calls: list[str] = []
    unload, stale = Brain.unload, Brain.discard_kept_indexes

    async def unloading(self: Brain) -> None:
        calls.append("unload")
        await unload(self)

    async def marking(self: Brain) -> None:
        calls.append("stale")
        await stale(self)

    monkeypatch.setattr(Brain, "unload", unloading)
    monkeypatch.setattr(Brain, "discard_kept_indexes", marking)
    async with in_process(tmp_path) as (http, state):
        await http.post("/v1/namespaces/n/memories/batch", json={"contents": ["my locker code is 4471"], "gate": False})
        lines = (await http.get("/v1/namespaces/n/export")).text.splitlines()
        calls.clear()
        async with state.registry.use("n"):
            pass
        await state.registry.forget_loaded("n")  # a bulk import's way out: stale first, then unloaded
        assert calls == ["stale", "unload"]
        calls.clear()
        done = await http.post("/v1/namespaces/n/import", content="\n".join(lines).encode())
        assert done.json() == {"imported": 1}
        assert calls[-1] == "unload" and "stale" in calls


async def test_a_namespace_asked_for_while_it_unloads_comes_back_whole(tmp_path: Path) -> None:
    async with in_process(tmp_path, max_loaded_engrams=10) as (http, state):
        for n in range(3):
            await http.post(f"/v1/namespaces/n{n}/memories/batch",
                            json={"contents": [f"n{n} fact {i} on topic{i}" for i in range(8)], "gate": False})
        answers = await asyncio.gather(*(http.get(f"/v1/namespaces/n{i % 3}/stats") for i in range(24)))
        assert {a.json()["indexed"] for a in answers} == {8}
        assert state.registry.loaded_engrams() <= 10 + 8


async def test_a_read_only_server_runs_no_background_sleep(tmp_path: Path) -> None:
    async with in_process(tmp_path, sleep_interval_seconds=0.05, read_only=True) as (http, state):
        assert (await http.get("/v1/namespaces/ada/stats")).status_code == 200
        async with state.registry.use("ada") as brain:
            assert not brain.sleep_cycle.running  # a sleep writes; this server may not


async def test_the_server_runs_blas_on_one_thread_and_gives_it_back(tmp_path: Path) -> None:
    from threadpoolctl import threadpool_info

    def blas_threads() -> set[int]:
        return {int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"}

    before = blas_threads()
    async with in_process(tmp_path):
        assert blas_threads() <= {1}
    assert blas_threads() == before


def test_sixteen_concurrent_recalls_on_one_brain_share_two_model_calls() -> None:
    """The Brain's loop hands embedding to a pool wide enough for every concurrent recall
    to reach the batching embedder together (the stock pool of cores + 4 threads capped a
    batch at 6, and 16 recalls took 4 calls or more)."""
    import threading

    from neuram_server.batching import BatchingEmbedder

    class Slow(HashingEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            threading.Event().wait(0.1)  # a model call's fixed cost
            return super().embed(texts)

    batching = BatchingEmbedder(Slow())

    async def main() -> int:
        brain = await Brain.create(path=":memory:", embedder=batching)
        try:
            await brain.perceive("the release moved to Friday", gate=False)
            before = batching.calls
            await asyncio.gather(*(brain.recall(f"release {i}", strengthen=False) for i in range(16)))
            return batching.calls - before
        finally:
            await brain.close()

    assert asyncio.run(main()) <= 3
