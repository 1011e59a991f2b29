"""The one place where async meets sync: a private event loop on its own thread.

Every async resource of a Brain (store connections, background sleep) lives on this loop,
so a Brain made inside one ``asyncio.run`` keeps working in the next, from plain sync
code, and from sync code inside a running loop (Jupyter). Nothing ever runs a coroutine
on a fresh loop over a shared pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
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


class LoopThread:
    """An event loop running forever on a daemon thread, until closed.

    Closing refuses new calls at once, lets the calls already running finish (for up to
    30 s), runs the owner's shutdown, then stops the loop: a call still running then fails
    with a RuntimeError, so no caller ever waits on a loop that has stopped."""

    def __init__(self, name: str = "neuram-loop") -> None:
        self.loop = asyncio.new_event_loop()
        # Embedding runs in this loop's default executor. Its stock size (cores + 4) would
        # cap how many concurrent recalls reach the embedder together, so how many one
        # micro-batched model call can serve; waiting threads cost little.
        self.loop.set_default_executor(ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix=f"{name}-worker"))
        self._lock = threading.Lock()
        self._running_calls: set[concurrent.futures.Future[Any]] = set()
        self._closing = False
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def _on_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def _submit(self, coro: Coroutine[Any, Any, T], *, closing: bool = False) -> concurrent.futures.Future[T]:
        """``coro`` scheduled on the loop, counted as running until it is done; refused
        once a close began (except the close's own work)."""
        if os.getpid() != self._pid:  # a forked child: the loop's thread stayed in the parent
            coro.close()
            raise RuntimeError(
                f"this Brain was opened by process {self._pid}, and a forked process does not inherit its loop "
                "thread: open a Brain in each process (after the fork)"
            )
        with self._lock:
            if not self.running or (self._closing and not closing):
                coro.close()
                raise RuntimeError(_CLOSED)
            future = asyncio.run_coroutine_threadsafe(coro, self.loop)
            self._running_calls.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._running_calls.discard(future)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the private loop from any event loop (or run it in place)."""
        if asyncio.get_running_loop() is self.loop:
            return await coro  # part of a call already running (a close's shutdown included)
        future = self._submit(coro)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if self._closing and future.cancelled():  # stopped under it, not the caller's cancel
                raise RuntimeError(_CLOSED_MIDWAY) from None
            raise

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Block the calling thread until ``coro`` finished on the private loop."""
        if self._on_loop_thread():
            coro.close()
            raise RuntimeError("a sync Brain method was called from the Brain's own loop; await it")
        future = self._submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.CancelledError:
            if self._closing:
                raise RuntimeError(_CLOSED_MIDWAY) from None
            raise

    def _begin_close(self) -> list[concurrent.futures.Future[Any]]:
        """Refuse new calls; the calls running now."""
        with self._lock:
            self._closing = True
            return list(self._running_calls)

    async def close_with(self, shutdown: Coroutine[Any, Any, Any]) -> None:
        """Close from async code: wait for the running calls, run ``shutdown`` on the
        loop, stop it."""
        running = self._begin_close()
        try:
            if asyncio.get_running_loop() is self.loop:
                await shutdown  # the calls running here cannot finish while this one waits
            else:
                if running:
                    await asyncio.wait([asyncio.wrap_future(f) for f in running], timeout=_DRAIN_SECONDS)
                await asyncio.wrap_future(self._submit(shutdown, closing=True))
        finally:
            self.stop()

    def close_with_blocking(self, shutdown: Coroutine[Any, Any, Any]) -> None:
        """:meth:`close_with` for code that cannot await."""
        running = self._begin_close()
        try:
            if self._on_loop_thread():
                shutdown.close()
                raise RuntimeError("a sync Brain method was called from the Brain's own loop; await it")
            concurrent.futures.wait(running, timeout=_DRAIN_SECONDS)
            self._submit(shutdown, closing=True).result()
        finally:
            self.stop()

    def stop(self) -> None:
        """Cancel what still runs on the loop (its callers get a RuntimeError), then stop."""
        if self.loop.is_closed():
            return
        with self._lock:
            self._closing = True
        self.loop.call_soon_threadsafe(self._cancel_then_stop)
        if not self._on_loop_thread():
            self._thread.join(timeout=10)
            self.loop.close()

    def _cancel_then_stop(self) -> None:
        current = asyncio.current_task(self.loop)
        left = [t for t in asyncio.all_tasks(self.loop) if t is not current]
        for task in left:
            task.cancel()
        if not left:
            self.loop.stop()
            return
        done = asyncio.gather(*left, return_exceptions=True)
        done.add_done_callback(lambda _: self.loop.stop())
        self.loop.call_later(_STOP_SECONDS, self.loop.stop)  # a task that ignores its cancel
