"""What sleep did, per namespace, kept by the server for the explorer's History: each cycle
(background or asked for) with what it consolidated, pruned or was locked out of, and the
namespace's size after it. In memory only: a restart starts a new history."""

from __future__ import annotations

from collections import deque
from typing import Any

from neuram_core.brain import Brain

__all__ = ["KEPT", "SleepHistory"]

KEPT = 2880
"""Cycles kept per namespace: a day of the default 30-second background sleep."""


class SleepHistory:
    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._cycles: dict[str, deque[dict[str, Any]]] = {}

    def watch(self, brain: Brain) -> None:
        """Record every sleep cycle of this (just loaded) namespace's Brain."""
        namespace = brain.namespace
        cycles = self._cycles.setdefault(namespace, deque(maxlen=self.kept))

        def record(done: dict[str, int]) -> None:
            cycles.append({"at": brain.clock.now(), **done, "size": brain.hippocampus.memory_count})

        brain.sleep_cycle.listeners.append(record)

    def of(self, namespace: str) -> list[dict[str, Any]]:
        """The namespace's cycles, oldest first."""
        return list(self._cycles.get(namespace, ()))
