"""RemoteBrain: a neuram server as a Brain. The same async methods and ``.sync`` facade
(:class:`neuram_core.api.BrainAPI`), over the REST API, so every adapter takes it unchanged.

Like a Brain, it keeps its HTTP connections on a private loop thread
(:class:`neuram_core.portal.LoopThread`): one RemoteBrain serves any event loop, plain sync
code and Jupyter alike. Errors come back as the exceptions a Brain raises (an unknown id
is an UnknownEngramError, bad input a ValueError), with the server's problem ``code``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import httpx

from neuram_core.clock import SystemClock
from neuram_core.dynamics import compute_retention
from neuram_core.engram import Engram, MemoryType
from neuram_core.errors import NeuramError, StoreUnavailableError, UnknownEngramError
from neuram_core.explain import Explanation
from neuram_core.portal import LoopThread
from neuram_core.stores.registry import shown_url
from neuram_core.types import Clock
from neuram_core.validation import check_namespace
from neuram_server.wire import engram_from_wire

__all__ = ["RemoteAccessError", "RemoteBrain", "RemoteError", "RemoteValueError", "SyncRemoteBrain"]

P = ParamSpec("P")
R = TypeVar("R")


class RemoteError(NeuramError, RuntimeError):
    """The server answered with a problem document; ``code`` is its stable code."""

    def __init__(self, code: str, status: int, detail: str) -> None:
        super().__init__(f"{detail} ({code})")
        self.code = code
        self.status = status


class RemoteValueError(RemoteError, ValueError):
    """The server refused a value (what a Brain raises ValueError or TypeError for)."""


class RemoteAccessError(RemoteError, PermissionError):
    """A missing or wrong API key, a read-only key, or a namespace the key may not see."""


class _Connection:
    """The HTTP client and the loop it lives on, shared by a RemoteBrain's namespaces."""

    def __init__(self, url: str, api_key: str | None, timeout: float, transport: httpx.AsyncBaseTransport | None):
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout
        self.transport = transport
        self.portal = LoopThread("neuram-remote")
        self.client: httpx.AsyncClient | None = None

    async def ready(self) -> httpx.AsyncClient:
        if self.client is None:  # made on the private loop, where it is always used
            self.client = httpx.AsyncClient(
                base_url=self.url, headers=self.headers, timeout=self.timeout, transport=self.transport
            )
        return self.client

    async def send(self, method: str, path: str, **options: Any) -> Any:
        client = await self.ready()
        try:
            response = await client.request(method, path, **options)
        except httpx.TimeoutException as exc:
            where = shown_url(self.url)
            raise StoreUnavailableError(f"the neuram server at {where} did not answer in time: {exc}") from None
        except httpx.TransportError as exc:
            raise StoreUnavailableError(f"cannot reach the neuram server at {shown_url(self.url)}: {exc}") from None
        if response.status_code >= 400:
            raise _error(response)
        return None if response.status_code == 204 else response.json()

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def _error(response: httpx.Response) -> Exception:
    try:
        body = response.json()
        code, detail = str(body["code"]), str(body["detail"])
    except (ValueError, KeyError, TypeError):
        return RemoteError("http_error", response.status_code, f"HTTP {response.status_code}: {response.text[:200]}")
    status = response.status_code
    if code == "engram_not_found":
        return UnknownEngramError(str(body.get("engram_id", "")))
    if code in {"store_unavailable", "shutting_down"}:
        return StoreUnavailableError(f"{detail} ({code})")
    if status in {401, 403} or code == "namespace_not_found":
        return RemoteAccessError(code, status, detail)
    if status in {400, 413, 422}:
        return RemoteValueError(code, status, detail)
    return RemoteError(code, status, detail)


def _remote(
    method: Callable[Concatenate[RemoteBrain, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[RemoteBrain, P], Coroutine[Any, Any, R]]:
    """Run the call on the connection's own loop, whichever loop awaits it (as Brain's)."""

    async def hop(self: RemoteBrain, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.connection.portal.run(method(self, *args, **kwargs))

    hop.__name__ = method.__name__
    hop.__doc__ = method.__doc__
    return hop


def _moment(value: float | datetime | None) -> float | str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _kind(value: MemoryType | str | None) -> str | None:
    return None if value is None else MemoryType.parse(value).value


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


class RemoteBrain:
    """A namespace's memory on a neuram server: ``await RemoteBrain(url, api_key=...,
    namespace=...).recall("...")``, or ``.sync.recall(...)`` from code that cannot await.
    ``clock`` reads retention locally (default: the system clock, as the server's)."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        namespace: str = "default",
        timeout: float = 30.0,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        connection: _Connection | None = None,
    ) -> None:
        self.namespace = check_namespace(namespace)
        self.clock: Clock = clock or SystemClock()
        self.connection = connection or _Connection(url, api_key, timeout, transport)
        self.url = self.connection.url
        self._path = f"/v1/namespaces/{quote(self.namespace, safe='')}"

    def for_namespace(self, namespace: str) -> RemoteBrain:
        """Another namespace on the same server, key and connection."""
        return RemoteBrain(self.url, namespace=namespace, clock=self.clock, connection=self.connection)

    @property
    def sync(self) -> SyncRemoteBrain:
        return SyncRemoteBrain(self)

    def retention(self, engram: Engram) -> float:
        return compute_retention(engram, self.clock.now())

    @property
    def working_memory(self) -> builtins.list[Engram]:
        """What the server's working memory of this namespace holds now (a blocking call,
        as reading ``Brain.working_memory`` is a plain read)."""
        answer = self.connection.portal.call(self._send("GET", "/working-memory"))
        return [engram_from_wire(e) for e in answer]

    async def _send(self, method: str, path: str, **options: Any) -> Any:
        return await self.connection.send(method, self._path + path, **options)

    @_remote
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
        body = _drop_none({
            "content": content, "memory_type": _kind(memory_type), "salience": salience, "reward": reward,
            "metadata": metadata, "engram_id": engram_id, "at": _moment(at), "expires_at": _moment(expires_at),
        })  # fmt: skip
        body.update(gate=gate, consolidate=consolidate, pinned=pinned)
        return engram_from_wire(await self._send("POST", "/memories", json=body))

    @_remote
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
        if isinstance(contents, str):
            raise TypeError("perceive_many() takes a sequence of strings, not one string")
        texts = builtins.list(contents)
        if not texts:
            return []

        def moments(value: Any) -> Any:
            if isinstance(value, Sequence) and not isinstance(value, str):
                return [_moment(v) for v in value]
            return _moment(value)

        body = _drop_none({
            "contents": texts, "memory_type": _kind(memory_type), "salience": salience,
            "metadata": builtins.list(metadata) if isinstance(metadata, Sequence) else metadata,
            "at": moments(at), "expires_at": moments(expires_at),
        })  # fmt: skip
        body.update(gate=gate, consolidate=consolidate, pinned=pinned)
        return [engram_from_wire(e) for e in await self._send("POST", "/memories/batch", json=body)]

    @_remote
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
    ) -> builtins.list[tuple[Engram, float]]:
        body = _drop_none({
            "query": query, "top_k": top_k, "memory_type": _kind(memory_type), "since": _moment(since),
            "until": _moment(until), "metadata": metadata, "min_relevance": min_relevance,
        })  # fmt: skip
        body["strengthen"] = strengthen
        answer = await self._send("POST", "/recall", json=body)
        return [(engram_from_wire(hit["memory"]), float(hit["score"])) for hit in answer["results"]]

    @_remote
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
        """What recall would return, each with the parts of its score (Brain.explain):
        a recall that only looks, with ``explain``."""
        body = _drop_none({
            "query": query, "top_k": top_k, "memory_type": _kind(memory_type), "since": _moment(since),
            "until": _moment(until), "metadata": metadata, "min_relevance": min_relevance,
        })  # fmt: skip
        body.update(strengthen=False, explain=True)
        answer = await self._send("POST", "/recall", json=body)
        return [
            Explanation(engram=engram_from_wire(hit["memory"]), score=float(hit["score"]), **hit["explain"])
            for hit in answer["results"]
        ]

    @_remote
    async def rehearse(self, engram_ids: Sequence[str]) -> builtins.list[Engram]:
        if isinstance(engram_ids, str) or not isinstance(engram_ids, Sequence):
            raise TypeError(f"engram_ids must be a sequence of str, not {type(engram_ids).__name__}")
        if not engram_ids:
            return []
        answer = await self._send("POST", "/rehearse", json={"engram_ids": builtins.list(engram_ids)})
        return [engram_from_wire(e) for e in answer]

    @_remote
    async def get(self, engram_id: str) -> Engram:
        return engram_from_wire(await self._send("GET", f"/memories/{quote(engram_id, safe='')}"))

    @_remote
    async def list(
        self, memory_type: MemoryType | str | None = None, metadata: dict[str, Any] | None = None
    ) -> builtins.list[Engram]:
        """Every memory, oldest first (all pages)."""
        import json

        params: dict[str, Any] = _drop_none({"memory_type": _kind(memory_type), "limit": 1000})
        if metadata:
            params["metadata"] = json.dumps(metadata)
        found: builtins.list[Engram] = []
        while True:
            page = await self._send("GET", "/memories", params=params)
            found += [engram_from_wire(e) for e in page["items"]]
            if page["next_cursor"] is None:
                return found
            params["cursor"] = page["next_cursor"]

    @_remote
    async def forget(self, engram_id: str) -> bool:
        try:
            await self._send("DELETE", f"/memories/{quote(engram_id, safe='')}")
        except UnknownEngramError:
            return False
        return True

    @_remote
    async def reinforce(self, engram_id: str, reward: float) -> Engram:
        path = f"/memories/{quote(engram_id, safe='')}/reinforce"
        return engram_from_wire(await self._send("POST", path, json={"reward": reward}))

    @_remote
    async def pin(self, engram_id: str) -> Engram:
        return engram_from_wire(await self._send("POST", f"/memories/{quote(engram_id, safe='')}/pin"))

    @_remote
    async def unpin(self, engram_id: str) -> Engram:
        return engram_from_wire(await self._send("POST", f"/memories/{quote(engram_id, safe='')}/unpin"))

    @_remote
    async def sleep(self) -> dict[str, int]:
        result: dict[str, int] = await self._send("POST", "/sleep")
        return result

    @_remote
    async def clear(self) -> int:
        return int((await self._send("DELETE", "/memories"))["forgotten"])

    @_remote
    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._send("GET", "/stats")
        return result

    @_remote
    async def ping(self) -> None:
        """The server's readiness (/v1/ready): raises StoreUnavailableError when its store
        does not answer, as Brain.ping does for its own."""
        await self.connection.send("GET", "/v1/ready")

    @_remote
    async def namespaces(self) -> builtins.list[str]:
        """The namespaces this key may read."""
        answer = await self.connection.send("GET", "/v1/namespaces")
        return [str(n) for n in answer["namespaces"]]

    @_remote
    async def export_lines(self) -> builtins.list[str]:
        """The namespace's export (JSON Lines, ``neuram export``'s format), line by line."""
        client = await self.connection.ready()
        lines: builtins.list[str] = []
        async with client.stream("GET", f"{self._path}/export") as response:
            if response.status_code >= 400:
                await response.aread()
                raise _error(response)
            async for line in response.aiter_lines():
                lines.append(line + "\n")
        return lines

    @_remote
    async def import_lines(self, data: bytes) -> int:
        """Import an export's bytes into this namespace (all or nothing); how many engrams."""
        answer = await self._send("POST", "/import", content=data, headers={"content-type": "application/x-ndjson"})
        return int(answer["imported"])

    async def close(self) -> None:
        """Close the connection (every namespace of it) and its loop thread."""
        connection = self.connection
        await connection.portal.close_with(connection.aclose())  # once; a second close waits for it

    def close_blocking(self) -> None:
        connection = self.connection
        connection.portal.close_with_blocking(connection.aclose())

    async def __aenter__(self) -> RemoteBrain:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"RemoteBrain({shown_url(self.url)!r}, namespace={self.namespace!r})"


def _blocking(
    method: Callable[Concatenate[RemoteBrain, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[SyncRemoteBrain, P], R]:
    def call(self: SyncRemoteBrain, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.brain.connection.portal.call(method(self.brain, *args, **kwargs))

    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


class SyncRemoteBrain:
    """``remote.sync``: every RemoteBrain coroutine as a blocking call (as ``brain.sync``)."""

    __slots__ = ("brain",)

    def __init__(self, brain: RemoteBrain) -> None:
        self.brain = brain

    perceive = _blocking(RemoteBrain.perceive)
    perceive_many = _blocking(RemoteBrain.perceive_many)
    recall = _blocking(RemoteBrain.recall)
    explain = _blocking(RemoteBrain.explain)
    rehearse = _blocking(RemoteBrain.rehearse)
    get = _blocking(RemoteBrain.get)
    list = _blocking(RemoteBrain.list)
    forget = _blocking(RemoteBrain.forget)
    reinforce = _blocking(RemoteBrain.reinforce)
    pin = _blocking(RemoteBrain.pin)
    unpin = _blocking(RemoteBrain.unpin)
    sleep = _blocking(RemoteBrain.sleep)
    clear = _blocking(RemoteBrain.clear)
    stats = _blocking(RemoteBrain.stats)
    namespaces = _blocking(RemoteBrain.namespaces)
    ping = _blocking(RemoteBrain.ping)

    def close(self) -> None:
        self.brain.close_blocking()

    def __enter__(self) -> SyncRemoteBrain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
