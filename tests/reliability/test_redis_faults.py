"""Faults on a real redis-server: SIGKILLed at every point of a sleep cycle and restarted
from its append-only file, a worker SIGKILLed while it holds the sleep lock, and Redis
unreachable (dead, or a black hole that never answers) during recall."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, NeuramConfig, StoreUnavailableError
from neuram_core.stores.redis import _WRITE_SCRIPT, unpack_record
from tests.servers import RedisServer, require_redis_server

pytest.importorskip("redis")

import redis

from neuram_core.stores.redis import RedisStore, escape_namespace

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 60
SLEEP_CALLS = ("acquire_lock", "put", "update", "prune", "release_lock")  # what a sleep asks the store


def stored_engrams(port: int, namespace: str) -> tuple[dict[str, str], set[str]]:
    """Every engram hash of ``namespace`` (id -> content) and the forget-at index's ids, read
    straight from Redis (a keyspace SCAN is fine in a test)."""
    client = redis.Redis(port=port)
    try:
        prefix = f"neuram:{{{escape_namespace(namespace)}}}:e:"
        hashes = {
            key.decode()[len(prefix):]: str(unpack_record(client.hgetall(key))["content"])
            for key in client.scan_iter(match=prefix.replace("{", "[{]").replace("}", "[}]") + "*", count=1000)
        }
        index = {m.decode() for m in client.zrange(f"neuram:{{{escape_namespace(namespace)}}}:forget_at", 0, -1)}
    finally:
        client.close()
    return hashes, index


def history(port: int, namespace: str, ids: set[str]) -> dict[str, list[str]]:
    """The change-log ops (put / delete) of ``ids``, oldest first: tells a pruned engram
    from one the server lost."""
    client = redis.Redis(port=port)
    try:
        entries = client.xrange(f"neuram:{{{escape_namespace(namespace)}}}:log", "-", "+")
    finally:
        client.close()
    ops: dict[str, list[str]] = {i: [] for i in ids}
    for _, fields in entries:
        engram_id = fields[b"id"].decode()
        if engram_id in ops:
            ops[engram_id].append(fields[b"op"].decode())
    return ops


class Crash:
    """Kills the server around the ``at``-th store call of a sleep:

    - ``before``: the call meets a dead server;
    - ``after``: the call succeeded, the next one meets a dead server;
    - ``lost``: the call reached Redis, then the server died before the reply came back
      (the caller sees StoreUnavailableError although the write landed)."""

    def __init__(self, store: RedisStore, server: RedisServer, at: int, mode: str) -> None:
        self.store, self.server, self.at, self.mode = store, server, at, mode
        self.calls = 0
        self.fired = False
        self.confirmed: set[str] = set()  # ids whose put returned normally
        self._originals = {name: getattr(store, name) for name in SLEEP_CALLS}
        for name, original in self._originals.items():
            setattr(store, name, self._wrap(name, original))

    def _wrap(self, name: str, original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            index, self.calls = self.calls, self.calls + 1
            hit = index == self.at and not self.fired
            if hit and self.mode == "before":
                self._kill()
            result = await original(*args, **kwargs)
            if name == "put":
                self.confirmed.update(e.engram_id for e, _ in args[1])
            if hit and self.mode in ("after", "lost"):
                self._kill()
                if self.mode == "lost":
                    if name == "put":
                        self.confirmed.difference_update(e.engram_id for e, _ in args[1])
                    raise StoreUnavailableError("injected: the server died before its reply arrived")
            return result

        return call

    def _kill(self) -> None:
        self.fired = True
        self.server.kill()

    def remove(self) -> None:
        for name in self._originals:
            delattr(self.store, name)  # the class's methods show through again


async def sleep_until_it_succeeds(brain: Brain) -> dict[str, int]:
    """What the background cycle does: retry failed cycles (bounded here)."""
    for _ in range(50):
        try:
            result = await brain.sleep()
        except StoreUnavailableError:
            await asyncio.sleep(0.02)
            continue
        if not result["locked_out"]:
            return result
    raise AssertionError("sleep never succeeded after the restart")


async def test_redis_sigkilled_at_every_point_of_sleep_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """ROUNDS (60) rounds: perceive, then SIGKILL the server before, after or during one store call
    of a sleep (deterministic, seeded) or after a random delay; restart it from its AOF
    (appendfsync always); retry the sleep. Every write the store confirmed survives every
    crash, every perceived item ends up in Redis exactly once, nothing stays pending."""
    require_redis_server()
    server = RedisServer(directory=tmp_path, appendonly=True, appendfsync="always").start()
    rng = random.Random(20261125)
    clock = ManualClock()
    store = RedisStore.from_url(server.url, socket_timeout=2, socket_connect_timeout=1)
    brain = await Brain.create(store=store, namespace="faults", embedder=HashingEmbedder(64), clock=clock)
    expected: list[str] = []
    filtered = 0
    confirmed: set[str] = set()
    faults: Counter[str] = Counter()
    failed_sleeps = 0
    origin: dict[str, str] = {}  # engram id -> how and when it was confirmed (for a failure message)
    try:
        for r in range(ROUNDS):
            for j in range(3):
                text = f"round {r} fact {j}: the {rng.choice(['red', 'blue', 'green'])} crate holds {rng.random()}"
                await brain.perceive(text)
                expected.append(text)
                clock.advance(20)
            if (await brain.perceive("thanks so much!")).filtered:  # small talk: never stored
                filtered += 1
            if r % 5 == 4:
                # A kill at a random moment, wherever the sleep happens to be.
                timer = threading.Timer(rng.uniform(0, 0.004), server.kill)
                timer.start()
                try:
                    await brain.sleep()
                except StoreUnavailableError:
                    failed_sleeps += 1
                timer.join()
                faults["random moment"] += 1
            else:
                mode = rng.choice(["before", "after", "lost"])
                crash = Crash(store, server, at=rng.randrange(len(SLEEP_CALLS)), mode=mode)
                try:
                    await brain.sleep()
                except StoreUnavailableError:
                    failed_sleeps += 1
                finally:
                    crash.remove()
                origin.update({i: f"round {r}: put returned ({crash.mode} #{crash.at})"
                               for i in crash.confirmed - confirmed})
                confirmed |= crash.confirmed
                # A call index past the cycle's last call: the kill below lands between cycles.
                faults[crash.mode if crash.fired else "between cycles"] += 1
            server.kill()  # (no-op when it is already dead)
            server.start()  # same port, same directory: it replays its AOF
            # Nothing the store confirmed before the crash is lost.
            hashes, index = stored_engrams(server.port, "faults")
            lost = confirmed - (set(hashes) & index)
            assert not lost, (f"round {r}: confirmed engrams lost: {[(i, origin.get(i)) for i in lost]}; "
                              f"their change log: {history(server.port, 'faults', lost)}")
            await sleep_until_it_succeeds(brain)
            assert brain.hippocampus.pending == {}, f"round {r}: items left pending after a successful sleep"
            stored_now = {e.engram_id for e in brain.hippocampus if e.consolidated}
            origin.update({i: f"round {r}: consolidated by a sleep" for i in stored_now - confirmed})
            confirmed |= stored_now

        hashes, index = stored_engrams(server.port, "faults")
        contents = Counter(hashes.values())
        injected = sum(faults.values())
        print(f"\nredis faults: {injected} SIGKILLs injected ({dict(faults)}), {failed_sleeps} sleeps failed, "
              f"{len(expected)} items perceived, {filtered} filtered, {len(hashes)} stored, "
              f"{len(confirmed - set(hashes))} engrams lost")
        assert injected == ROUNDS
        assert failed_sleeps >= ROUNDS // 2  # most kills hit a live cycle
        assert filtered == ROUNDS
        assert [c for c, n in contents.items() if n > 1] == []  # no engram duplicated
        assert set(contents) == set(expected) and len(hashes) == len(expected)  # every item stored once
        assert set(hashes) == index  # hashes and forget-at index agree: no half-written engram
        assert confirmed - set(hashes) == set()  # engrams lost: 0
        assert (await brain.stats())["pending"] == 0
    finally:
        await brain.close()
        server.cleanup()
    # A fresh Brain (index loaded from the replayed AOF) sees exactly the same.
    server = RedisServer(port=server.port, directory=tmp_path, appendonly=True).start()
    try:
        fresh = await Brain.create(redis_url=server.url, namespace="faults", embedder=HashingEmbedder(64))
        try:
            assert sorted(e.content for e in await fresh.list()) == sorted(expected)
        finally:
            await fresh.close()
    finally:
        server.cleanup()


# -- a worker SIGKILLed while it holds the sleep lock -----------------------------------------
def start_worker(job: dict[str, Any]) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.redis_worker", json.dumps(job)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )


def read_line(process: subprocess.Popen[str], timeout: float = 30) -> dict[str, Any]:
    assert process.stdout is not None
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    assert result and result[0], f"worker said nothing within {timeout}s (exit code {process.poll()})"
    message: dict[str, Any] = json.loads(result[0])
    return message


@pytest.mark.parametrize("when", ["before", "after"])
async def test_worker_killed_mid_sleep_its_lock_lapses_and_another_finishes(redis_url: str, when: str) -> None:
    """A worker hangs inside sleep (before or after its consolidating write) holding the
    lock and is SIGKILLed; another worker is locked out until the TTL passes, then
    consolidates its own items and whatever the dead one left pending. What the dead worker
    perceived was stored at perception: it is there exactly once, consolidated once."""
    lock_seconds = 1.0
    worker = start_worker({"job": "hold", "url": redis_url, "namespace": "crew", "items": 3, "when": when,
                           "lock_seconds": lock_seconds})
    config = NeuramConfig().replace(sleep_lock_seconds=lock_seconds)
    brain = await Brain.create(redis_url=redis_url, namespace="crew", embedder=HashingEmbedder(64), config=config)
    try:
        held = read_line(worker)["holding"]
        worker.kill()  # SIGKILL while holding the lock, mid-sleep
        assert worker.wait(10) == -9
        killed_at = time.monotonic()
        mine = [(await brain.perceive(f"survivor fact {i}: the lamp is on shelf {i}", gate=False)).engram_id
                for i in range(4)]
        assert (await brain.sleep())["locked_out"] == 1  # the dead worker's lock still holds
        locked_out = 1
        deadline = killed_at + lock_seconds + 5
        while True:
            result = await brain.sleep()
            if not result["locked_out"]:
                break
            locked_out += 1
            assert time.monotonic() < deadline, "the dead worker's lock never lapsed"
            await asyncio.sleep(0.05)
        waited = time.monotonic() - killed_at
        assert result["consolidated"] == 4 + (len(held) if when == "before" else 0)
        assert waited <= lock_seconds + 1.0
        hashes, index = stored_engrams(int(redis_url.rsplit(":", 1)[1]), "crew")
        expected = set(mine) | set(held)
        assert set(hashes) == index == expected
        assert len(set(hashes.values())) == len(hashes)  # no content twice
        # The survivor's index follows what the dead worker had written.
        assert {e.engram_id for e in await brain.list()} == expected
        print(f"\nworker killed {when} its write: locked out {locked_out} time(s), lock lapsed after {waited:.2f}s")
    finally:
        worker.kill()
        worker.wait(10)
        if worker.stdout is not None:
            worker.stdout.close()
        await brain.close()


# -- Redis unreachable during recall ----------------------------------------------------------
class Proxy:
    """A TCP proxy to a Redis server that can turn into a black hole: it keeps accepting
    connections and reading what comes in, but forwards nothing and answers nothing."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.blackhole = threading.Event()
        self.closed = threading.Event()
        self.drop_reply_to: bytes | None = None  # swallow the reply to the next request containing this
        self._dropping = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.blackhole.is_set():
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
            except OSError:
                client.close()
                continue
            self.sockets.append(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _swallow(self, sock: socket.socket) -> None:
        while not self.closed.is_set():
            try:
                if not sock.recv(65536):
                    return
            except OSError:
                return

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        while not self.closed.is_set():
            try:
                data = source.recv(65536)
                if not data:
                    break
                if self.blackhole.is_set():
                    continue  # swallowed: the request never arrives, no reply ever comes
                if source.getpeername()[1] == self.target_port and self._dropping:
                    self._dropping = False
                    continue  # the server answered; the answer is lost on the way
                if self.drop_reply_to is not None and self.drop_reply_to in data:
                    self.drop_reply_to, self._dropping = None, True
                sink.sendall(data)
            except OSError:
                break
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RedisServer]:
    require_redis_server()
    server = RedisServer(directory=tmp_path, appendonly=True, appendfsync="always").start()
    yield server
    server.cleanup()


TIMEOUT = 0.5  # the configured socket timeouts
BOUND = 3.0  # a recall against an unreachable Redis must fail within this


async def recall_fails_fast(brain: Brain) -> float:
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        await asyncio.wait_for(brain.recall("where is the spare key", top_k=3), timeout=30)
    return time.monotonic() - started


async def seeded_brain(url: str) -> tuple[Brain, str]:
    store = RedisStore.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    brain = await Brain.create(store=store, namespace="outage", embedder=HashingEmbedder(64))
    fact = await brain.perceive("the spare key is under the blue flowerpot", gate=False, consolidate=True)
    assert [e.engram_id for e, _ in await brain.recall("where is the spare key", top_k=1)] == [fact.engram_id]
    return brain, fact.engram_id


async def test_recall_with_redis_dead_fails_fast_then_recovers(own_server: RedisServer) -> None:
    brain, fact = await seeded_brain(own_server.url)
    try:
        own_server.kill()
        elapsed = [await recall_fails_fast(brain) for _ in range(3)]
        assert max(elapsed) < BOUND, f"recall against a dead Redis took {max(elapsed):.2f}s"
        own_server.start()
        [(engram, _)] = await brain.recall("where is the spare key", top_k=1)
        assert engram.engram_id == fact and engram.access_count == 2  # the AOF kept the first recall
        print(f"\nredis dead: recall failed in {max(elapsed):.3f}s at most, recovered after restart")
    finally:
        await brain.close()


async def test_recall_with_redis_blackholed_fails_within_the_timeout_then_recovers(own_server: RedisServer) -> None:
    proxy = Proxy(own_server.port)
    brain, fact = await seeded_brain(proxy.url)
    try:
        proxy.blackhole.set()
        elapsed = [await recall_fails_fast(brain) for _ in range(2)]
        assert max(elapsed) < BOUND, f"recall against a black-holed Redis took {max(elapsed):.2f}s"
        proxy.blackhole.clear()
        [(engram, _)] = await brain.recall("where is the spare key", top_k=1)
        assert engram.engram_id == fact and engram.access_count == 2
        print(f"\nredis black-holed: recall failed in {max(elapsed):.3f}s at most (socket timeout {TIMEOUT}s)")
    finally:
        await brain.close()
        proxy.close()


async def test_a_lost_reply_to_a_recall_write_is_not_counted_twice(own_server: RedisServer) -> None:
    """The server applies a recall's compare-and-set write but its reply never arrives:
    redis-py times out and sends the script again; the recall must still count once."""
    proxy = Proxy(own_server.port)
    brain, fact = await seeded_brain(proxy.url)  # one recall already: access_count 1
    try:
        proxy.drop_reply_to = _WRITE_SCRIPT.sha.encode()  # the compare-and-set write, not the read
        started = time.monotonic()
        outcome = "recall returned"
        try:
            await brain.recall("where is the spare key", top_k=1)
        except StoreUnavailableError:
            outcome = "recall raised StoreUnavailableError"  # acceptable: what matters is what Redis holds
        elapsed = time.monotonic() - started
        assert proxy.drop_reply_to is None, "no reply was dropped"
        look = RedisStore.from_url(own_server.url)
        try:
            [stored] = await look.get("outage", [fact])
        finally:
            await look.close()
        assert stored is not None
        print(f"\nlost reply to a recall write: access_count {stored.access_count} after 2 recalls; "
              f"{outcome} in {elapsed:.2f}s")
        assert stored.access_count == 2
    finally:
        await brain.close()
        proxy.close()


async def test_a_brain_opened_while_redis_is_down_fails_fast_and_opens_later(own_server: RedisServer) -> None:
    own_server.kill()
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        await Brain.create(store=RedisStore.from_url(own_server.url, socket_connect_timeout=TIMEOUT),
                           namespace="outage", embedder=HashingEmbedder(64))
    assert time.monotonic() - started < BOUND
    own_server.start()
    brain = await Brain.create(redis_url=own_server.url, namespace="outage", embedder=HashingEmbedder(64))
    await brain.close()



async def test_a_brain_opened_on_a_port_that_never_answers_fails_within_the_timeout() -> None:
    """A listening socket that accepts connections (the kernel's backlog) and never replies."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            await Brain.create(
                store=RedisStore.from_url(f"redis://127.0.0.1:{silent.getsockname()[1]}", socket_timeout=TIMEOUT,
                                          socket_connect_timeout=TIMEOUT),
                namespace="outage", embedder=HashingEmbedder(64))
        elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"opening a Brain on a silent port took {elapsed:.2f}s"


async def test_mcp_says_the_store_is_down_not_that_the_input_was_bad(own_server: RedisServer) -> None:
    """An agent told "invalid_value" rephrases; told "store_unavailable" it retries later.
    The message names neither the store's host nor its port (they stay in the log)."""
    from tests.server.harness import require_server_extra
    from tests.server.test_mcp import payload, stdio_session

    require_server_extra()
    async with stdio_session(own_server.url) as session:
        payload(await session.call_tool("add_memory", {"content": "The spare key is under the blue flowerpot"}))
        own_server.kill()
        result = await session.call_tool("search_memory", {"query": "where is the spare key"})
        text = result.content[0].text
        assert result.isError and "store_unavailable: the long-term store did not answer; retry later" in text
        assert str(own_server.port) not in text and "invalid_value" not in text


async def test_ready_says_the_store_is_down_while_health_stays_up(own_server: RedisServer) -> None:
    """/v1/ready is readiness (a balancer stops sending while the store is down); /v1/health
    is liveness (the process is not restarted for a store outage). Both need no key."""
    import httpx

    from neuram import RemoteBrain
    from tests.server.harness import ServerProcess, require_server_extra

    require_server_extra()
    with ServerProcess(own_server.url, "--sleep-interval", "0") as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
            assert (await http.get("/v1/ready")).json() == {"status": "ready"}
            remote = RemoteBrain(running.url)
            await remote.ping()
            own_server.kill()
            down = await http.get("/v1/ready")
            assert down.status_code == 503 and down.json()["code"] == "store_unavailable"
            assert str(own_server.port) not in down.text
            with pytest.raises(StoreUnavailableError):
                await remote.ping()
            await remote.close()
            assert (await http.get("/v1/health")).json() == {"status": "ok"}
            own_server.start()
            assert (await http.get("/v1/ready")).status_code == 200  # back without a restart


async def test_brain_ping_raises_when_the_store_is_down(own_server: RedisServer) -> None:
    brain, _ = await seeded_brain(own_server.url)
    try:
        await brain.ping()
        own_server.kill()
        with pytest.raises(StoreUnavailableError):
            await brain.ping()
    finally:
        await brain.close()
