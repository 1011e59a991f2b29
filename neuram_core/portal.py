"""The one place where async meets sync: a private event loop on its own thread.

Every async resource of a Brain (store connections, background sleep) lives on this loop,
so a Brain made inside one ``asyncio.run`` keeps working in the next, from plain sync
code, and from sync code inside a running loop (Jupyter). Nothing ever runs a coroutine
on a fresh loop over a shared pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")
_WORKERS = 32
_DRAIN_SECONDS = 30.0  # how long a close waits for the calls already running to finish
_STOP_SECONDS = 5.0  # how long cancelled tasks get to unwind before the loop stops anyway
_CLOSED = "this Brain is closed"
_CLOSED_MIDWAY = "this Brain was closed while the call ran (it did not finish within the close's wait)"
_ON_LOOP = "a sync Brain method was called from the Brain's own loop; await it"


class LoopThread:
    """An event loop running forever on a daemon thread, until closed.

    A close refuses new calls at once, lets the calls already running finish (for up to
    30 s), cancels those still running (their callers get a RuntimeError), runs the
    owner's shutdown, then stops the loop. It all runs on the loop itself, so a close
    whose caller is cancelled or times out still completes; a second close waits for the
    first. No caller is left waiting on a loop that has stopped."""

    def __init__(self, name: str = "neuram-loop") -> None:
        self.loop = asyncio.new_event_loop()
        # Embedding runs in this loop's default executor. Its stock size (cores + 4) would
        # cap how many concurrent recalls reach the embedder together, so how many one
        # micro-batched model call can serve; waiting threads cost little.
        self.loop.set_default_executor(ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix=f"{name}-worker"))
        self._lock = threading.Lock()
        self._futures: set[concurrent.futures.Future[Any]] = set()  # every call not yet answered
        self._tasks: set[asyncio.Task[Any]] = set()  # the calls running on the loop (loop thread only)
        self._ended_by_close: set[asyncio.Task[Any]] = set()
        self._closing = False  # no new calls
        self._close_started = False
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:  # however the loop stopped, no caller waits on it
            with self._lock:
                self._closing = True
                unanswered = list(self._futures)
            for future in unanswered:
                with contextlib.suppress(concurrent.futures.InvalidStateError):  # answered meanwhile
                    future.set_exception(RuntimeError(_CLOSED_MIDWAY))

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    @property
    def closing(self) -> bool:
        """True once a close began: no new call is taken."""
        return self._closing

    def _on_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    # -- calls -------------------------------------------------------------------------
    def check_open(self) -> None:
        """RuntimeError unless a call can be taken: not closed, and in the process that
        opened it."""
        if os.getpid() != self._pid:  # a forked child: the loop's thread stayed in the parent
            raise RuntimeError(
                f"this Brain was opened by process {self._pid}, and a forked process does not inherit its loop "
                "thread: open a Brain in each process (after the fork)"
            )
        if self._closing or not self.running:
            raise RuntimeError(_CLOSED)

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """``coro`` scheduled on the loop as a call: counted until answered, and refused
        once a close began."""
        with self._lock:
            try:
                self.check_open()
            except RuntimeError:
                coro.close()
                raise
            future = asyncio.run_coroutine_threadsafe(self._call(coro), self.loop)
            self._futures.add(future)
        future.add_done_callback(self._answered)
        return future

    def _answered(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    async def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        """One call on the loop; one a close cancels fails with a RuntimeError (a cancel of
        the caller's own stays a cancel)."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            return await coro
        except asyncio.CancelledError:
            if task in self._ended_by_close:
                raise RuntimeError(_CLOSED_MIDWAY) from None
            raise
        finally:
            self._tasks.discard(task)
            self._ended_by_close.discard(task)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the private loop from any event loop (or run it in place)."""
        if asyncio.get_running_loop() is self.loop:
            return await coro  # part of a call already running (a close's shutdown included)
        return await asyncio.wrap_future(self._submit(coro))

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Block the calling thread until ``coro`` finished on the private loop."""
        if self._on_loop_thread():
            coro.close()
            raise RuntimeError(_ON_LOOP)
        return self._submit(coro).result(timeout)

    # -- closing -----------------------------------------------------------------------
    def _begin_close(self) -> bool:
        """Refuse new calls; True for the first closer only."""
        with self._lock:
            first = not self._close_started
            self._close_started = self._closing = True
            return first

    async def _close(self, shutdown: Coroutine[Any, Any, Any]) -> None:
        """The close, on the loop: wait for the running calls, cancel the rest, shut down,
        then cancel whatever else runs (background work); the loop stops when the task
        that ran this ends (after its own caller has its answer)."""
        me = asyncio.current_task()
        assert me is not None
        me.add_done_callback(lambda _: self.loop.stop())
        try:
            calls = [t for t in self._tasks if t is not me]
            if calls:
                await asyncio.wait(calls, timeout=_DRAIN_SECONDS)
            left = [t for t in calls if not t.done()]
            for task in left:
                self._ended_by_close.add(task)
                task.cancel()
            if left:
                await asyncio.wait(left, timeout=_STOP_SECONDS)
            await shutdown
        finally:
            others = [t for t in asyncio.all_tasks(self.loop) if t is not me]
            for task in others:
                task.cancel()
            if others:
                await asyncio.wait(others, timeout=_STOP_SECONDS)

    async def close_with(self, shutdown: Coroutine[Any, Any, Any]) -> None:
        """Close from async code, with ``shutdown`` run on the loop once the calls ended;
        a later close waits for the first."""
        closing = None
        if not self._begin_close():
            shutdown.close()
        elif asyncio.get_running_loop() is self.loop:
            await self._close(shutdown)  # the loop stops once this call ends
            return
        else:
            closing = asyncio.run_coroutine_threadsafe(self._close(shutdown), self.loop)
        await asyncio.to_thread(self._finish)
        _raise_from(closing)

    def close_with_blocking(self, shutdown: Coroutine[Any, Any, Any]) -> None:
        """:meth:`close_with` for code that cannot await."""
        if self._on_loop_thread():
            shutdown.close()
            raise RuntimeError(_ON_LOOP)
        closing = None
        if self._begin_close():
            closing = asyncio.run_coroutine_threadsafe(self._close(shutdown), self.loop)
        else:
            shutdown.close()
        self._finish()
        _raise_from(closing)

    def _finish(self) -> None:
        """Wait for the loop to stop, then close it."""
        self._thread.join(timeout=_DRAIN_SECONDS + 3 * _STOP_SECONDS)
        with self._lock:
            if not self._thread.is_alive() and not self.loop.is_closed():
                self.loop.close()


def _raise_from(closing: concurrent.futures.Future[None] | None) -> None:
    """What the shutdown raised (a store that failed to close), for the closer to see."""
    if closing is not None and closing.done() and not closing.cancelled() and (error := closing.exception()):
        raise error
