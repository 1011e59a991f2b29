"""``neuram serve`` (REST + MCP over HTTP, under uvicorn) and ``neuram mcp`` (MCP over stdio).

uvicorn owns the signals: SIGTERM stops taking connections, lets in-flight requests finish,
then the app's lifespan closes every store. Writes are acknowledged only once the store
has them (SQLite in WAL mode, Redis with AOF), so a SIGKILL loses none of them.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from neuram_server.settings import ServerSettings

if TYPE_CHECKING:
    from neuram_core.types import Embedder

__all__ = ["LOCAL_HOSTS", "ServeError", "check", "explore", "run_mcp_stdio", "serve"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ServeError(Exception):
    """A configuration the server refuses to start with (reported as ``neuram: error: ...``)."""


def check(settings: ServerSettings) -> None:
    """Refuse an open server: without a keys file, only loopback may connect."""
    if settings.keys_file is None and settings.host not in LOCAL_HOSTS:
        raise ServeError(
            f"--host {settings.host} without --keys would let anyone on the network read and write every "
            "namespace: give a keys file (docs/server.md), or serve on 127.0.0.1"
        )


class _ClientClosed(logging.Filter):
    """Drop the MCP SDK's error report for a client that closed its event stream (every
    session's normal end): it is not a fault, and a traceback per session buries real ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "ClosedResourceError"


def _logging() -> None:
    """Plain log lines on stderr, warnings and up (set before the MCP SDK would set its own)."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("mcp.server.streamable_http").addFilter(_ClientClosed())


def serve(settings: ServerSettings, *, explorer_url: str | None = None) -> int:
    import uvicorn

    _logging()
    from neuram_server.app import create_app
    from neuram_server.keys import KeysFileError

    check(settings)
    embedder = _loaded_embedder(settings.embedder)
    if settings.store is not None:
        asyncio.run(_reachable(settings.store))
    if explorer_url is not None:
        print(f"neuram: the explorer is at {explorer_url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        app = create_app(settings, embedder=embedder)
    except KeysFileError as exc:
        raise ServeError(str(exc)) from None
    if settings.store is None:
        from neuram_core.stores.sqlite import default_path

        where = f"the embedded SQLite store's default file {default_path()}"  # $NEURAM_PATH named, a typo seen
    else:
        from neuram_core.stores.registry import shown_url

        where = shown_url(settings.store)  # a Redis password stays out of the logs
    if settings.keys_file is None:
        access = "no --keys file: serving localhost only, every caller may read and write every namespace"
    else:
        access = f"API keys from {settings.keys_file}"
    mode = ", read-only" if settings.read_only else ""
    print(
        f"neuram: serving {where} on http://{_host(settings.host)}:{settings.port} "
        f"(REST /v1, docs /docs, MCP /mcp; {access}{mode})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # request lines carry no keys, but tenants' names need not be logged
        timeout_graceful_shutdown=30,
        lifespan="on",
    )
    return 0


async def _reachable(url: str) -> None:
    """One round trip to the store before the server says it serves: a store that does
    not answer (a wrong host, port or password) is one error line, not a start-up
    traceback. The store's own error never holds the URL's password."""
    from neuram_core.errors import StoreUnavailableError
    from neuram_core.stores.registry import open_store

    store = open_store(url)
    try:
        await store.count("default")
    except StoreUnavailableError as exc:
        raise ServeError(str(exc)) from None
    finally:
        await store.close()


def _loaded_embedder(spec: str | None) -> Embedder:
    """The embedder ``--embedder`` names, its model loaded now: a model that cannot be
    loaded is refused in one line before the server says it serves, not by a traceback
    from its start-up."""
    from neuram_core.embeddings import resolve_embedder
    from neuram_core.errors import ModelUnavailableError
    from neuram_server.app import embedder_of

    embedder = resolve_embedder(embedder_of(spec))
    try:
        embedder.dimension  # noqa: B018 - loads the model
    except ModelUnavailableError as exc:
        raise ServeError(str(exc)) from None
    return embedder


def explore(settings: ServerSettings, *, open_browser: bool = True) -> int:
    """``neuram explore``: the server on localhost (no keys, so loopback only, as ``check``
    insists), and a browser opened on its explorer once it answers."""
    url = f"http://{_host(settings.host)}:{settings.port}/"
    if open_browser:
        threading.Thread(target=_open_when_up, args=(url,), name="neuram-explore-browser", daemon=True).start()
    return serve(settings, explorer_url=url)


def _open_when_up(url: str, timeout: float = 60) -> None:
    """Open the browser once the server answers, not before (a page that fails to load
    on the first try looks broken)."""
    import urllib.error
    import urllib.request
    import webbrowser

    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with direct.open(url + "v1/health", timeout=1) as answer:
                if answer.status == 200:
                    webbrowser.open(url)
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run_mcp_stdio(settings: ServerSettings, namespace: str) -> int:
    """MCP over stdin/stdout for a desktop client that starts a command: the tools on one
    in-process Brain (the store is this user's; no keys)."""
    _logging()
    asyncio.run(_stdio(settings, namespace))
    return 0


async def _stdio(settings: ServerSettings, namespace: str) -> None:
    from neuram_core.brain import Brain
    from neuram_server.app import embedder_of
    from neuram_server.batching import BatchingEmbedder
    from neuram_server.mcp_tools import build_mcp
    from neuram_server.registry import NamespaceRegistry
    from neuram_server.state import ServerState

    root = await Brain.create(
        url=settings.store, namespace=namespace, embedder=BatchingEmbedder.wrap(embedder_of(settings.embedder))
    )
    interval = settings.sleep_interval(root.config.sleep_interval_seconds)
    registry = NamespaceRegistry(root, budget=settings.max_loaded_engrams, sleep_interval=interval)
    state = ServerState(settings=settings, registry=registry, keys=None)
    mcp: Any = build_mcp(lambda: state, default_namespace=namespace)
    try:
        await mcp.run_stdio_async()
    finally:
        state.shutting_down = True
        await root.close()
