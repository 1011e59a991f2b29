"""The loaded namespaces: an LRU of Brains within a budget of indexed engrams.

Every namespace shares one store, one embedder and one loop (``Brain.for_namespace``).
A namespace is loaded on first use, sleeps in the background while loaded, and is
unloaded (``Brain.unload``) when it is the least recently used idle one and the loaded
engrams are over budget; the next request reopens it from the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from neuram_core.brain import Brain

__all__ = ["NamespaceRegistry"]

log = logging.getLogger(__name__)


class _Loaded:
    __slots__ = ("brain", "users")

    def __init__(self, brain: Brain) -> None:
        self.brain = brain
        self.users = 0  # requests using it now: never unloaded under them


class NamespaceRegistry:
    """Hands out the Brain of a namespace for the length of a request."""

    def __init__(self, root: Brain, *, budget: int, sleep_interval: float | None) -> None:
        self.root = root
        self.budget = budget
        self.sleep_interval = sleep_interval  # None or 0: no background sleep
        self._loaded: OrderedDict[str, _Loaded] = OrderedDict()
        self._loading: dict[str, asyncio.Future[_Loaded]] = {}  # one load per namespace at a time
        self._unloading: dict[str, asyncio.Future[None]] = {}
        self.unloads = 0
        self.on_load: Callable[[Brain], None] | None = None  # told of each Brain loaded (before use)

    @asynccontextmanager
    async def use(self, namespace: str) -> AsyncIterator[Brain]:
        """The namespace's Brain, loaded, and kept loaded until the block ends."""
        entry = self._loaded.get(namespace)
        if entry is None:
            loading = self._loading.get(namespace)
            if loading is None:  # the first asker loads it; the others await the same load
                loading = asyncio.ensure_future(self._load(namespace))
                self._loading[namespace] = loading
                loading.add_done_callback(lambda _: self._loading.pop(namespace, None))
            entry = await asyncio.shield(loading)
        if namespace in self._loaded:
            self._loaded.move_to_end(namespace)
        entry.users += 1
        try:
            yield entry.brain
        finally:
            entry.users -= 1
        await self._trim()

    async def _load(self, namespace: str) -> _Loaded:
        unloading = self._unloading.get(namespace)
        if unloading is not None:  # its last Brain is still leaving: open a fresh one after
            await asyncio.shield(unloading)
        brain = self.root.for_namespace(namespace)
        if self.on_load is not None:
            self.on_load(brain)
        await brain.stats()  # loads the index (and follows the store)
        if self.sleep_interval:
            await brain.start_sleep_cycle(self.sleep_interval)
        entry = _Loaded(brain)
        self._loaded[namespace] = entry
        return entry

    def loaded_engrams(self) -> int:
        return sum(len(e.brain.hippocampus) for e in self._loaded.values())

    def loaded(self) -> list[str]:
        return list(self._loaded)

    async def _trim(self) -> None:
        """Unload idle namespaces, least recently used first, while over budget."""
        total = self.loaded_engrams()
        if total <= self.budget:
            return
        for namespace, entry in list(self._loaded.items()):
            if total <= self.budget:
                break
            if entry.users or self._loaded.get(namespace) is not entry:
                continue
            del self._loaded[namespace]
            total -= len(entry.brain.hippocampus)
            self.unloads += 1
            await self._unload(namespace, entry)

    async def _unload(self, namespace: str, entry: _Loaded) -> None:
        leaving = asyncio.ensure_future(entry.brain.unload())
        self._unloading[namespace] = leaving
        try:
            await asyncio.shield(leaving)
        finally:
            if self._unloading.get(namespace) is leaving:
                del self._unloading[namespace]

    async def forget_loaded(self, namespace: str) -> None:
        """Unload one namespace now (after a bulk import wrote to its store directly), so
        the next request reads it afresh; its indexes, made before the import, are not kept."""
        entry = self._loaded.pop(namespace, None)
        if entry is not None:
            await entry.brain.discard_kept_indexes()
            await self._unload(namespace, entry)
