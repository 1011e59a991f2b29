"""A corrupted record is skipped with a warning and counted; recall and sleep go on."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock


async def test_corrupt_rows_are_skipped_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "memory.db"
    clock = ManualClock()
    brain = await Brain.create(path=path, embedder=HashingEmbedder(), clock=clock)
    good = await brain.perceive("the archive room key is blue", memory_type="semantic", consolidate=True)
    bad_bytes = await brain.perceive("the server rack is in aisle four", memory_type="semantic", consolidate=True)
    bad_field = await brain.perceive("lunch orders go in by eleven", memory_type="semantic", consolidate=True)
    await brain.close()

    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE engrams SET embedding = x'00ff00' WHERE id = ?", (bad_bytes.engram_id,))
        conn.execute(
            "UPDATE engrams SET record = json_set(record, '$.stability', NULL) WHERE id = ?", (bad_field.engram_id,)
        )

    with caplog.at_level(logging.WARNING, logger="neuram_core"):
        again = await Brain.create(path=path, embedder=HashingEmbedder(), clock=clock)
    assert [e.engram_id for e, _ in await again.recall("archive room key", top_k=5)] == [good.engram_id]
    stats = await again.stats()
    assert stats["corrupt_records"] == 2 and stats["indexed"] == 1
    assert sum("corrupt engram record" in r.message for r in caplog.records) == 2
    clock.advance(days=3000)
    assert (await again.sleep())["pruned_ltm"] == 3  # corrupt rows are still pruned by forget-at
    await again.close()


async def test_a_namespace_counts_only_its_own_corrupt_records(tmp_path: Path) -> None:
    """A store-wide count would tell one tenant that another's records exist (and fail)."""
    path = tmp_path / "memory.db"
    brain = await Brain.create(path=path, embedder=HashingEmbedder(), namespace="alice")
    bad = await brain.perceive("the archive room key is blue", memory_type="semantic", consolidate=True)
    await brain.for_namespace("bob").perceive("lunch orders go in by eleven", consolidate=True)
    await brain.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE engrams SET embedding = x'00ff00' WHERE id = ?", (bad.engram_id,))

    again = await Brain.create(path=path, embedder=HashingEmbedder(), namespace="bob")
    try:
        alice = again.for_namespace("alice")
        assert (await alice.stats())["corrupt_records"] == 1  # alice's load skipped it
        assert (await again.stats())["corrupt_records"] == 0
        assert (await again.for_namespace("carol").stats())["corrupt_records"] == 0
        assert again.store.corrupt_records == 1  # type: ignore[attr-defined]  # the store's own total
    finally:
        await again.close()
