"""A third LongTermStore, in memory, living in the tests and not in the package: it proves
that a backend is one module plus one registration (an entry point in ``neuram.stores``).

``memtest://NAME`` opens a store on the data space NAME; stores of one NAME share their
data, as processes share a database. Records are kept encoded by :mod:`neuram_core.codec`
(packed fields plus float32 embedding bytes), so corrupt records exist and are skipped
and counted as in the real stores. The change log is never trimmed.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from neuram_core.codec import embedding_to_bytes, engram_from_fields, pack_fields, unpack_fields
from neuram_core.engram import Engram
from neuram_core.stores.info import check_info, dump_info, load_info
from neuram_core.types import Change, EngramChange

SCHEME = "memtest"
ENTRY_POINT = "tests.contract.memory_store:open_memory_store"


@dataclass(slots=True)
class _Record:
    fields: bytes  # codec.pack_fields
    embedding: bytes | None
    forget_at: float


@dataclass
class MemorySpace:
    """The data that every store of one name shares."""

    guard: threading.Lock = field(default_factory=threading.Lock)
    records: dict[str, dict[str, _Record]] = field(default_factory=dict)  # namespace -> id -> record
    log: dict[str, list[Change]] = field(default_factory=dict)
    locks: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)  # -> (owner, expires)
    info: dict[str, str] = field(default_factory=dict)  # namespace -> canonical JSON (stores.info)


_SPACES: dict[str, MemorySpace] = {}
_SPACES_GUARD = threading.Lock()


def open_memory_store(url: str) -> MemoryStore:
    """The ``memtest://NAME`` factory that the entry point names (under any scheme)."""
    _, sep, name = url.partition("://")
    if not sep:
        raise ValueError(f"not a URL: {url!r}")
    with _SPACES_GUARD:
        space = _SPACES.setdefault(name, MemorySpace())
    return MemoryStore(space, name)


class MemoryStore:
    """A complete :class:`~neuram_core.types.LongTermStore` over a :class:`MemorySpace`."""

    def __init__(self, space: MemorySpace, name: str = "") -> None:
        self.space = space
        self.name = name
        self.origin = uuid.uuid4().hex
        self.corrupt_records = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore({self.name!r})"

    # -- records ---------------------------------------------------------------------------
    def _decode(self, engram_id: str, record: _Record) -> Engram | None:
        try:
            fields = unpack_fields(record.fields)
            if record.embedding is not None:
                fields["embedding"] = record.embedding
            return engram_from_fields(engram_id, fields)
        except (KeyError, ValueError, TypeError):
            self.corrupt_records += 1
            return None

    @staticmethod
    def _encode(engram: Engram, forget_at: float) -> _Record:
        embedding = None if engram.embedding is None else embedding_to_bytes(engram.embedding)
        return _Record(pack_fields(engram), embedding, float(forget_at))

    def _ns(self, namespace: str) -> dict[str, _Record]:
        if self._closed:
            raise RuntimeError("this store is closed")
        return self.space.records.setdefault(namespace, {})

    def _log(self, namespace: str, ids: Sequence[str], op: Literal["put", "delete"]) -> None:
        self.space.log.setdefault(namespace, []).extend(Change(i, op, self.origin) for i in ids)

    def corrupt(self, namespace: str, engram_id: str, name: str, value: Any) -> None:
        """Overwrite one stored field with garbage (None: remove it), for the contract suite."""
        with self.space.guard:
            record = self.space.records[namespace][engram_id]
            if name == "embedding":
                record.embedding = value
                return
            fields = json.loads(record.fields)
            fields.pop(name, None)
            if isinstance(value, bytes):  # spliced in raw: bytes that are not UTF-8 stay so
                mark = "\u0000raw\u0000"
                fields[name] = mark
                record.fields = json.dumps(fields).encode().replace(json.dumps(mark).encode(), b'"' + value + b'"')
                return
            if value is not None:
                fields[name] = value
            record.fields = json.dumps(fields).encode()  # NaN is written as json does: unreadable

    # -- the LongTermStore protocol --------------------------------------------------------
    async def put(self, namespace: str, items: Sequence[tuple[Engram, float]]) -> None:
        encoded = [(e.engram_id, self._encode(e, f)) for e, f in items]  # all encoded before any write
        with self.space.guard:
            self._ns(namespace).update(encoded)
            self._log(namespace, [i for i, _ in encoded], "put")

    async def get(self, namespace: str, engram_ids: Sequence[str]) -> list[Engram | None]:
        with self.space.guard:
            records = self._ns(namespace)
            found = [records.get(i) for i in engram_ids]
        return [None if r is None else self._decode(i, r) for i, r in zip(engram_ids, found, strict=True)]

    async def update(self, namespace: str, engram_ids: Sequence[str], change: EngramChange) -> list[Engram | None]:
        with self.space.guard:
            records = self._ns(namespace)
            results: list[Engram | None] = []
            writes: dict[str, _Record] = {}
            for engram_id in engram_ids:
                record = writes.get(engram_id) or records.get(engram_id)
                engram = None if record is None else self._decode(engram_id, record)
                outcome = None if engram is None else change(engram)
                if outcome is not None:
                    writes[engram_id] = self._encode(*outcome)
                    engram = self._decode(engram_id, writes[engram_id])
                results.append(engram)
            records.update(writes)  # only once every change ran: one that raises writes nothing
            self._log(namespace, list(writes), "put")
        return results

    async def delete(self, namespace: str, engram_ids: Sequence[str]) -> int:
        with self.space.guard:
            records = self._ns(namespace)
            gone = [i for i in dict.fromkeys(engram_ids) if records.pop(i, None) is not None]
            self._log(namespace, gone, "delete")
        return len(gone)

    async def prune(self, namespace: str, now: float, limit: int) -> list[str]:
        with self.space.guard:
            records = self._ns(namespace)
            due = sorted((r.forget_at, i) for i, r in records.items() if r.forget_at <= now)[: max(limit, 0)]
            gone = [i for _, i in due]
            for engram_id in gone:
                del records[engram_id]
            self._log(namespace, gone, "delete")
        return gone

    async def scan(self, namespace: str) -> AsyncIterator[Engram]:
        with self.space.guard:
            snapshot = list(self._ns(namespace).items())
        for engram_id, record in snapshot:
            engram = self._decode(engram_id, record)
            if engram is not None:
                yield engram

    async def count(self, namespace: str) -> int:
        with self.space.guard:
            return len(self._ns(namespace))

    async def namespaces(self) -> list[str]:
        with self.space.guard:
            return sorted(ns for ns, records in self.space.records.items() if records)

    async def changes(self, namespace: str, after: str | None) -> tuple[str, list[Change]]:
        with self.space.guard:
            log = self.space.log.get(namespace, [])
            if after is None:
                return str(len(log)), []
            if not isinstance(after, str):
                raise TypeError(f"a cursor must be a str, not {type(after).__name__}")
            if not after.isdigit() or int(after) > len(log):
                raise ValueError(f"not a cursor of this store: {after!r}")
            return str(len(log)), log[int(after) :]

    async def acquire_lock(self, namespace: str, name: str, owner: str, ttl: float) -> bool:
        now = time.monotonic()
        with self.space.guard:
            holder = self.space.locks.get((namespace, name))
            if holder is not None and holder[0] != owner and holder[1] > now:
                return False
            self.space.locks[(namespace, name)] = (owner, now + ttl)
            return True

    async def release_lock(self, namespace: str, name: str, owner: str) -> None:
        with self.space.guard:
            holder = self.space.locks.get((namespace, name))
            if holder is not None and holder[0] == owner:
                del self.space.locks[(namespace, name)]

    async def get_info(self, namespace: str) -> dict[str, Any]:
        with self.space.guard:
            self._ns(namespace)
            return load_info(self.space.info.get(namespace))

    async def set_info(
        self, namespace: str, info: Mapping[str, Any], *, expected: Mapping[str, Any] | None = None
    ) -> bool:
        text = dump_info(check_info(info))
        wanted = None if expected is None else dump_info(check_info(expected, "expected"))
        with self.space.guard:
            self._ns(namespace)
            if wanted is not None and self.space.info.get(namespace, "{}") != wanted:
                return False
            if text == "{}":
                self.space.info.pop(namespace, None)
            else:
                self.space.info[namespace] = text
            return True

    async def close(self) -> None:
        self._closed = True


def install_plugin(site: Path, scheme: str = SCHEME, target: str = ENTRY_POINT) -> Path:
    """Write an installed distribution's metadata into ``site`` (a directory to put on
    sys.path) declaring ``scheme`` in the ``neuram.stores`` entry-point group: what
    ``pip install`` of a backend package leaves behind."""
    dist = site / f"neuram_{scheme.replace('+', '_').replace('-', '_').replace('.', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: neuram-{scheme}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[neuram.stores]\n{scheme} = {target}\n")
    return dist
