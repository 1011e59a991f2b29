"""A Brain in its own process for the Redis reliability tests.

    python -m tests.reliability.redis_worker '<json job>'

Two jobs (the JSON's "job" field):

- ``load``: after a barrier in Redis (every worker starts together), run a seeded mix of
  ``ops`` operations on one namespace (perceive unique texts and some small talk, recall
  the shared engram with ``top_k=1``, sleep), then sleep until nothing is pending, and
  print one JSON line: what was perceived (id, text, filtered), how many recalls returned
  the shared engram, the sleep results and every exception met (there should be none).
- ``hold``: perceive ``items`` texts (stored at once, pending), then sleep with the store's
  ``update`` (consolidation's write) made to hang before (``when="before"``) or after
  (``when="after"``) the write, holding the sleep lock; print ``{"holding": [ids]}`` and
  wait there to be SIGKILLed by the test.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import traceback
from typing import Any

from neuram_core import Brain, HashingEmbedder, NeuramConfig
from neuram_core.stores.redis import RedisStore
from tests.servers import barrier

SMALL_TALK = ["thanks so much!", "hi there", "ok cool", "lol", "good morning!", "sounds good", "got it, thanks"]
TOPICS = ["harbour", "glacier", "violin", "compiler", "orchard", "satellite", "saffron", "tunnel", "quartz", "meadow"]


def say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def load(job: dict[str, Any]) -> None:
    rng = random.Random(job["seed"])
    store = RedisStore.from_url(job["url"], socket_timeout=10, socket_connect_timeout=5)
    brain = await Brain.create(store=store, namespace=job["namespace"], embedder=HashingEmbedder(64))
    perceived: list[dict[str, Any]] = []
    recalls = hits = 0
    sleeps: list[dict[str, int]] = []
    errors: list[str] = []
    await barrier(job["url"], job["barrier"], job["parties"])
    for op in range(job["ops"]):
        roll = rng.random()
        try:
            if roll < 0.50:
                if rng.random() < 0.2:
                    text = rng.choice(SMALL_TALK)
                else:
                    text = (f"worker {job['index']} note {op}: the {rng.choice(TOPICS)} "
                            f"report mentions {rng.choice(TOPICS)} and {rng.randrange(10**6)}")
                engram = await brain.perceive(text)
                perceived.append({"id": engram.engram_id, "text": text, "filtered": engram.filtered})
            elif roll < 0.85:
                found = await brain.recall(job["query"], top_k=1)
                recalls += 1
                hits += sum(e.engram_id == job["shared"] for e, _ in found)
            else:
                sleeps.append(await brain.sleep())
        except Exception:
            errors.append(traceback.format_exc())
    deadline = time.monotonic() + 30
    while brain.hippocampus.pending and time.monotonic() < deadline:
        try:
            result = await brain.sleep()
            sleeps.append(result)
            if result["locked_out"]:
                await asyncio.sleep(0.01)
        except Exception:
            errors.append(traceback.format_exc())
    stats = await brain.stats()
    await brain.close()
    say({"perceived": perceived, "recalls": recalls, "hits": hits, "sleeps": sleeps, "errors": errors,
         "pending": stats["pending"], "filtered": stats["filtered"]})


async def hold(job: dict[str, Any]) -> None:
    config = NeuramConfig().replace(sleep_lock_seconds=job["lock_seconds"])
    brain = await Brain.create(redis_url=job["url"], namespace=job["namespace"], embedder=HashingEmbedder(64),
                               config=config)
    ids = [(await brain.perceive(f"held fact {i}: the {TOPICS[i]} stays in the cellar", gate=False)).engram_id
           for i in range(job["items"])]
    store = brain.store
    update = store.update

    async def hanging_update(*args: Any, **kwargs: Any) -> Any:
        if job["when"] == "after":
            await update(*args, **kwargs)
        say({"holding": ids})
        await asyncio.Event().wait()  # hang here, lock held, until SIGKILL

    store.update = hanging_update  # type: ignore[method-assign]
    await brain.sleep()


if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    asyncio.run({"load": load, "hold": hold}[job["job"]](job))
