"""How a Brain's loop thread closes under calls: running calls finish or fail with a
RuntimeError, a caller's own cancel stays its own, a second close waits for the first,
and no caller is ever left waiting on a stopped loop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from neuram_core import Brain, HashingEmbedder
from neuram_core import portal as portal_module
from neuram_core.portal import LoopThread


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(portal_module, "_DRAIN_SECONDS", 0.3)
    monkeypatch.setattr(portal_module, "_STOP_SECONDS", 0.3)
    yield


def in_thread(work: object) -> tuple[threading.Thread, list[BaseException | object]]:
    said: list[BaseException | object] = []

    def run() -> None:
        try:
            said.append(work())  # type: ignore[operator]
        except BaseException as exc:  # what the caller sees is the point
            said.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, said


async def _shutdown(log: list[str]) -> None:
    log.append("shutdown")


def test_a_call_outliving_the_wait_fails_with_a_runtime_error_before_the_shutdown(short_waits: None) -> None:
    log: list[str] = []

    async def long_call() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            log.append("cancelled")  # before the shutdown closes what it uses
            raise
        return "done"

    loop = LoopThread()
    thread, said = in_thread(lambda: loop.call(long_call()))
    time.sleep(0.1)
    started = time.monotonic()
    loop.close_with_blocking(_shutdown(log))
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - started < 5
    assert isinstance(said[0], RuntimeError) and "closed while the call ran" in str(said[0])
    assert log == ["cancelled", "shutdown"]


def test_a_call_that_ignores_its_cancel_still_gets_an_answer(short_waits: None) -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(30)  # its cleanup outlasts every wait

    loop = LoopThread()
    thread, said = in_thread(lambda: loop.call(stubborn()))
    time.sleep(0.1)
    loop.close_with_blocking(_shutdown([]))
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert isinstance(said[0], RuntimeError)


def test_a_callers_own_cancel_stays_a_cancel_during_a_close(short_waits: None) -> None:
    loop = LoopThread()

    async def caller() -> object:
        try:
            await asyncio.wait_for(loop.run(asyncio.sleep(30)), 0.2)
        except TimeoutError as exc:
            return exc
        return None

    closer, _ = in_thread(lambda: (time.sleep(0.05), loop.close_with_blocking(_shutdown([]))))
    assert isinstance(asyncio.run(caller()), TimeoutError)
    closer.join(timeout=10)
    assert not closer.is_alive()


def test_a_second_close_waits_for_the_first(tmp_path: Path, short_waits: None) -> None:
    brain = Brain.open(path=tmp_path / "m.db", embedder=HashingEmbedder())
    log: list[str] = []

    async def slow_call() -> None:
        await asyncio.sleep(0.25)  # finishes within the wait
        log.append("call done")

    call, _ = in_thread(lambda: brain.call_blocking(slow_call()))
    time.sleep(0.05)
    first, _ = in_thread(brain.close_blocking)
    time.sleep(0.05)
    brain.close_blocking()  # the second close
    log.append("second close returned")
    assert log == ["call done", "second close returned"]
    assert brain.store._conn is None  # type: ignore[attr-defined]  # the store is closed by then
    first.join(timeout=10)
    call.join(timeout=10)


def test_a_cancelled_close_still_shuts_down(tmp_path: Path) -> None:
    brain = Brain.open(path=tmp_path / "m.db", embedder=HashingEmbedder())

    async def held() -> None:
        await asyncio.sleep(0.5)

    call, _ = in_thread(lambda: brain.call_blocking(held()))
    time.sleep(0.05)

    async def impatient() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(brain.close(), 0.1)  # the closer gives up waiting

    asyncio.run(impatient())
    call.join(timeout=10)
    deadline = time.monotonic() + 10
    while brain._portal.running and time.monotonic() < deadline:  # the loop thread stops at the end
        time.sleep(0.05)
    assert brain.store._conn is None  # type: ignore[attr-defined]  # the close went on without its caller
    brain.close_blocking()  # and closing again is a no-op
