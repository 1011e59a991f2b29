"""The explorer's list pages at scale (``python -m benchmarks.explorer_speed [--engrams N]``):
p50 and p95 of ``GET /v1/namespaces/{ns}/memories`` pages of 25, as the Browse view asks
for them (a first page, newest first, a text search, a pinned filter, sorted by retention or
by access count; and the p50 of the next page of each, from its cursor), on
an SQLite namespace of N engrams (default 100,000) served over loopback HTTP. The target:
p50 <= 100 ms per page at 100k."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.server_speed import DIM, LookupEmbedder, _app, _fill, _vectors, serving

PAGES: dict[str, dict[str, Any]] = {
    "first page, newest first": {"order": "desc"},
    "a text search": {"q": "topic 5 and item 9"},
    "pinned only": {"pinned": "true"},
    "sorted by retention": {"sort": "retention", "order": "desc"},
    "sorted by access count": {"sort": "access_count", "order": "desc"},
}


def bench(engrams: int, repeats: int) -> dict[str, dict[str, float]]:
    import httpx

    with tempfile.TemporaryDirectory() as folder:
        store = f"sqlite:///{Path(folder) / 'memory.db'}"
        asyncio.run(_fill(store, ["bench"], engrams, DIM, LookupEmbedder.identity))
        app = _app(store, LookupEmbedder(_vectors(1, 16)))
        rows: dict[str, dict[str, float]] = {}
        with serving(app) as url, httpx.Client(base_url=url, timeout=120) as http:
            http.get("/v1/namespaces/bench/memories", params={"limit": 1}).raise_for_status()  # the load
            for name, params in PAGES.items():
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    answer = http.get("/v1/namespaces/bench/memories", params={"limit": 25, **params})
                    times.append(time.perf_counter() - start)
                    answer.raise_for_status()
                body = answer.json()
                after = []
                if body["next_cursor"]:  # and the page after it, which starts from the cursor
                    for _ in range(repeats):
                        start = time.perf_counter()
                        http.get("/v1/namespaces/bench/memories",
                                 params={"limit": 25, **params, "cursor": body["next_cursor"]}).raise_for_status()
                        after.append(time.perf_counter() - start)
                times.sort()
                rows[name] = {
                    "p50_ms": 1000 * statistics.median(times),
                    "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
                    "next_p50_ms": 1000 * statistics.median(after) if after else None,
                    "total": body["total"],
                }
                following = f"  next page p50 {rows[name]['next_p50_ms']:7.1f} ms" if after else ""
                print(f"{name:28} p50 {rows[name]['p50_ms']:7.1f} ms  p95 {rows[name]['p95_ms']:7.1f} ms"
                      f"{following}  ({body['total']} match)", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engrams", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args()
    rows = bench(args.engrams, args.repeats)
    if args.json:
        Path(args.json).write_text(json.dumps({"engrams": args.engrams, "pages": rows}, indent=2))


if __name__ == "__main__":
    main()
