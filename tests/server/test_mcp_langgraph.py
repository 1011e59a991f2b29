"""The MCP tools in a LangGraph agent, loaded through langchain-mcp-adapters from the real
server's /mcp, with a fake chat model that calls them: one run saves a memory, a later
run finds it and the model sees it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.server.harness import ServerProcess


async def test_a_langgraph_agent_uses_the_mcp_tools(server: ServerProcess) -> None:
    pytest.importorskip("langchain_mcp_adapters")
    pytest.importorskip("langgraph")
    from langchain.agents import create_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    from langchain_core.runnables import Runnable
    from langchain_mcp_adapters.client import MultiServerMCPClient

    class ToolCallingFake(GenericFakeChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Runnable[Any, Any]:  # type: ignore[override]
            return self

    client = MultiServerMCPClient(
        {"neuram": {"transport": "streamable_http", "url": f"{server.url}/mcp",
                    "headers": {"X-Neuram-Namespace": "agent"}}}
    )
    tools = await client.get_tools()
    assert {t.name for t in tools} >= {"add_memory", "search_memory", "list_memories", "delete_memory"}

    def turn(name: str, args: dict[str, Any], answer: str) -> ToolCallingFake:
        call = {"name": name, "args": args, "id": f"call-{name}", "type": "tool_call"}
        return ToolCallingFake(messages=iter([AIMessage("", tool_calls=[call]), AIMessage(answer)]))

    saver = create_agent(turn("add_memory", {"content": "The user's dog is a beagle called Biscuit"}, "Noted."),
                         tools=tools)
    first = await saver.ainvoke({"messages": [HumanMessage("Remember: my dog is a beagle called Biscuit.")]})
    stored = [m for m in first["messages"] if isinstance(m, ToolMessage)]
    assert len(stored) == 1 and "Biscuit" in str(stored[0].content) and stored[0].status != "error"

    finder = create_agent(turn("search_memory", {"query": "user dog beagle name"}, "Your dog is Biscuit."),
                          tools=tools)
    second = await finder.ainvoke({"messages": [HumanMessage("What is my dog called?")]})
    [found] = [m for m in second["messages"] if isinstance(m, ToolMessage)]
    text = found.content if isinstance(found.content, str) else found.content[0]["text"]  # type: ignore[index]
    results = json.loads(text)["results"]
    assert [r["content"] for r in results] == ["The user's dog is a beagle called Biscuit"]
    assert second["messages"][-1].content == "Your dog is Biscuit."

    with server.client() as http:  # the agent's memory is the server's: REST sees it
        items = http.get("/v1/namespaces/agent/memories").json()["items"]
        assert [m["content"] for m in items] == ["The user's dog is a beagle called Biscuit"]
