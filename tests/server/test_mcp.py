"""The MCP tools through the official MCP client: over streamable HTTP at /mcp of the real
server process (keys and tenants included), and over stdio from the ``neuram mcp`` command."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.server.harness import NEURAM, ServerProcess, require_server_extra
from tests.server.test_keys import GRANTS, can_read, can_write, write_keys_file

TOOLS = {"add_memory", "search_memory", "list_memories", "get_memory", "delete_memory", "reinforce_memory",
         "pin_memory", "sleep", "memory_stats"}


@asynccontextmanager
async def http_session(url: str, headers: dict[str, str] | None = None) -> AsyncIterator[Any]:
    import httpx
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx.AsyncClient(headers=headers, timeout=30) as http, \
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, _), \
            ClientSession(read, write) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def stdio_session(store: str, *extra: str) -> AsyncIterator[Any]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=NEURAM, args=["--store", store, "--embedder", "hashing", *extra, "mcp"],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    # The server's stderr to a file: pytest's captured stderr has no file descriptor to hand on.
    with tempfile.TemporaryFile("w+") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


def payload(result: Any) -> Any:
    assert not result.isError, result.content
    if result.structuredContent is not None:
        return result.structuredContent
    return json.loads(result.content[0].text)


async def exercise(session: Any) -> None:
    """Every tool once, as a model would call them."""
    listed = await session.list_tools()
    assert {t.name for t in listed.tools} == TOOLS
    for tool in listed.tools:  # each with a description for a model and a JSON schema
        assert len(tool.description or "") > 40 and tool.inputSchema["type"] == "object"
    added = payload(await session.call_tool("add_memory", {"content": "Ada prefers the window seat on long flights",
                                                             "metadata": {"topic": "travel"}}))
    assert added["stored"] is True
    engram_id = added["memory"]["engram_id"]
    small_talk = payload(await session.call_tool("add_memory", {"content": "ok"}))
    assert small_talk["stored"] is False and small_talk["reason"]
    found = payload(await session.call_tool("search_memory", {"query": "Ada window seat flights"}))
    assert [r["engram_id"] for r in found["results"]] == [engram_id]
    page = payload(await session.call_tool("list_memories", {"limit": 10}))
    assert [m["engram_id"] for m in page["memories"]] == [engram_id] and page["next_cursor"] is None
    assert payload(await session.call_tool("get_memory", {"engram_id": engram_id}))["content"].startswith("Ada")
    assert payload(await session.call_tool("reinforce_memory", {"engram_id": engram_id, "reward": 0.8}))
    assert payload(await session.call_tool("pin_memory", {"engram_id": engram_id}))["pinned"] is True
    assert payload(await session.call_tool("pin_memory", {"engram_id": engram_id, "pinned": False}))["pinned"] is False
    assert isinstance(payload(await session.call_tool("sleep", {})), dict)
    assert payload(await session.call_tool("memory_stats", {}))["indexed"] == 1
    assert payload(await session.call_tool("delete_memory", {"engram_id": engram_id})) == {"deleted": engram_id}
    gone = await session.call_tool("get_memory", {"engram_id": engram_id})
    assert gone.isError and "engram_not_found: no engram with id" in gone.content[0].text
    bad = await session.call_tool("search_memory", {"query": "x", "top_k": 10_000})
    assert bad.isError and "top_k_too_large" in bad.content[0].text
    wrong = await session.call_tool("add_memory", {"content": 5})
    assert wrong.isError


async def test_mcp_over_streamable_http(server: ServerProcess) -> None:
    async with http_session(server.url) as session:
        await exercise(session)


async def test_mcp_over_stdio(tmp_path: Path) -> None:
    require_server_extra()
    async with stdio_session(f"sqlite:///{tmp_path / 'memory.db'}") as session:
        await exercise(session)
    async with stdio_session(f"sqlite:///{tmp_path / 'memory.db'}", "--namespace", "work") as session:
        payload(await session.call_tool("add_memory", {"content": "The deploy runs every Friday at noon"}))
        stats = payload(await session.call_tool("memory_stats", {}))
        assert stats["namespace"] == "work"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    require_server_extra()
    folder = tmp_path_factory.mktemp("mcp-keys")
    keys = write_keys_file(folder / "keys.json")
    with ServerProcess(f"sqlite:///{folder / 'memory.db'}", "--keys", str(keys)) as running:
        yield running


async def test_mcp_needs_a_key_when_the_server_has_keys(keyed: ServerProcess) -> None:
    """No session opens without a valid key: 401 before initialize, so a client knows to
    authenticate and no one lists the tools (each call still checks key and namespace)."""
    import httpx

    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
    accept = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=30) as http:
        for headers, code in (({}, "missing_api_key"), ({"Authorization": "Bearer wrong"}, "invalid_api_key"),
                              ({"X-API-Key": "wrong"}, "invalid_api_key")):
            answer = await http.post(f"{keyed.url}/mcp", json=initialize, headers={**accept, **headers})
            assert answer.status_code == 401 and answer.json()["code"] == code, answer.text
            assert answer.headers["www-authenticate"] == "Bearer" and "mcp-session-id" not in answer.headers
    async with http_session(keyed.url, {"Authorization": "Bearer key-alice"}) as session:
        assert {t.name for t in (await session.list_tools()).tools} == TOOLS


@pytest.mark.parametrize("key", sorted(GRANTS))
@pytest.mark.parametrize("namespace", ["alice", "bob", "team-a", "teamx"])
async def test_mcp_tenants_match_the_rest_rules(keyed: ServerProcess, key: str, namespace: str) -> None:
    headers = {"Authorization": f"Bearer {key}", "X-Neuram-Namespace": namespace}
    async with http_session(keyed.url, headers) as session:
        stats = await session.call_tool("memory_stats", {})
        added = await session.call_tool("add_memory", {"content": f"an MCP note for {namespace} about owls"})
        named = await session.call_tool("memory_stats", {"namespace": namespace})
    if not can_read(key, namespace):
        for result in (stats, added, named):
            assert result.isError
            assert result.content[0].text.endswith(f"namespace_not_found: no namespace {namespace!r} for this key")
        return
    assert payload(stats)["namespace"] == namespace == payload(named)["namespace"]
    if can_write(key, namespace):
        assert payload(added)["stored"] is True
    else:
        assert added.isError and "read_only:" in added.content[0].text
