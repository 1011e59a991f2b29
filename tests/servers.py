"""Real Redis servers for the tests: a single node and a 3-node Cluster on loopback.

Each server runs from the installed ``redis-server`` on a free port with its own temp dir
and is stopped when the test process exits (and, on Linux, if the test process dies).
Without ``redis-server`` the tests that need one are skipped with a reason, except under
CI (``CI=true``), where a missing binary fails them instead: CI must not pass silently.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_redis_server() -> str:
    """The redis-server path; skip the test without one (fail under CI)."""
    if REDIS_SERVER is None or REDIS_CLI is None:
        reason = "redis-server/redis-cli not installed (apt-get install redis-server)"
        if IN_CI:
            pytest.fail(f"{reason}: CI must run the Redis tests", pytrace=False)
        pytest.skip(reason)
    return REDIS_SERVER


def require_fakeredis_lua() -> None:
    """fakeredis runs our Lua scripts only with lupa (the fakeredis[lua] extra)."""
    try:
        import fakeredis  # noqa: F401
        import lupa  # noqa: F401
    except ImportError as exc:
        reason = f"fakeredis[lua] not installed ({exc.name} missing)"
        if IN_CI:
            pytest.fail(f"{reason}: CI must run the fakeredis tests", pytrace=False)
        pytest.skip(reason)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(*, with_bus: bool = False) -> int:
    """A free loopback port (and port + 10000 free too, for a Cluster bus)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if not with_bus or (port + 10000 < 65536 and _port_free(port + 10000)):
            return port
    raise RuntimeError("no free port pair found")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _ping(port: int, timeout: float = 0.2) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64)


class RedisServer:
    """One redis-server on 127.0.0.1:<port>, data in a temp dir."""

    def __init__(self, *, port: int | None = None, directory: Path | None = None,
                 cluster: bool = False, appendonly: bool = False,
                 appendfsync: str | None = None) -> None:
        self.binary = require_redis_server()
        self.cluster = cluster
        self.port = port or free_port(with_bus=cluster)
        self._own_dir = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="neuram-redis-"))
        self.appendonly = appendonly
        self.appendfsync = appendfsync  # "always" | "everysec" | "no"; None: the server's default
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> RedisServer:
        args = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.directory), "--save", "", "--daemonize", "no",
            "--protected-mode", "no", "--logfile", "redis.log",
            "--appendonly", "yes" if self.appendonly else "no",
        ]
        if self.appendfsync is not None:
            args += ["--appendfsync", self.appendfsync]
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                     "--cluster-node-timeout", "2000"]
        self.process = subprocess.Popen(
            args, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()}")
            with contextlib.suppress(OSError):
                if _ping(self.port).startswith(b"+PONG"):
                    return self
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on port {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the server dies as in a crash (no save, no goodbye)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)


class RedisClusterServers:
    """A 3-primary Redis Cluster on loopback (no replicas), made with redis-cli."""

    def __init__(self, nodes: int = 3) -> None:
        self.nodes = [RedisServer(cluster=True) for _ in range(nodes)]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self.nodes]

    def start(self) -> RedisClusterServers:
        for node in self.nodes:
            node.start()
        assert REDIS_CLI is not None
        subprocess.run(
            [REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = [
                subprocess.run([REDIS_CLI, "-p", str(p), "cluster", "info"],
                               capture_output=True, text=True, timeout=10).stdout
                for p in self.ports
            ]
            if all("cluster_state:ok" in s for s in states):
                return self
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")

    def cleanup(self) -> None:
        for node in self.nodes:
            node.cleanup()


_shared: dict[str, RedisServer | RedisClusterServers] = {}


def shared_server() -> RedisServer:
    """One single-node server for the whole test process."""
    if "single" not in _shared:
        _shared["single"] = RedisServer().start()
        atexit.register(_shared["single"].cleanup)
    server = _shared["single"]
    assert isinstance(server, RedisServer)
    return server


def shared_cluster() -> RedisClusterServers:
    """One 3-node Cluster for the whole test process."""
    if "cluster" not in _shared:
        require_redis_server()
        cluster = RedisClusterServers()
        try:
            cluster.start()
        except BaseException:
            cluster.cleanup()
            raise
        _shared["cluster"] = cluster
        atexit.register(cluster.cleanup)
    cluster = _shared["cluster"]
    assert isinstance(cluster, RedisClusterServers)
    return cluster


async def barrier(url: str, key: str, parties: int) -> None:
    """Wait until ``parties`` processes reached this point (a counter in Redis)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        await client.incr(key)
        deadline = time.monotonic() + 30
        while int(await client.get(key) or 0) < parties:
            if time.monotonic() > deadline:
                raise TimeoutError("barrier timed out")
            await asyncio.sleep(0.002)
    finally:
        await client.aclose()
