"""SleepCycle: replay, consolidate, prune (Tononi & Cirelli's synaptic homeostasis).

Every perceived trace is already in the store, marked pending (written through at
perception, so it outlives the process and every worker sees it). One cycle, under a
per-namespace lock with expiry so a crashed worker's lock lapses:
1. bring the index up to date with every worker's writes;
2. replay the pending traces (any worker's) and promote those still vivid enough
   (retention >= consolidation_threshold) into the long-term system that accepts their
   type (``Brain.region_for``), with that system's consolidation gain: an atomic store
   update that applies only while the stored record is still pending, so two workers
   never consolidate one trace twice;
3. prune through the forget-at index, whose cost follows what is due, not what is
   stored: a pending trace is due once it fell below consolidation_threshold (it faded
   before sleep came, ``pruned_wm``), a consolidated one below retention_threshold
   (``pruned_ltm``); a long text's fragments go with it (and fragments whose whole is
   gone are swept).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from neuram_core.dynamics import compute_retention, forget_at_for
from neuram_core.engram import Engram

if TYPE_CHECKING:
    from neuram_core.brain import Brain
    from neuram_core.regions import LongTermRegion

__all__ = ["SleepCycle"]

log = logging.getLogger(__name__)
LOCK_NAME = "sleep"


class SleepCycle:
    """Consolidation and pruning for one Brain; :meth:`start` runs it in the background.

    ``follow`` brings the Brain's index up to date with the store (other workers' writes)."""

    def __init__(self, brain: Brain, follow: Callable[[], Awaitable[None]] | None = None) -> None:
        self.brain = brain
        self.owner = uuid.uuid4().hex
        self._follow = follow
        self._task: asyncio.Task[None] | None = None
        # Told what each cycle did, background or asked for (the server keeps a history).
        self.listeners: list[Callable[[dict[str, int]], None]] = []

    async def run(self) -> dict[str, int]:
        done = await self._run()
        for listener in self.listeners:
            try:
                listener(dict(done))
            except Exception:  # an observer's fault never fails the cycle it watched
                log.exception("sleep listener failed in namespace %r", self.brain.namespace)
        return done

    async def _run(self) -> dict[str, int]:
        brain = self.brain
        store, namespace, config = brain.store, brain.namespace, brain.config
        if not await store.acquire_lock(namespace, LOCK_NAME, self.owner, config.sleep_lock_seconds):
            return {"consolidated": 0, "pruned_wm": 0, "pruned_ltm": 0, "locked_out": 1}
        try:
            if self._follow is not None:
                await self._follow()
            now = brain.clock.now()
            brain.prefrontal.decay()
            consolidated = await self.consolidate(self._replay(), now)
            still_pending = set(brain.hippocampus.pending)  # what did not earn consolidation
            pruned = await self._prune(now)
            faded = sum(engram_id in still_pending for engram_id in pruned)
            return {
                "consolidated": consolidated,
                "pruned_wm": faded,
                "pruned_ltm": len(pruned) - faded,
                "locked_out": 0,
            }
        finally:
            await store.release_lock(namespace, LOCK_NAME, self.owner)

    def _replay(self) -> list[Engram]:
        """The pending engrams the index holds, oldest perception first."""
        hippocampus = self.brain.hippocampus
        return [e for i in list(hippocampus.pending) if (e := hippocampus.get(i)) is not None]

    async def consolidate(self, engrams: Sequence[Engram], now: float | None = None) -> int:
        """Promote the pending engrams still vivid at ``now`` into their long-term systems,
        one system's share after another; returns how many this call promoted. Each batch
        is one atomic store update that applies only to a record still pending and still
        vivid as stored (another worker may have consolidated or strengthened it)."""
        brain = self.brain
        config = brain.config
        now = brain.clock.now() if now is None else now
        threshold = config.consolidation_threshold
        by_region: dict[LongTermRegion, list[str]] = {}  # each system's share, written in turn
        for engram in engrams:
            if compute_retention(engram, now) >= threshold:
                by_region.setdefault(brain.region_for(engram), []).append(engram.engram_id)
        promoted: set[str] = set()  # the last decision per id is what the store kept

        def change(stored: Engram) -> tuple[Engram, float] | None:
            if stored.consolidated or compute_retention(stored, now) < threshold:
                promoted.discard(stored.engram_id)
                return None
            kept = brain.region_for(stored).consolidated(stored)
            promoted.add(stored.engram_id)
            return kept, forget_at_for(kept, config)

        for ids in by_region.values():
            for start in range(0, len(ids), config.prune_batch):
                batch = ids[start : start + config.prune_batch]
                brain.take_stored(batch, await brain.store.update(brain.namespace, batch, change))
        return len(promoted)

    async def _prune(self, now: float) -> list[str]:
        """Delete what is due (pending traces and long-term engrams alike); their ids."""
        brain = self.brain
        pruned: list[str] = []
        while True:
            ids = await brain.store.prune(brain.namespace, now, brain.config.prune_batch)
            parts: list[str] = []  # a long text's fragments go with it
            for engram_id in ids:
                parts += brain.hippocampus.parts(engram_id)
                brain.hippocampus.remove(engram_id)
                brain.prefrontal.release(engram_id)
            if parts:
                await brain.store.delete(brain.namespace, parts)
            pruned += ids
            if len(ids) < brain.config.prune_batch:
                await self._sweep_orphans()
                return pruned

    async def _sweep_orphans(self) -> None:
        """Delete the fragments whose whole the store no longer holds (a process that died
        between deleting a whole and its fragments left them, never due on their own)."""
        brain = self.brain
        orphans = brain.hippocampus.orphans()
        if not orphans:
            return
        wholes = list(orphans)
        stored = await brain.store.get(brain.namespace, wholes)
        gone = [part for whole, there in zip(wholes, stored, strict=True) if there is None for part in orphans[whole]]
        if gone:
            await brain.store.delete(brain.namespace, gone)
            for part in gone:
                brain.hippocampus.remove(part)

    # -- background -------------------------------------------------------------------------
    def start(self, interval_seconds: float) -> None:
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.get_running_loop().create_task(self._loop(interval_seconds))

    async def _loop(self, interval_seconds: float) -> None:
        failing: str | None = None  # the failure the log already holds a traceback of
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await self.run()
            except Exception as exc:  # a failed cycle is retried on the next one; nothing is unpended
                seen = f"{type(exc).__name__}: {exc}"
                if seen == failing:  # a store down for an hour: one line per cycle, not a traceback
                    log.warning("sleep cycle failed again in namespace %r: %s", self.brain.namespace, seen)
                else:
                    log.exception("sleep cycle failed in namespace %r", self.brain.namespace)
                failing = seen
            else:
                if failing is not None:
                    log.warning("sleep cycle in namespace %r works again", self.brain.namespace)
                failing = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
