"""Scale rows of the speed benchmark: approximate recall on real embeddings, the vector
databases beside it, and recall as a user sees it (text in, results out).

Data (benchmarks/scale_data.py): MiniLM vectors of LoCoMo's turns and sentences grown to
N by noisy copies (σ = 0.05 and σ = 0.02), each copy carrying its parent's words; 500
LoCoMo questions as cues (their words too). Every row is timed in one process, query by
query interleaved with the exact floor, so each sees the same machine load.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.scale_data import grow, real_vectors
from benchmarks.speed import TOP_K, build_brain, floor_search, ms

__all__ = ["bench_scale", "print_scale"]

QUERIES = 300


def _recall_at_10(found: Sequence[Sequence[int]], exact: Sequence[Sequence[int]]) -> float:
    return float(np.mean([len(set(f[:TOP_K]) & set(e)) / TOP_K for f, e in zip(found, exact, strict=True)]))


def _peer_rows(
    vectors: np.ndarray, queries: np.ndarray, exact: list[list[int]], names: Sequence[str], say: Callable[[str], None]
) -> list[dict[str, Any]]:
    """The vector databases on the same vectors and cues: build time, search p50 and
    recall@10 against exact search (each skipped, and said, where it does not install)."""
    n, dim = vectors.shape
    rows: list[dict[str, Any]] = []
    for name in names:
        try:
            build, search = _PEERS[name](dim)
        except ImportError as exc:
            say(f"  {name}: not installed ({exc.name})")
            continue
        start = time.perf_counter()
        index = build(vectors)
        built = time.perf_counter() - start
        search(index, queries[0])  # warm-up
        times, found = [], []
        for q in queries:
            start = time.perf_counter()
            found.append(search(index, q))
            times.append(time.perf_counter() - start)
        row = {
            "name": name,
            "n": n,
            "build_s": built,
            "p50_ms": ms(times, 50),
            "recall_at_10": _recall_at_10(found, exact),
        }
        say(
            f"  n={n:,}: {name} built in {built:.1f} s, p50 {row['p50_ms']:.2f} ms, recall@10 {row['recall_at_10']:.3f}"
        )
        rows.append(row)
        del index
        gc.collect()
    return rows


def _faiss_hnsw(dim: int) -> tuple[Callable[[np.ndarray], Any], Callable[[Any, np.ndarray], list[int]]]:
    import faiss

    def build(vectors: np.ndarray) -> Any:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
        index.add(vectors)
        return index

    return build, lambda index, q: index.search(q.reshape(1, -1), TOP_K)[1][0].tolist()


def _faiss_ivf(dim: int) -> tuple[Callable[[np.ndarray], Any], Callable[[Any, np.ndarray], list[int]]]:
    import faiss

    from neuram_core.approximate import list_count
    from neuram_core.config import NeuramConfig

    def build(vectors: np.ndarray) -> Any:
        lists = list_count(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors[np.random.default_rng(0).permutation(len(vectors))[: 32 * lists]])
        index.add(vectors)
        index.nprobe = NeuramConfig().approximate_probes
        return index

    return build, lambda index, q: index.search(q.reshape(1, -1), TOP_K)[1][0].tolist()


def _hnswlib(dim: int) -> tuple[Callable[[np.ndarray], Any], Callable[[Any, np.ndarray], list[int]]]:
    import hnswlib

    def build(vectors: np.ndarray) -> Any:
        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=len(vectors), M=32, ef_construction=200)
        index.add_items(vectors, np.arange(len(vectors)))
        index.set_ef(128)
        return index

    return build, lambda index, q: index.knn_query(q, k=TOP_K)[0][0].tolist()


def _chroma(dim: int) -> tuple[Callable[[np.ndarray], Any], Callable[[Any, np.ndarray], list[int]]]:
    import chromadb

    def build(vectors: np.ndarray) -> Any:
        client = chromadb.EphemeralClient()  # one per process: each build gets a new collection
        name = f"bench-{uuid.uuid4().hex}"
        for old in client.list_collections():
            client.delete_collection(old.name)
        collection = client.create_collection(name, metadata={"hnsw:space": "ip"})
        batch = client.get_max_batch_size()
        for start in range(0, len(vectors), batch):
            stop = min(len(vectors), start + batch)
            collection.add(ids=[str(i) for i in range(start, stop)], embeddings=vectors[start:stop])
        return collection

    def search(collection: Any, q: np.ndarray) -> list[int]:
        return [int(i) for i in collection.query(query_embeddings=[q], n_results=TOP_K, include=[])["ids"][0]]

    return build, search


_PEERS = {"faiss-hnsw": _faiss_hnsw, "faiss-ivf": _faiss_ivf, "hnswlib": _hnswlib, "chroma": _chroma}


def bench_approx(
    n: int,
    sigma: float,
    data: tuple[np.ndarray, list[str], np.ndarray, list[str]],
    peers: Sequence[str],
    say: Callable[[str], None],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Hippocampus.complete with the approximate index against the same call searching
    every row and against the numpy floor, on N grown real vectors."""
    from neuram_core import Cue

    rows, texts, queries, questions = data
    vectors, parents = grow(rows, n, sigma)
    queries, questions = queries[:QUERIES], questions[:QUERIES]
    start = time.perf_counter()
    brain = build_brain(vectors, queries, contents=[texts[p] for p in parents])
    hippocampus = brain.hippocampus
    say(f"  n={n:,} σ={sigma}: engrams indexed in {time.perf_counter() - start:.1f} s")
    now = brain.clock.now()
    start = time.perf_counter()
    hippocampus.lexicon()
    words_s = time.perf_counter() - start
    start = time.perf_counter()
    built = hippocampus.approximate_index() is not None
    index_s = time.perf_counter() - start
    say(f"  n={n:,} σ={sigma}: word index {words_s:.1f} s, approximate index {index_s:.1f} s (built: {built})")
    exact_config = hippocampus.config.replace(approximate_min_engrams=0)
    approx_config = hippocampus.config
    floor_t, approx_t, exact_t = [], [], []
    floor_top, dense_top, approx_top, exact_top = [], [], [], []
    for q, text in zip(queries, questions, strict=True):
        start = time.perf_counter()
        floor_top.append(floor_search(vectors, q).tolist())
        floor_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = hippocampus.complete(Cue(text, q), TOP_K, now=now)
        approx_t.append(time.perf_counter() - start)
        approx_top.append([e.engram_id for e, _ in found])
        dense_top.append([int(e.engram_id[1:]) for e, _ in hippocampus.nearest(q, TOP_K)])
        hippocampus.config = exact_config
        start = time.perf_counter()
        found = hippocampus.complete(Cue(text, q), TOP_K, now=now)
        exact_t.append(time.perf_counter() - start)
        exact_top.append([e.engram_id for e, _ in found])
        hippocampus.config = approx_config
    row = {
        "n": n,
        "sigma": sigma,
        "p50_ms": ms(approx_t, 50),
        "p95_ms": ms(approx_t, 95),
        "exact_p50_ms": ms(exact_t, 50),
        "floor_p50_ms": ms(floor_t, 50),
        "recall_at_10": _recall_at_10(dense_top, floor_top),
        "same_as_exact_at_10": float(
            np.mean([len(set(a) & set(e)) / max(1, len(e)) for a, e in zip(approx_top, exact_top, strict=True)])
        ),
        "index_build_s": index_s,
    }
    say(
        f"  n={n:,} σ={sigma}: neuram approximate {row['p50_ms']:.2f} ms (recall@10 {row['recall_at_10']:.3f}, "
        f"top 10 as exact {row['same_as_exact_at_10']:.3f}), exact {row['exact_p50_ms']:.2f} ms, "
        f"floor {row['floor_p50_ms']:.2f} ms"
    )
    brain.sync.close()
    del brain, hippocampus
    gc.collect()
    peer_rows = _peer_rows(vectors, queries, floor_top, peers, say) if peers else []
    for peer in peer_rows:
        peer["sigma"] = sigma
    return row, peer_rows


def bench_recall_text(
    n: int, data: tuple[np.ndarray, list[str], np.ndarray, list[str]], say: Callable[[str], None]
) -> dict[str, Any]:
    """``brain.recall(text)`` with the default model: query text in, results out, against
    the model's single-query embedding time plus the floor's search."""
    from benchmarks.speed import default_embedder

    rows, texts, queries, questions = data
    vectors, parents = grow(rows, n, 0.05)
    embedder = default_embedder(say)
    brain = build_brain(vectors, None, embedder=embedder, contents=[texts[p] for p in parents])
    brain.hippocampus.lexicon()
    brain.hippocampus.approximate_index()
    questions = questions[:100]
    brain.sync.recall(questions[0], TOP_K, strengthen=False)  # warm-up
    embed_t, floor_t, text_t = [], [], []
    for i, question in enumerate(questions):
        start = time.perf_counter()
        embedder.embed([question])
        embed_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor_search(vectors, queries[i])
        floor_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        brain.sync.recall(question, TOP_K)
        text_t.append(time.perf_counter() - start)
    brain.sync.close()
    row = {"n": n, "p50_ms": ms(text_t, 50), "embed_p50_ms": ms(embed_t, 50), "floor_p50_ms": ms(floor_t, 50)}
    say(
        f"  n={n:,}: recall_text {row['p50_ms']:.2f} ms, embedding {row['embed_p50_ms']:.2f} ms, "
        f"floor {row['floor_p50_ms']:.2f} ms"
    )
    return row


_OPEN_SCRIPT = """
import json, os, sys, time
import neuram_core
from neuram_core import Brain, HashingEmbedder, ManualClock

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

before = rss()
t = time.perf_counter()
brain = Brain.open(path=sys.argv[1], embedder=HashingEmbedder(int(sys.argv[2])), clock=ManualClock(float(sys.argv[3])))
opened = time.perf_counter() - t
t = time.perf_counter()
brain.hippocampus.lexicon()
words = time.perf_counter() - t
approximate = brain.hippocampus.approximate_index() is not None
indexed = time.perf_counter() - t
after = rss()
t = time.perf_counter()
brain.sync.close()  # keeps the indexes beside the store (what the next start-up reads)
closed = time.perf_counter() - t
print(json.dumps({"engrams": len(brain.hippocampus), "open_s": opened, "indexes_s": indexed, "words_s": words,
                  "approximate": approximate, "rss_growth": after - before, "close_s": closed}))
"""


def bench_footprint(
    n: int, data: tuple[np.ndarray, list[str], np.ndarray, list[str]], say: Callable[[str], None]
) -> dict[str, Any]:
    """An SQLite store of ``n`` long-term engrams (100-character notes, real grown
    vectors, temporal links): its file size per engram, and in a fresh process the
    start-up (open, then the word and approximate indexes) and RSS growth per engram."""
    import json
    import os
    import subprocess
    import sys
    import tempfile

    from benchmarks.speed import SECONDS_APART, T0, ingest_texts
    from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, MemoryType

    vectors, _ = grow(data[0], n, 0.05)
    texts = ingest_texts(n)
    kinds = list(MemoryType)
    now = T0 + SECONDS_APART * n + 60
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "footprint.db"
        brain = Brain.open(path=str(path), embedder=HashingEmbedder(vectors.shape[1]), clock=ManualClock(now))
        start = time.perf_counter()
        for lo in range(0, n, 20_000):
            batch = []
            for i in range(lo, min(n, lo + 20_000)):
                at = T0 + SECONDS_APART * i
                links = [(f"f{i - j:08d}", float(np.exp(-SECONDS_APART * j / 300.0))) for j in (1, 2, 3) if i - j >= 0]
                engram = Engram(
                    content=texts[i], memory_type=kinds[i % 4], salience=0.5, embedding=vectors[i],
                    stability=504.0, engram_id=f"f{i:08d}", encoded_at=at, last_accessed=at,
                    associations=links, consolidated=True,
                )
                batch.append((engram, 4e9))
            brain.call_blocking(brain.store.put(brain.namespace, batch))
        brain.sync.close()
        files = sum(f.stat().st_size for f in Path(folder).iterdir() if f.name.startswith("footprint.db"))
        say(f"  n={n:,}: SQLite store written in {time.perf_counter() - start:.0f} s, {files / n:,.0f} B per engram")
        del vectors
        gc.collect()
        env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}

        def start() -> dict[str, Any]:
            out = subprocess.run(
                [sys.executable, "-c", _OPEN_SCRIPT, str(path), str(data[0].shape[1]), str(now)],
                capture_output=True, text=True, check=True, env=env,
            )
            return dict(json.loads(out.stdout.strip().splitlines()[-1]))

        opened = start()  # builds the word and approximate indexes, keeps them at its close
        again = start()  # reads them back
        kept = sum(f.stat().st_size for f in Path(folder).iterdir() if f.name.startswith("footprint.db"))
    row = {
        "n": n,
        "sqlite_bytes_per_engram": kept / n,
        "sqlite_bytes_per_engram_without_kept_indexes": files / n,
        "startup_s": again["open_s"],
        "indexes_s": again["indexes_s"],
        "built_startup_s": opened["open_s"],
        "built_indexes_s": opened["indexes_s"],
        "words_s": opened["words_s"],
        "keep_s": opened["close_s"],
        "approximate": again["approximate"],
        "rss_bytes_per_engram": again["rss_growth"] / n,
        "built_rss_bytes_per_engram": opened["rss_growth"] / n,
    }
    say(
        f"  n={n:,}: first start-up {row['built_startup_s']:.1f} s + word and approximate indexes built "
        f"{row['built_indexes_s']:.1f} s (words {row['words_s']:.1f} s), kept at close in {row['keep_s']:.1f} s; "
        f"next start-up {row['startup_s']:.1f} s + {row['indexes_s']:.1f} s (approximate: {row['approximate']}); "
        f"RSS {row['built_rss_bytes_per_engram']:,.0f} / {row['rss_bytes_per_engram']:,.0f} B per engram"
    )
    return row


def bench_scale(
    locomo: Path,
    sizes: Sequence[int],
    sigmas: Sequence[float],
    peers: Sequence[str],
    peer_max: int,
    text_size: int,
    footprint_sizes: Sequence[int],
    say: Callable[[str], None],
) -> dict[str, Any]:
    data = real_vectors(locomo, say)
    results: dict[str, Any] = {"recall_approx": [], "peers": [], "recall_text": [], "footprint": []}
    for n in footprint_sizes:
        results["footprint"].append(bench_footprint(n, data, say))
    if results["footprint"]:
        largest = max(results["footprint"], key=lambda r: r["n"])
        results["rss_bytes_per_engram"] = largest["rss_bytes_per_engram"]
        results["sqlite_bytes_per_engram"] = largest["sqlite_bytes_per_engram"]
        results["startup_s"] = [
            {
                "store": "sqlite",
                "n": r["n"],
                "seconds": r["startup_s"],
                "indexes_s": r["indexes_s"],
                "built_seconds": r["built_startup_s"],
                "built_indexes_s": r["built_indexes_s"],
            }
            for r in results["footprint"]
        ]
    for n in sizes:
        for sigma in sigmas:
            row, peer_rows = bench_approx(n, sigma, data, peers if n <= peer_max else [], say)
            results["recall_approx"].append(row)
            results["peers"].extend(peer_rows)
    if text_size:
        results["recall_text"].append(bench_recall_text(text_size, data, say))
    return results


def print_scale(results: dict[str, Any]) -> None:
    print("Recall on real MiniLM vectors (LoCoMo grown by noisy copies), top-10; milliseconds (p50)")
    print(
        "| engrams | σ | neuram approximate | recall@10 vs exact | top 10 as neuram exact | neuram exact "
        "| numpy floor | index build s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results["recall_approx"]:
        print(
            f"| {r['n']:,} | {r['sigma']} | {r['p50_ms']:.2f} | {r['recall_at_10']:.3f} | "
            f"{r['same_as_exact_at_10']:.3f} | {r['exact_p50_ms']:.2f} | {r['floor_p50_ms']:.2f} | "
            f"{r['index_build_s']:.1f} |"
        )
    if results["peers"]:
        print()
        print("| peer | engrams | σ | build s | search p50 ms | recall@10 |")
        print("|---|---|---|---|---|---|")
        for p in results["peers"]:
            print(
                f"| {p['name']} | {p['n']:,} | {p['sigma']} | {p['build_s']:.1f} | {p['p50_ms']:.2f} | "
                f"{p['recall_at_10']:.3f} |"
            )
    if results["footprint"]:
        print()
        print(
            "| engrams | SQLite bytes per engram (without the kept indexes) | first start-up + indexes built "
            "| kept at close | next start-up + indexes | RSS per engram (first / next) |"
        )
        print("|---|---|---|---|---|---|")
        for f in results["footprint"]:
            print(
                f"| {f['n']:,} | {f['sqlite_bytes_per_engram']:,.0f} "
                f"({f['sqlite_bytes_per_engram_without_kept_indexes']:,.0f}) | "
                f"{f['built_startup_s']:.1f} + {f['built_indexes_s']:.1f} s | {f['keep_s']:.1f} s | "
                f"{f['startup_s']:.1f} + {f['indexes_s']:.1f} s | "
                f"{f['built_rss_bytes_per_engram']:,.0f} / {f['rss_bytes_per_engram']:,.0f} B |"
            )
    for t in results["recall_text"]:
        bound = t["embed_p50_ms"] + t["floor_p50_ms"]
        print()
        print(
            f"recall_text at {t['n']:,}: {t['p50_ms']:.2f} ms p50 against embedding {t['embed_p50_ms']:.2f} + "
            f"floor {t['floor_p50_ms']:.2f} = {bound:.2f} ms: {t['p50_ms'] / bound:.2f}×"
        )
