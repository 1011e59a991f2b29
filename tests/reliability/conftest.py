"""Fixtures for the Redis reliability tests: the shared real redis-server, emptied."""

from __future__ import annotations

import pytest

from tests.servers import shared_server


@pytest.fixture
def redis_url() -> str:
    """The shared real redis-server (tests/servers.py), emptied for this test."""
    import redis

    server = shared_server()
    client = redis.Redis(port=server.port)
    try:
        client.flushall()
    finally:
        client.close()
    return server.url
