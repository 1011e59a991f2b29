"""Micro-batching: concurrent embed calls share one call to the model.

Recalls that arrive together each ask the embedder for one query vector, each on its own
worker thread. While one call runs, the others queue; when it returns, the next caller
embeds everything queued in one call (a model embeds 16 texts in little more time than
one) and hands each caller its rows. A lone call waits for nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from neuram_core.embeddings import embedder_identity
from neuram_core.engram import Vector
from neuram_core.types import Embedder

__all__ = ["BatchingEmbedder"]


class _Request:
    __slots__ = ("done", "error", "result", "texts")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.done = threading.Event()
        self.result: Vector | None = None
        self.error: BaseException | None = None


class BatchingEmbedder:
    """Wraps an embedder; ``embed`` from many threads at once makes few model calls. It
    has the wrapped embedder's identity and dimension, so namespaces see the same model."""

    def __init__(self, inner: Embedder, max_batch: int = 256) -> None:
        self.inner = inner
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._busy = False
        self.calls = 0  # model calls made: fewer than embed calls when batching helps

    @classmethod
    def wrap(cls, embedder: Embedder | str | None) -> Embedder:
        from neuram_core.embeddings import resolve_embedder

        resolved = resolve_embedder(embedder)
        return resolved if isinstance(resolved, cls) else cls(resolved)

    @property
    def identity(self) -> str:
        return embedder_identity(self.inner)

    @property
    def known_dimension(self) -> int | None:
        known: Any = getattr(self.inner, "known_dimension", None)
        return known if isinstance(known, int) else None

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> Vector:
        request = _Request(list(texts))
        if not request.texts:
            return self.inner.embed([])
        with self._lock:
            self._queue.append(request)
            lead = not self._busy
            self._busy = True
        if not lead:
            request.done.wait()  # set with a result, or to make this caller the next leader
            if request.result is None and request.error is None:
                lead = True
        if lead:
            with self._lock:  # take everything queued (this caller's own request among it)
                batch: list[_Request] = []
                size = 0
                while self._queue and (not batch or size + len(self._queue[0].texts) <= self.max_batch):
                    size += len(self._queue[0].texts)
                    batch.append(self._queue.pop(0))
            self._run(batch)
            with self._lock:  # hand over to the first caller that queued meanwhile, if any
                if self._queue:
                    self._queue[0].done.set()
                else:
                    self._busy = False
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _run(self, batch: list[_Request]) -> None:
        texts = [t for r in batch for t in r.texts]
        self.calls += 1
        try:
            vectors = np.asarray(self.inner.embed(texts))
        except BaseException as exc:
            for r in batch:
                r.error = exc
                r.done.set()
            return
        start = 0
        for r in batch:
            r.result = vectors[start : start + len(r.texts)]
            start += len(r.texts)
            r.done.set()
