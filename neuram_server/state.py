"""What every request handler and MCP tool shares: settings, keys, the namespace LRU, and
the access rules (tenants, read-only, limits) applied the same way over REST and MCP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from neuram_core.brain import Brain
from neuram_core.validation import check_namespace
from neuram_server.history import SleepHistory
from neuram_server.keys import ALL, Grant, KeyRing
from neuram_server.problems import Problem
from neuram_server.registry import NamespaceRegistry
from neuram_server.settings import ServerSettings

__all__ = ["ServerState", "grant_of"]


def grant_of(keys: KeyRing | None, key: str | None) -> Grant:
    """What ``key`` may do under ``keys`` (every thing without a keys file: localhost only);
    Problem ``missing_api_key`` or ``invalid_api_key`` when it may do nothing."""
    if keys is None:
        return ALL
    if not key:
        raise Problem("missing_api_key", "send the API key as 'Authorization: Bearer <key>' or 'X-API-Key'")
    grant = keys.grant_for(key)
    if grant is None:
        raise Problem("invalid_api_key", "this API key is not in the server's keys file")
    return grant


@dataclass
class ServerState:
    settings: ServerSettings
    registry: NamespaceRegistry
    keys: KeyRing | None
    shutting_down: bool = field(default=False)
    history: SleepHistory = field(default_factory=SleepHistory)

    def __post_init__(self) -> None:
        self.registry.on_load = self.history.watch

    @property
    def root(self) -> Brain:
        return self.registry.root

    def now(self) -> float:
        return self.root.clock.now()

    # -- who is calling ------------------------------------------------------------------
    def grant(self, key: str | None) -> Grant:
        """The caller's grant from its key; with no keys file every caller (on localhost)
        may do everything."""
        return grant_of(self.keys, key)

    def namespace(self, grant: Grant, namespace: str, *, write: bool) -> str:
        """A namespace the caller may use, checked; one it may not see answers exactly as
        one that does not exist would (404), so no tenant learns another's names."""
        try:
            namespace = check_namespace(namespace)
        except (TypeError, ValueError) as exc:
            raise Problem("invalid_namespace", str(exc)) from None
        if not grant.can_read(namespace):
            raise Problem("namespace_not_found", f"no namespace {namespace!r} for this key")
        if write:
            self.writable(grant, namespace)
        return namespace

    def writable(self, grant: Grant, namespace: str) -> None:
        if self.settings.read_only:
            raise Problem("read_only", "this server was started with --read-only")
        if not grant.can_write(namespace):
            raise Problem("read_only", f"this key may only read namespace {namespace!r}")

    def may_write(self, grant: Grant, namespace: str) -> bool:
        return not self.settings.read_only and grant.can_write(namespace)

    @asynccontextmanager
    async def brain(self, namespace: str) -> AsyncIterator[Brain]:
        if self.shutting_down:
            raise Problem("shutting_down", "the server is shutting down; retry on another instance")
        async with self.registry.use(namespace) as brain:
            yield brain

    # -- limits ----------------------------------------------------------------------------
    def text(self, value: str, name: str) -> str:
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > self.settings.max_text_bytes:
            raise Problem(
                "text_too_long",
                f"{name} is {size} bytes; this server takes at most {self.settings.max_text_bytes}",
                limit=self.settings.max_text_bytes,
            )
        return value

    def metadata(self, value: object, name: str = "metadata") -> None:
        if value is not None:
            self.text(json.dumps(value, ensure_ascii=False, default=str), name)

    def top_k(self, value: int | None) -> int | None:
        if value is not None and value > self.settings.max_top_k:
            raise Problem(
                "top_k_too_large",
                f"top_k is {value}; this server returns at most {self.settings.max_top_k}",
                limit=self.settings.max_top_k,
            )
        return value
