"""Which embedder made a namespace's vectors: recorded before the namespace's first write,
checked when a Brain opens it, and moved to another model by :func:`reembed`.

Two models' vectors cannot be compared (the cosine of a MiniLM vector and a hashing one
is noise, and recall would strengthen that noise), so each namespace records its
embedder's identity (:func:`~neuram_core.embeddings.embedder_identity`) and dimension in
its store's info, and a Brain with another embedder gets an
:class:`~neuram_core.errors.EmbedderMismatchError`. While :func:`reembed` runs, the info
also names the model it moves to, and every Brain refuses the half-moved namespace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from neuram_core.config import NeuramConfig
from neuram_core.dynamics import forget_at_for
from neuram_core.embeddings import embedder_identity
from neuram_core.engram import Engram, Vector
from neuram_core.errors import EmbedderMismatchError
from neuram_core.progress import bar as progress_bar
from neuram_core.progress import wanted
from neuram_core.types import Embedder, EngramChange, LongTermStore

__all__ = [
    "DEFAULT_BATCH",
    "DIMENSION",
    "EMBEDDER",
    "REEMBEDDING",
    "check_identity",
    "check_on_open",
    "claim_identity",
    "reembed",
]

log = logging.getLogger(__name__)

# The keys of a namespace's info (LongTermStore.get_info) that this module owns.
EMBEDDER = "embedder"  # the identity of the model that made the namespace's vectors
DIMENSION = "dimension"  # their dimension
REEMBEDDING = "reembedding"  # while reembed runs (or after it stopped midway): its target
DEFAULT_BATCH = 256  # engrams re-embedded per batch (and per atomic store update)


def check_identity(namespace: str, info: Mapping[str, Any], identity: str, dimension: int | None) -> None:
    """Raise EmbedderMismatchError if ``info`` records another model (or the same name
    with another dimension, when ``dimension`` is known), or an unfinished reembed."""
    moving = info.get(REEMBEDDING)
    if moving is not None:
        raise EmbedderMismatchError(namespace, str(moving), identity, reembedding=True)
    recorded = info.get(EMBEDDER)
    if recorded is None:
        return
    recorded_dimension = info.get(DIMENSION)
    if recorded != identity or (None not in (dimension, recorded_dimension) and dimension != recorded_dimension):
        raise EmbedderMismatchError(
            namespace,
            str(recorded),
            identity,
            recorded_dimension=recorded_dimension if isinstance(recorded_dimension, int) else None,
            given_dimension=dimension,
        )


async def claim_identity(
    store: LongTermStore, namespace: str, identity: str, dimension: int, *, stored: int | None
) -> None:
    """Record ``identity`` as the namespace's embedder if none is recorded, else check it.

    ``stored`` is the dimension of the vectors the namespace already holds, if any: a
    namespace written before identities were recorded adopts an embedder of its dimension
    (and says so in the log), and refuses one of another. A compare-and-set keeps two
    workers with different models from both claiming a new namespace."""
    while True:
        info = await store.get_info(namespace)
        check_identity(namespace, info, identity, dimension)
        if EMBEDDER in info:
            return
        if stored is not None and stored != dimension:
            raise EmbedderMismatchError(
                namespace, "an unrecorded model", identity, recorded_dimension=stored, given_dimension=dimension
            )
        if await store.set_info(namespace, {**info, EMBEDDER: identity, DIMENSION: dimension}, expected=info):
            if stored is not None:
                log.warning(
                    "namespace %r holds %d-dimensional vectors of an unrecorded model; recorded %s as its embedder",
                    namespace,
                    stored,
                    identity,
                )
            return
        # Another worker recorded (or changed) the info meanwhile: check what it wrote.


async def check_on_open(store: LongTermStore, namespace: str, identity: str, dimension: int | None) -> bool:
    """What a Brain checks when it opens a namespace, cheaply: the identity (known without
    loading a model) and the dimension if known. Returns whether the namespace records an
    embedder (if not, its first write records one: :func:`claim_identity`)."""
    info = await store.get_info(namespace)
    check_identity(namespace, info, identity, dimension)
    return EMBEDDER in info


async def reembed(
    store: LongTermStore,
    namespace: str,
    embedder: Embedder,
    *,
    batch_size: int = DEFAULT_BATCH,
    config: NeuramConfig | None = None,
    progress: bool | None = None,
) -> int:
    """Re-embed every engram of the namespace with ``embedder``, a batch at a time, changing
    nothing but the embeddings; returns how many. Idempotent, so safe to run again.

    The namespace records that it is being re-embedded before the first batch and its new
    embedder only after the last, so a crash midway leaves it refused by every Brain
    (never silently mixed) until this runs again. Stop the namespace's workers first: a
    Brain already running keeps embedding with its old model. ``config`` gives the
    forget-at thresholds (the default config's if None). A progress bar shows on a
    terminal (``progress=None``), always (True) or never (False)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    config = config or NeuramConfig()
    identity = embedder_identity(embedder)
    moving = {**await store.get_info(namespace), REEMBEDDING: identity}
    await store.set_info(namespace, moving)
    done = await _reembed_all(store, namespace, embedder, batch_size, config, progress)
    dimension = await asyncio.to_thread(lambda: embedder.dimension)
    finished = {k: v for k, v in moving.items() if k != REEMBEDDING} | {EMBEDDER: identity, DIMENSION: dimension}
    if not await store.set_info(namespace, finished, expected=moving):
        # Another reembed started meanwhile: the namespace is its, and still mixed.
        check_identity(namespace, await store.get_info(namespace), identity, dimension)
    return done


async def _reembed_all(
    store: LongTermStore,
    namespace: str,
    embedder: Embedder,
    batch_size: int,
    config: NeuramConfig,
    progress: bool | None,
) -> int:
    total = await store.count(namespace)
    bar = progress_bar(total, "reembedding", " engrams") if wanted(progress) else None
    done = 0
    batch: list[Engram] = []
    try:
        async for engram in store.scan(namespace):
            batch.append(engram)
            if len(batch) == batch_size:
                done += await _reembed_batch(store, namespace, embedder, batch, config, bar)
                batch = []
        if batch:
            done += await _reembed_batch(store, namespace, embedder, batch, config, bar)
    finally:
        if bar is not None:
            bar.close()
    return done


def _new_vectors(fresh: dict[str, tuple[str, Vector]], config: NeuramConfig) -> EngramChange:
    """The update that gives each engram its new vector, unless its content changed since
    it was embedded (then it is left for the caller to embed again)."""

    def change(engram: Engram) -> tuple[Engram, float] | None:
        content, vector = fresh[engram.engram_id]
        if engram.content != content:
            return None
        engram.embedding = vector
        return engram, forget_at_for(engram, config)

    return change


async def _reembed_batch(
    store: LongTermStore,
    namespace: str,
    embedder: Embedder,
    batch: Sequence[Engram],
    config: NeuramConfig,
    bar: Any,
) -> int:
    """Embed the batch's contents off the loop and store the vectors in one atomic update;
    an engram whose content changed meanwhile is embedded again as it is now."""
    done = 0
    while batch:
        vectors = await asyncio.to_thread(embedder.embed, [e.content for e in batch])
        fresh = {e.engram_id: (e.content, vector) for e, vector in zip(batch, vectors, strict=True)}
        stored = [e for e in await store.update(namespace, list(fresh), _new_vectors(fresh, config)) if e is not None]
        batch = [e for e in stored if e.content != fresh[e.engram_id][0]]
        done += len(stored) - len(batch)
        if bar is not None:
            bar.update(len(stored) - len(batch))
    return done
