"""Fixtures for Brains on Redis: a clean real server, fakeredis, worker processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import require_fakeredis_lua

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_server() -> Any:
    require_fakeredis_lua()
    import fakeredis

    return fakeredis.FakeServer()


class Worker:
    """A Brain in another process (tests/integration/redis_worker.py)."""

    def __init__(self, url: str, namespace: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.redis_worker", url, namespace],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.read() == "ready"

    def send(self, op: str, **args: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.process.stdin.flush()

    def read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited with {self.process.wait(10)}")
        message = json.loads(line)
        if "error" in message:
            raise RuntimeError(message["error"])
        return message["ok"]

    def call(self, op: str, **args: Any) -> Any:
        self.send(op, **args)
        return self.read()

    def kill(self) -> int:
        """Close nothing: SIGKILL, as a crash would."""
        self.send("kill")
        return self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def spawn() -> Iterator[Callable[[str, str], Worker]]:
    workers: list[Worker] = []

    def start(url: str, namespace: str) -> Worker:
        worker = Worker(url, namespace)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
