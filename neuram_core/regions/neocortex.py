"""Neocortex: long-term semantic and episodic memory."""

from __future__ import annotations

from neuram_core.engram import MemoryType
from neuram_core.regions.longterm import LongTermRegion

__all__ = ["Neocortex"]


class Neocortex(LongTermRegion):
    """Facts and events. Semantic memories consolidate more strongly than episodes."""

    memory_types = frozenset({MemoryType.SEMANTIC, MemoryType.EPISODIC})
