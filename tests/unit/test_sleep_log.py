"""The background sleep's log when cycles keep failing: readable, not a flood."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, StoreUnavailableError


async def test_a_store_down_for_many_cycles_logs_one_traceback_then_one_line_each(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's background sleep against a store that is down: the first failure with its
    traceback, then a line per cycle, and a line when it works again (not 30 lines a cycle)."""
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
    outcomes = [StoreUnavailableError("Redis is unavailable")] * 3 + [None] * 50
    cycles = 0
    five = threading.Event()  # set on the brain's own loop, waited for on this one

    async def run() -> dict[str, int]:
        nonlocal cycles
        cycles += 1
        if cycles >= 5:
            five.set()
        outcome = outcomes[min(cycles - 1, len(outcomes) - 1)]
        if outcome is not None:
            raise outcome
        return {}

    monkeypatch.setattr(brain.sleep_cycle, "run", run)
    try:
        with caplog.at_level(logging.WARNING, logger="neuram_core.sleep"):
            await brain.start_sleep_cycle(0.001)
            assert await asyncio.to_thread(five.wait, 10)
            await brain.stop_sleep_cycle()
    finally:
        await brain.close()
    records = [r for r in caplog.records if r.name == "neuram_core.sleep"]
    assert [r.exc_info is not None for r in records] == [True, False, False, False]
    assert records[0].getMessage() == "sleep cycle failed in namespace 'default'"
    assert records[1].getMessage() == (
        "sleep cycle failed again in namespace 'default': StoreUnavailableError: Redis is unavailable"
    )
    assert records[3].getMessage() == "sleep cycle in namespace 'default' works again"
