"""The REST API, version 1: ``/v1/namespaces/{namespace}/...``, thin over Brain.

Each route checks access (``state.ServerState``), then makes exactly the Brain call its
name says; the request and response models are the OpenAPI description.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from neuram_core.brain import Brain, on_brain_loop
from neuram_core.cli import EXPORT_HEADER
from neuram_core.codec import dangling_fragment, engram_from_export, engram_to_export
from neuram_core.dynamics import forget_at_for
from neuram_core.engram import Engram
from neuram_core.errors import UnknownEngramError
from neuram_core.explain import Explanation
from neuram_core.identity import DIMENSION, EMBEDDER, REEMBEDDING
from neuram_server.keys import Grant, key_of
from neuram_server.paging import SortName, matching, moment_of, page_of, sort_values
from neuram_server.problems import Problem
from neuram_server.state import ServerState
from neuram_server.wire import engram_to_wire

__all__ = ["router"]

router = APIRouter(prefix="/v1")

MemoryTypeName = Literal["episodic", "semantic", "procedural", "habitual"]
Moment = float | datetime  # epoch seconds, or ISO 8601


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)  # NaN: "finite", not "<= 1"


class PerceiveRequest(_Body):
    content: str = Field(description="The text to remember.")
    memory_type: MemoryTypeName | None = Field(None, description="Default: routed from the text.")
    salience: float | None = Field(None, ge=0, le=1, description="0-1; default: appraised from the text.")
    reward: float | None = Field(None, ge=-1, le=1)
    metadata: dict[str, Any] | None = None
    gate: bool = Field(True, description="False: skip the Thalamus filter (store small talk too).")
    consolidate: bool = Field(False, description="Store it long-term at once, without waiting for a sleep.")
    engram_id: str | None = Field(None, description="Replace the memory with this id.")
    pinned: bool = Field(False, description="Never pruned, however it fades.")
    at: Moment | None = Field(None, description="When it happened (not in the future).")
    expires_at: Moment | None = Field(None, description="Hidden from recall after this, pruned at the next sleep.")


class PerceiveManyRequest(_Body):
    contents: list[str] = Field(min_length=1, max_length=10_000)
    memory_type: MemoryTypeName | None = None
    salience: float | None = Field(None, ge=0, le=1)
    metadata: dict[str, Any] | list[dict[str, Any]] | None = None
    gate: bool = True
    consolidate: bool = False
    pinned: bool = False
    at: Moment | list[Moment | None] | None = None
    expires_at: Moment | list[Moment | None] | None = None


class RecallRequest(_Body):
    query: str
    top_k: int | None = Field(None, ge=0)
    memory_type: MemoryTypeName | None = None
    since: Moment | None = None
    until: Moment | None = None
    metadata: dict[str, Any] | None = Field(None, description="Only memories whose metadata has these values.")
    strengthen: bool = Field(True, description="False: look without strengthening (read-only keys never do).")
    explain: bool = Field(
        False, description="Add why each came back: similarity, lexical, spread (from which memory), retention."
    )
    min_relevance: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Only what stands out from chance (see docs/recall.md)."
    )


class ReinforceRequest(_Body):
    reward: float = Field(ge=-1, le=1)


class RehearseRequest(_Body):
    engram_ids: list[str] = Field(min_length=1, max_length=1000)


class Memory(BaseModel):
    """An engram: the export format's fields without the embedding, plus its retention now."""

    model_config = ConfigDict(extra="allow")
    engram_id: str
    content: str
    memory_type: str
    retention: float


class RecallHit(BaseModel):
    memory: Memory
    score: float
    explain: dict[str, float | str | None] | None = None


class RecallResponse(BaseModel):
    results: list[RecallHit]


class MemoryPage(BaseModel):
    items: list[Memory]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last.")
    total: int | None = Field(None, description="How many memories match, over every page.")


class Access(BaseModel):
    namespace: str
    write: bool = Field(description="False: this key or server may only read here.")
    read_only_server: bool = Field(description="The server was started with --read-only.")


class Namespaces(BaseModel):
    namespaces: list[str]


ApiKey = Annotated[str | None, Header(alias="X-API-Key", include_in_schema=True)]
Authorization = Annotated[str | None, Header(include_in_schema=False)]


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.neuram
    return state


def _caller(request: Request, api_key: str | None, authorization: str | None) -> Grant:
    return _state(request).grant(key_of(api_key, authorization))


def _wire(state: ServerState, engram: Engram) -> dict[str, Any]:
    return engram_to_wire(engram, state.now())


# -- routes -------------------------------------------------------------------------------------
@router.get("/health", tags=["server"])
async def health(request: Request) -> dict[str, Any]:
    """Liveness: 200 while the server takes requests (no key needed, tells no tenant's data)."""
    state = _state(request)
    if state.shutting_down:
        raise Problem("shutting_down", "the server is shutting down")
    return {"status": "ok"}


@router.get("/ready", tags=["server"], responses={503: {"description": "The store did not answer"}})
async def ready(request: Request) -> dict[str, Any]:
    """Readiness: 200 when the long-term store answers, 503 ``store_unavailable`` when it
    does not (a load balancer stops sending; liveness, /v1/health, stays 200, so the
    process is not restarted for a store outage). No key needed; tells no tenant's data."""
    state = _state(request)
    if state.shutting_down:
        raise Problem("shutting_down", "the server is shutting down")
    await state.root.ping()
    return {"status": "ready"}


@router.get("/namespaces", tags=["namespaces"])
async def namespaces(request: Request, x_api_key: ApiKey = None, authorization: Authorization = None) -> Namespaces:
    """The namespaces this key may read that the store holds memories for."""
    state = _state(request)
    grant = _caller(request, x_api_key, authorization)
    names = await state.root.namespaces()
    return Namespaces(namespaces=sorted(n for n in names if grant.can_read(n)))


_DROPPED: dict[int | str, dict[str, Any]] = {
    200: {"description": "The Thalamus dropped the input (filtered_reason set); nothing was stored"}
}


@router.post("/namespaces/{namespace}/memories", status_code=201, tags=["memories"], responses=_DROPPED)
async def perceive(
    request: Request,
    response: Response,
    namespace: str,
    body: PerceiveRequest,
    x_api_key: ApiKey = None,
    authorization: Authorization = None,
) -> Memory:
    """Perceive one input: 201 with the stored memory, or 200 with ``filtered_reason`` set
    when the Thalamus dropped it (nothing was stored)."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    state.text(body.content, "content")
    state.metadata(body.metadata)
    async with state.brain(ns) as brain:
        engram = await brain.perceive(
            body.content,
            memory_type=body.memory_type,
            salience=body.salience,
            reward=body.reward,
            metadata=body.metadata,
            gate=body.gate,
            consolidate=body.consolidate,
            engram_id=body.engram_id,
            pinned=body.pinned,
            at=body.at,
            expires_at=body.expires_at,
        )
        if engram.filtered:
            response.status_code = 200  # nothing was created
        return Memory.model_validate(_wire(state, engram))


@router.post(
    "/namespaces/{namespace}/memories/batch",
    status_code=201,
    tags=["memories"],
    responses={200: {"description": "The Thalamus dropped every input (filtered_reason set); nothing was stored"}},
)
async def perceive_many(
    request: Request,
    response: Response,
    namespace: str,
    body: PerceiveManyRequest,
    x_api_key: ApiKey = None,
    authorization: Authorization = None,
) -> list[Memory]:
    """Perceive many inputs in order, embedded in batches; one memory per input: 201 when
    any was stored, 200 when the Thalamus dropped them all."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    for i, text in enumerate(body.contents):
        state.text(text, f"contents[{i}]")
    state.metadata(body.metadata)
    async with state.brain(ns) as brain:
        engrams = await brain.perceive_many(
            body.contents,
            memory_type=body.memory_type,
            salience=body.salience,
            metadata=body.metadata,
            gate=body.gate,
            consolidate=body.consolidate,
            pinned=body.pinned,
            at=body.at,
            expires_at=body.expires_at,
            progress=False,
        )
        if all(e.filtered for e in engrams):
            response.status_code = 200  # nothing was created
        return [Memory.model_validate(_wire(state, e)) for e in engrams]


@router.post("/namespaces/{namespace}/recall", tags=["recall"], response_model=RecallResponse)
async def recall(
    request: Request,
    namespace: str,
    body: RecallRequest,
    x_api_key: ApiKey = None,
    authorization: Authorization = None,
) -> Response:
    """What the query brings back, best first. Strengthens what it returns (LTP) unless
    ``strengthen`` is false, or the key or server may only read."""
    state = _state(request)
    grant = _caller(request, x_api_key, authorization)
    ns = state.namespace(grant, namespace, write=False)
    state.text(body.query, "query")
    state.metadata(body.metadata)
    top_k = state.top_k(body.top_k)
    strengthen = body.strengthen and state.may_write(grant, ns)
    options: dict[str, Any] = {
        "top_k": top_k,
        "memory_type": body.memory_type,
        "since": _seconds(body.since),
        "until": _seconds(body.until),
        "metadata": body.metadata,
        "min_relevance": body.min_relevance,
    }
    async with state.brain(ns) as brain:
        parts: dict[str, dict[str, Any]] = {}
        if body.explain:
            for explained in await brain.explain(body.query, **options):
                parts[explained.engram.engram_id] = _explained(explained)
        hits = await brain.recall(body.query, strengthen=strengthen, **options)
    # The hot path: the documents are built once and serialised by orjson, not validated
    # again by a response model (RecallResponse describes them in the OpenAPI schema).
    results = [
        {"memory": _wire(state, e), "score": float(score), "explain": parts.get(e.engram_id) if body.explain else None}
        for e, score in hits
    ]
    return Response(orjson.dumps({"results": results}), media_type="application/json")


def _seconds(value: float | datetime | None) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else value


def _explained(explained: Explanation) -> dict[str, Any]:
    """An Explanation's parts (the memory itself is in the hit already)."""
    parts = explained.as_dict()
    del parts["engram_id"], parts["content"], parts["score"]
    return parts


@router.get("/namespaces/{namespace}/memories/{engram_id}", tags=["memories"])
async def get_memory(
    request: Request, namespace: str, engram_id: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> Memory:
    """One memory by id, with ``forget_at``: when sleep will prune it (epoch seconds; null
    for a pinned one), which the explorer draws its forgetting curve to."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=False)
    async with state.brain(ns) as brain:
        engram = await brain.get(engram_id)
        due = forget_at_for(engram, brain.config)
    return Memory.model_validate({**_wire(state, engram), "forget_at": due if math.isfinite(due) else None})


@router.get("/namespaces/{namespace}/memories", tags=["memories"])
async def list_memories(
    request: Request,
    namespace: str,
    memory_type: MemoryTypeName | None = None,
    metadata: Annotated[
        str | None, Query(description='A JSON object: only memories with these values, e.g. {"user":"ada"}')
    ] = None,
    q: Annotated[
        str | None, Query(max_length=1000, description="Only memories whose content holds this text (any case).")
    ] = None,
    pinned: Annotated[bool | None, Query(description="Only pinned (true) or only unpinned (false) memories.")] = None,
    since: Annotated[float | None, Query(description="Only memories encoded at or after (epoch seconds).")] = None,
    until: Annotated[float | None, Query(description="Only memories encoded at or before (epoch seconds).")] = None,
    sort: Annotated[SortName, Query(description="The order of the pages (retention: as of this request).")] = (
        "encoded_at"
    ),
    order: Literal["asc", "desc"] = "asc",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
    x_api_key: ApiKey = None,
    authorization: Authorization = None,
) -> MemoryPage:
    """The namespace's memories, oldest first unless sorted otherwise, a page at a time
    (expired ones left out); ``total`` counts every match, over all pages."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=False)
    wanted = None
    if metadata is not None:
        try:
            wanted = json.loads(metadata)
        except json.JSONDecodeError:
            raise Problem("invalid_value", "metadata must be a JSON object") from None
        if not isinstance(wanted, dict):
            raise Problem("invalid_value", "metadata must be a JSON object")
    async with state.brain(ns) as brain:
        found = await brain.listing(memory_type, wanted)  # page_of orders them
    chosen = matching(found, text=q, pinned=pinned, since=since, until=until)
    now = moment_of(cursor) or state.now()  # retention as of the first page's moment
    page, next_cursor = page_of(
        chosen,
        limit,
        cursor,
        values=sort_values(chosen, sort, now),
        descending=order == "desc",
        moment=now if sort == "retention" else None,
    )
    return MemoryPage(
        items=[Memory.model_validate(_wire(state, e)) for e in page], next_cursor=next_cursor, total=len(chosen.engrams)
    )


@router.get("/namespaces/{namespace}/access", tags=["namespaces"])
async def access(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> Access:
    """What this key may do here: read always (else 404), write unless the key or the
    server may only read. The explorer hides its tending actions by it."""
    state = _state(request)
    grant = _caller(request, x_api_key, authorization)
    ns = state.namespace(grant, namespace, write=False)
    return Access(namespace=ns, write=state.may_write(grant, ns), read_only_server=state.settings.read_only)


@router.delete("/namespaces/{namespace}/memories/{engram_id}", status_code=204, tags=["memories"])
async def forget(
    request: Request, namespace: str, engram_id: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> Response:
    """Remove one memory everywhere, now."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    async with state.brain(ns) as brain:
        if not await brain.forget(engram_id):
            raise UnknownEngramError(engram_id)
    return Response(status_code=204)


@router.delete("/namespaces/{namespace}/memories", tags=["memories"])
async def clear(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> dict[str, int]:
    """Forget everything in the namespace; how many memories went."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    async with state.brain(ns) as brain:
        return {"forgotten": await brain.clear()}


@router.post("/namespaces/{namespace}/memories/{engram_id}/reinforce", tags=["memories"])
async def reinforce(
    request: Request,
    namespace: str,
    engram_id: str,
    body: ReinforceRequest,
    x_api_key: ApiKey = None,
    authorization: Authorization = None,
) -> Memory:
    """Dopamine: a reward in [-1, 1] strengthens (or weakens) a memory, habits above all."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    async with state.brain(ns) as brain:
        return Memory.model_validate(_wire(state, await brain.reinforce(engram_id, body.reward)))


@router.post("/namespaces/{namespace}/memories/{engram_id}/pin", tags=["memories"])
async def pin(
    request: Request, namespace: str, engram_id: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> Memory:
    """Keep a memory for good: never pruned, however it fades."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    async with state.brain(ns) as brain:
        return Memory.model_validate(_wire(state, await brain.pin(engram_id)))


@router.post("/namespaces/{namespace}/memories/{engram_id}/unpin", tags=["memories"])
async def unpin(
    request: Request, namespace: str, engram_id: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> Memory:
    """Let a pinned memory fade (and be pruned) again."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    async with state.brain(ns) as brain:
        return Memory.model_validate(_wire(state, await brain.unpin(engram_id)))


@router.post("/namespaces/{namespace}/rehearse", tags=["recall"])
async def rehearse(
    request: Request,
    namespace: str,
    body: RehearseRequest,
    x_api_key: ApiKey = None,
    authorization: Authorization = None,
) -> list[Memory]:
    """LTP on these memories now, as a recall returning them would (what a client showed)."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    async with state.brain(ns) as brain:
        return [Memory.model_validate(_wire(state, e)) for e in await brain.rehearse(body.engram_ids)]


@router.post("/namespaces/{namespace}/sleep", tags=["namespaces"])
async def sleep(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> dict[str, int]:
    """One sleep cycle now: consolidate what earned it, prune what faded."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    async with state.brain(ns) as brain:
        return await brain.sleep()


class SleepRecord(BaseModel):
    at: float = Field(description="When the cycle ended (epoch seconds).")
    consolidated: int
    pruned_wm: int = Field(description="Pending traces that faded before sleep came.")
    pruned_ltm: int = Field(description="Long-term memories that faded below the threshold, or expired.")
    locked_out: int = Field(description="1: another worker was sleeping this namespace; this cycle did nothing.")
    size: int = Field(description="The memories the namespace held after the cycle.")


class SleepHistory(BaseModel):
    cycles: list[SleepRecord] = Field(description="Oldest first; since this server started, at most `kept`.")
    kept: int


@router.get("/namespaces/{namespace}/history", tags=["namespaces"])
async def history(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> SleepHistory:
    """What each sleep cycle did (background or asked for) and the namespace's size after
    it, as this server saw them since it started (the explorer's History)."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=False)
    cycles = [SleepRecord.model_validate(c) for c in state.history.of(ns)]
    return SleepHistory(cycles=cycles, kept=state.history.kept)


@router.get("/namespaces/{namespace}/working-memory", tags=["namespaces"])
async def working_memory(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> list[Memory]:
    """What the namespace's working memory holds now (at most 7), least recently used first."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=False)
    async with state.brain(ns) as brain:
        await brain.stats()  # follows other processes' writes first
        return [Memory.model_validate(_wire(state, e)) for e in brain.working_memory]


@router.get("/namespaces/{namespace}/stats", tags=["namespaces"])
async def stats(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> dict[str, Any]:
    """Counts per region and memory type."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=False)
    async with state.brain(ns) as brain:
        return await brain.stats()


# -- export and import ----------------------------------------------------------------------------
@router.get(
    "/namespaces/{namespace}/export",
    tags=["namespaces"],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> StreamingResponse:
    """Every engram as JSON Lines (`neuram export`'s format: a header line, then one engram
    per line with its embedding), streamed."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=False)
    async with state.brain(ns) as brain:
        header = await on_brain_loop(_export_header)(brain)
        scan = brain.store.scan(brain.namespace)  # an async generator of the Brain's loop, advanced there
        first = await on_brain_loop(_export_page)(brain, scan)

    async def body() -> AsyncIterator[str]:
        yield json.dumps(header, ensure_ascii=False) + "\n"
        page = first
        while page:
            yield "".join(page)
            page = await on_brain_loop(_export_page)(brain, scan)

    return StreamingResponse(body(), media_type="application/x-ndjson")


async def _export_header(brain: Brain) -> dict[str, Any]:
    info = await brain.store.get_info(brain.namespace)
    return {
        EXPORT_HEADER: 1,
        "namespace": brain.namespace,
        "embedder": info.get(EMBEDDER),
        "dimension": info.get(DIMENSION),
    }


async def _export_page(brain: Brain, scan: AsyncIterator[Engram]) -> list[str]:
    """The next lines of the export (up to 500), read on the Brain's loop; [] at the end."""
    lines: list[str] = []
    async for engram in scan:
        lines.append(json.dumps(engram_to_export(engram), ensure_ascii=False, allow_nan=False) + "\n")
        if len(lines) >= _EXPORT_PAGE:
            break
    return lines


_EXPORT_PAGE = 500


@router.post(
    "/namespaces/{namespace}/import",
    tags=["namespaces"],
    openapi_extra={"requestBody": {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
)
async def import_(
    request: Request, namespace: str, x_api_key: ApiKey = None, authorization: Authorization = None
) -> dict[str, int]:
    """Read an export (JSON Lines, as ``export`` writes) into the namespace: every line is
    validated first, then all are written in one atomic put, or nothing is."""
    state = _state(request)
    ns = state.namespace(_caller(request, x_api_key, authorization), namespace, write=True)
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem("invalid_value", f"the body is not UTF-8 text ({exc.reason}); nothing was imported") from None
    header: dict[str, Any] = {}
    engrams: list[Engram] = []
    seen: dict[str, int] = {}  # id -> its line
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Problem(
                "malformed_json", f"line {number}: not valid JSON ({exc.msg}); nothing was imported"
            ) from None
        if not engrams and not header and isinstance(obj, dict) and EXPORT_HEADER in obj:
            header = obj
            continue
        try:
            engram = engram_from_export(obj)
        except (ValueError, TypeError) as exc:
            raise Problem("invalid_value", f"line {number}: {exc}; nothing was imported") from None
        if engram.engram_id in seen:
            raise Problem(
                "invalid_value", f"line {number}: engram_id {engram.engram_id!r} repeats; nothing was imported"
            )
        seen[engram.engram_id] = number
        engrams.append(engram)
    if not engrams:
        return {"imported": 0}
    orphan = dangling_fragment(engrams)
    if orphan is not None:
        raise Problem(
            "invalid_value",
            f"line {seen[orphan.engram_id]}: a fragment of {orphan.fragment_of!r}, which the body does not hold; "
            "nothing was imported",
        )
    async with state.brain(ns) as brain:
        await on_brain_loop(_import)(brain, engrams, header.get("embedder"))
    await state.registry.forget_loaded(ns)  # reopened from the store, with what was imported
    return {"imported": len(engrams)}


async def _import(brain: Brain, engrams: list[Engram], exported: object) -> None:
    info = await brain.store.get_info(brain.namespace)
    recorded = info.get(EMBEDDER)
    if info.get(REEMBEDDING):
        raise Problem("embedder_mismatch", f"namespace {brain.namespace!r} is being re-embedded; nothing was imported")
    if isinstance(exported, str) and recorded and exported != recorded:
        raise Problem(
            "embedder_mismatch",
            f"the export was embedded with {exported}, namespace {brain.namespace!r} with {recorded}; "
            "nothing was imported",
        )
    dimension = brain.hippocampus.dimension
    for engram in engrams:
        if dimension is not None and engram.embedding is not None and engram.embedding.shape[0] != dimension:
            raise Problem(
                "invalid_value",
                f"embeddings have {engram.embedding.shape[0]} dimensions, the namespace {dimension}; "
                "nothing was imported",
            )
    config = brain.config
    await brain.store.put(brain.namespace, [(e, forget_at_for(e, config)) for e in engrams])
    await brain.discard_kept_indexes()  # it may have rewritten memories: no index keeps their old text
    if isinstance(exported, str) and not recorded:
        learned = {
            **info,
            EMBEDDER: exported,
            DIMENSION: next((e.embedding.shape[0] for e in engrams if e.embedding is not None), None),
        }
        await brain.store.set_info(brain.namespace, {k: v for k, v in learned.items() if v is not None})
