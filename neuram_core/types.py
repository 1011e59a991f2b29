"""The seams of neuram, in one place: what a clock, an embedder and a long-term store
must do. Implementations depend on these protocols, never the other way round."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from neuram_core.engram import Engram, Vector

__all__ = ["Change", "Clock", "DerivedDataStore", "Embedder", "EngramChange", "LongTermStore"]


@runtime_checkable
class Clock(Protocol):
    """Where every region reads the time (epoch seconds)."""

    def now(self) -> float: ...


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors, one row per text."""

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vector: ...


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a store's change log, read by other processes' indexes."""

    engram_id: str
    op: Literal["put", "delete"]
    origin: str


# A read-modify-write step: given the stored engram, the new engram and its forget-at
# score, or None to leave it untouched. Stores run it atomically (a transaction or an
# optimistic WATCH), so concurrent workers lose no update.
EngramChange = Callable[[Engram], "tuple[Engram, float] | None"]


@runtime_checkable
class LongTermStore(Protocol):
    """Durable long-term memory (Neocortex, Cerebellum, BasalGanglia), keyed by namespace.

    ``origin`` identifies this store object in the change log, so a process can skip its
    own writes. Every method is scoped to one namespace; nothing crosses namespaces.
    """

    origin: str

    async def put(self, namespace: str, items: Sequence[tuple[Engram, float]]) -> None:
        """Upsert engrams with their forget-at scores, all or nothing."""
        ...

    async def get(self, namespace: str, engram_ids: Sequence[str]) -> list[Engram | None]: ...

    async def update(self, namespace: str, engram_ids: Sequence[str], change: EngramChange) -> list[Engram | None]:
        """Apply ``change`` to each engram atomically; the stored results (None if missing)."""
        ...

    async def delete(self, namespace: str, engram_ids: Sequence[str]) -> int: ...

    async def prune(self, namespace: str, now: float, limit: int) -> list[str]:
        """Atomically delete up to ``limit`` engrams whose forget-at score is <= now and
        return their ids: pruning costs O(due), not O(store), and never removes an engram
        that a concurrent recall has just strengthened."""
        ...

    def scan(self, namespace: str) -> AsyncIterator[Engram]:
        """Every readable engram of the namespace (corrupt records skipped and counted)."""
        ...

    async def count(self, namespace: str) -> int: ...

    async def namespaces(self) -> list[str]: ...

    async def changes(self, namespace: str, after: str | None) -> tuple[str, list[Change]]:
        """Changes after cursor ``after``, oldest first, and the cursor to pass next time;
        with None, just the current cursor.

        Stores keep a bounded log per namespace. When it was trimmed past ``after`` in this
        namespace (the reader fell too far behind), raise
        :class:`~neuram_core.errors.ChangeLogTrimmedError` instead of returning a partial
        list: the reader must reload the namespace (a fresh cursor first, then ``scan``).
        Trimming another namespace never raises here. A cursor that is not this store's
        raises ValueError (TypeError if not a str)."""
        ...

    async def acquire_lock(self, namespace: str, name: str, owner: str, ttl: float) -> bool: ...

    async def release_lock(self, namespace: str, name: str, owner: str) -> None: ...

    async def get_info(self, namespace: str) -> dict[str, Any]:
        """What is recorded about the namespace besides its engrams (the embedder that made
        its vectors, see :mod:`neuram_core.stores.info`): a JSON object, {} if nothing."""
        ...

    async def set_info(
        self, namespace: str, info: Mapping[str, Any], *, expected: Mapping[str, Any] | None = None
    ) -> bool:
        """Replace the namespace's info with ``info`` atomically (``{}`` removes it). With
        ``expected``, a compare-and-set: only if the info is ``expected`` now (``{}``:
        nothing recorded); returns whether it wrote. Bad info raises before any write."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class DerivedDataStore(Protocol):
    """A store that can also keep what an index derives from a namespace's engrams (the
    word and approximate indexes), so that the next start-up reads it instead of building
    it again. Optional: a store without these methods is rebuilt from at every start-up.

    What is kept is a cache: its reader checks it against the engrams it loaded and
    re-indexes whatever changed. Nothing derived from a forgotten memory may stay:
    deleting or pruning any engram of a namespace drops everything kept for it in the same
    transaction; a write is refused when it names an engram no longer stored or another
    process wrote since the change it reflects; the Brain drops it when it rewrites a
    memory in place, and an import does. It is never listed or exported."""

    async def read_derived(self, namespace: str, name: str) -> bytes | None:
        """What was kept under ``name`` for ``namespace``; None if nothing is."""
        ...

    async def write_derived(
        self, namespace: str, items: Mapping[str, bytes], engram_ids: Collection[str], *, seen: str | None
    ) -> bool:
        """Keep each ``name: data`` of ``items`` for ``namespace``, replacing what was kept
        under those names; whether it wrote. Checked in the write's own transaction, it
        refuses when one of ``engram_ids`` (all the data names) is no longer stored, or
        when another store object logged a change to the namespace after the change-log
        cursor ``seen`` (the data does not reflect it; None: no cursor, refuse nothing on
        that ground), or its log was trimmed past that cursor."""
        ...

    async def drop_derived(self, namespace: str) -> None:
        """Drop everything kept for ``namespace``."""
        ...
