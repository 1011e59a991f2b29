"""The ``backend`` fixture: every LongTermStore the contract suite runs against.

Besides the package's stores (support.py), the suite runs on ``memtest``: the in-memory
store of memory_store.py, which the tests install as a plugin would be (a distribution's
``neuram.stores`` entry point on sys.path) and open by URL only, through ``open_store``.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from neuram_core.stores import open_store
from neuram_core.types import LongTermStore
from tests.contract.memory_store import SCHEME, MemoryStore, install_plugin
from tests.contract.support import BACKENDS, Backend, make_backend


class MemoryBackend(Backend):
    """The plugin store: every store object of one test opens the same ``memtest://`` URL."""

    name = SCHEME

    def __init__(self) -> None:
        super().__init__()
        self.url = f"{SCHEME}://{uuid.uuid4().hex}"  # a fresh data space per test

    async def open(self) -> LongTermStore:
        store = open_store(self.url)
        self.stores.append(store)
        return store

    async def corrupt(self, namespace: str, engram_id: str, field: str, value: Any) -> None:
        assert isinstance(self.store, MemoryStore)
        self.store.corrupt(namespace, engram_id, field, value)


@pytest.fixture(scope="session")
def memtest_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The memtest backend installed through a real entry point, for the session."""
    site = tmp_path_factory.mktemp("site-packages")
    install_plugin(site)
    sys.path.append(str(site))
    try:
        yield
    finally:
        sys.path.remove(str(site))


@pytest.fixture(params=[*BACKENDS, pytest.param(SCHEME, id=SCHEME)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == SCHEME:
        request.getfixturevalue("memtest_plugin")
        chosen: Backend = MemoryBackend()
    else:
        chosen = make_backend(request.param, tmp_path)
    await chosen.start()
    try:
        yield chosen
    finally:
        await chosen.close()


@pytest.fixture
def store(backend: Backend) -> LongTermStore:
    return backend.store
