"""The SQLite file's layout: what an engram costs on disk, and files written before it."""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from neuram_core.engram import Engram
from neuram_core.stores.sqlite import SQLiteStore
from tests.contract.support import engram

# The layout before the rowid table: every ~2 KB engram spilled onto an overflow page.
_WITHOUT_ROWID = """CREATE TABLE engrams (
    ns TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, embedding BLOB,
    forget_at REAL NOT NULL, PRIMARY KEY (ns, id)) WITHOUT ROWID"""


def note(index: int, rng: np.random.Generator) -> Engram:
    """A 100-character note with a MiniLM-sized vector, a random id and three temporal links."""
    vector = rng.standard_normal(384).astype(np.float32)
    links = [(uuid.uuid4().hex, float(weight)) for weight in rng.random(3)]
    text = f"Note {index}: the harbour meeting moved to Thursday, bring the training dataset and the key"
    unit = vector / np.linalg.norm(vector)
    return engram(uuid.uuid4().hex, text[:100].ljust(100, "."), embedding=unit, associations=links)


def accessed(times: int) -> Callable[[Engram], tuple[Engram, float]]:
    def change(current: Engram) -> tuple[Engram, float]:
        return dataclasses.replace(current, access_count=times), 40.0

    return change


def on_disk(path: Path) -> int:
    return sum(f.stat().st_size for f in path.parent.iterdir() if f.name.startswith(path.name))


async def test_a_100_character_note_costs_under_2600_bytes_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    store = SQLiteStore(path)
    rng = np.random.default_rng(7)
    count = 8_000
    await store.put("default", [(note(i, rng), 4e9) for i in range(count)])
    await store.close()
    # 4.9 KB in the WITHOUT ROWID layout on 4 KB pages; 4.3 KB as a rowid table on 4 KB pages.
    assert on_disk(path) / count < 2_600
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 16_384


async def test_an_update_keeps_its_row_in_place(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "memory.db")
    try:
        await store.put("default", [(engram("a"), 10.0), (engram("b"), 20.0)])
        with sqlite3.connect(tmp_path / "memory.db") as conn:
            before = dict(conn.execute("SELECT id, rowid FROM engrams"))
        await store.update("default", ["a"], accessed(3))
        await store.put("default", [(engram("b", "changed"), 30.0)])
        with sqlite3.connect(tmp_path / "memory.db") as conn:
            assert dict(conn.execute("SELECT id, rowid FROM engrams")) == before
            assert conn.execute("SELECT forget_at FROM engrams WHERE id = 'b'").fetchone()[0] == 30.0
        [a, b] = await store.get("default", ["a", "b"])
        assert a is not None and a.access_count == 3
        assert b is not None and b.content == "changed"
    finally:
        await store.close()


async def test_a_file_in_the_earlier_layout_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    with sqlite3.connect(path) as conn:
        conn.execute(_WITHOUT_ROWID)
    store = SQLiteStore(path)
    try:
        await store.put("default", [(engram("a"), 10.0), (engram("b"), 20.0)])
        await store.put("default", [(engram("a", "again"), 5.0)])  # an update, not a second row
        await store.update("default", ["b"], accessed(2))
        assert [e.content for e in [x async for x in store.scan("default")]] == ["again", "memory b"]
        assert await store.prune("default", 6.0, 10) == ["a"]  # b's forget-at is now 40
        assert await store.count("default") == 1
        [b] = await store.get("default", ["b"])
        assert b is not None and b.access_count == 2
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        [sql] = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'engrams'").fetchone()
    assert "WITHOUT ROWID" in sql  # left as it was: no rewrite behind the user's back
