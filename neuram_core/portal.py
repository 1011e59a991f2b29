"""The one place where async meets sync: a private event loop on its own thread.

Every async resource of a Brain (store connections, background sleep) lives on this loop,
so a Brain made inside one ``asyncio.run`` keeps working in the next, from plain sync
code, and from sync code inside a running loop (Jupyter). Nothing ever runs a coroutine
on a fresh loop over a shared pool.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")
_WORKERS = 32


class LoopThread:
    """An event loop running forever on a daemon thread, until :meth:`stop`."""

    def __init__(self, name: str = "neuram-loop") -> None:
        self.loop = asyncio.new_event_loop()
        # Embedding runs in this loop's default executor. Its stock size (cores + 4) would
        # cap how many concurrent recalls reach the embedder together, so how many one
        # micro-batched model call can serve; waiting threads cost little.
        self.loop.set_default_executor(ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix=f"{name}-worker"))
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def _check(self, coro: Coroutine[Any, Any, T]) -> None:
        if not self.running:
            coro.close()
            raise RuntimeError("this Brain is closed")

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the private loop from any event loop (or run it in place)."""
        self._check(coro)
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - awaited, so a loop is running
            current = None
        if current is self.loop:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Block the calling thread until ``coro`` finished on the private loop."""
        self._check(coro)
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a sync Brain method was called from the Brain's own loop; await it")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)
            self.loop.close()
