"""The CLI tells pending traces (perceived, not yet slept on) from long-term memories."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from neuram_core.dynamics import forget_at_for
from tests.cli.test_cli import brain_on, db, fill, neuram, stored  # noqa: F401 - fixtures

__all__: list[str] = []


def test_stats_counts_pending_traces_apart(neuram: Any, db: Path) -> None:  # noqa: F811
    fill(db)
    with brain_on(db).sync as sync:
        sync.perceive("The archive room key is blue", memory_type="semantic")  # pending, no sleep
    report = json.loads(neuram("stats", "--json").out)
    assert report["long_term"] == 4 and report["pending"] == 1
    assert sum(report["by_region"].values()) == 4  # regions hold what a sleep consolidated
    assert sum(report["by_type"].values()) == 5
    text = neuram("stats").out
    assert "long-term   4 engrams" in text and "pending     1 engrams" in text


def test_import_keeps_a_pending_trace_pending(neuram: Any, db: Path, tmp_path: Path) -> None:  # noqa: F811
    fill(db)
    with brain_on(db).sync as sync:
        note = sync.perceive("The archive room key is blue", memory_type="semantic")
    out = tmp_path / "all.jsonl"
    assert neuram("export", str(out)).code == 0
    copy = tmp_path / "copy.db"
    assert neuram("import", str(out), path=copy).code == 0
    imported = stored(copy)
    assert not imported[note.engram_id].consolidated  # before: forced to long-term, without its gain
    assert sum(e.consolidated for e in imported.values()) == 4
    assert json.loads(neuram("stats", "--json", path=copy).out)["pending"] == 1
    with sqlite3.connect(copy) as conn:
        [(score,)] = conn.execute("SELECT forget_at FROM engrams WHERE id = ?", (note.engram_id,))
    assert score == forget_at_for(imported[note.engram_id])  # due when too faded to consolidate
