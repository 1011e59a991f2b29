"""A Brain in a separate process, driven over stdin/stdout with one JSON object per line.

    python -m tests.integration.redis_worker <redis_url> <namespace>

Commands ({"op": ...}): perceive, sleep, recall, recall_many (after a Redis barrier),
get, list, forget, close, kill (SIGKILL itself: a crash, no goodbye).
Every reply is one JSON line: {"ok": ...} or {"error": "..."}.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

from neuram_core import Brain, Engram, HashingEmbedder
from tests.servers import barrier


def describe(engram: Engram) -> dict[str, Any]:
    return {
        "id": engram.engram_id,
        "content": engram.content,
        "type": engram.memory_type.value,
        "stability": engram.stability,
        "access_count": engram.access_count,
        "last_accessed": engram.last_accessed,
        "associations": sorted([i, w] for i, w in engram.associations),
        "consolidated": engram.consolidated,
    }


async def main(url: str, namespace: str) -> None:
    brain = await Brain.create(redis_url=url, namespace=namespace, embedder=HashingEmbedder(64))
    loop = asyncio.get_running_loop()
    reply(ok="ready")
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        op = command.pop("op")
        try:
            if op == "perceive":
                engram = await brain.perceive(command["text"], gate=False)
                reply(ok=describe(engram))
            elif op == "sleep":
                reply(ok=await brain.sleep())
            elif op == "recall":
                found = await brain.recall(command["query"], top_k=command.get("top_k", 5))
                reply(ok=[describe(e) | {"score": s} for e, s in found])
            elif op == "recall_many":
                await barrier(url, command["barrier"], command["parties"])
                for _ in range(command["times"]):
                    await brain.recall(command["query"], top_k=1)
                reply(ok=command["times"])
            elif op == "get":
                reply(ok=describe(await brain.get(command["id"])))
            elif op == "list":
                reply(ok=[describe(e) for e in await brain.list()])
            elif op == "forget":
                await brain.forget(command["id"])
                reply(ok=True)
            elif op == "close":
                await brain.close()
                reply(ok=True)
            elif op == "kill":
                sys.stdout.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            else:
                reply(error=f"unknown op {op!r}")
        except Exception as exc:
            reply(error=f"{type(exc).__name__}: {exc}")


def reply(**message: Any) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
