"""The real server, started as a user starts it: the ``neuram`` console script, ``serve``,
on a free loopback port, as its own process (uvicorn), stopped with SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
NEURAM = str(Path(sys.executable).with_name("neuram"))
# The servers' logs, in one private folder removed when the test run ends (a log per
# server in the system's temp folder piled up by thousands).
_LOGS = tempfile.TemporaryDirectory(prefix="neuram-serve-logs-")


def require_server_extra() -> None:
    for module in ("fastapi", "uvicorn", "httpx", "mcp"):
        pytest.importorskip(module, reason="the server extra: pip install 'neuram[server]'")


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL: an SQLite file, or the shared real redis-server (emptied)."""
    require_server_extra()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'memory.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


class ServerProcess:
    """``neuram [--store URL] --embedder E serve --port P [extra...]`` and its base URL."""

    def __init__(
        self,
        store: str | None,
        *extra: str,
        embedder: str | None = "hashing",
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [NEURAM]
        if store is not None:
            args += ["--store", store]
        if embedder is not None:
            args += ["--embedder", embedder]
        self.args = [*args, "serve", "--port", str(self.port), *extra]
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
        self.process: subprocess.Popen[str] | None = None
        # Output goes to a file: a pipe nobody reads would fill and block the server.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="neuram-serve-", suffix=".log", dir=_LOGS.name, delete=False
        )
        self.log.close()

    @property
    def stderr(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return Path(self.log.name).read_text(errors="replace")

    def start(self, timeout: float = 60) -> ServerProcess:
        with open(self.log.name, "w") as out:
            self.process = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, text=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"neuram serve exited {self.process.returncode}: {self.stderr}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"neuram serve did not answer on {self.url}")

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, and wait: the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def client(self, key: str | None = None, **options: Any) -> httpx.Client:
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.terminate()
