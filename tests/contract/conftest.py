"""The ``backend`` fixture: every LongTermStore the contract suite runs against."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from neuram_core.types import LongTermStore
from tests.contract.support import BACKENDS, Backend, make_backend


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    chosen = make_backend(request.param, tmp_path)
    await chosen.start()
    try:
        yield chosen
    finally:
        await chosen.close()


@pytest.fixture
def store(backend: Backend) -> LongTermStore:
    return backend.store
