"""The embedded long-term store: one SQLite file, no server.

All SQLite work runs on one dedicated thread, so the event loop never blocks and the
connection is only ever touched by one thread. WAL mode lets other processes read while
one writes; a change-log table lets their indexes follow our writes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from neuram_core.engram import Engram, Vector, decode_embeddings, engram_from_record, engram_to_record
from neuram_core.types import Change, EngramChange

__all__ = ["SQLiteStore", "default_path"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_FIELDS = (
    "content",
    "type",
    "salience",
    "strength",
    "stability",
    "access_count",
    "encoded_at",
    "last_accessed",
    "reward",
    "assoc",
    "fragments",
    "meta",
    "fragment_of",
    "embedding",
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS engrams (
    ns TEXT NOT NULL, id TEXT NOT NULL, {", ".join(f"{f} {'BLOB' if f == 'embedding' else 'TEXT'}" for f in _FIELDS)},
    forget_at REAL NOT NULL, PRIMARY KEY (ns, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS engrams_forget_at ON engrams (ns, forget_at);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT NOT NULL, id TEXT NOT NULL,
    op TEXT NOT NULL, origin TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_ns ON changes (ns, seq);
CREATE TABLE IF NOT EXISTS locks (
    ns TEXT NOT NULL, name TEXT NOT NULL, owner TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (ns, name));
"""
_SELECT = f"SELECT id, {', '.join(_FIELDS)} FROM engrams"
_UPSERT = (
    f"INSERT OR REPLACE INTO engrams (ns, id, {', '.join(_FIELDS)}, forget_at) "
    f"VALUES (?, ?, {', '.join('?' for _ in _FIELDS)}, ?)"
)
# Keep this many change-log entries per namespace; an index further behind reloads.
_CHANGE_LOG_KEEP = 100_000
_PAGE = 2000  # rows per scan query


def default_path() -> Path:
    """$NEURAM_PATH, else $XDG_DATA_HOME/neuram/memory.db, else ~/.local/share/neuram/memory.db."""
    explicit = os.environ.get("NEURAM_PATH")
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "neuram" / "memory.db"


class SQLiteStore:
    """A :class:`~neuram_core.types.LongTermStore` in one SQLite file (or ``":memory:"``)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout: float = 30.0) -> None:
        if path is not None and not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or a path, not {type(path).__name__}")
        target = default_path() if path is None else path
        self.path = os.fspath(target)
        self.origin = uuid.uuid4().hex
        self.corrupt_records = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neuram-sqlite")
        self._timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if self._closed:
                raise RuntimeError("this store is closed")
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
            try:
                self._enter_wal(conn)
                # NORMAL in WAL mode: a killed process loses nothing committed.
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _enter_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL. That needs the file to itself, and SQLite answers "database
        is locked" at once instead of waiting (several workers opening a new file together):
        retry until the store's timeout."""
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            return work(self._connect())

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _transaction(self, conn: sqlite3.Connection, work: Callable[[], T]) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _log(self, conn: sqlite3.Connection, namespace: str, ids: Sequence[str], op: str) -> None:
        conn.executemany(
            "INSERT INTO changes (ns, id, op, origin) VALUES (?, ?, ?, ?)",
            [(namespace, i, op, self.origin) for i in ids],
        )

    @staticmethod
    def _row(namespace: str, engram: Engram, forget_at: float) -> tuple[Any, ...]:
        record = engram_to_record(engram)
        return (namespace, engram.engram_id, *(record.get(f) for f in _FIELDS), forget_at)

    def _decode(self, row: Sequence[Any], embedding: Vector | None = None) -> Engram | None:
        engram_id = row[0]
        record = {f: v for f, v in zip(_FIELDS, row[1:], strict=True) if v is not None}
        try:
            return engram_from_record(engram_id, record, embedding)
        except (KeyError, ValueError, TypeError) as exc:
            self.corrupt_records += 1
            log.warning("skipping corrupt engram record %r: %s", engram_id, exc)
            return None

    # -- the LongTermStore protocol --------------------------------------------------------
    async def put(self, namespace: str, items: Sequence[tuple[Engram, float]]) -> None:
        rows = [self._row(namespace, e, f) for e, f in items]

        def work(conn: sqlite3.Connection) -> None:
            def write() -> None:
                conn.executemany(_UPSERT, rows)
                self._log(conn, namespace, [r[1] for r in rows], "put")

            self._transaction(conn, write)

        if rows:
            await self._run(work)

    def _fetch(self, conn: sqlite3.Connection, namespace: str, ids: Sequence[str]) -> dict[str, Engram]:
        found: dict[str, Engram] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            for row in conn.execute(f"{_SELECT} WHERE ns = ? AND id IN ({marks})", [namespace, *chunk]):
                engram = self._decode(row)
                if engram is not None:
                    found[engram.engram_id] = engram
        return found

    async def get(self, namespace: str, engram_ids: Sequence[str]) -> list[Engram | None]:
        found = await self._run(lambda conn: self._fetch(conn, namespace, engram_ids))
        return [found.get(i) for i in engram_ids]

    async def update(self, namespace: str, engram_ids: Sequence[str], change: EngramChange) -> list[Engram | None]:
        def work(conn: sqlite3.Connection) -> list[Engram | None]:
            def step() -> list[Engram | None]:
                found = self._fetch(conn, namespace, engram_ids)
                rows, changed = [], []
                results: list[Engram | None] = []
                for engram_id in engram_ids:
                    current = found.get(engram_id)
                    outcome = None if current is None else change(current)
                    if outcome is not None:
                        rows.append(self._row(namespace, *outcome))
                        changed.append(engram_id)
                        found[engram_id] = outcome[0]
                        results.append(outcome[0])
                    else:
                        results.append(current)
                conn.executemany(_UPSERT, rows)
                self._log(conn, namespace, changed, "put")
                return results

            return self._transaction(conn, step)

        return await self._run(work)

    async def delete(self, namespace: str, engram_ids: Sequence[str]) -> int:
        ids = list(engram_ids)

        def work(conn: sqlite3.Connection) -> int:
            def step() -> int:
                gone = 0
                for engram_id in ids:
                    cursor = conn.execute("DELETE FROM engrams WHERE ns = ? AND id = ?", (namespace, engram_id))
                    if cursor.rowcount:
                        gone += 1
                        self._log(conn, namespace, [engram_id], "delete")
                return gone

            return self._transaction(conn, step)

        return await self._run(work) if ids else 0

    async def prune(self, namespace: str, now: float, limit: int) -> list[str]:
        def work(conn: sqlite3.Connection) -> list[str]:
            def step() -> list[str]:
                ids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT id FROM engrams WHERE ns = ? AND forget_at <= ? ORDER BY forget_at LIMIT ?",
                        (namespace, now, limit),
                    )
                ]
                conn.executemany("DELETE FROM engrams WHERE ns = ? AND id = ?", [(namespace, i) for i in ids])
                self._log(conn, namespace, ids, "delete")
                return ids

            return self._transaction(conn, step)

        return await self._run(work)

    async def scan(self, namespace: str) -> AsyncIterator[Engram]:  # type: ignore[override]
        """Every readable engram, a page of 2,000 at a time in id order; the next page is
        read (on the store's thread) while this one decodes (on the caller's)."""

        def page(after: str) -> Callable[[sqlite3.Connection], list[Any]]:
            return lambda conn: conn.execute(
                f"{_SELECT} WHERE ns = ? AND id > ? ORDER BY id LIMIT {_PAGE}", (namespace, after)
            ).fetchall()

        ahead: asyncio.Future[list[Any]] | None = asyncio.ensure_future(self._run(page("")))
        try:
            while ahead is not None:
                rows = await ahead
                ahead = asyncio.ensure_future(self._run(page(rows[-1][0]))) if len(rows) == _PAGE else None
                for engram in self._decode_page(rows):
                    if engram is not None:
                        yield engram
        finally:
            if ahead is not None:
                ahead.cancel()

    def _decode_page(self, rows: Sequence[Sequence[Any]]) -> list[Engram | None]:
        """The engrams of many rows, their embeddings decoded at once."""
        vectors = decode_embeddings([row[-1] for row in rows])
        return [self._decode(row, vector) for row, vector in zip(rows, vectors, strict=True)]

    async def count(self, namespace: str) -> int:
        return await self._run(
            lambda conn: int(conn.execute("SELECT COUNT(*) FROM engrams WHERE ns = ?", (namespace,)).fetchone()[0])
        )

    async def namespaces(self) -> list[str]:
        return await self._run(lambda conn: [r[0] for r in conn.execute("SELECT DISTINCT ns FROM engrams ORDER BY ns")])

    async def changes(self, namespace: str, after: str | None) -> tuple[str, list[Change]]:
        def work(conn: sqlite3.Connection) -> tuple[str, list[Change]]:
            if after is None:
                row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()
                return str(row[0]), []
            rows = conn.execute(
                "SELECT seq, id, op, origin FROM changes WHERE ns = ? AND seq > ? ORDER BY seq",
                (namespace, int(after)),
            ).fetchall()
            if not rows:
                return after, []
            return str(rows[-1][0]), [Change(r[1], r[2], r[3]) for r in rows]

        return await self._run(work)

    async def trim_changes(self, keep: int = _CHANGE_LOG_KEEP) -> None:
        await self._run(
            lambda conn: conn.execute(
                "DELETE FROM changes WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM changes) - ?", (keep,)
            )
        )

    async def acquire_lock(self, namespace: str, name: str, owner: str, ttl: float) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            now = time.time()  # locks are between processes: wall-clock time, not a Brain's clock

            def step() -> bool:
                row = conn.execute(
                    "SELECT owner, expires FROM locks WHERE ns = ? AND name = ?", (namespace, name)
                ).fetchone()
                if row is not None and row[0] != owner and row[1] > now:
                    return False
                conn.execute(
                    "INSERT OR REPLACE INTO locks (ns, name, owner, expires) VALUES (?, ?, ?, ?)",
                    (namespace, name, owner, now + ttl),
                )
                return True

            return self._transaction(conn, step)

        return await self._run(work)

    async def release_lock(self, namespace: str, name: str, owner: str) -> None:
        await self._run(
            lambda conn: conn.execute(
                "DELETE FROM locks WHERE ns = ? AND name = ? AND owner = ?", (namespace, name, owner)
            )
        )

    async def close(self) -> None:
        if self._closed:
            return

        def work(conn: sqlite3.Connection) -> None:
            conn.close()

        if self._conn is not None:
            await self._run(work)
        self._closed = True
        self._conn = None
        self._executor.shutdown(wait=False)

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"
