"""Writes the version-1 store fixtures of tests/unit/test_codec_upgrade.py.

Version 1 is the record layout before neuram_core.codec (commit 44f5c89): run this file
against that commit, not against the current code, e.g.::

    git worktree add /tmp/v1 44f5c89
    PYTHONPATH=/tmp/v1 python tests/data/make_v1_fixtures.py tests/data
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any

import fakeredis

from neuram_core import Brain, HashingEmbedder, ManualClock
from neuram_core.cli import engram_to_json
from neuram_core.stores.redis import RedisStore

START = 1_700_000_000.0


async def fill(brain: Brain, clock: ManualClock) -> None:
    await brain.perceive("Paris is the capital of France", memory_type="semantic", metadata={"src": "atlas ✓"})
    await brain.perceive("I met Alice at the harbour café", memory_type="episodic", salience=0.8)
    await brain.perceive("To deploy: run the tests, then tag", memory_type="procedural")
    await brain.perceive("User prefers short answers", memory_type="habitual", reward=0.5)
    await brain.sleep()
    clock.advance(hours=30)
    await brain.recall("capital of France", top_k=1)
    other = brain.for_namespace("tenant:b")
    await other.perceive("The archive key is blue", memory_type="semantic", consolidate=True)


async def main(out: Path) -> None:
    clock = ManualClock(START)
    db = out / "v1_store.db"
    db.unlink(missing_ok=True)
    brain = await Brain.create(path=db, embedder=HashingEmbedder(dimension=64), clock=clock)
    await fill(brain, clock)
    expected = {ns: [engram_to_json(e) for e in await brain.for_namespace(ns).list()] for ns in ("default", "tenant:b")}
    await brain.close()
    (out / "v1_sqlite_expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")

    server = fakeredis.FakeServer()
    clock = ManualClock(START)
    store = RedisStore(fakeredis.FakeAsyncRedis(server=server), close_client=True)
    brain = await Brain.create(store=store, embedder=HashingEmbedder(dimension=64), clock=clock)
    await fill(brain, clock)
    expected = {ns: [engram_to_json(e) for e in await brain.for_namespace(ns).list()] for ns in ("default", "tenant:b")}
    client = fakeredis.FakeAsyncRedis(server=server)
    dump: dict[str, Any] = {"hashes": {}, "zsets": {}, "sets": {}}
    for key in sorted(await client.keys("*")):
        kind = (await client.type(key)).decode()
        name = key.decode()
        if kind == "hash":
            raw = await client.hgetall(key)
            dump["hashes"][name] = {"d": raw[b"d"].decode(), "e": base64.b64encode(raw.get(b"e", b"")).decode()}
        elif kind == "zset":
            dump["zsets"][name] = [[m.decode(), s] for m, s in await client.zrange(key, 0, -1, withscores=True)]
        elif kind == "set":
            dump["sets"][name] = sorted(m.decode() for m in await client.smembers(key))
    await brain.close()
    (out / "v1_redis.json").write_text(json.dumps({"keys": dump, "expected": expected}, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
