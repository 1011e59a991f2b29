"""What the three long-term systems share: a slice of the store, by memory type."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

from neuram_core.config import NeuramConfig
from neuram_core.dynamics import forget_at
from neuram_core.engram import Engram, MemoryType
from neuram_core.types import LongTermStore

__all__ = ["LongTermRegion"]


class LongTermRegion:
    """A long-term system: consolidation multiplies stability by its gain, then stores."""

    memory_types: ClassVar[frozenset[MemoryType]] = frozenset()

    def __init__(self, store: LongTermStore, namespace: str, config: NeuramConfig | None = None) -> None:
        self.store = store
        self.namespace = namespace
        self.config = config or NeuramConfig()

    def accepts(self, engram: Engram) -> bool:
        return engram.memory_type in self.memory_types

    def consolidated(self, engram: Engram) -> Engram:
        """The engram as this system keeps it: stability × consolidation gain."""
        if not self.accepts(engram):
            raise ValueError(f"{type(self).__name__} does not hold {engram.memory_type.value} memories")
        gain = self.config.consolidation_gain[engram.memory_type]
        return dataclasses.replace(engram, stability=engram.stability * gain, consolidated=True)

    async def store_all(self, engrams: Sequence[Engram]) -> None:
        """Write engrams (already consolidated) with their forget-at scores, all or nothing."""
        threshold = self.config.retention_threshold
        await self.store.put(self.namespace, [(e, forget_at(e, threshold)) for e in engrams])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(namespace={self.namespace!r}, store={self.store!r})"
