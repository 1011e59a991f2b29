"""The ASGI app: REST under ``/v1``, MCP (streamable HTTP) at ``/mcp``, problem documents
for every error, a body limit, and the lifespan that opens and closes the store."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from neuram_core import __version__
from neuram_core.brain import Brain
from neuram_core.errors import EmbedderMismatchError, StoreUnavailableError, UnknownEngramError
from neuram_core.types import Clock, Embedder
from neuram_server.batching import BatchingEmbedder
from neuram_server.keys import KeyRing, key_of
from neuram_server.problems import Problem, problem_body
from neuram_server.registry import NamespaceRegistry
from neuram_server.settings import ServerSettings
from neuram_server.state import ServerState, grant_of

__all__ = ["create_app", "embedder_of"]

log = logging.getLogger("neuram.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _send_problem(scope: Scope, send: Send, code: str, detail: str, *extra_headers: tuple[bytes, bytes]) -> None:
    """A problem document straight from ASGI middleware (before any route runs)."""
    import json

    problem = problem_body(code, detail, scope.get("path", ""))
    body = json.dumps(problem).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": int(problem["status"]), "headers": [*headers, *extra_headers]})
    await send({"type": "http.response.body", "body": body})


class McpNeedsKey:
    """With a keys file, ``/mcp`` answers 401 before a session opens: without a valid key
    no one may initialise a session or list the tools (each tool call checks its key and
    namespace again), and an MCP client learns at once that it must authenticate."""

    def __init__(self, app: ASGIApp, keys: KeyRing | None) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.keys is None or scope["type"] != "http" or scope.get("path", "").rstrip("/") != "/mcp":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}
        try:
            grant_of(self.keys, key_of(headers.get("x-api-key"), headers.get("authorization")))
        except Problem as refused:
            await _send_problem(scope, send, refused.code, refused.detail, (b"www-authenticate", b"Bearer"))
            return
        await self.app(scope, receive, send)


def _problem(request: Request, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = problem_body(code, detail, request.url.path, **extra)
    return JSONResponse(body, status_code=body["status"], media_type="application/problem+json")


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> JSONResponse:
        return _problem(request, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _problem(request, "malformed_json", "the request body is not valid JSON")
        shown: list[dict[str, Any]] = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in errors]
        first = shown[0] if shown else {"loc": [], "msg": "invalid"}
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        message = str(first["msg"])
        return _problem(request, "invalid_request", f"{where}: {message}" if where else message, errors=shown)

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type"}
        return _problem(request, code.get(exc.status_code, "invalid_request"), str(exc.detail))

    @app.exception_handler(UnknownEngramError)
    async def unknown(request: Request, exc: UnknownEngramError) -> JSONResponse:
        return _problem(request, "engram_not_found", str(exc), engram_id=exc.engram_id)

    @app.exception_handler(EmbedderMismatchError)
    async def mismatch(request: Request, exc: EmbedderMismatchError) -> JSONResponse:
        return _problem(request, "embedder_mismatch", str(exc))

    @app.exception_handler(StoreUnavailableError)
    async def store_down(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        log.warning("store unavailable: %s", exc)
        return _problem(request, "store_unavailable", "the long-term store did not answer; retry later")

    @app.exception_handler(ValueError)
    async def value(request: Request, exc: ValueError) -> JSONResponse:
        return _problem(request, "invalid_value", str(exc))

    @app.exception_handler(TypeError)
    async def wrong_type(request: Request, exc: TypeError) -> JSONResponse:
        return _problem(request, "invalid_value", str(exc))

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _problem(request, "internal_error", "the server failed to answer; the error is in its log")


class BodyLimit:
    """413 ``body_too_large`` for a body over the limit, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        seen = 0
        over = False

        async def counting() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # end the body here; what the app answers to it is replaced
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if over:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting, sending)
        if over and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        import json

        body = json.dumps(
            problem_body(
                "body_too_large",
                f"the body is over this server's limit of {self.limit} bytes",
                scope.get("path", ""),
                limit=self.limit,
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def create_app(
    settings: ServerSettings,
    *,
    embedder: Embedder | str | None = None,
    clock: Clock | None = None,
    mcp: bool = True,
) -> FastAPI:
    """The server's ASGI app. ``embedder``/``clock`` override the settings' (tests inject
    a hashing embedder and a manual clock); the store opens in the lifespan."""
    keys = KeyRing.load(settings.keys_file) if settings.keys_file else None
    holder: dict[str, ServerState] = {}
    mcp_server = None
    if mcp:
        from neuram_server.mcp_tools import build_mcp

        mcp_server = build_mcp(lambda: holder["state"], host=settings.host)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with contextlib.ExitStack() as stack:
            if settings.one_blas_thread:
                from threadpoolctl import ThreadpoolController

                limits = ThreadpoolController().limit(limits=1, user_api="blas")
                stack.callback(limits.restore_original_limits)
            async with serving() as running:
                yield running

    @contextlib.asynccontextmanager
    async def serving() -> AsyncIterator[None]:
        chosen = embedder if embedder is not None else embedder_of(settings.embedder)
        root = await Brain.create(
            url=settings.store,
            namespace="default",
            embedder=BatchingEmbedder.wrap(chosen),
            clock=clock,
        )
        interval = settings.sleep_interval(root.config.sleep_interval_seconds)
        registry = NamespaceRegistry(root, budget=settings.max_loaded_engrams, sleep_interval=interval)
        state = ServerState(settings=settings, registry=registry, keys=keys)
        holder["state"] = state
        app.state.neuram = state
        async with registry.use(root.namespace):
            pass  # the root's namespace, loaded by create, joins the LRU (and sleeps)
        try:
            if mcp_server is not None:
                async with mcp_server.session_manager.run():
                    yield
            else:
                yield
        finally:
            state.shutting_down = True
            await root.close()

    app = FastAPI(
        title="neuram",
        version=__version__,
        summary="Memory for AI agents that behaves like a brain's: perceive, recall, sleep, forget.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    _handlers(app)
    from neuram_server.rest import router

    app.include_router(router)
    _explorer(app)
    if mcp_server is not None:
        # The SDK's own route for its endpoint (/mcp), served by this app, not mounted under it.
        app.router.routes.extend(mcp_server.streamable_http_app().routes)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if mcp_server is not None:
        app.add_middleware(McpNeedsKey, keys=keys)
    return app


EXPLORER = Path(__file__).with_name("explorer")
"""The explorer's files (plain HTML, CSS and JS, shipped in the wheel: no CDN, no build)."""

# The page loads only its own files and talks only to this server (no inline script).
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _explorer(app: FastAPI) -> None:
    """The explorer at ``/`` (its files under ``/explorer/``): a page over this same REST API,
    so it holds to the server's keys and ``--read-only`` as any client does."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(EXPLORER / "index.html", media_type="text/html", headers=_PAGE_HEADERS)

    app.mount("/explorer", StaticFiles(directory=EXPLORER), name="explorer")


def embedder_of(spec: str | None) -> Embedder | str | None:
    """``hashing`` / ``hashing-N`` (tests, demos) or a sentence-transformers model name/path."""
    if spec is not None and (spec == "hashing" or spec.startswith("hashing-")):
        from neuram_core.embeddings import HashingEmbedder

        size = spec.partition("-")[2]
        if size and not size.isdigit():
            raise ValueError(f"--embedder {spec}: hashing-N takes a dimension, e.g. hashing-384")
        return HashingEmbedder(int(size)) if size else HashingEmbedder()
    return spec
