"""Shared fixtures: fast brains on the in-memory store with the hashing embedder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock

START = 1_700_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def brain(clock: ManualClock) -> AsyncIterator[Brain]:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    yield brain
    await brain.close()


@pytest.fixture
def redis_url() -> str:
    """The shared real redis-server (tests/servers.py), emptied for this test."""
    import redis

    from tests.servers import shared_server

    server = shared_server()
    client = redis.Redis(port=server.port)
    try:
        client.flushall()
    finally:
        client.close()
    return server.url


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: the store's modes must not depend on it."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)
