"""What the LongTermStore contract suite runs on, and the engrams it stores.

The ``backend`` fixture (conftest.py) is parametrized over the embedded SQLite store (in
memory and in a file), fakeredis (with Lua), a real redis-server and a real 3-node Redis
Cluster (the last two marked ``redis``; they start their own servers on loopback, see
tests/servers.py).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuram_core.engram import Engram, MemoryType
from neuram_core.stores.sqlite import SQLiteStore
from neuram_core.types import LongTermStore
from tests.servers import require_fakeredis_lua, shared_cluster, shared_server


class Backend:
    """A store under test, plus what the suite needs to poke at its data."""

    name = "?"
    shared = True  # can a second store object see the same data?

    def __init__(self) -> None:
        self.stores: list[LongTermStore] = []
        self.store: LongTermStore

    async def open(self) -> LongTermStore:
        """Another store object on the same data (another 'process')."""
        raise NotImplementedError

    async def corrupt(self, namespace: str, engram_id: str, field: str, value: Any) -> None:
        """Overwrite one stored field with garbage (None: remove it)."""
        raise NotImplementedError

    async def start(self) -> None:
        self.store = await self.open()

    async def close(self) -> None:
        for store in self.stores:
            await store.close()


class SQLiteBackend(Backend):
    def __init__(self, path: str, shared: bool) -> None:
        super().__init__()
        self.path = path
        self.shared = shared
        self.name = "sqlite-memory" if path == ":memory:" else "sqlite-file"

    async def open(self) -> LongTermStore:
        store = SQLiteStore(self.path)
        self.stores.append(store)
        return store

    async def corrupt(self, namespace: str, engram_id: str, field: str, value: Any) -> None:
        """The embedding is a column; every other field is a key of the JSON record, written
        as json.dumps would (NaN and all); bytes that are not UTF-8 go in as they are."""
        store = self.store
        assert isinstance(store, SQLiteStore)

        def edit(record: str) -> str | bytes:
            fields = json.loads(record)
            if value is None:
                fields.pop(field, None)
                return json.dumps(fields)
            if isinstance(value, bytes):
                try:
                    fields[field] = value.decode("utf-8")
                except UnicodeDecodeError:
                    mark = "\u0000raw\u0000"
                    fields[field] = mark
                    return json.dumps(fields).encode().replace(json.dumps(mark).encode(), b'"' + value + b'"')
            else:
                fields[field] = value
            return json.dumps(fields)

        def work(conn: Any) -> None:
            if field == "embedding":
                conn.execute("UPDATE engrams SET embedding = ? WHERE ns = ? AND id = ?", (value, namespace, engram_id))
                return
            [(record,)] = conn.execute("SELECT record FROM engrams WHERE ns = ? AND id = ?", (namespace, engram_id))
            conn.execute("UPDATE engrams SET record = ? WHERE ns = ? AND id = ?", (edit(record), namespace, engram_id))

        await store._run(work)


class RedisBackend(Backend):
    def __init__(self, name: str, url: str | None, cluster: bool = False) -> None:
        super().__init__()
        self.name = name
        self.url = url
        self.cluster = cluster
        self.prefix = f"t{uuid.uuid4().hex[:12]}"  # a fresh keyspace per test
        self.server: Any = None

    async def open(self) -> LongTermStore:
        from neuram_core.stores.redis import RedisStore

        if self.url is None:  # fakeredis: every store object gets its own client, one server
            import fakeredis

            if self.server is None:
                self.server = fakeredis.FakeServer()
            store = RedisStore(
                fakeredis.FakeAsyncRedis(server=self.server), prefix=self.prefix, close_client=True
            )
        else:
            store = RedisStore.from_url(self.url, cluster=self.cluster, prefix=self.prefix)
        self.stores.append(store)
        return store

    async def corrupt(self, namespace: str, engram_id: str, field: str, value: Any) -> None:
        from neuram_core.stores.redis import RedisStore

        store = self.store
        assert isinstance(store, RedisStore)
        from tests.redis_records import corrupt_async

        await corrupt_async(store.client, store.keys(namespace).engram(engram_id), **{field: value})


BACKENDS = [
    pytest.param("sqlite-memory", id="sqlite-memory"),
    pytest.param("sqlite-file", id="sqlite-file"),
    pytest.param("fakeredis", id="fakeredis"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
    pytest.param("cluster", id="cluster", marks=pytest.mark.redis),
]


def make_backend(kind: str, tmp_path: Path) -> Backend:
    if kind == "sqlite-memory":
        return SQLiteBackend(":memory:", shared=False)
    if kind == "sqlite-file":
        return SQLiteBackend(str(tmp_path / "memory.db"), shared=True)
    if kind == "fakeredis":
        require_fakeredis_lua()
        return RedisBackend("fakeredis", None)
    if kind == "redis":
        return RedisBackend("redis", shared_server().url)
    if kind == "cluster":
        return RedisBackend("cluster", shared_cluster().url, cluster=True)
    raise ValueError(kind)


def engram(engram_id: str, content: str | None = None, **changes: object) -> Engram:
    rng = np.random.default_rng(zlib.crc32(engram_id.encode()))
    vector = rng.standard_normal(16).astype(np.float32)
    base = Engram(
        content=content or f"memory {engram_id}",
        memory_type=MemoryType.SEMANTIC,
        salience=0.5,
        embedding=vector / np.linalg.norm(vector),
        stability=10.0,
        engram_id=engram_id,
        encoded_at=1_700_000_000.0,
        last_accessed=1_700_000_000.0,
        consolidated=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
