"""Cerebellum: procedural memory — skills and workflows."""

from __future__ import annotations

from neuram_core.engram import MemoryType
from neuram_core.regions.longterm import LongTermRegion

__all__ = ["Cerebellum"]


class Cerebellum(LongTermRegion):
    """Skills. Its consolidation gain (10× by default) makes them very hard to unlearn."""

    memory_types = frozenset({MemoryType.PROCEDURAL})
