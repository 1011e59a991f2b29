"""SensoryCortex: the raw input buffer. What nobody attends to is gone in 3 seconds."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass

from neuram_core.clock import SystemClock
from neuram_core.types import Clock

__all__ = ["SensoryCortex", "SensoryTrace"]


@dataclass(frozen=True, slots=True)
class SensoryTrace:
    trace_id: int
    content: str
    arrived_at: float


class SensoryCortex:
    """A short-lived FIFO of raw inputs (iconic/echoic memory)."""

    def __init__(self, clock: Clock | None = None, buffer_seconds: float = 3.0) -> None:
        self.clock = clock or SystemClock()
        self.buffer_seconds = buffer_seconds
        self._buffer: deque[SensoryTrace] = deque()
        self._ids = itertools.count(1)

    def register(self, content: str) -> SensoryTrace:
        """Take in a raw input; it waits here until attended to or expired."""
        self.expire()
        trace = SensoryTrace(next(self._ids), content, self.clock.now())
        self._buffer.append(trace)
        return trace

    def attend(self, trace: SensoryTrace) -> bool:
        """Move ``trace`` on to further processing; False if it had already expired."""
        self.expire()
        try:
            self._buffer.remove(trace)
        except ValueError:
            return False
        return True

    def expire(self) -> int:
        """Drop traces older than the buffer window; how many went."""
        cutoff = self.clock.now() - self.buffer_seconds
        gone = 0
        while self._buffer and self._buffer[0].arrived_at <= cutoff:
            self._buffer.popleft()
            gone += 1
        return gone

    @property
    def buffer(self) -> list[SensoryTrace]:
        """The unexpired, unattended traces, oldest first."""
        self.expire()
        return list(self._buffer)

    def __len__(self) -> int:
        return len(self.buffer)
