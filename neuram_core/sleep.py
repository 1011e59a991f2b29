"""SleepCycle: replay, consolidate, prune (Tononi & Cirelli's synaptic homeostasis).

One cycle, under a per-namespace lock with expiry so two workers never consolidate the
same items and a crashed worker's lock lapses:
1. replay the hippocampus's pending traces (working memory and what it evicted);
2. promote those still vivid enough (retention >= consolidation_threshold) into the
   long-term system that accepts their type (``Brain.region_for``), with that system's
   consolidation gain; a trace leaves the pending set only after the store confirmed the
   write;
3. drop the pending traces that faded before sleep came (``pruned_wm``);
4. prune long-term engrams whose retention fell below the threshold (``pruned_ltm``),
   found through the forget-at index: cost follows what is due, not what is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from neuram_core.dynamics import compute_retention, forget_at
from neuram_core.engram import Engram

if TYPE_CHECKING:
    from neuram_core.brain import Brain
    from neuram_core.regions import LongTermRegion

__all__ = ["SleepCycle"]

log = logging.getLogger(__name__)
LOCK_NAME = "sleep"


class SleepCycle:
    """Consolidation and pruning for one Brain; :meth:`start` runs it in the background."""

    def __init__(self, brain: Brain) -> None:
        self.brain = brain
        self.owner = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> dict[str, int]:
        brain = self.brain
        store, namespace, config = brain.store, brain.namespace, brain.config
        if not await store.acquire_lock(namespace, LOCK_NAME, self.owner, config.sleep_lock_seconds):
            return {"consolidated": 0, "pruned_wm": 0, "pruned_ltm": 0, "locked_out": 1}
        try:
            now = brain.clock.now()
            brain.prefrontal.decay()
            hippocampus = brain.hippocampus
            replay = [e for i in list(hippocampus.pending) if (e := hippocampus.get(i)) is not None]
            vivid: list[Engram] = []
            faded: list[Engram] = []
            for engram in replay:
                earned = compute_retention(engram, now) >= config.consolidation_threshold
                (vivid if earned else faded).append(engram)
            consolidated = await self.consolidate(vivid)
            for engram in faded:
                hippocampus.remove(engram.engram_id)
                brain.prefrontal.release(engram.engram_id)
            pruned = await self._prune(now)
            return {
                "consolidated": consolidated,
                "pruned_wm": len(faded),
                "pruned_ltm": pruned,
                "locked_out": 0,
            }
        finally:
            await store.release_lock(namespace, LOCK_NAME, self.owner)

    async def consolidate(self, engrams: Sequence[Engram]) -> int:
        """Hand pending engrams to the long-term systems of their types; each system's
        write is atomic, and only what a write confirmed leaves the pending set."""
        if not engrams:
            return 0
        brain = self.brain
        by_region: dict[LongTermRegion, list[Engram]] = {}
        for engram in engrams:
            region = brain.region_for(engram)
            by_region.setdefault(region, []).append(region.consolidated(engram))
        promoted: list[Engram] = []
        for region, kept in by_region.items():
            await region.store_all(kept)
            for engram in kept:
                brain.hippocampus.encode(engram, pending=False)
                brain.prefrontal.update(engram)
            promoted += kept
        ids = {e.engram_id for e in promoted}
        # Long-term neighbours learn their new edges (atomically, in the store).
        back_links: dict[str, list[tuple[str, float]]] = {}
        for engram in promoted:
            for other, weight in engram.associations:
                neighbour = brain.hippocampus.get(other)
                if other not in ids and neighbour is not None and neighbour.consolidated:
                    back_links.setdefault(other, []).append((engram.engram_id, weight))
        if back_links:
            await self._add_edges(back_links)
        return len(promoted)

    async def _add_edges(self, edges: dict[str, list[tuple[str, float]]]) -> None:
        brain = self.brain
        threshold = brain.config.retention_threshold

        def change(engram: Engram) -> tuple[Engram, float] | None:
            known = dict(engram.associations)
            new = [(i, w) for i, w in edges.get(engram.engram_id, []) if known.get(i, -1.0) < w]
            if not new:
                return None
            known.update(new)
            engram.associations = list(known.items())
            return engram, forget_at(engram, threshold)

        for updated in await brain.store.update(brain.namespace, list(edges), change):
            if updated is not None:
                brain.hippocampus.refresh(updated)

    async def _prune(self, now: float) -> int:
        brain = self.brain
        total = 0
        while True:
            ids = await brain.store.prune(brain.namespace, now, brain.config.prune_batch)
            for engram_id in ids:
                brain.hippocampus.remove(engram_id)
                brain.prefrontal.release(engram_id)
            total += len(ids)
            if len(ids) < brain.config.prune_batch:
                return total

    # -- background -------------------------------------------------------------------------
    def start(self, interval_seconds: float) -> None:
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.get_running_loop().create_task(self._loop(interval_seconds))

    async def _loop(self, interval_seconds: float) -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await self.run()
            except Exception:  # a failed cycle is retried on the next one; nothing is unpended
                log.exception("sleep cycle failed in namespace %r", self.brain.namespace)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
