"""Time, injected. Every region reads the time from a :class:`Clock`, so tests and
benchmarks can replay months of conversation in milliseconds."""

from __future__ import annotations

import math
import time

__all__ = ["ManualClock", "SystemClock"]


class SystemClock:
    """Wall-clock time in epoch seconds."""

    __slots__ = ()

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told to: for tests, benchmarks and replays."""

    __slots__ = ("_now",)

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = _finite(start, "start")

    def now(self) -> float:
        return self._now

    def set(self, timestamp: float) -> None:
        """Jump to ``timestamp`` (epoch seconds); the clock may not run backwards."""
        timestamp = _finite(timestamp, "timestamp")
        if timestamp < self._now:
            raise ValueError(f"clock cannot go back from {self._now} to {timestamp}")
        self._now = timestamp

    def advance(self, seconds: float = 0.0, *, hours: float = 0.0, days: float = 0.0) -> float:
        """Move forward and return the new time."""
        step = _finite(seconds, "seconds") + 3600.0 * _finite(hours, "hours")
        step += 86400.0 * _finite(days, "days")
        if step < 0:
            raise ValueError("a clock cannot advance by a negative amount")
        self._now += step
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"


def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)
