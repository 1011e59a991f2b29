"""A real server (uvicorn, loopback HTTP) in this test process, sharing the test's clock and
embedder: how the adapter tests run against RemoteBrain with a manual clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from neuram_core import HashingEmbedder
from neuram_core.types import Clock
from tests.servers import free_port


@contextmanager
def serving(clock: Clock | None = None, store: str = "sqlite:///:memory:", **settings: Any) -> Iterator[str]:
    """Serve ``store`` on a free loopback port until the block ends; yields the base URL."""
    import uvicorn

    from neuram_server.app import create_app
    from neuram_server.settings import ServerSettings

    port = free_port()
    app = create_app(ServerSettings(store=store, port=port, sleep_interval_seconds=0, **settings),
                     embedder=HashingEmbedder(), clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="neuram-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
