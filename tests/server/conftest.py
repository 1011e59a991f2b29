"""Fixtures: a real ``neuram serve`` process on SQLite or on a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.harness import ServerProcess, require_server_extra


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL: an SQLite file, or the shared real redis-server (emptied)."""
    require_server_extra()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'memory.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def server(store_url: str) -> Iterator[ServerProcess]:
    with ServerProcess(store_url) as running:
        yield running
