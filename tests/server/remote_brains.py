"""RemoteBrain fixtures for the adapter suites: a RemoteBrain on an in-process server that
shares the test's manual clock (tests/server/inprocess.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from neuram_core.types import Clock


@contextmanager
def remote_brain(clock: Clock, namespace: str) -> Iterator[object]:
    for module in ("fastapi", "uvicorn", "httpx", "mcp"):
        pytest.importorskip(module, reason="the server extra: pip install 'neuram[server]'")
    from neuram_server.remote import RemoteBrain
    from tests.server.inprocess import serving

    with serving(clock) as url:
        remote = RemoteBrain(url, namespace=namespace, clock=clock)
        try:
            yield remote
        finally:
            remote.close_blocking()


def skip_if_local_only(request: pytest.FixtureRequest) -> None:
    """A test marked ``local_only(reason)`` looks inside the local Brain: not run remotely."""
    marker = request.node.get_closest_marker("local_only")
    if marker is not None:
        pytest.skip(f"local Brain only: {marker.args[0] if marker.args else ''}")
