"""NeuramMemory as ``memory=`` of LlamaIndex agents: what one run perceives, a later run
(a new conversation, days later) gets back in its LLM input."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ReActAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.tools import FunctionTool

from neuram_core import Brain, ManualClock
from neuram_llamaindex import NeuramMemory
from tests.llamaindex.conftest import ScriptedLLM

# Upstream noise, not ours: workflows inspects the (pydantic) agents' attributes, and
# ReActAgent still reads ctx.is_running.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect"),
    pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning"),
]

FACT = "My favourite colour is teal and I keep bees in the garden."
QUESTION = "Which colour do I like best?"
REACT_ANSWER = "Thought: I can answer without using any more tools.\nAnswer: Teal."

Scripted = Callable[..., ScriptedLLM]


def _texts(messages: Sequence[ChatMessage]) -> list[str]:
    return [m.content or "" for m in messages]


async def test_function_agent_gets_a_memory_perceived_in_an_earlier_run(
    brain: Brain, clock: ManualClock, scripted: Scripted
) -> None:
    script = scripted("Noted.")
    agent = FunctionAgent(llm=script.llm(), tools=[], system_prompt="You are a helpful assistant.")

    await agent.run(user_msg=FACT, memory=NeuramMemory(brain=brain, session_id="alice"))
    # The fact is the message itself, not a memory to add.
    assert _texts(script.inputs[-1]) == ["You are a helpful assistant.", FACT]

    clock.advance(days=2)
    later = NeuramMemory(brain=brain, session_id="alice")  # a new conversation
    await agent.run(user_msg=QUESTION, memory=later)

    llm_input = script.inputs[-1]
    assert [m.role for m in llm_input] == [MessageRole.SYSTEM, MessageRole.SYSTEM, MessageRole.USER]
    assert llm_input[0].content == "You are a helpful assistant."
    assert f"- user: {FACT}" in (llm_input[1].content or "")
    assert llm_input[2].content == QUESTION
    # It came from long-term memory: the new conversation's transcript never held it.
    assert FACT not in _texts(await later.aget_all())


async def test_function_agent_tool_results_are_perceived_too(
    brain: Brain, clock: ManualClock, scripted: Scripted
) -> None:
    forecast = "The weather in Lisbon is sunny with 24 degrees and a light breeze."

    def lookup_weather(city: str) -> str:
        """Look up today's weather in a city."""
        return forecast

    def reply(messages: Sequence[ChatMessage]) -> ChatMessage:
        if any(m.role == MessageRole.TOOL for m in messages):
            return ChatMessage(role=MessageRole.ASSISTANT, content="It is sunny there.")
        call = ToolCallBlock(tool_call_id="call-1", tool_name="lookup_weather", tool_kwargs={"city": "Lisbon"})
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=[call])

    script = scripted(reply)
    agent = FunctionAgent(llm=script.llm(), tools=[FunctionTool.from_defaults(lookup_weather)])
    first = NeuramMemory(brain=brain, session_id="alice")
    await agent.run(user_msg="How is the weather in Lisbon today?", memory=first)
    assert [m.role for m in await first.aget_all()] == [
        MessageRole.USER, MessageRole.ASSISTANT, MessageRole.TOOL, MessageRole.ASSISTANT
    ]

    clock.advance(hours=5)
    script.reply = "Sunny."
    await agent.run(
        user_msg="What was the weather in Lisbon?", memory=NeuramMemory(brain=brain, session_id="alice")
    )
    assert f"- tool: {forecast}" in script.last_system_text()


async def test_react_agent_gets_a_memory_perceived_in_an_earlier_run(
    brain: Brain, clock: ManualClock, scripted: Scripted
) -> None:
    script = scripted(REACT_ANSWER)
    agent = ReActAgent(llm=script.llm(), tools=[], system_prompt="You are a helpful assistant.")

    await agent.run(user_msg=FACT, memory=NeuramMemory(brain=brain, session_id="alice"))
    assert FACT not in script.last_system_text()

    clock.advance(days=2)
    await agent.run(user_msg=QUESTION, memory=NeuramMemory(brain=brain, session_id="alice"))
    llm_input = script.inputs[-1]
    # ReAct's own header first, then the recalled memories, then the question.
    assert "You are a helpful assistant." in (llm_input[0].content or "")
    assert llm_input[1].role == MessageRole.SYSTEM
    assert f"- user: {FACT}" in (llm_input[1].content or "")
    assert llm_input[-1].content == QUESTION


async def test_react_agent_without_system_prompt_gets_memories_in_the_user_message(
    brain: Brain, clock: ManualClock, scripted: Scripted
) -> None:
    # ReActAgent drops a leading system message when it has no system_prompt of its own.
    script = scripted(REACT_ANSWER)
    agent = ReActAgent(llm=script.llm(), tools=[])
    await agent.run(user_msg=FACT, memory=NeuramMemory(brain=brain, session_id="alice"))

    clock.advance(days=2)
    memory = NeuramMemory(brain=brain, session_id="alice", insert_method="user")
    await agent.run(user_msg=QUESTION, memory=memory)
    question = script.inputs[-1][-1]
    assert question.role == MessageRole.USER
    text = question.content or ""
    assert f"- user: {FACT}" in text and text.endswith(QUESTION)
    # The transcript keeps the user's words as they were.
    assert _texts(await memory.aget_all())[0] == QUESTION


async def test_agent_workflow_gets_a_memory_perceived_in_an_earlier_run(
    brain: Brain, clock: ManualClock, scripted: Scripted
) -> None:
    script = scripted("Noted.")
    helper = FunctionAgent(
        name="helper", description="Answers questions.", llm=script.llm(), tools=[],
        system_prompt="You are a helpful assistant.",
    )
    workflow = AgentWorkflow(agents=[helper], root_agent="helper")

    await workflow.run(user_msg=FACT, memory=NeuramMemory(brain=brain, session_id="alice"))
    clock.advance(days=1)
    await workflow.run(user_msg=QUESTION, memory=NeuramMemory(brain=brain, session_id="alice"))
    assert f"- user: {FACT}" in script.last_system_text()


async def test_two_sessions_are_kept_apart(
    brain: Brain, clock: ManualClock, scripted: Scripted
) -> None:
    script = scripted("Noted.")
    agent = FunctionAgent(llm=script.llm(), tools=[])
    await agent.run(user_msg=FACT, memory=NeuramMemory(brain=brain, session_id="alice"))
    await agent.run(
        user_msg="I am allergic to peanuts and shellfish.",
        memory=NeuramMemory(brain=brain, session_id="bob"),
    )
    clock.advance(days=1)

    await agent.run(user_msg=QUESTION, memory=NeuramMemory(brain=brain, session_id="bob"))
    assert FACT not in script.last_input
    assert "peanuts" in script.last_input

    await agent.run(user_msg=QUESTION, memory=NeuramMemory(brain=brain, session_id="alice"))
    assert FACT in script.last_system_text()
    assert "peanuts" not in script.last_input

    alice = [e.content for e in await brain.for_namespace("alice").list()]
    bob = [e.content for e in await brain.for_namespace("bob").list()]
    assert FACT in alice and FACT not in bob
    assert await brain.list() == []  # the brain's own namespace was never written
