"""Load: several worker processes on one Redis namespace doing a seeded mix of perceive,
recall and sleep. No exception, exact access counts, every perceived item filtered
(counted) or stored exactly once."""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest

from neuram_core import Brain, HashingEmbedder
from tests.reliability.redis_worker import SMALL_TALK
from tests.reliability.test_redis_faults import read_line, start_worker, stored_engrams

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

WORKERS = 4
OPS = 400  # per worker
SHARED = "The deploy key lives in the team vault behind the red door"


async def test_workers_under_mixed_load_lose_and_duplicate_nothing(redis_url: str) -> None:
    seed = await Brain.create(redis_url=redis_url, namespace="load", embedder=HashingEmbedder(64))
    try:
        shared = await seed.perceive(SHARED, gate=False, consolidate=True)
    finally:
        await seed.close()
    key = f"barrier:{uuid.uuid4().hex}"
    started = time.monotonic()
    workers = [
        start_worker({"job": "load", "url": redis_url, "namespace": "load", "seed": 1000 + i, "index": i,
                      "ops": OPS, "query": SHARED, "shared": shared.engram_id, "barrier": key,
                      "parties": WORKERS})
        for i in range(WORKERS)
    ]
    try:
        reports = [read_line(w, timeout=90) for w in workers]
        assert [w.wait(30) for w in workers] == [0] * WORKERS
    finally:
        for w in workers:
            w.kill()
            w.wait(10)
            if w.stdout is not None:
                w.stdout.close()
    elapsed = time.monotonic() - started

    errors = [e for r in reports for e in r["errors"]]
    assert errors == [], "\n".join(errors)
    perceived = [p for r in reports for p in r["perceived"]]
    recalls = sum(r["recalls"] for r in reports)
    hits = sum(r["hits"] for r in reports)
    sleeps = [s for r in reports for s in r["sleeps"]]
    filtered = [p for p in perceived if p["filtered"]]
    kept = [p for p in perceived if not p["filtered"]]
    operations = len(perceived) + recalls + sum(1 for r in reports for _ in r["sleeps"])

    # Filtered items are counted by their worker and never stored.
    assert sum(r["filtered"] for r in reports) == len(filtered) > 0
    assert {p["text"] for p in filtered} <= set(SMALL_TALK)
    # Every item that passed the gate is in Redis exactly once, under the id perceive gave it.
    hashes, index = stored_engrams(int(redis_url.rsplit(":", 1)[1]), "load")
    assert set(hashes) == index
    assert {p["id"]: p["text"] for p in kept} | {shared.engram_id: SHARED} == hashes
    assert [c for c, n in Counter(hashes.values()).items() if n > 1] == []
    assert len(hashes) == len(kept) + 1
    # Every recall returned the shared engram, and every one of them counted, exactly.
    assert hits == recalls > 0
    check = await Brain.create(redis_url=redis_url, namespace="load", embedder=HashingEmbedder(64))
    try:
        stored = await check.get(shared.engram_id)
        assert (await check.stats())["pending"] == 0  # every worker's items, consolidated by some sleep
    finally:
        await check.close()
    assert stored.access_count == shared.access_count + recalls
    assert sum(s["consolidated"] for s in sleeps) == len(kept)  # each item consolidated once
    print(f"\nredis load: {WORKERS} workers, {operations} operations ({len(perceived)} perceives, "
          f"{recalls} recalls, {len(sleeps)} sleeps, {sum(s['locked_out'] for s in sleeps)} locked out) "
          f"in {elapsed:.1f}s; {len(filtered)} filtered, {len(kept)} stored once, "
          f"access_count {stored.access_count} = {shared.access_count} + {recalls}")
    assert operations >= WORKERS * OPS

