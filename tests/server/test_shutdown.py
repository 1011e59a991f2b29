"""Faults: SIGTERM lets in-flight requests finish and closes the stores; SIGKILL loses no
acknowledged write (SQLite in WAL mode; Redis with AOF, itself killed and restarted)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.server.harness import ServerProcess, require_server_extra
from tests.servers import RedisServer

NS = "/v1/namespaces/ada"


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    require_server_extra()
    url = f"sqlite:///{tmp_path / 'memory.db'}"
    texts = [f"Log line {i}: sensor {i % 17} read {i * 7 % 101} degrees at dawn" for i in range(1500)]
    answer: dict[str, httpx.Response] = {}
    server = ServerProcess(url).start()

    def big_write() -> None:
        with server.client() as http:
            answer["batch"] = http.post(f"{NS}/memories/batch", json={"contents": texts, "gate": False})

    writer = threading.Thread(target=big_write)
    writer.start()
    time.sleep(0.3)  # the batch is being embedded and stored
    assert writer.is_alive(), "the batch finished before SIGTERM: make it bigger"
    # uvicorn re-raises the SIGTERM it handled once it shut down cleanly
    assert server.terminate() in {0, -signal.SIGTERM}
    assert "Traceback" not in server.stderr, server.stderr
    writer.join(30)
    assert answer["batch"].status_code == 201, answer["batch"].text
    assert len(answer["batch"].json()) == 1500
    with ServerProcess(url) as again, again.client() as http:
        assert http.get(f"{NS}/stats").json()["indexed"] == 1500


def _write_until_killed(server: ServerProcess, acked: list[str], stop: threading.Event) -> None:
    with server.client() as http:
        i = 0
        while not stop.is_set():
            try:
                made = http.post(f"{NS}/memories", json={"content": f"Durable fact {i} about item{i}", "gate": False})
            except httpx.HTTPError:
                return  # the server died under us
            if made.status_code == 201:
                acked.append(made.json()["engram_id"])
            i += 1


def _kill_midway(server: ServerProcess, wanted: int = 150) -> list[str]:
    acked: list[str] = []
    stop = threading.Event()
    writer = threading.Thread(target=_write_until_killed, args=(server, acked, stop))
    writer.start()
    deadline = time.monotonic() + 60
    while len(acked) < wanted and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()  # SIGKILL: no shutdown, no flush
    stop.set()
    writer.join(30)
    assert len(acked) >= wanted, "the writer did not get going"
    return acked


def _all_there(url: str, acked: list[str]) -> None:
    with ServerProcess(url) as again, again.client() as http:
        stored: set[str] = set()
        cursor = None
        while True:
            page = http.get(f"{NS}/memories", params={"limit": 1000, **({"cursor": cursor} if cursor else {})}).json()
            stored |= {m["engram_id"] for m in page["items"]}
            cursor = page["next_cursor"]
            if cursor is None:
                break
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged writes lost"


def test_sigkill_loses_no_acknowledged_write_on_sqlite(tmp_path: Path) -> None:
    require_server_extra()
    url = f"sqlite:///{tmp_path / 'memory.db'}"
    acked = _kill_midway(ServerProcess(url).start())
    _all_there(url, acked)


@pytest.mark.redis
def test_sigkill_loses_no_acknowledged_write_on_redis_with_aof(tmp_path: Path) -> None:
    require_server_extra()
    redis = RedisServer(directory=tmp_path, appendonly=True, appendfsync="always").start()
    try:
        acked = _kill_midway(ServerProcess(redis.url).start())
        redis.kill()  # Redis dies too: what it acknowledged must come back from its AOF
        redis.start()
        _all_there(redis.url, acked)
    finally:
        redis.cleanup()
