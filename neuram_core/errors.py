"""The errors neuram raises. Every one is a ValueError or a RuntimeError subclass so
callers who do not know neuram can still catch them by the usual builtins."""

from __future__ import annotations

__all__ = [
    "ChangeLogTrimmedError",
    "NeuramError",
    "StoreUnavailableError",
    "UnknownEngramError",
]


class NeuramError(Exception):
    """Base class of every error neuram raises on purpose."""


class UnknownEngramError(NeuramError, ValueError):
    """An engram id that this namespace does not hold."""

    def __init__(self, engram_id: str) -> None:
        super().__init__(f"no engram with id {engram_id!r} in this namespace")
        self.engram_id = engram_id


class StoreUnavailableError(NeuramError, RuntimeError):
    """The long-term store did not answer in time or refused the operation."""


class ChangeLogTrimmedError(NeuramError, RuntimeError):
    """A store's change log was trimmed past a reader's cursor: changes it never saw are
    gone, so replaying the log cannot bring its index up to date; reload the namespace."""

    def __init__(self, namespace: str) -> None:
        super().__init__(f"the change log of namespace {namespace!r} was trimmed past this cursor; reload it")
        self.namespace = namespace
