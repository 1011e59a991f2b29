"""The seed's quick start, on the embedded store (no server needed).

With no redis_url, long-term memory goes to an SQLite file (see the README for where);
set NEURAM_PATH to put it elsewhere, or pass redis_url="redis://localhost:6379".
The demo's memories go to a namespace of their own, "quickstart", so they never answer
your own recalls (the default namespace, "default", stays yours); the seed called
Brain.create() with no namespace.
"""

import asyncio

from neuram import Brain, MemoryType


async def main() -> None:
    # Its own namespace: the four demo memories stay out of your "default" one.
    brain = await Brain.create(namespace="quickstart")

    # facts go to Neocortex after consolidation
    await brain.perceive("Paris is the capital of France", memory_type=MemoryType.SEMANTIC)

    # high salience → Amygdala gives it a stability boost at encoding
    await brain.perceive(
        "I had a great meeting with Alice today", memory_type=MemoryType.EPISODIC, salience=0.8
    )

    # skills end up in Cerebellum — hard to forget once learned
    await brain.perceive(
        "To debug Python: add breakpoint(), run, inspect locals", memory_type=MemoryType.PROCEDURAL
    )

    # reward signal goes to BasalGanglia (dopamine-style)
    await brain.perceive(
        "User always prefers concise answers", memory_type=MemoryType.HABITUAL, reward=0.9
    )

    # recall via hippocampal pattern completion + spreading activation
    results = await brain.recall("capital city Europe")
    for engram, score in results:
        print(f"{score:.3f}  [{engram.memory_type}]  {engram.content}")

    print(f"Working memory: {len(brain.working_memory)} / 7 slots")

    # run a manual sleep cycle — or let start_sleep_cycle() do it in the background
    stats = await brain.sleep()
    print(stats)

    await brain.close()


asyncio.run(main())
