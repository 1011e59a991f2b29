"""PrefrontalCortex: working memory. Seven slots, least-recently-used eviction, and a
slot fades if it is not rehearsed within its span."""

from __future__ import annotations

from collections import OrderedDict

from neuram_core.clock import SystemClock
from neuram_core.engram import Engram
from neuram_core.types import Clock

__all__ = ["PrefrontalCortex"]


class PrefrontalCortex:
    """What the agent is holding in mind right now, oldest first."""

    def __init__(self, clock: Clock | None = None, capacity: int = 7, span_seconds: float = 1800.0) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be a positive int, got {capacity!r}")
        self.clock = clock or SystemClock()
        self.capacity = capacity
        self.span_seconds = span_seconds
        self._slots: OrderedDict[str, tuple[Engram, float]] = OrderedDict()

    def hold(self, engram: Engram) -> Engram | None:
        """Put ``engram`` in a slot (most recent); returns the engram evicted to make room."""
        self.decay()
        self._slots[engram.engram_id] = (engram, self.clock.now())
        self._slots.move_to_end(engram.engram_id)
        if len(self._slots) > self.capacity:
            _, (evicted, _) = self._slots.popitem(last=False)
            return evicted
        return None

    def rehearse(self, engram_id: str, engram: Engram | None = None) -> bool:
        """Refresh a slot (recall counts as rehearsal); False if it is not held."""
        slot = self._slots.get(engram_id)
        if slot is None:
            return False
        self._slots[engram_id] = (engram or slot[0], self.clock.now())
        self._slots.move_to_end(engram_id)
        return True

    def update(self, engram: Engram) -> None:
        """Swap in a newer copy of a held engram without counting it as rehearsal."""
        slot = self._slots.get(engram.engram_id)
        if slot is not None:
            self._slots[engram.engram_id] = (engram, slot[1])

    def release(self, engram_id: str) -> bool:
        return self._slots.pop(engram_id, None) is not None

    def decay(self) -> list[Engram]:
        """Drop the slots not rehearsed within the span; returns what faded."""
        cutoff = self.clock.now() - self.span_seconds
        faded = [e for e, at in self._slots.values() if at <= cutoff]
        for engram in faded:
            del self._slots[engram.engram_id]
        return faded

    def clear(self) -> None:
        self._slots.clear()

    @property
    def items(self) -> list[Engram]:
        """The live slots, least recently used first (a snapshot)."""
        cutoff = self.clock.now() - self.span_seconds
        return [e for e, at in list(self._slots.values()) if at > cutoff]

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, engram_id: object) -> bool:
        return engram_id in {e.engram_id for e in self.items}
