"""The server's speed rows (``python -m benchmarks.speed --server``, or alone:
``python -m benchmarks.server_speed [--redis-url URL] [--json OUT]``).

- cold open: the first request to a namespace of 1,000 engrams on Redis that no process
  has loaded (the namespace registry's load: embedder check, change-log cursor, scan,
  index), p50 over fresh namespaces; and the same through HTTP;
- many tenants: N namespaces of 100 engrams each served from one process, round-robin,
  with a budget of loaded engrams: peak loaded engrams, unloads, RSS, p50 request time;
- concurrency: recall throughput of 16 concurrent HTTP clients against one client in a
  loop, with the default model embedding every query (micro-batched by the server);
- overhead: p50 of a recall through the server (loopback HTTP, JSON both ways) minus the
  p50 of the same recall in process, at 10k engrams, embedding excluded (a look-up
  embedder), so what remains is the server's own cost.

The server runs in this process under uvicorn on a loopback port (clients and server share
the GIL, so the overheads quoted are upper bounds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
T0 = 1_700_000_000.0


class LookupEmbedder:
    """Query text ``q<i>`` → row i of a fixed matrix: embedding costs ~nothing."""

    identity = "lookup-384"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.vectors[[int(t[1:]) % len(self.vectors) for t in texts]]


def _vectors(seed: int, n: int, dim: int = DIM) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = rng.standard_normal((n, dim), dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def _engrams(prefix: str, n: int, dim: int, seed: int) -> list[tuple[Any, float]]:
    from neuram_core import Engram, MemoryType

    kinds = list(MemoryType)
    vectors = _vectors(seed, n, dim)
    items = []
    for i in range(n):
        at = T0 + 5.0 * i
        engram = Engram(
            content=f"{prefix} memory {i}: a note of about a hundred characters on topic {i % 37} and item {i}",
            memory_type=kinds[i % 4], salience=0.5, embedding=vectors[i], stability=504.0,
            engram_id=f"{prefix}-{i:06d}", encoded_at=at, last_accessed=at, consolidated=True,
            associations=[(f"{prefix}-{i - j:06d}", 0.8) for j in (1, 2, 3) if i - j >= 0],
        )  # fmt: skip
        items.append((engram, 4_000_000_000.0))
    return items


async def _fill(url: str, namespaces: Sequence[str], per: int, dim: int, identity: str) -> None:
    """Write ``per`` engrams into each namespace, recording the embedder as a Brain would."""
    from neuram_core.identity import DIMENSION, EMBEDDER
    from neuram_core.stores.registry import open_store

    store = open_store(url)
    try:
        pending: list[Any] = []
        for k, ns in enumerate(namespaces):
            pending.append(asyncio.ensure_future(store.put(ns, _engrams(ns, per, dim, k))))
            pending.append(asyncio.ensure_future(store.set_info(ns, {EMBEDDER: identity, DIMENSION: dim})))
            if len(pending) >= 16:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await store.close()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    import uvicorn

    from tests.servers import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)


def _app(store: str, embedder: Any, **settings: Any) -> Any:
    from neuram_server.app import create_app
    from neuram_server.settings import ServerSettings

    return create_app(ServerSettings(store=store, sleep_interval_seconds=0, **settings), embedder=embedder, mcp=False)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# -- rows ---------------------------------------------------------------------------------------
def bench_cold_open(redis_url: str, engrams: int, opens: int, say: Callable[[str], None]) -> dict[str, Any]:
    import httpx

    names = [f"cold-{i}" for i in range(opens * 2)]
    say(f"  filling {len(names)} namespaces of {engrams:,} engrams")
    asyncio.run(_fill(redis_url, names, engrams, DIM, LookupEmbedder.identity))
    app = _app(redis_url, LookupEmbedder(_vectors(7, 64)))
    registry_times: list[float] = []
    http_times: list[float] = []
    with serving(app) as url, httpx.Client(base_url=url) as http:
        root = app.state.neuram.registry.root
        http.get("/v1/health")
        for ns in names[:opens]:  # the load a registry does for a cold namespace, on the Brain's loop
            brain = root.for_namespace(ns)
            t = time.perf_counter()
            assert brain.sync.stats()["indexed"] == engrams
            registry_times.append(time.perf_counter() - t)
        for ns in names[opens:]:
            t = time.perf_counter()
            assert http.get(f"/v1/namespaces/{ns}/stats").json()["indexed"] == engrams
            http_times.append(time.perf_counter() - t)
    asyncio.run(_drop(redis_url, names))
    return {
        "engrams": engrams,
        "opens": opens,
        "registry_p50_ms": statistics.median(registry_times) * 1e3,
        "http_p50_ms": statistics.median(http_times) * 1e3,
    }


async def _drop(url: str, namespaces: Sequence[str]) -> None:
    from neuram_core.stores.registry import open_store

    store = open_store(url)
    try:
        for ns in namespaces:
            ids = [e.engram_id async for e in store.scan(ns)]
            await store.delete(ns, ids)
    finally:
        await store.close()


def bench_tenants(store: str, tenants: int, per: int, budget: int, say: Callable[[str], None]) -> dict[str, Any]:
    import httpx

    dim = 32
    names = [f"tenant-{i:05d}" for i in range(tenants)]
    t = time.perf_counter()
    asyncio.run(_fill(store, names, per, dim, f"lookup-{dim}"))
    say(f"  {tenants:,} namespaces of {per} engrams written in {time.perf_counter() - t:.0f} s")

    class Small(LookupEmbedder):
        identity = f"lookup-{dim}"

    app = _app(store, Small(_vectors(3, 64, dim)), max_loaded_engrams=budget)
    times: list[float] = []
    peak = 0
    rss_before = _rss_mb()
    with serving(app) as url, httpx.Client(base_url=url) as http:
        state = app.state.neuram
        for i, ns in enumerate(names):
            t = time.perf_counter()
            hits = http.post(f"/v1/namespaces/{ns}/recall", json={"query": f"q{i}", "top_k": 3}).json()["results"]
            times.append(time.perf_counter() - t)
            assert len(hits) == 3
            peak = max(peak, state.registry.loaded_engrams())
        unloads = state.registry.unloads
        rss_after = _rss_mb()
    return {
        "tenants": tenants,
        "per": per,
        "budget": budget,
        "peak_loaded": peak,
        "unloads": unloads,
        "p50_ms": statistics.median(times) * 1e3,
        "p99_ms": float(np.percentile(times, 99) * 1e3),
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


_CLIENTS = """
import sys, threading, time, httpx
url, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
done = [0] * n
barrier = threading.Barrier(n)
def client(k):
    with httpx.Client(base_url=url, timeout=60) as http:
        barrier.wait()
        stop, i = time.perf_counter() + seconds, k
        while time.perf_counter() < stop:
            body = {"query": f"what did the team decide about release {i} and its deadline", "strengthen": False}
            assert http.post("/v1/namespaces/bench/recall", json=body).status_code == 200
            done[k] += 1
            i += n
threads = [threading.Thread(target=client, args=(k,)) for k in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(done) / seconds)
"""


def bench_concurrency(
    engrams: int, seconds: float, clients: int, say: Callable[[str], None], rounds: int = 5
) -> dict[str, Any]:
    """1 client in a loop vs ``clients`` concurrent ones, the default model embedding:
    ``rounds`` alternating pairs; the ratio is the median of the pairs' ratios."""
    import tempfile

    import httpx

    from neuram_core.embeddings import embedder_identity, resolve_embedder
    from neuram_server.batching import BatchingEmbedder

    model = resolve_embedder(None)
    say(f"  default model: {embedder_identity(model)}")
    batching = BatchingEmbedder(model)
    with tempfile.TemporaryDirectory() as folder:
        url_store = f"sqlite:///{Path(folder) / 'm.db'}"
        asyncio.run(_fill(url_store, ["bench"], engrams, model.dimension, embedder_identity(model)))
        app = _app(url_store, batching)
        with serving(app) as url:
            with httpx.Client(base_url=url) as http:
                http.post("/v1/namespaces/bench/recall", json={"query": "warm up", "strengthen": False})

            def run(n_clients: int) -> tuple[float, int]:
                """Recalls per second of ``n_clients`` client threads in another process
                (clients in this one would contend with the server for the GIL)."""
                calls = batching.calls
                answer = subprocess.run(
                    [sys.executable, "-c", _CLIENTS, url, str(n_clients), str(seconds)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=seconds + 120,
                )
                return float(answer.stdout.strip()), batching.calls - calls

            pairs = [(run(1), run(clients)) for _ in range(rounds)]  # alternating: load drift hits both
    one = statistics.median(p[0][0] for p in pairs)
    many = statistics.median(p[1][0] for p in pairs)
    return {
        "engrams": engrams,
        "clients": clients,
        "rounds": rounds,
        "one_per_s": one,
        "many_per_s": many,
        "ratio": statistics.median(p[1][0] / p[0][0] for p in pairs),
        "ratios": [p[1][0] / p[0][0] for p in pairs],
        "model_calls_many": sum(p[1][1] for p in pairs),
        "recalls_many": int(sum(p[1][0] for p in pairs) * seconds),
    }


def bench_overhead(engrams: int, queries: int, say: Callable[[str], None]) -> dict[str, Any]:
    import tempfile

    import httpx

    with tempfile.TemporaryDirectory() as folder:
        store = f"sqlite:///{Path(folder) / 'm.db'}"
        asyncio.run(_fill(store, ["bench"], engrams, DIM, LookupEmbedder.identity))
        app = _app(store, LookupEmbedder(_vectors(11, queries)))
        with serving(app) as url, httpx.Client(base_url=url) as http:
            http.get("/v1/namespaces/bench/stats")  # loaded
            brain = app.state.neuram.registry.root.for_namespace("bench")
            local: list[float] = []
            remote: list[float] = []
            for i in range(queries):  # alternating, so drift hits both alike
                t = time.perf_counter()
                brain.sync.recall(f"q{i}", top_k=10, strengthen=False)
                local.append(time.perf_counter() - t)
                t = time.perf_counter()
                answer = http.post(
                    "/v1/namespaces/bench/recall", json={"query": f"q{i}", "top_k": 10, "strengthen": False}
                )
                remote.append(time.perf_counter() - t)
                assert len(answer.json()["results"]) == 10
    return {
        "engrams": engrams,
        "queries": queries,
        "local_p50_ms": statistics.median(local) * 1e3,
        "server_p50_ms": statistics.median(remote) * 1e3,
        "overhead_p50_ms": (statistics.median(remote) - statistics.median(local)) * 1e3,
    }


def bench(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    say("server: overhead over an in-process recall")
    out["overhead"] = bench_overhead(args.server_engrams, args.server_queries, say)
    say("server: 16 concurrent clients vs 1 (default model)")
    out["concurrency"] = bench_concurrency(1000, args.server_seconds, 16, say, args.server_rounds)
    if args.redis_url:
        say("server: cold open on Redis")
        out["cold_open"] = bench_cold_open(args.redis_url, 1000, 20, say)
    if args.tenants:
        import tempfile

        with tempfile.TemporaryDirectory(dir=args.tenants_dir) as folder:  # SQLite: a million engrams
            say(f"server: {args.tenants:,} tenants")
            store = f"sqlite:///{Path(folder) / 'tenants.db'}"
            out["tenants"] = bench_tenants(store, args.tenants, 100, args.tenant_budget, say)
    return out


def print_table(out: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = []
    o = out["overhead"]
    rows.append(
        (
            f"server overhead over in-process recall, {o['engrams']:,} engrams (p50)",
            f"{o['overhead_p50_ms']:.2f} ms ({o['local_p50_ms']:.2f} → {o['server_p50_ms']:.2f} ms)",
            "yes" if o["overhead_p50_ms"] <= 3 else "NO",
        )
    )
    c = out["concurrency"]
    rows.append(
        (
            f"{c['clients']} concurrent clients vs 1, recall throughput (default model)",
            f"{c['ratio']:.2f}× (median of {c['rounds']} alternating pairs; {c['one_per_s']:.0f}/s → "
            f"{c['many_per_s']:.0f}/s; model calls {c['model_calls_many']:,} for {c['recalls_many']:,} recalls)",
            "yes" if c["ratio"] >= 2 else "NO",
        )
    )
    if "cold_open" in out:
        k = out["cold_open"]
        rows.append(
            (
                f"cold open of a {k['engrams']:,}-engram namespace on Redis (p50 of {k['opens']})",
                f"{k['registry_p50_ms']:.1f} ms (first HTTP request {k['http_p50_ms']:.1f} ms)",
                "yes" if k["registry_p50_ms"] <= 50 else "NO",
            )
        )
    t = out.get("tenants")
    if t:
        rows.append(
            (
                f"{t['tenants']:,} namespaces of {t['per']} engrams, budget {t['budget']:,} loaded",
                f"peak {t['peak_loaded']:,} loaded, {t['unloads']:,} unloads, p50 {t['p50_ms']:.1f} ms "
                f"(p99 {t['p99_ms']:.1f}), RSS {t['rss_after_mb']:.0f} MB",
                "yes" if t["peak_loaded"] <= t["budget"] else "NO",
            )
        )
    print("| server row | this run | target met |")
    print("|---|---|---|")
    for name, value, ok in rows:
        print(f"| {name} | {value} | {ok} |")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server-engrams", type=int, default=10_000, help="engrams for the overhead row")
    parser.add_argument("--server-queries", type=int, default=300, help="recalls for the overhead row")
    parser.add_argument("--server-seconds", type=float, default=3.0, help="seconds per throughput run")
    parser.add_argument("--server-rounds", type=int, default=5, help="alternating 1-vs-16 pairs")
    parser.add_argument("--tenants", type=int, default=10_000, help="namespaces for the many-tenants row")
    parser.add_argument("--tenant-budget", type=int, default=100_000, help="loaded-engram budget for that row")
    parser.add_argument("--tenants-dir", default=None, help="where the tenants' SQLite file goes (default: temp)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--json", dest="json_out", metavar="OUT")
    add_arguments(parser)
    args = parser.parse_args(argv)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    out = bench(args, say)
    print_table(out)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
