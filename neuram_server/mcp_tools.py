"""The MCP tools, on the official SDK (FastMCP): one set, served over streamable HTTP at
``/mcp`` by ``neuram serve`` and over stdio by ``neuram mcp``.

Each tool is a thin call on the namespace's Brain, with access checked exactly as the REST
API checks it (``state.ServerState``). Descriptions are written for a model choosing a tool.
Over HTTP the API key comes from the request headers, and ``X-Neuram-Namespace`` names the
session's default namespace; over stdio the caller is the local user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field

from neuram_core.errors import EmbedderMismatchError, NeuramError, StoreUnavailableError, UnknownEngramError
from neuram_core.recalled import PROMPT_MIN_RELEVANCE
from neuram_server.keys import Grant, key_of
from neuram_server.paging import page_of
from neuram_server.problems import Problem
from neuram_server.state import ServerState
from neuram_server.wire import engram_to_wire

__all__ = ["TOOLS", "build_mcp"]

log = logging.getLogger("neuram.server")

TOOLS = (
    "add_memory",
    "search_memory",
    "list_memories",
    "get_memory",
    "delete_memory",
    "reinforce_memory",
    "pin_memory",
    "sleep",
    "memory_stats",
)

INSTRUCTIONS = (
    "Long-term memory that behaves like a brain's. Save durable facts, preferences, events and "
    "procedures with add_memory; before answering anything that may depend on the past, call "
    "search_memory. Memories fade unless recalled; search strengthens what it finds."
)

MemoryType = Literal["episodic", "semantic", "procedural", "habitual"]
Namespace = Annotated[
    str | None,
    Field(description="Whose memory (a user, agent or session id). Leave empty for this session's default."),
]


def _local_hosts(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"}


def build_mcp(
    state_of: Callable[[], ServerState], *, host: str = "127.0.0.1", default_namespace: str = "default"
) -> FastMCP[Any]:
    """The MCP server with neuram's tools; ``state_of`` gives the running server's state."""
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=_local_hosts(host),  # beyond localhost, API keys guard it
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )
    mcp: FastMCP[Any] = FastMCP(
        "neuram", instructions=INSTRUCTIONS, host=host, transport_security=security, log_level="WARNING"
    )

    def caller(ctx: Context[Any, Any, Any]) -> tuple[ServerState, Grant, str]:
        state = state_of()
        request = ctx.request_context.request
        headers = getattr(request, "headers", None)
        key = None
        chosen = default_namespace
        if headers is not None:
            key = key_of(headers.get("x-api-key"), headers.get("authorization"))
            chosen = headers.get("x-neuram-namespace") or chosen
            return state, state.grant(key), chosen
        from neuram_server.keys import ALL

        return state, ALL, chosen  # stdio: the local user who started the command

    async def run(ctx: Context[Any, Any, Any], namespace: str | None, write: bool, work: Any) -> Any:
        try:
            state, grant, default = caller(ctx)
            ns = state.namespace(grant, namespace or default, write=write)
            async with state.brain(ns) as brain:
                return await work(state, grant, ns, brain)
        except Problem as exc:
            raise ToolError(f"{exc.code}: {exc.detail}") from None
        except UnknownEngramError as exc:
            raise ToolError(f"engram_not_found: {exc}") from None
        except StoreUnavailableError as exc:  # as REST answers it: retry later; where the store is stays in the log
            log.warning("store unavailable: %s", exc)
            raise ToolError("store_unavailable: the long-term store did not answer; retry later") from None
        except EmbedderMismatchError as exc:
            raise ToolError(f"embedder_mismatch: {exc}") from None
        except (NeuramError, ValueError, TypeError) as exc:
            raise ToolError(f"invalid_value: {exc}") from None

    def shown(state: ServerState, engram: Any) -> dict[str, Any]:
        wire = engram_to_wire(engram, state.now())
        keep = ("engram_id", "content", "memory_type", "metadata", "retention", "pinned", "encoded_at")
        return {k: wire[k] for k in keep}

    @mcp.tool(
        description="Save something worth remembering beyond this conversation: a fact about the user, a "
        "preference, an event, a decision, or how to do a task. Write one self-contained statement "
        "(e.g. 'Ada prefers window seats'). Returns the stored memory, or says why it was not "
        "stored (small talk is filtered out)."
    )
    async def add_memory(
        ctx: Context[Any, Any, Any],
        content: Annotated[str, Field(description="The memory, as one self-contained statement.")],
        memory_type: Annotated[
            MemoryType | None,
            Field(
                description="episodic: an event; semantic: a fact; procedural: how to do something; "
                "habitual: a preference or routine. Leave empty to let neuram decide."
            ),
        ] = None,
        metadata: Annotated[
            dict[str, Any] | None, Field(description='Optional JSON tags, e.g. {"topic": "travel"}.')
        ] = None,
        salience: Annotated[
            float | None, Field(ge=0, le=1, description="How important, 0-1 (default: judged from the text).")
        ] = None,
        pinned: Annotated[bool, Field(description="True: never forget it, however long it goes unused.")] = False,
        namespace: Namespace = None,
    ) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            state.text(content, "content")
            state.metadata(metadata)
            engram = await brain.perceive(
                content, memory_type=memory_type, metadata=metadata, salience=salience, pinned=pinned
            )
            if engram.filtered:
                return {"stored": False, "reason": engram.filtered_reason}
            return {"stored": True, "memory": shown(state, engram)}

        result: dict[str, Any] = await run(ctx, namespace, True, work)
        return result

    @mcp.tool(
        description="Search long-term memory for what is relevant to a question or topic, best match first. "
        "Call it before answering anything that may depend on earlier conversations, the user's "
        "preferences or past events. Each result has an engram_id for the other memory tools."
    )
    async def search_memory(
        ctx: Context[Any, Any, Any],
        query: Annotated[str, Field(description="What to look for, in natural language.")],
        top_k: Annotated[int, Field(ge=1, description="How many memories at most (default 5).")] = 5,
        memory_type: Annotated[MemoryType | None, Field(description="Only memories of this type.")] = None,
        metadata: Annotated[
            dict[str, Any] | None, Field(description="Only memories with these metadata values.")
        ] = None,
        min_relevance: Annotated[
            float,
            Field(
                ge=0,
                description="Leave out memories that do not stand out from chance (0: always the top_k). "
                "Fewer or no results mean nothing relevant is remembered.",
            ),
        ] = PROMPT_MIN_RELEVANCE,
        namespace: Namespace = None,
    ) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            state.text(query, "query")
            state.metadata(metadata)
            hits = await brain.recall(
                query,
                top_k=state.top_k(top_k),
                memory_type=memory_type,
                metadata=metadata,
                strengthen=state.may_write(grant, ns),
                min_relevance=min_relevance,
            )
            return {"results": [{**shown(state, e), "score": float(s)} for e, s in hits]}

        result: dict[str, Any] = await run(ctx, namespace, False, work)
        return result

    @mcp.tool(
        description="List stored memories, oldest first, a page at a time (to review or audit them, not to "
        "answer a question: use search_memory for that). Pass next_cursor back to get the next page."
    )
    async def list_memories(
        ctx: Context[Any, Any, Any],
        memory_type: Annotated[MemoryType | None, Field(description="Only memories of this type.")] = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="Page size (default 20).")] = 20,
        cursor: Annotated[str | None, Field(description="next_cursor from the previous page.")] = None,
        namespace: Namespace = None,
    ) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            page, next_cursor = page_of(await brain.listing(memory_type), limit, cursor)
            return {"memories": [shown(state, e) for e in page], "next_cursor": next_cursor}

        result: dict[str, Any] = await run(ctx, namespace, False, work)
        return result

    @mcp.tool(description="Read one memory in full by its engram_id (from search_memory or list_memories).")
    async def get_memory(
        ctx: Context[Any, Any, Any],
        engram_id: Annotated[str, Field(description="The memory's engram_id.")],
        namespace: Namespace = None,
    ) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            return engram_to_wire(await brain.get(engram_id), state.now())

        result: dict[str, Any] = await run(ctx, namespace, False, work)
        return result

    @mcp.tool(
        description="Delete a memory for good, now: when the user asks to forget something, or a memory is "
        "wrong. To correct a fact, add the corrected statement with add_memory instead; it supersedes the old one."
    )
    async def delete_memory(
        ctx: Context[Any, Any, Any],
        engram_id: Annotated[str, Field(description="The memory's engram_id.")],
        namespace: Namespace = None,
    ) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            if not await brain.forget(engram_id):
                raise Problem("engram_not_found", f"no engram with id {engram_id!r} in this namespace")
            return {"deleted": engram_id}

        result: dict[str, Any] = await run(ctx, namespace, True, work)
        return result

    @mcp.tool(
        description="Give feedback on a memory that helped (reward > 0) or misled (reward < 0): helpful memories "
        "last longer, habits and preferences above all."
    )
    async def reinforce_memory(
        ctx: Context[Any, Any, Any],
        engram_id: Annotated[str, Field(description="The memory's engram_id.")],
        reward: Annotated[float, Field(ge=-1, le=1, description="From -1 (misleading) to 1 (very helpful).")],
        namespace: Namespace = None,
    ) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            return shown(state, await brain.reinforce(engram_id, reward))

        result: dict[str, Any] = await run(ctx, namespace, True, work)
        return result

    @mcp.tool(
        description="Pin a memory so it is never forgotten (pinned=true), or let it fade normally again "
        "(pinned=false). Pin what the user explicitly asks you to always remember."
    )
    async def pin_memory(
        ctx: Context[Any, Any, Any],
        engram_id: Annotated[str, Field(description="The memory's engram_id.")],
        pinned: Annotated[bool, Field(description="true: keep for good; false: let it fade again.")] = True,
        namespace: Namespace = None,
    ) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            engram = await (brain.pin(engram_id) if pinned else brain.unpin(engram_id))
            return shown(state, engram)

        result: dict[str, Any] = await run(ctx, namespace, True, work)
        return result

    @mcp.tool(
        description="Run one sleep cycle now: consolidate recent memories into long-term storage and prune the "
        "ones that faded. The server also sleeps on its own; call this at the end of a long session."
    )
    async def sleep(ctx: Context[Any, Any, Any], namespace: Namespace = None) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            result: dict[str, Any] = await brain.sleep()
            return result

        result: dict[str, Any] = await run(ctx, namespace, True, work)
        return result

    @mcp.tool(description="How much is remembered: counts of memories by type, pending and long-term.")
    async def memory_stats(ctx: Context[Any, Any, Any], namespace: Namespace = None) -> dict[str, Any]:
        async def work(state: ServerState, grant: Grant, ns: str, brain: Any) -> dict[str, Any]:
            result: dict[str, Any] = await brain.stats()
            return result

        result: dict[str, Any] = await run(ctx, namespace, False, work)
        return result

    return mcp
