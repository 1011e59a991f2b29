"""Brain: wires the regions together behind the public async API.

perceive: SensoryCortex → Thalamus → Amygdala → PrefrontalCortex + Hippocampus, and the
          store (written through, pending, before perceive returns)
recall:   Hippocampus pattern completion → spreading activation → LTP
sleep:    SleepCycle consolidates into Neocortex / Cerebellum / BasalGanglia, prunes.

All state lives on the Brain's private loop thread (see ``portal``); every public
coroutine hops there, so one Brain serves any event loop and the sync facade alike.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import functools
import gc
import logging
import os
import threading
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, NamedTuple, ParamSpec, TypeVar

import numpy as np

from neuram_core import progress as bars
from neuram_core.clock import SystemClock
from neuram_core.config import NeuramConfig
from neuram_core.dynamics import (
    apply_recall,
    compute_retention,
    encoding_stability,
    forget_at_for,
    interfered_stability,
    novelty,
    raised_salience_stability,
    trace_factor,
)
from neuram_core.embeddings import BaseEmbedder, embedder_identity, resolve_embedder
from neuram_core.engram import Engram, MemoryType, Vector
from neuram_core.errors import ChangeLogTrimmedError, UnknownEngramError
from neuram_core.exchange import Turn, in_conversation, reply, turn_of
from neuram_core.explain import Explanation
from neuram_core.identity import check_on_open, claim_identity
from neuram_core.portal import LoopThread
from neuram_core.regions import (
    LONG_TERM_REGIONS,
    Amygdala,
    BasalGanglia,
    Hippocampus,
    LongTermRegion,
    PrefrontalCortex,
    SensoryCortex,
    Thalamus,
)
from neuram_core.regions.hippocampus import Activation, Cue, Listing
from neuram_core.revision import Relation, relate, same_kind
from neuram_core.routing import classify_memory_type, describes_event
from neuram_core.sleep import SleepCycle
from neuram_core.stores.registry import open_store
from neuram_core.text import fragments, speaker
from neuram_core.types import Clock, DerivedDataStore, Embedder, LongTermStore
from neuram_core.validation import (
    check_engram_id,
    check_event_time,
    check_expiry,
    check_metadata,
    check_namespace,
    check_new_engram_id,
    check_non_negative,
    check_text,
    check_time,
    check_top_k,
    check_unit_interval,
)

if TYPE_CHECKING:
    from neuram_core.sync import SyncBrain

__all__ = ["Brain"]

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def on_brain_loop(
    method: Callable[Concatenate[Brain, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Brain, P], Coroutine[Any, Any, R]]:
    """Run the coroutine on the Brain's own loop, whichever loop awaits it."""

    @functools.wraps(method)
    async def hop(self: Brain, /, *args: P.args, **kwargs: P.kwargs) -> R:
        self._portal.check_open()  # before the method's coroutine exists: none is left unawaited
        return await self._portal.run(self._ready_then(method(self, *args, **kwargs)))

    return hop


class _Shared:
    """What every namespace's Brain of one ``Brain.create`` shares."""

    def __init__(self, store: LongTermStore, portal: LoopThread) -> None:
        self.store = store
        self.portal = portal
        self.brains: list[Brain] = []

    async def shutdown(self) -> None:
        """What a close does once the calls ended (run once, by the loop thread's close)."""
        try:
            for brain in self.brains:
                await brain.sleep_cycle.stop()
            for brain in self.brains:
                await brain._keep_derived()
            await self.store.close()
        finally:
            _release_store(self)


# The store objects an open Brain family runs on. The change log names the store object
# that wrote each change, and a Brain skips its own store's changes: a second family on
# the same object would never see the first one's writes, and the first close would
# close the store under the other. (Weak values: a family dropped unclosed lets go.)
_stores_in_use: weakref.WeakValueDictionary[int, _Shared] = weakref.WeakValueDictionary()
_stores_lock = threading.Lock()


def _family_on(store: LongTermStore) -> _Shared:
    """A new family's shared parts on ``store``, recorded as running on it; ValueError
    (and nothing started) if an open family already runs on that store object."""
    with _stores_lock:
        holder = _stores_in_use.get(id(store))
        if holder is not None:
            names = ", ".join(repr(b.namespace) for b in holder.brains)
            raise ValueError(
                f"this store object is already in use by an open Brain (namespace {names or 'opening'}); "
                "use brain.for_namespace(...) for another namespace, or close that Brain first "
                "(a second store object on the same file or server works, as a second process does)"
            )
        shared = _stores_in_use[id(store)] = _Shared(store, LoopThread())
        return shared


def _release_store(shared: _Shared) -> None:
    with _stores_lock:
        if _stores_in_use.get(id(shared.store)) is shared:
            del _stores_in_use[id(shared.store)]


class _Stamp(NamedTuple):
    """One input's validated event time (None: now), expiry (None: never) and pin."""

    at: float | None = None
    expires_at: float | None = None
    pinned: bool = False


_NOW = _Stamp()


class Brain:
    """A namespace's memory. Make one with ``await Brain.create(...)`` or ``Brain.open(...)``."""

    def __init__(
        self,
        *,
        shared: _Shared,
        namespace: str,
        embedder: Embedder,
        clock: Clock,
        config: NeuramConfig,
    ) -> None:
        self._shared = shared
        self._portal = shared.portal
        self.store = shared.store
        self.namespace = namespace
        self.embedder = embedder
        self.clock = clock
        self.config = config
        self.sensory = SensoryCortex(clock, config.sensory_buffer_seconds)
        self.thalamus = Thalamus(config.thalamus_min_content_words, config.thalamus_focus_threshold)
        self.amygdala = Amygdala()
        self.prefrontal = PrefrontalCortex(clock, config.working_memory_capacity, config.working_memory_span_seconds)
        self.hippocampus = Hippocampus(clock=clock, config=config, embeds=False)  # the Brain embeds, off its loop
        # One of each long-term system; sleep hands every engram to the one that accepts it.
        self.long_term_regions = tuple(region(self.store, namespace, config) for region in LONG_TERM_REGIONS)
        self.basal_ganglia = next(r for r in self.long_term_regions if isinstance(r, BasalGanglia))  # reward
        self.sleep_cycle = SleepCycle(self, follow=self._follow_changes)
        self.filtered_count = 0
        self._last_turn: Turn | None = None  # the exchange: the last input perceived through the gate
        self._turn_before: Turn | None = None  # and the one before it
        self.skipped_records = 0  # readable records the index could not take (no/odd embedding)
        self._cursor: str | None = None
        self._indexes_stale = False  # see discard_kept_indexes
        self._loaded: asyncio.Future[None] | None = None
        self._claimed = False  # the namespace is known to record this embedder (identity.py)
        self._stored_dimension: int | None = None  # of the vectors of a namespace that records none
        shared.brains.append(self)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def _build(
        cls,
        *,
        url: str | None,
        redis_url: str | None,
        path: str | os.PathLike[str] | None,
        store: LongTermStore | None,
        namespace: str,
        embedder: Embedder | str | None,
        clock: Clock | None,
        config: NeuramConfig | None,
        sleep_interval_seconds: float | None,
    ) -> Brain:
        namespace = check_namespace(namespace)
        if config is not None and not isinstance(config, NeuramConfig):
            raise TypeError(f"config must be a NeuramConfig, not {type(config).__name__}")
        config = config or NeuramConfig()
        if sleep_interval_seconds is not None:
            config = config.replace(sleep_interval_seconds=sleep_interval_seconds)
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError("clock must have a now() method returning epoch seconds")
        where = {"url": url, "redis_url": redis_url, "path": path, "store": store}
        given = [name for name, value in where.items() if value is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of url, redis_url, path and store, not {' and '.join(given)}")
        if store is None:
            store = _open_store(url, redis_url, path)
        elif not isinstance(store, LongTermStore):
            raise TypeError(f"store must implement LongTermStore, not {type(store).__name__}")
        resolved = resolve_embedder(embedder)
        shared = _family_on(store)
        try:
            return cls(
                shared=shared, namespace=namespace, embedder=resolved, clock=clock or SystemClock(), config=config
            )
        except BaseException:
            try:
                shared.portal.close_with_blocking(shared.shutdown())
            except Exception:  # the construction's error is the one to report
                log.warning("closing the store after a Brain failed to construct failed", exc_info=True)
            raise

    @classmethod
    async def create(
        cls,
        redis_url: str | None = None,
        *,
        url: str | None = None,
        path: str | os.PathLike[str] | None = None,
        namespace: str = "default",
        embedder: Embedder | str | None = None,
        clock: Clock | None = None,
        config: NeuramConfig | None = None,
        sleep_interval_seconds: float | None = None,
        store: LongTermStore | None = None,
    ) -> Brain:
        """Open a brain on a long-term store and load its index. The store is one of:
        ``url``, any store URL (``"sqlite:///memory.db"``, ``"redis://host:6379/0"``; see
        :func:`~neuram_core.stores.open_store`); the older spellings ``redis_url`` (a Redis
        URL) and ``path`` (an SQLite file or ``":memory:"``); a ``store`` object. With none,
        the embedded SQLite store's default file; with more than one, a ValueError."""
        brain = cls._build(
            url=url,
            redis_url=redis_url,
            path=path,
            store=store,
            namespace=namespace,
            embedder=embedder,
            clock=clock,
            config=config,
            sleep_interval_seconds=sleep_interval_seconds,
        )
        try:
            await brain._portal.run(brain._ready_then(_nothing()))
        except BaseException:
            await brain.close()
            raise
        return brain

    @classmethod
    def open(
        cls,
        redis_url: str | None = None,
        *,
        url: str | None = None,
        path: str | os.PathLike[str] | None = None,
        namespace: str = "default",
        embedder: Embedder | str | None = None,
        clock: Clock | None = None,
        config: NeuramConfig | None = None,
        sleep_interval_seconds: float | None = None,
        store: LongTermStore | None = None,
    ) -> Brain:
        """:meth:`create` for sync code (scripts, legacy chains, notebooks without await)."""
        brain = cls._build(
            url=url,
            redis_url=redis_url,
            path=path,
            store=store,
            namespace=namespace,
            embedder=embedder,
            clock=clock,
            config=config,
            sleep_interval_seconds=sleep_interval_seconds,
        )
        try:
            brain._portal.call(brain._ready_then(_nothing()))
        except BaseException:
            brain.sync.close()
            raise
        return brain

    def for_namespace(self, namespace: str) -> Brain:
        """The Brain of another namespace on the same store, embedder, clock and loop."""
        namespace = check_namespace(namespace)
        self._portal.check_open()
        for brain in self._shared.brains:
            if brain.namespace == namespace:
                return brain
        return Brain(
            shared=self._shared,
            namespace=namespace,
            embedder=self.embedder,
            clock=self.clock,
            config=self.config,
        )

    async def unload(self) -> None:
        """Drop this namespace's index from memory, keeping the store, the loop and the
        other namespaces: its background sleep stops, its word and approximate indexes are
        kept beside the store (as a close keeps them; not after :meth:`discard_kept_indexes`),
        and ``for_namespace`` opens it afresh from the store next time. For a server
        holding many tenants within a budget."""
        await self._portal.run(self._unload())

    async def _unload(self) -> None:
        await self.sleep_cycle.stop()
        await self._keep_derived()
        if self in self._shared.brains:
            self._shared.brains.remove(self)

    @property
    def sync(self) -> SyncBrain:
        """The same API as blocking calls, for code that cannot await."""
        from neuram_core.sync import SyncBrain

        return SyncBrain(self)

    async def _ready_then(self, coro: Coroutine[Any, Any, R]) -> R:
        """Load this namespace's index once (lazily), then run ``coro``."""
        if self._loaded is None:
            self._loaded = asyncio.get_running_loop().create_future()
            try:
                await self._load_index()
            except BaseException as exc:
                self._loaded.set_exception(exc)
                self._loaded.exception()  # mark retrieved; later callers retry below
                self._loaded = None
                coro.close()
                raise
            self._loaded.set_result(None)
        elif not self._loaded.done():
            await asyncio.shield(self._loaded)
        return await coro

    async def _load_index(self) -> None:
        """Fill the index from the store, pending traces (any worker's) marked as such. Run
        again on a filled index (a reload), it also refreshes what is indexed and drops
        the engrams the store no longer holds."""
        recorded = await self._check_embedder()
        # Cursor first: a write that lands while we scan is replayed, not missed.
        self._cursor, _ = await self.store.changes(self.namespace, None)
        # On a reload: the ids the scan must show again for them to stay indexed.
        unseen = None
        if len(self.hippocampus):
            unseen = set(self.hippocampus.indexed_ids())  # fragments too
            self.skipped_records = 0  # the scan below counts every unindexable record again
        total = await self.store.count(self.namespace)
        self.hippocampus.reserve(len(self.hippocampus) + total)
        scan = self.store.scan(self.namespace)
        if not recorded:
            scan = self._noting_dimension(scan)
        if total > _LOAD_PROGRESS_OVER and bars.wanted(None):  # a long load shows a bar on a terminal
            scan = bars.counted(scan, total, "loading memories", " engrams")
        batch: builtins.list[Engram] = []
        # Loading allocates objects that all live on: the cyclic collector would rescan
        # them again and again (a third of a large load's time) and find nothing to free.
        collecting = gc.isenabled()
        gc.disable()
        try:
            async for engram in scan:
                batch.append(engram)
                if len(batch) >= _LOAD_BATCH:
                    self._index_stored(batch, unseen)
                    batch = []
            self._index_stored(batch, unseen)
        finally:
            if collecting:
                gc.enable()
        for engram_id in unseen or ():  # indexed, and gone from the store
            self.hippocampus.remove(engram_id)
            self.prefrontal.release(engram_id)
        if not recorded:
            await self._adopt_embedder()
        await self._restore_derived()

    async def _restore_derived(self) -> None:
        """Take back the word and approximate indexes the store kept at the last close,
        when the load left them to build (a large namespace): reading them takes a
        fraction of building them."""
        store = self.store
        if not isinstance(store, DerivedDataStore):
            return
        hippocampus = self.hippocampus
        words = await store.read_derived(self.namespace, _WORDS_KEPT) if hippocampus.lexicon_deferred else None
        approximate = None
        if hippocampus.approximate_wanted:
            approximate = await store.read_derived(self.namespace, _APPROXIMATE_KEPT)
        if words is None and approximate is None:
            return
        took = hippocampus.restore_kept(words, approximate)
        for name, data, taken in ((_WORDS_KEPT, words, took[0]), (_APPROXIMATE_KEPT, approximate, took[1])):
            if data is not None and not taken:
                log.info("the %s kept for namespace %r does not fit it; it is built afresh", name, self.namespace)

    async def _keep_derived(self) -> None:
        """Keep the word and approximate indexes beside the store if enough changed since
        they were built, read or kept (a close and an unload do this), once they have
        followed what other processes wrote. The store refuses them if an engram they name
        was deleted meanwhile (a prune cut short), or another process wrote since. A
        failure is logged, never raised: what is kept is a cache, and the next start-up
        builds the indexes instead."""
        store = self.store
        if not isinstance(store, DerivedDataStore) or self._loaded is None or not self._loaded.done():
            return
        if self._indexes_stale:
            return
        hippocampus = self.hippocampus
        try:
            await self._follow_changes()  # other processes' writes, so the indexes reflect them
            seen = self._cursor
            items = {
                name: data
                for name, data in (
                    (_WORDS_KEPT, hippocampus.lexicon_snapshot()),
                    (_APPROXIMATE_KEPT, hippocampus.approximate_snapshot()),
                )
                if data is not None
            }
            if items and not await store.write_derived(self.namespace, items, hippocampus.indexed_ids(), seen=seen):
                log.info("namespace %r changed in the store since it was indexed: its indexes not kept", self.namespace)
        except Exception as exc:
            log.warning("could not keep the indexes of namespace %r: %s", self.namespace, exc)

    async def discard_kept_indexes(self) -> None:
        """The store was written behind this Brain's back by this process (an import
        through the store): its index may hold texts the write replaced. What was kept
        beside the store for the namespace is dropped, and this Brain keeps nothing at a
        close or unload (the next load builds or reads afresh)."""
        self._indexes_stale = True  # at once: an unload already waiting must see it
        await self._portal.run(self._drop_derived())

    async def _drop_derived(self) -> None:
        """Drop the indexes kept beside the store: a memory is rewritten in place, and
        what they hold of its old text must not stay."""
        if isinstance(self.store, DerivedDataStore):
            await self.store.drop_derived(self.namespace)

    def _index_stored(self, engrams: builtins.list[Engram], unseen: set[str] | None) -> None:
        """Index a page of stored engrams, each pending or not as its record says. On a
        reload (``unseen`` given, and ticked off here) an id whose content changed is
        indexed afresh rather than merged, and working memory holds the new copies."""
        hippocampus = self.hippocampus
        if unseen is None:
            fit = self._indexable(engrams)
            hippocampus.encode_many(fit)
            hippocampus.track(fit)
            return
        for engram in engrams:
            self._drop_if_changed(engram)
        fit = self._indexable(engrams)
        unseen.difference_update(e.engram_id for e in fit)
        hippocampus.encode_many(fit)
        hippocampus.track(fit)
        for engram in fit:
            self.prefrontal.update(engram)

    def _drop_if_changed(self, engram: Engram) -> None:
        """Unindex the copy of ``engram``'s id if its content or type differ (the id was
        replaced), so the stored one is indexed afresh, never merged into the old row. A
        new vector alone (re-embedded elsewhere) is written into the row in place, its
        edges kept (some may not be written yet): a refresh would keep the old vector."""
        old = self.hippocampus.get(engram.engram_id)
        if old is None:
            return
        vector, before = engram.embedding, old.embedding
        if (old.content, old.memory_type) == (engram.content, engram.memory_type):
            if vector is not None and (before is None or not np.array_equal(before, vector)):
                self.hippocampus.encode(engram)
            return
        # Its fragments stay: the store's are indexed already or come with the next page
        # (a rewrite deletes the old ones, and a reload drops what it did not see).
        self.hippocampus.remove(engram.engram_id, with_fragments=False)

    def _indexable(self, engrams: builtins.list[Engram]) -> builtins.list[Engram]:
        """The engrams whose embedding fits the index; the others are skipped and counted.

        Until the index has a dimension, the embedder's (if known without loading a model)
        or else the most common one in this batch decides, so one bad record scanned first
        cannot turn every good one away."""
        dimension = self.hippocampus.dimension or _cheap_dimension(self.embedder)
        if dimension is None:
            sizes = Counter(e.embedding.shape[0] for e in engrams if e.embedding is not None)
            dimension = sizes.most_common(1)[0][0] if sizes else None
        fit = [e for e in engrams if e.embedding is not None and e.embedding.shape[0] == dimension]
        for engram in engrams:
            if engram.embedding is None or engram.embedding.shape[0] != dimension:
                self.skipped_records += 1
                log.warning("engram %s has no embedding of %s dimensions; skipped", engram.engram_id, dimension)
        return fit

    async def _follow_changes(self) -> None:
        """Bring the index up to date with what other processes wrote to the store, or
        reload it when the store's change log no longer reaches back to our cursor."""
        try:
            self._cursor, changes = await self.store.changes(self.namespace, self._cursor)
        except ChangeLogTrimmedError:
            await self._reload_index()
            return
        foreign = [c for c in changes if c.origin != self.store.origin]
        if not foreign:
            return
        latest = {c.engram_id: c.op for c in foreign}
        for engram_id in [i for i, op in latest.items() if op == "delete"]:
            self.hippocampus.remove(engram_id)
            self.prefrontal.release(engram_id)
        wanted = [i for i, op in latest.items() if op == "put"]
        stored = await self.store.get(self.namespace, wanted)
        fit = [(i, e) for i, e in zip(wanted, stored, strict=True) if e is None or self._indexable([e])]
        self.take_stored([i for i, _ in fit], [e for _, e in fit])

    async def _reload_index(self) -> None:
        """Load the index again over what it holds; if that fails, the old cursor stays, so
        the next follow finds it trimmed and tries again."""
        log.info("change log of %r trimmed past this index; reloading it", self.namespace)
        behind = self._cursor
        try:
            await self._load_index()
        except BaseException:
            self._cursor = behind
            raise

    async def _check_embedder(self) -> bool:
        """Refuse a namespace whose vectors another model made, or that a reembed is moving,
        before loading it: cheap, nothing is embedded and no model is loaded for it.
        Returns whether the namespace records its embedder."""
        dimension = _cheap_dimension(self.embedder)
        recorded = await check_on_open(self.store, self.namespace, embedder_identity(self.embedder), dimension)
        self._claimed = recorded and dimension is not None
        return recorded

    async def _noting_dimension(self, engrams: AsyncIterator[Engram]) -> AsyncIterator[Engram]:
        """The scan of a namespace that records no embedder, noting its vectors' dimension."""
        async for engram in engrams:
            if self._stored_dimension is None and engram.embedding is not None:
                self._stored_dimension = int(engram.embedding.shape[0])
            yield engram

    async def _adopt_embedder(self) -> None:
        """A namespace written before embedders were recorded adopts this one if it fits
        its vectors (and refuses it if not), once the dimension costs nothing to ask; a
        model not loaded yet is recorded by the first write instead."""
        if self._stored_dimension is not None and _cheap_dimension(self.embedder) is not None:
            await self._claim_embedder()

    async def _claim_embedder(self) -> None:
        """Record this Brain's embedder as the namespace's (or check it, dimension included)
        before the first new engram is written; once per Brain, then free."""
        if self._claimed:
            return
        dimension = _cheap_dimension(self.embedder)
        if dimension is None:  # only a model not loaded yet costs anything to ask
            dimension = await asyncio.get_running_loop().run_in_executor(None, lambda: self.embedder.dimension)
        stored = self._stored_dimension or self.hippocampus.dimension
        await claim_identity(self.store, self.namespace, embedder_identity(self.embedder), dimension, stored=stored)
        self._claimed = True

    async def _embed(self, texts: Sequence[str]) -> Vector:
        """The one place embedding runs: on a worker thread, off every event loop."""
        return await asyncio.get_running_loop().run_in_executor(None, self.embedder.embed, list(texts))

    # -- perceive ---------------------------------------------------------------------------
    @on_brain_loop
    async def perceive(
        self,
        content: str,
        memory_type: MemoryType | str | None = None,
        salience: float | None = None,
        reward: float | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        gate: bool = True,
        consolidate: bool = False,
        engram_id: str | None = None,
        pinned: bool = False,
        at: float | datetime | None = None,
        expires_at: float | datetime | None = None,
    ) -> Engram:
        """Take in an input. Returns its Engram, already in the store (pending until a sleep
        consolidates it, so it outlives this process and other workers recall it at once);
        ``engram.filtered`` is True (and nothing is stored) when the Thalamus dropped it.
        ``gate=False`` bypasses the Thalamus for deliberate writes; ``consolidate=True``
        stores it long-term at once; ``engram_id`` replaces the engram with that id.
        ``pinned=True``: never pruned. ``at`` (epoch seconds or a datetime, not after the
        clock's now): when it happened, for history imported late; its curve, temporal links
        and since/until follow that time. ``expires_at`` (after ``at``): hidden from recall
        from then on, pruned at the next sleep."""
        content = check_text(content, "content")
        kind = None if memory_type is None else MemoryType.parse(memory_type)
        if salience is not None:
            salience = check_unit_interval(salience, "salience")
        reward_value = 0.0 if reward is None else check_unit_interval(reward, "reward", -1.0, 1.0)
        meta = check_metadata(metadata)
        replaces = None if engram_id is None else check_engram_id(engram_id)
        if replaces is not None and replaces not in self.hippocampus:
            check_new_engram_id(replaces)  # a new id: one a REST path can carry (an old one is rewritten as it is)
        stamp = _stamp((at, "at"), (expires_at, "expires_at"), _flag(pinned, "pinned"), self.clock.now())
        intake = _Intake()
        engram = await self._perceive_one(
            content,
            kind,
            salience,
            reward_value,
            meta,
            gate=gate,
            intake=intake,
            consolidate=consolidate,
            replaces=replaces,
            stamp=stamp,
        )
        await self._write_through(intake)
        return engram

    @on_brain_loop
    async def perceive_many(
        self,
        contents: Iterable[str],
        memory_type: MemoryType | str | None = None,
        salience: float | None = None,
        metadata: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
        *,
        gate: bool = True,
        progress: bool | None = None,
        consolidate: bool = False,
        pinned: bool = False,
        at: float | datetime | Sequence[float | datetime | None] | None = None,
        expires_at: float | datetime | Sequence[float | datetime | None] | None = None,
    ) -> builtins.list[Engram]:
        """:meth:`perceive` for many inputs: the embedding runs in batches, then each input
        takes perceive's own path, in order; each batch goes to the store in one atomic put
        (a failure leaves the batches before it stored). ``metadata`` is one dict for all or
        one per input, and so are ``at`` and ``expires_at`` (a chat log's times); ``pinned``
        and ``consolidate`` (history that a sleep would find too faded to consolidate) are
        for all. Returns one Engram per input (``filtered`` ones included); every input is
        validated before anything is stored. A progress bar (tqdm) shows on a
        terminal (``progress=None``: stderr is a tty), always (True) or never (False)."""
        if isinstance(contents, str):
            raise TypeError("perceive_many() takes a sequence of strings, not one string")
        texts = [check_text(content, "content") for content in contents]
        kind = None if memory_type is None else MemoryType.parse(memory_type)
        if salience is not None:
            salience = check_unit_interval(salience, "salience")
        if metadata is None or isinstance(metadata, Mapping):
            metas = [check_metadata(metadata) for _ in texts]
        elif isinstance(metadata, Sequence) and not isinstance(metadata, str | bytes):
            if len(metadata) != len(texts):
                raise ValueError(f"metadata has {len(metadata)} entries for {len(texts)} contents")
            metas = [check_metadata(m) for m in metadata]
        else:
            raise TypeError(f"metadata must be a dict or a list of dicts, not {type(metadata).__name__}")
        flag, now = _flag(pinned, "pinned"), self.clock.now()
        times = zip(_spread(at, len(texts), "at"), _spread(expires_at, len(texts), "expires_at"), strict=True)
        stamps = [_stamp(when, ends, flag, now) for when, ends in times]
        bar = bars.bar(len(texts), "perceive", "input") if bars.wanted(progress) else None
        perceived: builtins.list[Engram] = []
        try:
            for start in range(0, len(texts), _PERCEIVE_BATCH):
                batch = texts[start : start + _PERCEIVE_BATCH]
                # Embed what the Thalamus's text gate lets through, in one call (the costly part).
                wanted = [i for i, text in enumerate(batch) if not gate or self._text_gate(text) is None]
                embeddings: dict[int, Vector] = {}
                if wanted:
                    vectors = await self._embed([batch[i] for i in wanted])
                    embeddings = {i: vectors[j] for j, i in enumerate(wanted)}
                intake = _Intake()
                try:
                    for i, text in enumerate(batch):
                        perceived.append(
                            await self._perceive_one(
                                text,
                                kind,
                                salience,
                                0.0,
                                metas[start + i],
                                gate=gate,
                                intake=intake,
                                embedding=embeddings.get(i),
                                consolidate=consolidate,
                                stamp=stamps[start + i],
                            )
                        )
                except BaseException:
                    self._unindex(intake)  # the batch's put never ran: its engrams leave the index
                    raise
                await self._write_through(intake)
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
        return perceived

    async def _perceive_one(
        self,
        content: str,
        kind: MemoryType | None,
        salience: float | None,
        reward_value: float,
        meta: dict[str, Any],
        *,
        gate: bool,
        intake: _Intake,
        consolidate: bool = False,
        replaces: str | None = None,
        embedding: Vector | None = None,
        stamp: _Stamp = _NOW,
    ) -> Engram:
        """perceive's steps for one validated input; ``embedding`` if already computed. What
        it indexes goes into ``intake``, for the caller to write through. ``stamp``: when
        it happened (the curve and the temporal links follow that), its expiry and pin."""
        now = self.clock.now()
        when = now if stamp.at is None else stamp.at
        trace = self.sensory.register(content)
        answers = conversing = False
        turn = None
        if gate:
            window = self.config.temporal_window_seconds
            turn = turn_of(content, when)
            conversing = in_conversation(self._last_turn, self._turn_before, turn, window)
            answers, follows_up = reply(self._last_turn, turn, window)
            if follows_up and self._last_turn is not None and self._last_turn.engram_id is not None:
                await self._follow_up(self._last_turn.engram_id, intake, tagged=self._last_turn.tagged)
            self._turn_before, self._last_turn = self._last_turn, turn
            reason = self._text_gate(content)
            if reason is None and self.thalamus.focus is not None:
                if embedding is None:
                    embedding = (await self._embed([content]))[0]
                reason = "off_task" if self.thalamus.off_task(embedding) else None
            if reason is not None:
                self.filtered_count += 1
                return Engram(
                    content=content,
                    memory_type=kind or classify_memory_type(content),
                    salience=salience if salience is not None else self.amygdala.appraise(content),
                    encoded_at=when,
                    last_accessed=when,
                    metadata=meta,
                    pinned=stamp.pinned,
                    expires_at=stamp.expires_at,
                    filtered_reason=reason,
                )
        self.sensory.attend(trace)
        kind = kind or classify_memory_type(content)
        known = None if replaces is not None else self.hippocampus.recognise(content, kind)
        if known is not None and known.metadata == meta and not _expired(known, now):
            # Recognition: the same thing heard again, in the same context (metadata),
            # rehearses the engram instead of copying it (unless it vanished meanwhile).
            recognised = await self._recognise(known, when, intake, stamp)
            if recognised is not None:
                self.prefrontal.hold(recognised)
                return recognised
        if embedding is None:
            embedding = (await self._embed([content]))[0]
        # Before this vector is compared with stored ones (paraphrase, revision) or written.
        await self._claim_embedder()
        related = None if replaces is not None else self._related(content, kind, embedding, meta, when, now)
        if related is not None and related[0] is Relation.PARAPHRASE:  # the same fact in other words
            rehearsed = await self._recognise(related[1], when, intake, stamp)
            if rehearsed is not None:
                self.prefrontal.hold(rehearsed)
                return rehearsed
        # The stream: a conversation's turns ("Ann: ..." after "Ben: ..." after "Ann: ...")
        # that the Thalamus let through and the Amygdala appraised are weighed by the exchange
        # and by novelty, and leave a weak trace unless tagged (dynamics.trace_factor). A
        # caller's salience=, a deliberate write (gate=False), a rewrite of a stored id and a
        # note, even one headed "Parking: ...", keep their stability as encoded: tagging
        # sorts the chatter of a conversation, not what an agent writes down.
        stream = conversing and salience is None and replaces is None
        salience_given = salience
        if salience is None:
            salience = self.amygdala.appraise(content)
            if answers:  # asked for: curiosity encodes the answer better
                salience += self.config.answer_salience
            if stream and self.config.novelty_salience > 0:
                closest = self.hippocampus.nearest(embedding, 1)
                salience += self.config.novelty_salience * novelty(closest[0][1] if closest else None)
            salience = min(_MAX_SALIENCE, salience)
        stability = encoding_stability(self.config.base_stability_hours[kind], salience, reward_value, self.config)
        # A long text's fragments are embedded before anything is indexed: a failure leaves nothing.
        pieces = fragments(content, self.config.fragment_words) if self.config.fragment_words > 0 else []
        piece_vectors = await self._embed_fragments(pieces) if pieces else None
        engram = Engram(
            content=content,
            memory_type=kind,
            salience=salience,
            embedding=embedding,
            stability=stability * trace_factor(salience, self.config) if stream else stability,
            reward=reward_value,
            encoded_at=when,
            last_accessed=when,
            metadata=meta,
            pinned=stamp.pinned,
            expires_at=stamp.expires_at,
        )
        if replaces is not None:  # the put overwrites the stored record; the index starts afresh
            engram.engram_id = replaces
            old = self.hippocampus.get(replaces)
            if old is not None and old.pinned and stamp.expires_at is None:
                engram.pinned = True  # a rewrite keeps a pin: only unpin() lets it fade again
            intake.dropped += await self._fragments_of(replaces)  # the old text's go
            self.hippocampus.remove(replaces)
            self.prefrontal.release(replaces)
            await self._drop_derived()
        if consolidate:
            engram = self.region_for(engram).consolidated(engram)
        if related is not None and related[0] is Relation.REVISION:
            await self._supersede(related[1], engram, intake)
        for older in self._reminded_by(content, embedding, when, now):
            intake.reminded.setdefault(older, when)
        self._encode_new(engram, when, intake)
        if piece_vectors is not None:
            self._encode_fragments(engram, pieces, piece_vectors, intake)
        appraised = salience_given is None and replaces is None
        if appraised and turn is not None and turn.speaker is not None and self._last_turn is turn:
            # A follow-up may raise what was appraised here: this call's turn only (a
            # perceive that ran meanwhile has a turn of its own).
            self._last_turn = dataclasses.replace(turn, engram_id=engram.engram_id, tagged=stream)
        elif replaces is not None:  # rewritten as given: no follow-up rescales it as a weak trace
            for name in ("_last_turn", "_turn_before"):
                held = getattr(self, name)
                if held is not None and held.engram_id == replaces:
                    setattr(self, name, dataclasses.replace(held, engram_id=None))
        return engram

    async def _follow_up(self, engram_id: str, intake: _Intake, *, tagged: bool) -> None:
        """The listener asked a follow-up question about this engram: it was news, so its
        salience rises by ``follow_up_salience`` and its stability with it
        (:func:`raised_salience_stability`), atomically in the store."""
        config = self.config
        if config.follow_up_salience <= 0:
            return

        def raised(stored: Engram) -> Engram:
            salience = min(_MAX_SALIENCE, stored.salience + config.follow_up_salience)
            stability = raised_salience_stability(stored.stability, stored.salience, salience, config, tagged=tagged)
            return dataclasses.replace(stored, salience=salience, stability=stability)

        if engram_id in intake.new:  # perceived in this batch, not written yet
            unwritten = self.hippocampus.get(engram_id)
            if unwritten is not None:
                self.hippocampus.refresh(raised(unwritten))
            return

        def change(stored: Engram) -> tuple[Engram, float]:
            updated = raised(stored)
            return updated, forget_at_for(updated, config)

        [stored] = await self.store.update(self.namespace, [engram_id], change)
        self.take_stored([engram_id], [stored])

    def _reminded_by(self, content: str, embedding: Vector, when: float, now: float) -> builtins.list[str]:
        """The older memories a new input brings to mind (reminding): those its words and
        meaning cue far above the rest (relevance ≥ reminding_min_relevance standard
        deviations), from before the current moment (the temporal window). Rehearsing them
        is how what keeps coming up is kept, and what is never mentioned again fades."""
        config = self.config
        if config.reminding_count <= 0 or not len(self.hippocampus):
            return []
        found = self.hippocampus.activate(
            Cue(content, embedding),
            config.reminding_count,
            until=when - config.temporal_window_seconds,
            now=now,
            limit=config.reminding_count,
            spread=False,
        )
        return [a.engram.engram_id for a in found if a.relevance >= config.reminding_min_relevance]

    def _text_gate(self, content: str) -> str | None:
        """Why the Thalamus drops ``content`` on its words alone (None: it passes); the
        Amygdala overrides it for a life event told in a few words ("I'm pregnant!")."""
        reason = self.thalamus.gate(content)
        if reason is not None and self.amygdala.overrides_gate(content):
            return None
        return reason

    def _related(
        self, content: str, kind: MemoryType, embedding: Vector, meta: dict[str, Any], when: float, now: float
    ) -> tuple[Relation, Engram] | None:
        """The older engram this input paraphrases or revises, if any: revision.py's rules
        over the nearest live neighbours, the closest that relates wins. A merge loses data,
        so a paraphrase must also share the kind and the metadata (as exact recognition)."""
        config = self.config
        said_by = speaker(content)
        for older, cosine in self.hippocampus.nearest(embedding, config.revision_neighbours, parts=False):
            if older.superseded_by is not None or older.encoded_at > when or _expired(older, now):
                continue  # revise the latest version, never a later one or a hidden one
            if said_by is not None and speaker(older.content) not in (None, said_by):
                continue  # what one speaker says neither revises nor repeats another's fact
            relation = relate(
                content,
                older.content,
                cosine,
                revision_min_cosine=config.revision_min_cosine,
                paraphrase_min_cosine=config.paraphrase_min_cosine,
            )
            if relation is Relation.REVISION and not describes_event(older.content):
                return relation, older  # cue and specifics suffice (routing may file them apart);
                # an event that happened stays true when a later one follows: never superseded
            if relation is Relation.PARAPHRASE and older.metadata == meta and same_kind(older.memory_type, kind):
                return relation, older
        return None

    async def _supersede(self, older: Engram, newer: Engram, intake: _Intake) -> None:
        """Link an update to the engram it revises and weaken that one (retroactive
        interference), by store.update so a concurrent recall's LTP is kept."""
        newer.supersedes = older.engram_id
        config = self.config

        def change(stored: Engram) -> tuple[Engram, float]:
            stale = dataclasses.replace(
                stored,
                superseded_by=newer.engram_id,
                stability=interfered_stability(stored.stability, config.interference_factor),
            )
            return stale, forget_at_for(stale, config)

        if older.engram_id in intake.new:  # perceived in this batch, not written yet
            self.hippocampus.refresh(change(older)[0])
            return
        [stored] = await self.store.update(self.namespace, [older.engram_id], change)
        self.take_stored([older.engram_id], [stored])

    async def _recognise(self, known: Engram, now: float, intake: _Intake, stamp: _Stamp = _NOW) -> Engram | None:
        """LTP on an engram perceived again: in the store, or here if ``intake`` holds it
        still unwritten (the batch's put writes it); None if it is gone from the store.
        It takes the ``stamp``'s pin and expiry, if the perceive gave them."""
        if known.engram_id in intake.new:
            unwritten = _stamped(apply_recall(known, now, self.config), stamp)
            self.hippocampus.refresh(unwritten)
            return unwritten
        recalled = (await self._potentiate([known], now)).get(known.engram_id)
        if recalled is None or _stamped(recalled, stamp) is recalled:
            return recalled
        return await self._set_marks(known.engram_id, lambda stored: _stamped(stored, stamp))

    def _encode_new(self, engram: Engram, now: float, intake: _Intake) -> None:
        """Index a new engram (pending unless consolidated), link it to what was perceived
        close to ``now`` (its event time), hold it in working memory, and note both in ``intake``."""
        links = self.hippocampus.temporal_context(now)
        self.hippocampus.encode(engram, pending=not engram.consolidated)
        self.hippocampus.note_encoded(engram)
        intake.new[engram.engram_id] = None
        for other, weight in links:
            self.hippocampus.associate(engram.engram_id, other, weight)
            if other not in intake.new:  # an engram already stored learns the edge by update
                intake.links.setdefault(other, {})[engram.engram_id] = weight
        self.prefrontal.hold(engram)

    async def _fragments_of(self, engram_id: str) -> builtins.list[str]:
        """The ids of the fragments of ``engram_id`` that the index or the store knows of
        (another worker may have written them). An id that names a fragment is refused:
        a fragment is rewritten by rewriting its whole."""
        [stored] = await self.store.get(self.namespace, [engram_id])
        if stored is not None and stored.fragment_of is not None:
            raise ValueError(f"engram {engram_id!r} is a fragment of {stored.fragment_of!r}: rewrite or forget that")
        known = dict.fromkeys(self.hippocampus.parts(engram_id))
        if stored is not None:
            known.update(dict.fromkeys(stored.fragments))
        return builtins.list(known)

    async def _embed_fragments(self, pieces: builtins.list[str]) -> Vector:
        """Embed a long text's pieces; a book's worth (minutes of work) shows a bar on a
        terminal, drawn as each batch is read."""
        if len(pieces) <= _FRAGMENT_PROGRESS_OVER or not bars.wanted(None):
            return await self._embed(pieces)
        shown = bars.bar(len(pieces), "reading a long text", " fragments")
        try:
            read = []
            for start in range(0, len(pieces), _FRAGMENT_PROGRESS_OVER):
                batch = pieces[start : start + _FRAGMENT_PROGRESS_OVER]
                read.append(await self._embed(batch))
                shown.update(len(batch))
            return np.vstack(read)
        finally:
            shown.close()

    def _encode_fragments(self, engram: Engram, pieces: Sequence[str], vectors: Vector, intake: _Intake) -> None:
        """Index the fragments of a long text (each cues the whole: a model reads only a
        text's first few hundred words); they are written with it and go with it."""
        for piece, vector in zip(pieces, vectors, strict=True):
            part = Engram(
                content=piece,
                memory_type=engram.memory_type,
                salience=engram.salience,
                embedding=vector,
                stability=engram.stability,
                encoded_at=engram.encoded_at,
                last_accessed=engram.last_accessed,
                fragment_of=engram.engram_id,
                consolidated=True,  # never replayed nor pruned on its own: it goes with its whole
            )
            self.hippocampus.encode(part, pending=False)
            intake.new[part.engram_id] = None
            engram.fragments.append(part.engram_id)

    async def _write_through(self, intake: _Intake) -> None:
        """Store what perceive indexed, before it returns: the new engrams in one put (all
        or nothing: if it fails they leave the index too), then the edges that engrams
        already stored gained, atomically per engram."""
        new = [e for i in intake.new if (e := self.hippocampus.get(i)) is not None]
        if new:
            try:
                await self.store.put(self.namespace, [(e, forget_at_for(e, self.config)) for e in new])
            except BaseException:
                self._unindex(intake)
                raise
        if intake.dropped:
            await self.store.delete(self.namespace, intake.dropped)
        if intake.links:
            await self._add_links(intake.links)
        reminded = [i for i in intake.reminded if i not in intake.new and i in self.hippocampus]
        if reminded:
            found = [e for i in reminded if (e := self.hippocampus.get(i)) is not None]
            await self._potentiate(_strengthened_by_use(found, history=False), max(intake.reminded.values()))

    def _unindex(self, intake: _Intake) -> None:
        """Take what ``intake`` indexed out of the index and working memory: it was never
        written (all or nothing)."""
        for engram_id in intake.new:
            self.hippocampus.remove(engram_id)
            self.prefrontal.release(engram_id)

    async def _add_links(self, links: dict[str, dict[str, float]]) -> None:
        """Stored engrams learn their edges to new ones (a read-modify-write in the store,
        so a concurrent recall's LTP is kept)."""
        config = self.config

        def change(engram: Engram) -> tuple[Engram, float] | None:
            known = dict(engram.associations)
            new = {i: w for i, w in links.get(engram.engram_id, {}).items() if known.get(i, -1.0) < w}
            if not new:
                return None
            known.update(new)
            engram.associations = builtins.list(known.items())
            return engram, forget_at_for(engram, config)

        ids = builtins.list(links)
        for engram_id, stored in zip(ids, await self.store.update(self.namespace, ids, change), strict=True):
            if stored is None:  # gone elsewhere meanwhile; the local copy already has the edge
                self.take_stored([engram_id], [None])

    # -- recall -------------------------------------------------------------------------------
    @on_brain_loop
    async def recall(
        self,
        query: str,
        top_k: int | None = None,
        memory_type: MemoryType | str | None = None,
        since: float | None = None,
        until: float | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        strengthen: bool = True,
        min_relevance: float | None = None,
    ) -> list[tuple[Engram, float]]:
        """What ``query`` brings back, best first: pattern completion, spreading activation,
        then LTP on every engram returned (stability grows, its curve restarts), but for a
        superseded one when the recall has no since/until window (it is history then).

        ``strengthen=False`` looks without leaving a trace (no LTP, nothing written): for a
        caller that shows only some of what it recalls, or asks the same cue again within
        one turn, and then calls :meth:`rehearse` on what was really used.

        ``min_relevance`` (default ``config.recall_min_relevance``; 0: off) returns only
        what stands out from chance, so recall may return fewer than ``top_k``, or nothing:
        see docs/recall.md."""
        if not isinstance(strengthen, bool):
            raise TypeError(f"strengthen must be a bool, not {type(strengthen).__name__}")
        activated, now = await self._activate(
            query, top_k, memory_type, since, until, metadata, everything=False, min_relevance=min_relevance
        )
        found = [(a.engram, a.score) for a in activated]
        if not strengthen:
            return found
        history = since is not None or until is not None  # a window asks for what was
        strengthened = await self._potentiate(_strengthened_by_use([e for e, _ in found], history), now)
        return [(strengthened.get(e.engram_id, e), score) for e, score in found]

    @on_brain_loop
    async def activations(
        self,
        query: str,
        top_k: int | None = None,
        memory_type: MemoryType | str | None = None,
        since: float | None = None,
        until: float | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        min_relevance: float | None = None,
    ) -> builtins.list[Activation]:
        """Everything a :meth:`recall` of ``query`` would light up, best first, each with how
        it was reached (its own cosine, its activation after spreading, its score); the
        first ``top_k`` are what recall returns. Only looks: nothing is strengthened.
        For recall debuggers, plots and servers; the arguments are recall's."""
        activated, _ = await self._activate(
            query, top_k, memory_type, since, until, metadata, everything=True, min_relevance=min_relevance
        )
        return activated

    @on_brain_loop
    async def explain(
        self,
        query: str,
        top_k: int | None = None,
        memory_type: MemoryType | str | None = None,
        since: float | None = None,
        until: float | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        min_relevance: float | None = None,
    ) -> builtins.list[Explanation]:
        """What :meth:`recall` of ``query`` would return, each with why: its dense
        similarity, the lexical match of the query's words, the spread it received (from
        which memory, over which edge), its retention; the parts multiply and add up to
        its score (see :mod:`neuram_core.explain`). Only looks: nothing is strengthened
        (:meth:`rehearse` what was used)."""
        activated, now = await self._activate(
            query, top_k, memory_type, since, until, metadata, everything=False, min_relevance=min_relevance
        )
        weight = self.config.recall_retention_weight
        history = since is not None or until is not None
        out = []
        for a in activated:
            kept = compute_retention(a.engram, now)
            factor = 1.0 - weight + weight * kept
            stale = self.config.superseded_rank_factor if a.engram.superseded_by and not history else 1.0
            passage = None if a.fragment is None else self.hippocampus.get(a.fragment)
            out.append(
                Explanation(
                    engram=a.engram,
                    score=a.score,
                    similarity=a.similarity,
                    lexical=a.lexical,
                    spread=a.spread,
                    spread_from=a.spread_from,
                    spread_via=a.spread_via,
                    spread_weight=a.spread_weight,
                    activation=a.activation,
                    relevance=a.relevance,
                    retention=kept,
                    retention_factor=factor,
                    superseded_factor=stale,
                    fragment_id=a.fragment,
                    fragment_content=None if passage is None else passage.content,
                )
            )
        return out

    async def _activate(
        self,
        query: str,
        top_k: int | None,
        memory_type: MemoryType | str | None,
        since: float | None,
        until: float | None,
        metadata: dict[str, Any] | None,
        *,
        everything: bool,
        min_relevance: float | None = None,
    ) -> tuple[builtins.list[Activation], float]:
        """recall's look: validate, follow other processes' writes, embed the cue (its text
        travels with it) and light up the index now; the top_k, or ``everything``. Returns
        the activations and the time they were scored at (when LTP then happens)."""
        query = check_text(query, "query")
        k = check_top_k(top_k, self.config.default_top_k)
        kind = None if memory_type is None else MemoryType.parse(memory_type)
        start, end = check_time(since, "since"), check_time(until, "until")
        wanted = check_metadata(metadata) if metadata is not None else None
        if min_relevance is not None:
            min_relevance = check_non_negative(min_relevance, "min_relevance")
        if k == 0:
            return [], self.clock.now()
        await self._follow_changes()
        if len(self.hippocampus) == 0:
            return [], self.clock.now()
        cue = Cue(query, (await self._embed([query]))[0])
        now = self.clock.now()
        found = self.hippocampus.activate(
            cue,
            k,
            memory_type=kind,
            since=start,
            until=end,
            now=now,
            where=None if not wanted else _metadata_matches(wanted),
            limit=None if everything else k,
            min_relevance=self.config.recall_min_relevance if min_relevance is None else min_relevance,
        )
        return found, now

    @on_brain_loop
    async def rehearse(self, engram_ids: Sequence[str]) -> builtins.list[Engram]:
        """LTP on these engrams now, exactly as a recall returning them would (each id once;
        a superseded one is history and is not strengthened). Unknown ids raise
        UnknownEngramError before anything is strengthened."""
        if isinstance(engram_ids, str) or not isinstance(engram_ids, Sequence):
            raise TypeError(f"engram_ids must be a sequence of str, not {type(engram_ids).__name__}")
        ids = builtins.list(dict.fromkeys(check_engram_id(i) for i in engram_ids))
        await self._follow_changes()
        engrams = [self.hippocampus.get(i) for i in ids]
        missing = [i for i, e in zip(ids, engrams, strict=True) if e is None]
        if missing:
            raise UnknownEngramError(missing[0])
        found = [e for e in engrams if e is not None]
        strengthened = await self._potentiate(_strengthened_by_use(found, history=False), self.clock.now())
        return [strengthened.get(e.engram_id, e) for e in found]

    async def _potentiate(self, engrams: Iterable[Engram], now: float) -> dict[str, Engram]:
        """LTP on recalled engrams, pending or consolidated alike: atomic in the store, so
        every worker sees it. Engrams gone from the store (pruned or forgotten elsewhere
        meanwhile) leave the index and the result."""
        config = self.config

        def change(engram: Engram) -> tuple[Engram, float]:
            recalled = apply_recall(engram, now, config)
            return recalled, forget_at_for(recalled, config)

        ids = [e.engram_id for e in engrams]
        if not ids:
            return {}
        stored = await self.store.update(self.namespace, ids, change)
        self.take_stored(ids, stored)
        result: dict[str, Engram] = {}
        for engram_id, updated in zip(ids, stored, strict=True):
            if updated is not None:
                self.prefrontal.rehearse(engram_id, updated)
                result[engram_id] = self.hippocampus.get(engram_id) or updated
        return result

    # -- reading and housekeeping -------------------------------------------------------------
    @property
    def working_memory(self) -> list[Engram]:
        """What the PrefrontalCortex holds now (at most 7), least recently used first."""
        return self.prefrontal.items

    def retention(self, engram: Engram) -> float:
        """Retention of ``engram`` now, by this brain's clock."""
        return compute_retention(engram, self.clock.now())

    @on_brain_loop
    async def get(self, engram_id: str) -> Engram:
        engram_id = check_engram_id(engram_id)
        engram = self.hippocampus.get(engram_id)
        if engram is None:
            [engram] = await self.store.get(self.namespace, [engram_id])
        if engram is None:
            raise UnknownEngramError(engram_id)
        return engram

    @on_brain_loop
    async def list(
        self, memory_type: MemoryType | str | None = None, metadata: dict[str, Any] | None = None
    ) -> builtins.list[Engram]:
        """Everything this namespace holds (working and long-term), oldest first; expired
        memories (awaiting the sleep that prunes them) are left out."""
        kind = None if memory_type is None else MemoryType.parse(memory_type)
        matches = _metadata_matches(check_metadata(metadata)) if metadata else None
        await self._follow_changes()
        now = self.clock.now()
        found = [
            e
            for e in self.hippocampus
            if (kind is None or e.memory_type is kind) and (matches is None or matches(e)) and not _expired(e, now)
        ]
        return sorted(found, key=lambda e: e.encoded_at)  # stable: ties keep perception order

    @on_brain_loop
    async def listing(
        self, memory_type: MemoryType | str | None = None, metadata: dict[str, Any] | None = None
    ) -> Listing:
        """The memories :meth:`list` returns, in no particular order, with their fields as
        arrays in step with them: for a caller that filters and orders them itself. A list
        page of 25 out of 100k then pays for no sort and no Python pass over each memory
        (the server's list pages, which sort by any field or by retention)."""
        kind = None if memory_type is None else MemoryType.parse(memory_type)
        matches = _metadata_matches(check_metadata(metadata)) if metadata else None
        await self._follow_changes()
        found = self.hippocampus.listing(self.clock.now(), kind)
        if matches is None:
            return found
        return found.where(np.fromiter(map(matches, found.engrams), dtype=np.bool_, count=len(found.engrams)))

    @on_brain_loop
    async def forget(self, engram_id: str) -> bool:
        """Remove one memory everywhere, now, a long text with its fragments: True if it
        was there, False for an id this namespace does not hold (as neuram 0.1.0 did). A
        malformed id raises ValueError or TypeError, and so does (ValueError) the id of a
        fragment: forget its whole."""
        return await self._forget(check_engram_id(engram_id))

    async def _forget(self, engram_id: str) -> bool:
        parts = await self._fragments_of(engram_id)
        deleted = await self.store.delete(self.namespace, [engram_id, *parts])
        known = self.hippocampus.remove(engram_id) is not None
        self.prefrontal.release(engram_id)
        return deleted > 0 or known

    @on_brain_loop
    async def reinforce(self, engram_id: str, reward: float) -> Engram:
        """Dopamine: reward in [-1, 1] strengthens (or weakens) a memory, habits above all."""
        engram_id = check_engram_id(engram_id)
        value = check_unit_interval(reward, "reward", -1.0, 1.0)
        try:
            updated = await self.basal_ganglia.reinforce(engram_id, value)  # in the store, pending or not
        except UnknownEngramError:
            self.take_stored([engram_id], [None])  # gone elsewhere meanwhile
            raise
        if engram_id in self.hippocampus:  # one this index does not hold yet comes with the next follow
            self.take_stored([engram_id], [updated])
        self.prefrontal.rehearse(engram_id, updated)
        return self.hippocampus.get(engram_id) or updated

    @on_brain_loop
    async def pin(self, engram_id: str) -> Engram:
        """Keep a memory for good: it is never pruned, however it fades, and an expiry it
        has waits until :meth:`unpin` (``engram.pinned`` says so). An unknown id raises
        UnknownEngramError."""
        return await self._pin(check_engram_id(engram_id), True)

    @on_brain_loop
    async def unpin(self, engram_id: str) -> Engram:
        """Let a pinned memory fade again: pruned once its curve (or its expiry) says so."""
        return await self._pin(check_engram_id(engram_id), False)

    async def _pin(self, engram_id: str, pinned: bool) -> Engram:
        await self._follow_changes()
        marked = await self._set_marks(engram_id, lambda stored: dataclasses.replace(stored, pinned=pinned))
        if marked is None:
            raise UnknownEngramError(engram_id)
        return marked

    async def _set_marks(self, engram_id: str, mark: Callable[[Engram], Engram]) -> Engram | None:
        """Change an engram's pin or expiry atomically in the store, its forget-at with it,
        then in the index; None if the store no longer holds it."""
        config = self.config

        def change(stored: Engram) -> tuple[Engram, float]:
            marked = mark(stored)
            return marked, forget_at_for(marked, config)

        [stored] = await self.store.update(self.namespace, [engram_id], change)
        self.take_stored([engram_id], [stored])
        return None if stored is None else self.hippocampus.get(engram_id) or stored

    @on_brain_loop
    async def focus(self, context: str | None) -> None:
        """Tell the Thalamus what the task is; input far from it is dropped as off-task."""
        if context is None:
            self.thalamus.set_focus(None)
            return
        self.thalamus.set_focus((await self._embed([check_text(context, "context")]))[0])

    @on_brain_loop
    async def sleep(self) -> dict[str, int]:
        """One sleep cycle now: consolidate what earned it, prune what faded."""
        return await self.sleep_cycle.run()

    @on_brain_loop
    async def start_sleep_cycle(self, interval_seconds: float | None = None) -> None:
        """Sleep in the background every ``interval_seconds`` (default from the config)."""
        if interval_seconds is not None:
            interval_seconds = check_unit_interval(interval_seconds, "interval_seconds", 1e-3, 1e9)
        self.sleep_cycle.start(interval_seconds or self.config.sleep_interval_seconds)

    @on_brain_loop
    async def stop_sleep_cycle(self) -> None:
        await self.sleep_cycle.stop()

    @on_brain_loop
    async def clear(self) -> int:
        """Forget everything in this namespace; returns how many engrams went."""
        found = [(e.engram_id, e.fragment_of) async for e in self.store.scan(self.namespace)]
        ids = [i for i, _ in found]
        stored = set(ids)
        ids += [e.engram_id for e in self.hippocampus if e.engram_id not in stored]
        await self.store.delete(self.namespace, ids)
        self.hippocampus.clear()
        self.prefrontal.clear()
        return len(ids) - sum(whole is not None for _, whole in found)  # memories, not their fragments

    @on_brain_loop
    async def ping(self) -> None:
        """One cheap round trip to the long-term store (a server's readiness check): raises
        StoreUnavailableError when it does not answer."""
        await self.store.count(self.namespace)

    @on_brain_loop
    async def namespaces(self) -> builtins.list[str]:
        """Every namespace the shared long-term store holds memories for."""
        return await self.store.namespaces()

    @on_brain_loop
    async def stats(self) -> dict[str, Any]:
        """Counts per region and memory type, for dashboards and the CLI. ``pending`` is the
        namespace's traces awaiting a sleep (every worker's: the index follows the store
        first), ``long_term`` the store's other records (corrupt ones included)."""
        await self._follow_changes()
        pending = len(self.hippocampus.pending)
        fragment_count = self.hippocampus.fragment_count
        by_type = {t.value: 0 for t in MemoryType}
        for engram in self.hippocampus:
            by_type[engram.memory_type.value] += 1
        return {
            "namespace": self.namespace,
            "working_memory": len(self.prefrontal),
            "pending": pending,
            "long_term": max(0, await self.store.count(self.namespace) - pending - fragment_count),
            "indexed": self.hippocampus.memory_count,
            "fragments": fragment_count,
            "by_type": by_type,
            "filtered": self.filtered_count,
            "corrupt_records": self._corrupt_records() + self.skipped_records,
        }

    def _corrupt_records(self) -> int:
        """Unreadable records the store skipped in this namespace: never another's (a
        store's total would tell one tenant about another's). A store that counts only a
        total (a plugin) reports that."""
        by_namespace = getattr(self.store, "corrupt_by_namespace", None)
        if isinstance(by_namespace, Mapping):
            return int(by_namespace.get(self.namespace, 0))
        return int(getattr(self.store, "corrupt_records", 0))

    async def close(self) -> None:
        """Stop background sleep, close the store and the loop (for every namespace).
        New calls are refused at once; calls already running (other threads' or tasks')
        get up to 30 s to finish, then fail with a RuntimeError. A second close waits for
        the first."""
        await self._portal.close_with(self._shared.shutdown())

    def call_blocking(self, coro: Coroutine[Any, Any, R], timeout: float | None = None) -> R:
        """Run ``coro`` on this Brain's own loop and block until it is done: how code that
        cannot await (the sync facade, plots, sync servers) reaches a Brain. Brain methods
        awaited inside load the index themselves. Never call it from the Brain's own loop."""
        return self._portal.call(coro, timeout)

    def close_blocking(self) -> None:
        """:meth:`close` for code that cannot await."""
        self._portal.close_with_blocking(self._shared.shutdown())

    async def __aenter__(self) -> Brain:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Brain(namespace={self.namespace!r}, store={self.store!r})"

    # -- for the sleep cycle ------------------------------------------------------------------
    def take_stored(self, engram_ids: Sequence[str], stored: Sequence[Engram | None]) -> None:
        """Index what the store now holds for ``engram_ids`` after a write or a read (None:
        gone from it), each pending or not as its record says; working memory holds the new
        copies. Runs on the Brain's loop (the sleep cycle, and every write-back here)."""
        hippocampus = self.hippocampus
        for engram_id, engram in zip(engram_ids, stored, strict=True):
            if engram is None:
                hippocampus.remove(engram_id)
                self.prefrontal.release(engram_id)
                continue
            self._drop_if_changed(engram)
            hippocampus.refresh(engram)
            hippocampus.track((engram,))
            self.prefrontal.update(engram)

    def region_for(self, engram: Engram) -> LongTermRegion:
        """The long-term system that keeps ``engram`` (by its memory type)."""
        for region in self.long_term_regions:
            if region.accepts(engram):
                return region
        raise ValueError(f"no long-term region holds {engram.memory_type.value} memories")  # pragma: no cover


class _Intake:
    """What one perceive (or one batch of perceive_many) indexed and must write through
    before it returns: the new engrams, and the edges that engrams already stored gained."""

    __slots__ = ("dropped", "links", "new", "reminded")

    def __init__(self) -> None:
        self.new: dict[str, None] = {}  # ids of the new engrams (and their fragments), in perception order
        self.dropped: list[str] = []  # fragments of a rewritten text, to delete once it is written
        self.links: dict[str, dict[str, float]] = {}  # stored engram -> new neighbour -> weight
        self.reminded: dict[str, float] = {}  # stored engram -> when the reminder happened


async def _nothing() -> None:
    return None


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def _spread(value: object, count: int, name: str) -> builtins.list[tuple[object, str]]:
    """One value for every input, or a sequence of one per input; each with its name for errors."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if len(value) != count:
            raise ValueError(f"{name} has {len(value)} entries for {count} contents")
        return [(v, f"{name}[{i}]") for i, v in enumerate(value)]
    return [(value, name)] * count


def _stamp(at: tuple[object, str], expires_at: tuple[object, str], pinned: bool, now: float) -> _Stamp:
    """One input's event time, expiry and pin, checked: each a (value, name) pair."""
    event = check_event_time(at[0], at[1], now)
    expiry = check_expiry(expires_at[0], now if event is None else event, expires_at[1])
    if pinned and expiry is not None:
        raise ValueError(f"a pinned memory never expires: give pinned=True or {expires_at[1]}, not both")
    return _Stamp(event, expiry, pinned)


def _stamped(engram: Engram, stamp: _Stamp) -> Engram:
    """``engram`` with what a perceive of it again asks: pinned (never unpinned by it), and
    its new expiry if one is given; the same object when nothing changes."""
    pinned = engram.pinned or stamp.pinned
    expires_at = engram.expires_at if stamp.expires_at is None else stamp.expires_at
    if (pinned, expires_at) == (engram.pinned, engram.expires_at):
        return engram
    return dataclasses.replace(engram, pinned=pinned, expires_at=expires_at)


def _expired(engram: Engram, now: float) -> bool:
    """Past its expiry and not pinned: hidden from recall until sleep prunes it."""
    return not engram.pinned and engram.expires_at is not None and engram.expires_at <= now


def _cheap_dimension(embedder: Embedder) -> int | None:
    """The embedder's dimension if asking costs nothing (no model is loaded or called for it)."""
    if isinstance(embedder, BaseEmbedder):
        return embedder.known_dimension
    return embedder.dimension


def _strengthened_by_use(engrams: Iterable[Engram], history: bool) -> builtins.list[Engram]:
    """What a recall or rehearsal strengthens: a fact another has superseded comes back as
    history, and only a recall that asks for history (a since/until window) strengthens it;
    else spaced recalls would make the stale fact outlast its update."""
    return [e for e in engrams if history or e.superseded_by is None]


def _metadata_matches(wanted: dict[str, Any]) -> Callable[[Engram], bool]:
    def matches(engram: Engram) -> bool:
        return all(engram.metadata.get(k, _MISSING) == v for k, v in wanted.items())

    return matches


_MISSING = object()
_MAX_SALIENCE = 0.95  # the Amygdala's ceiling, which the exchange's bonuses keep to
_PERCEIVE_BATCH = 512  # inputs embedded per call by perceive_many
_LOAD_BATCH = 1000  # engrams indexed per matrix write when loading a namespace
_APPROXIMATE_KEPT = "approximate-index"  # names among what the store keeps for a namespace
_WORDS_KEPT = "word-index"
_LOAD_PROGRESS_OVER = 10_000  # loading more engrams than this shows a bar on a terminal
_FRAGMENT_PROGRESS_OVER = 256  # a text of more fragments than this (~7 s to embed) shows a bar on a terminal


def _open_store(url: str | None, redis_url: str | None, path: str | os.PathLike[str] | None) -> LongTermStore:
    """The store Brain.create's keywords name; ``redis_url`` also takes ``unix://`` as before."""
    if url is not None:
        return open_store(url)
    if redis_url is not None:
        if not isinstance(redis_url, str):
            raise TypeError(f"redis_url must be a str, not {type(redis_url).__name__}")
        from neuram_core.stores.redis import RedisStore

        return RedisStore.from_url(redis_url)
    from neuram_core.stores.sqlite import SQLiteStore

    return SQLiteStore(path)
