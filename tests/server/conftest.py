"""Fixtures: a real ``neuram serve`` process on SQLite or on a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.harness import ServerProcess
from tests.server.harness import store_url as store_url  # the fixture, shared with the explorer's tests


@pytest.fixture
def server(store_url: str) -> Iterator[ServerProcess]:
    with ServerProcess(store_url) as running:
        yield running
