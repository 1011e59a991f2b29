"""BrainAPI: what an adapter may use of a brain, whether it is in this process or behind a
server. :class:`~neuram_core.Brain` satisfies it, and so does ``neuram.RemoteBrain``, so
every adapter takes either, unchanged."""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from neuram_core.engram import Engram, MemoryType
from neuram_core.types import Clock

__all__ = ["BrainAPI"]


_ProtocolMeta: Any = type(Protocol)


class _Members(_ProtocolMeta):  # type: ignore[misc]
    """``isinstance`` by the members' presence, read statically (as Python 3.12 does): a
    check never runs a property such as ``sync``."""

    def __instancecheck__(cls, instance: object) -> bool:
        members = [name for name in _MEMBERS if name not in {"namespace", "clock"}]
        missing = object()
        if any(inspect.getattr_static(instance, name, missing) is missing for name in members):
            return False
        return all(hasattr(instance, name) for name in ("namespace", "clock"))  # plain attributes


@runtime_checkable
class BrainAPI(Protocol, metaclass=_Members):
    """A namespace's memory: the async methods adapters call, the ``.sync`` facade with the
    same names (for :func:`neuram_core.plan.run_sync`), and the namespace's clock."""

    namespace: str
    clock: Clock

    @property
    def sync(self) -> Any: ...

    @property
    def working_memory(self) -> builtins.list[Engram]: ...

    def for_namespace(self, namespace: str) -> BrainAPI: ...

    def retention(self, engram: Engram) -> float: ...

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
    ) -> Engram: ...

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
    ) -> builtins.list[Engram]: ...

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
    ) -> builtins.list[tuple[Engram, float]]: ...

    async def rehearse(self, engram_ids: Sequence[str]) -> builtins.list[Engram]: ...

    async def get(self, engram_id: str) -> Engram: ...

    async def list(
        self, memory_type: MemoryType | str | None = None, metadata: dict[str, Any] | None = None
    ) -> builtins.list[Engram]: ...

    async def forget(self, engram_id: str) -> bool: ...

    async def reinforce(self, engram_id: str, reward: float) -> Engram: ...

    async def pin(self, engram_id: str) -> Engram: ...

    async def unpin(self, engram_id: str) -> Engram: ...

    async def sleep(self) -> dict[str, int]: ...

    async def clear(self) -> int: ...

    async def stats(self) -> dict[str, Any]: ...

    async def namespaces(self) -> builtins.list[str]: ...

    async def close(self) -> None: ...


_MEMBERS = (
    "namespace", "clock", "sync", "working_memory", "for_namespace", "retention", "perceive", "perceive_many",
    "recall", "rehearse", "get", "list", "forget", "reinforce", "pin", "unpin", "sleep", "clear", "stats",
    "namespaces", "close",
)  # fmt: skip
