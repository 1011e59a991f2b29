"""The embedded long-term store: one SQLite file, no server.

All SQLite work runs on one dedicated thread, so the event loop never blocks and the
connection is only ever touched by one thread. WAL mode lets other processes read while
one writes; a change-log table lets their indexes follow our writes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from neuram_core.codec import (
    V1_COLUMNS,
    decode_embeddings,
    embedding_to_bytes,
    engram_from_fields,
    fields_from_v1_columns,
    pack_fields,
    unpack_fields,
)
from neuram_core.engram import Engram, Vector
from neuram_core.errors import ChangeLogTrimmedError, StoreUnavailableError
from neuram_core.stores.info import check_info, dump_info, load_info
from neuram_core.types import Change, EngramChange

__all__ = ["SQLiteStore", "default_path"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# An engram is a row of its id, its record's fields as JSON (neuram_core.codec: the one
# place that knows them) and its float32 embedding; forget_at is the pruning index. A
# rowid table, not WITHOUT ROWID: an index b-tree keeps at most a quarter of a page of a
# row in place, so every ~2 KB engram spilled onto an overflow page of its own (4.8 KB on
# disk per engram). Files made before keep that layout: the statements below fit both.
_ENGRAMS_TABLE = """CREATE TABLE IF NOT EXISTS engrams (
    ns TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, embedding BLOB,
    forget_at REAL NOT NULL, UNIQUE (ns, id))"""
_FORGET_AT_INDEX = "CREATE INDEX IF NOT EXISTS engrams_forget_at ON engrams (ns, forget_at)"
_SCHEMA = f"""
{_ENGRAMS_TABLE};
{_FORGET_AT_INDEX};
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT NOT NULL, id TEXT NOT NULL,
    op TEXT NOT NULL, origin TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_ns ON changes (ns, seq);
CREATE TABLE IF NOT EXISTS locks (
    ns TEXT NOT NULL, name TEXT NOT NULL, owner TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (ns, name));
"""
_SELECT = "SELECT id, record, embedding FROM engrams"
# A new file's page size: a 16 KB page holds seven ~2.1 KB engrams where a 4 KB page
# holds one (2.5 KB on disk per engram instead of 4.3 KB), for about 0.2 ms more per
# write of ten engrams.
_PAGE_SIZE = 16_384
# An update rewrites its row in place (keeping its rowid), where a REPLACE would delete it
# and append a copy, leaving a hole in a page that appends never fill.
_UPSERT = (
    "INSERT INTO engrams (ns, id, record, embedding, forget_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (ns, id) DO UPDATE SET record = excluded.record, embedding = excluded.embedding, "
    "forget_at = excluded.forget_at"
)
# Keep about this many change-log entries per namespace (see SQLiteStore).
DEFAULT_CHANGE_LOG_KEEP = 100_000
# Per namespace: the highest seq trimmed from its change log (a cursor below it missed
# changes) and how many entries were logged since its last trim (when to trim again).
_CHANGE_LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS change_log_state (
    ns TEXT PRIMARY KEY, floor INTEGER NOT NULL, since_trim INTEGER NOT NULL) WITHOUT ROWID;
"""
# Per namespace: what is recorded besides its engrams (neuram_core.stores.info), as JSON.
_INFO_SCHEMA = """
CREATE TABLE IF NOT EXISTS namespace_info (ns TEXT PRIMARY KEY, info TEXT NOT NULL) WITHOUT ROWID;
"""
# Per namespace: what its index derives from its engrams, kept so a start-up can read it
# instead of building it (neuram_core.types.DerivedDataStore); dropped with any delete.
_DERIVED_SCHEMA = """
CREATE TABLE IF NOT EXISTS derived (ns TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (ns, name));
"""
_PAGE = 2000  # rows per scan query


def _has_v1_layout(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "content" for row in conn.execute("PRAGMA table_info(engrams)"))


def _v1_record(values: Sequence[Any]) -> str:
    """A version-1 row's fields as a record; a row that was already unreadable stays so
    (its raw values kept, counted as corrupt at load, still pruned by its forget-at)."""
    try:
        return json.dumps(fields_from_v1_columns(values), ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps({"v": 1, **dict(zip(V1_COLUMNS, values, strict=True))}, ensure_ascii=False, default=repr)


def _upgrade_v1_layout(conn: sqlite3.Connection) -> None:
    """Move a file written before the codec (one column per field) to the one-record
    layout, in one transaction: another process opening it meanwhile waits, then finds it
    done. Each record keeps version 1; it is upgraded when read, and rewritten at its next
    write."""
    if not _has_v1_layout(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _has_v1_layout(conn):
            conn.execute("DROP INDEX IF EXISTS engrams_forget_at")
            conn.execute("ALTER TABLE engrams RENAME TO engrams_v1")
            conn.execute(_ENGRAMS_TABLE)
            conn.execute(_FORGET_AT_INDEX)
            rows = conn.execute(f"SELECT ns, id, {', '.join(V1_COLUMNS)}, embedding, forget_at FROM engrams_v1")
            conn.executemany(
                _UPSERT, ((r[0], r[1], _v1_record(r[2:-2]), r[-2], r[-1]) for r in rows.fetchall())
            )
            conn.execute("DROP TABLE engrams_v1")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    log.info("upgraded the engram table to the one-record layout")


def default_path() -> Path:
    """$NEURAM_PATH, else $XDG_DATA_HOME/neuram/memory.db, else ~/.local/share/neuram/memory.db."""
    explicit = os.environ.get("NEURAM_PATH")
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "neuram" / "memory.db"


def _create_private(path: Path) -> None:
    """Make the store's missing folders 0700 and its missing file 0600, whatever the umask:
    a memory store holds what its user said. SQLite gives the -wal and -shm files the
    database file's mode. An existing file keeps its mode."""
    missing: list[Path] = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # another process made it meanwhile
            continue
        os.chmod(folder, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _change_seq(cursor: str) -> int:
    """The seq a change cursor names, or a clear error for anything else."""
    if not isinstance(cursor, str):
        raise TypeError(f"cursor must be a str, not {type(cursor).__name__}")
    if not cursor.isascii() or not cursor.isdigit():
        raise ValueError(f"not a SQLite change cursor: {cursor!r}")
    return int(cursor)


class SQLiteStore:
    """A :class:`~neuram_core.types.LongTermStore` in one SQLite file (or ``":memory:"``).

    The change log keeps the newest ``change_log_keep`` entries of each namespace (None:
    all). Writes trim it as they go, a namespace at a time once a quarter of that bound has
    been logged since its last trim, so the table stays bounded whether or not anyone
    sleeps, at an amortised cost of a few index steps per write.

    A file that does not exist is created (0600, in folders made 0700) unless
    ``create=False``: then opening it raises FileNotFoundError and creates nothing, which
    is what a reader wants when a mistyped path would otherwise open an empty store.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        timeout: float = 30.0,
        change_log_keep: int | None = DEFAULT_CHANGE_LOG_KEEP,
        create: bool = True,
    ) -> None:
        if path is not None and not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or a path, not {type(path).__name__}")
        if not isinstance(create, bool):
            raise TypeError(f"create must be a bool, not {type(create).__name__}")
        self.create = create
        if change_log_keep is not None and (
            isinstance(change_log_keep, bool) or not isinstance(change_log_keep, int) or change_log_keep < 1
        ):
            raise ValueError(f"change_log_keep must be a positive int or None, got {change_log_keep!r}")
        self.change_log_keep = change_log_keep
        target = default_path() if path is None else path
        self.path = os.fspath(target)
        self.origin = uuid.uuid4().hex
        self.corrupt_by_namespace: Counter[str] = Counter()  # records skipped as unreadable
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neuram-sqlite")
        self._timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if self._closed:
                raise RuntimeError("this store is closed")
            target, uri = self._target()
            try:
                conn = sqlite3.connect(
                    target, timeout=self._timeout, isolation_level=None, check_same_thread=False, uri=uri
                )
            except sqlite3.Error as exc:  # a folder, a path with no folder, no permission
                raise StoreUnavailableError(f"cannot open the SQLite store at {self.path}: {exc}") from None
            try:
                # Before WAL, which fixes it: a no-op for a file that already has pages.
                conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")
                self._enter_wal(conn)
                # NORMAL in WAL mode: a killed process loses nothing committed.
                conn.execute("PRAGMA synchronous=NORMAL")
                _upgrade_v1_layout(conn)
                conn.executescript(_SCHEMA)
                conn.executescript(_CHANGE_LOG_SCHEMA)
                conn.executescript(_INFO_SCHEMA)
                conn.executescript(_DERIVED_SCHEMA)
            except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
                conn.close()
                if "locked" in str(exc):
                    raise
                raise StoreUnavailableError(f"cannot open the SQLite store at {self.path}: {exc}") from None
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _target(self) -> tuple[str, bool]:
        """What ``sqlite3.connect`` opens, and whether it is a URI. A missing file is made
        private first; with ``create=False`` it is an error, and the file is opened
        ``mode=rw`` so that SQLite cannot create it either."""
        if self.path == ":memory:":
            return self.path, False
        if self.create:
            _create_private(Path(self.path))
            return self.path, False
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"no SQLite store at {self.path}")
        return f"file:{quote(os.path.abspath(self.path))}?mode=rw", True

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
        """Log changes (inside the write's transaction), trimming the namespace's log when
        enough has been logged since its last trim."""
        if not ids:
            return
        conn.executemany(
            "INSERT INTO changes (ns, id, op, origin) VALUES (?, ?, ?, ?)",
            [(namespace, i, op, self.origin) for i in ids],
        )
        keep = self.change_log_keep
        if keep is None:
            return
        conn.execute(
            "INSERT INTO change_log_state (ns, floor, since_trim) VALUES (?, 0, ?) "
            "ON CONFLICT (ns) DO UPDATE SET since_trim = since_trim + excluded.since_trim",
            (namespace, len(ids)),
        )
        row = conn.execute("SELECT since_trim FROM change_log_state WHERE ns = ?", (namespace,)).fetchone()
        if row[0] >= max(1, keep // 4):
            self._trim(conn, namespace, keep)

    @staticmethod
    def _trim(conn: sqlite3.Connection, namespace: str, keep: int) -> int:
        """Drop all but the newest ``keep`` entries of the namespace's log and raise its
        floor to the last seq dropped; the caller holds the write transaction."""
        row = conn.execute(
            "SELECT seq FROM changes WHERE ns = ? ORDER BY seq DESC LIMIT 1 OFFSET ?", (namespace, keep)
        ).fetchone()
        gone = 0
        if row is not None:
            gone = conn.execute("DELETE FROM changes WHERE ns = ? AND seq <= ?", (namespace, row[0])).rowcount
        conn.execute(
            "INSERT INTO change_log_state (ns, floor, since_trim) VALUES (?, ?, 0) "
            "ON CONFLICT (ns) DO UPDATE SET floor = MAX(floor, excluded.floor), since_trim = 0",
            (namespace, 0 if row is None else row[0]),
        )
        return gone

    @staticmethod
    def _row(namespace: str, engram: Engram, forget_at: float) -> tuple[Any, ...]:
        embedding = None if engram.embedding is None else embedding_to_bytes(engram.embedding)
        return (namespace, engram.engram_id, pack_fields(engram).decode(), embedding, forget_at)

    @property
    def corrupt_records(self) -> int:
        """Records skipped as unreadable, in every namespace."""
        return sum(self.corrupt_by_namespace.values())

    def _decode(self, namespace: str, row: Sequence[Any], embedding: Vector | None = None) -> Engram | None:
        engram_id, record, blob = row
        try:
            fields = unpack_fields(record)
            if embedding is None and blob:
                fields["embedding"] = blob
            return engram_from_fields(engram_id, fields, embedding)
        except (KeyError, ValueError, TypeError) as exc:
            self.corrupt_by_namespace[namespace] += 1
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
                engram = self._decode(namespace, row)
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
                gone = [
                    engram_id
                    for engram_id in ids
                    if conn.execute("DELETE FROM engrams WHERE ns = ? AND id = ?", (namespace, engram_id)).rowcount
                ]
                self._log(conn, namespace, gone, "delete")
                self._drop_derived(conn, namespace, gone)
                return len(gone)

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
                self._drop_derived(conn, namespace, ids)
                return ids

            return self._transaction(conn, step)

        return await self._run(work)

    async def scan(self, namespace: str) -> AsyncIterator[Engram]:
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
                for engram in self._decode_page(namespace, rows):
                    if engram is not None:
                        yield engram
        finally:
            if ahead is not None:
                ahead.cancel()

    def _decode_page(self, namespace: str, rows: Sequence[Sequence[Any]]) -> list[Engram | None]:
        """The engrams of many rows, their embeddings decoded at once."""
        vectors = decode_embeddings([row[2] for row in rows])
        return [self._decode(namespace, row, vector) for row, vector in zip(rows, vectors, strict=True)]

    async def count(self, namespace: str) -> int:
        return await self._run(
            lambda conn: int(conn.execute("SELECT COUNT(*) FROM engrams WHERE ns = ?", (namespace,)).fetchone()[0])
        )

    async def namespaces(self) -> list[str]:
        return await self._run(lambda conn: [r[0] for r in conn.execute("SELECT DISTINCT ns FROM engrams ORDER BY ns")])

    async def changes(self, namespace: str, after: str | None) -> tuple[str, list[Change]]:
        """Changes after seq ``after``; ChangeLogTrimmedError when this namespace's log was
        trimmed past it (the cursor is global, the floor per namespace)."""
        start = None if after is None else _change_seq(after)

        def work(conn: sqlite3.Connection) -> tuple[str, list[Change]]:
            if start is None:
                row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()
                return str(row[0]), []
            rows = conn.execute(
                "SELECT seq, id, op, origin FROM changes WHERE ns = ? AND seq > ? ORDER BY seq",
                (namespace, start),
            ).fetchall()
            # The floor only rises, so reading it after the rows proves none were missing.
            floor = conn.execute("SELECT floor FROM change_log_state WHERE ns = ?", (namespace,)).fetchone()
            if floor is not None and floor[0] > start:
                raise ChangeLogTrimmedError(namespace)
            if not rows:
                return str(start), []
            return str(rows[-1][0]), [Change(r[1], r[2], r[3]) for r in rows]

        return await self._run(work)

    async def trim_changes(self, namespace: str | None = None) -> int:
        """Trim the change log to ``change_log_keep`` entries now, in one namespace or all
        (writes already do it as they go); returns how many entries went."""
        keep = self.change_log_keep
        if keep is None:
            return 0

        def work(conn: sqlite3.Connection) -> int:
            if namespace is not None:
                names = [namespace]
            else:
                names = [r[0] for r in conn.execute("SELECT DISTINCT ns FROM changes")]
            gone = 0
            for name in names:
                gone += self._transaction(conn, functools.partial(self._trim, conn, name, keep))
            return gone

        return await self._run(work)

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

    async def get_info(self, namespace: str) -> dict[str, Any]:
        def work(conn: sqlite3.Connection) -> dict[str, Any]:
            row = conn.execute("SELECT info FROM namespace_info WHERE ns = ?", (namespace,)).fetchone()
            return load_info(None if row is None else row[0])

        return await self._run(work)

    async def set_info(
        self, namespace: str, info: Mapping[str, Any], *, expected: Mapping[str, Any] | None = None
    ) -> bool:
        """Replace the info in one transaction; with ``expected``, only if it is that now."""
        text = dump_info(check_info(info))
        wanted = None if expected is None else dump_info(check_info(expected, "expected"))

        def work(conn: sqlite3.Connection) -> bool:
            def step() -> bool:
                if wanted is not None:
                    row = conn.execute("SELECT info FROM namespace_info WHERE ns = ?", (namespace,)).fetchone()
                    if dump_info(load_info(None if row is None else row[0])) != wanted:
                        return False
                if text == "{}":
                    conn.execute("DELETE FROM namespace_info WHERE ns = ?", (namespace,))
                else:
                    conn.execute("INSERT OR REPLACE INTO namespace_info (ns, info) VALUES (?, ?)", (namespace, text))
                return True

            return self._transaction(conn, step)

        return await self._run(work)

    async def read_derived(self, namespace: str, name: str) -> bytes | None:
        def work(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute("SELECT data FROM derived WHERE ns = ? AND name = ?", (namespace, name)).fetchone()
            return None if row is None else bytes(row[0])

        return await self._run(work)

    async def write_derived(
        self, namespace: str, items: Mapping[str, bytes], engram_ids: Collection[str], *, seen: str | None
    ) -> bool:
        for name, data in items.items():
            if not isinstance(data, bytes | bytearray | memoryview):
                raise TypeError(f"derived data must be bytes, not {type(data).__name__} (for {name!r})")
        rows = [(namespace, name, bytes(data)) for name, data in items.items()]
        after = None if seen is None else _change_seq(seen)

        def work(conn: sqlite3.Connection) -> bool:
            def step() -> bool:
                if after is not None:
                    floor = conn.execute("SELECT floor FROM change_log_state WHERE ns = ?", (namespace,)).fetchone()
                    foreign = conn.execute(
                        "SELECT 1 FROM changes WHERE ns = ? AND seq > ? AND origin != ? LIMIT 1",
                        (namespace, after, self.origin),
                    ).fetchone()
                    if foreign is not None or (floor is not None and floor[0] > after):
                        return False  # another process wrote since: the data may hold what it replaced
                stored = {r[0] for r in conn.execute("SELECT id FROM engrams WHERE ns = ?", (namespace,))}
                if not stored.issuperset(engram_ids):  # one was forgotten since the data was made
                    return False
                conn.executemany("INSERT OR REPLACE INTO derived (ns, name, data) VALUES (?, ?, ?)", rows)
                return True

            return self._transaction(conn, step)

        return await self._run(work) if rows else True

    async def drop_derived(self, namespace: str) -> None:
        await self._run(lambda conn: conn.execute("DELETE FROM derived WHERE ns = ?", (namespace,)))

    @staticmethod
    def _drop_derived(conn: sqlite3.Connection, namespace: str, deleted: Sequence[str]) -> None:
        """Inside a delete's transaction: nothing derived from a forgotten engram stays."""
        if deleted:
            conn.execute("DELETE FROM derived WHERE ns = ?", (namespace,))

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
