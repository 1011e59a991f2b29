"""NeuramMiddleware inside real create_agent runs: recall into the model request,
perceive the run's turns afterwards, sync and async."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.tools import tool
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver

from neuram_core import Brain, Engram, ManualClock, MemoryType, SyncBrain, UnknownEngramError
from neuram_langchain import NeuramMiddleware
from neuram_langchain.messages import memory_block

from .conftest import Recorder, ToolCallingFakeModel

EARLIER = "I drive an old green Volvo and park it on Elm Street"
LATER = "Where do I park my Volvo?"


def agent(brain: Brain, replies: list[Any], **kwargs: Any) -> Any:
    model = ToolCallingFakeModel(messages=iter(replies))
    return create_agent(model, middleware=[NeuramMiddleware(brain)], **kwargs)


def system_text(messages: list[Any]) -> str:
    return "\n".join(m.text for m in messages if isinstance(m, SystemMessage))


def test_a_memory_from_an_earlier_run_reaches_the_model(brain: Brain, clock: ManualClock, recorder: Recorder) -> None:
    config: Any = {"callbacks": [recorder]}
    bot = agent(
        brain, ["Nice car, noted where you park it.", "On Elm Street."], system_prompt="You are a helpful assistant."
    )
    bot.invoke({"messages": [HumanMessage(EARLIER)]}, config)
    assert "Relevant memories" not in system_text(recorder.messages[0])  # nothing known yet
    perceived = {(e.metadata["role"], e.content) for e in brain.sync.list()}
    assert perceived == {("human", EARLIER), ("ai", "Nice car, noted where you park it.")}
    clock.advance(days=2)
    result = bot.invoke({"messages": [HumanMessage(LATER)]}, config)  # a new thread
    request = recorder.messages[1]
    assert isinstance(request[0], SystemMessage)
    system = request[0].text
    assert system.startswith("You are a helpful assistant.\n\nRelevant memories")
    assert f"- User: {EARLIER}" in system
    assert [m.text for m in request[1:]] == [LATER]  # the state itself was not changed
    assert not any(isinstance(m, SystemMessage) for m in result["messages"])


async def test_a_memory_from_an_earlier_run_reaches_the_model_async(async_only: Brain, recorder: Recorder) -> None:
    config: Any = {"callbacks": [recorder]}
    bot = agent(async_only, ["Nice car, noted where you park it.", "On Elm Street."])
    await bot.ainvoke({"messages": [HumanMessage(EARLIER)]}, config)
    await bot.ainvoke({"messages": [HumanMessage(LATER)]}, config)
    system = system_text(recorder.messages[1])
    assert system.startswith("Relevant memories")  # no system prompt of its own
    assert f"- User: {EARLIER}" in system
    contents = {e.content for e in await async_only.list()}
    assert {EARLIER, LATER, "On Elm Street."} <= contents


def _tool_loop_agent(brain: Brain, *, before: tuple[str, ...] = (), k: int = 4) -> Any:
    """An agent whose model answers ``before`` (one reply per run), then a turn that calls
    a parking-zone tool and answers with its result: two model calls in one turn."""

    @tool
    def parking_zone(street: str) -> str:
        """Look up the parking zone of a street."""
        return "zone B"

    call = {"name": "parking_zone", "args": {"street": "Elm"}, "id": "c1"}
    replies = [*before, AIMessage("", tool_calls=[call]), AIMessage("Elm Street is parking zone B")]
    model = ToolCallingFakeModel(messages=iter(replies))
    return create_agent(model, [parking_zone], middleware=[NeuramMiddleware(brain, k=k)])


def _ltp_counts(memories: list[Any]) -> dict[str, int]:
    return {e.content: e.access_count for e in memories}


def test_ltp_once_per_user_turn_on_what_the_model_is_shown(brain: Brain, recorder: Recorder) -> None:
    brain.sync.perceive(EARLIER, gate=False)
    brain.sync.perceive("My bike is red", gate=False)
    _tool_loop_agent(brain, k=1).invoke({"messages": [HumanMessage(LATER)]}, {"callbacks": [recorder]})
    assert len(recorder.messages) == 2  # the tool loop: two model calls in one turn
    assert all(EARLIER in system_text(m) for m in recorder.messages)
    counts = _ltp_counts(brain.sync.list())
    assert counts[EARLIER] == 1  # shown twice, strengthened once
    assert counts["My bike is red"] == 0  # recalled, not shown (k=1)


async def test_ltp_once_per_user_turn_on_what_the_model_is_shown_async(async_only: Brain, recorder: Recorder) -> None:
    await async_only.perceive(EARLIER, gate=False)
    await async_only.perceive("My bike is red", gate=False)
    await _tool_loop_agent(async_only, k=1).ainvoke({"messages": [HumanMessage(LATER)]}, {"callbacks": [recorder]})
    assert len(recorder.messages) == 2
    counts = _ltp_counts(await async_only.list())
    assert (counts[EARLIER], counts["My bike is red"]) == (1, 0)


def test_a_memory_forgotten_between_recall_and_ltp_does_not_fail_the_turn(
    brain: Brain, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    brain.sync.perceive(EARLIER, gate=False)

    def gone(self: SyncBrain, engram_ids: list[str]) -> list[Any]:
        raise UnknownEngramError(engram_ids[0])  # as if another process had just forgotten it

    monkeypatch.setattr(SyncBrain, "rehearse", gone)
    result = _tool_loop_agent(brain, k=1).invoke({"messages": [HumanMessage(LATER)]}, {"callbacks": [recorder]})
    assert result["messages"][-1].text == "Elm Street is parking zone B"
    assert EARLIER in system_text(recorder.messages[0])  # still shown, just not strengthened


def test_small_talk_and_tool_traffic_are_not_perceived(brain: Brain) -> None:
    bot = _tool_loop_agent(brain, before=("Hello! How are you?",))
    bot.invoke({"messages": [HumanMessage("hi there!")]})
    assert brain.sync.list() == []  # the Thalamus dropped the greeting both ways
    bot.invoke({"messages": [HumanMessage("Which parking zone is Elm Street in?")]})
    assert {e.content for e in brain.sync.list()} == {
        "Which parking zone is Elm Street in?",
        "Elm Street is parking zone B",
    }


@pytest.mark.local_only("spies on SyncBrain, the local brain's sync facade")
def test_each_turn_is_perceived_once_per_thread(
    brain: Brain, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    perceived: list[str] = []
    original = SyncBrain.perceive

    def spy(self: SyncBrain, content: str, *args: Any, **kwargs: Any) -> Any:
        perceived.append(content)
        return original(self, content, *args, **kwargs)

    monkeypatch.setattr(SyncBrain, "perceive", spy)
    bot = agent(
        brain,
        ["Noted, the Volvo is on Elm Street.", "Your car is a green Volvo."],
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": "t1"}}
    bot.invoke({"messages": [HumanMessage(EARLIER)]}, config)
    clock.advance(hours=1)
    bot.invoke({"messages": [HumanMessage("What colour is my car again?")]}, config)
    assert perceived == [  # the second run perceived only its own turn
        EARLIER,
        "Noted, the Volvo is on Elm Street.",
        "What colour is my car again?",
        "Your car is a green Volvo.",
    ]
    engrams = brain.sync.list()
    assert {e.metadata["thread_id"] for e in engrams} == {"t1"}
    assert {e.metadata["source"] for e in engrams} == {"agent"}


def test_memories_the_thread_already_carries_are_not_repeated(brain: Brain, recorder: Recorder) -> None:
    replies = ["Noted, the Volvo is on Elm Street.", "A green Volvo.", "A green Volvo."]
    bot = agent(brain, replies, checkpointer=InMemorySaver())
    question = "What colour is my Volvo?"
    for thread in ("t1", "t1", "t2"):
        text = EARLIER if not recorder.messages else question
        bot.invoke({"messages": [HumanMessage(text)]}, {"callbacks": [recorder], "configurable": {"thread_id": thread}})
    same_thread, other_thread = recorder.messages[1], recorder.messages[2]
    assert EARLIER in [m.text for m in same_thread]  # in the conversation itself...
    assert EARLIER not in system_text(same_thread)  # ...so not repeated as a memory
    assert f"- User: {EARLIER}" in system_text(other_thread)  # another thread recalls it


def test_read_only_and_k(brain: Brain, recorder: Recorder) -> None:
    brain.sync.perceive("The spare key hides under the blue flowerpot", gate=False)
    brain.sync.perceive("The blue flowerpot stands by the back door", gate=False)
    model = ToolCallingFakeModel(messages=iter(["Under the blue flowerpot."]))
    bot = create_agent(model, middleware=[NeuramMiddleware(brain, k=1, perceive=False)])
    bot.invoke({"messages": [HumanMessage("Where is the spare key?")]}, {"callbacks": [recorder]})
    system = system_text(recorder.messages[0])
    assert system.count("\n- ") == 1
    assert "- The spare key hides under the blue flowerpot" in system
    assert len(brain.sync.list()) == 2  # read-only: the run added nothing


def test_bad_arguments(brain: Brain) -> None:
    with pytest.raises(TypeError):
        NeuramMiddleware("brain")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        NeuramMiddleware(brain, k=-1)


def test_a_revised_memory_is_marked_out_of_date_in_the_prompt() -> None:
    old = Engram("My office is in room 12", MemoryType.SEMANTIC, 0.5, metadata={"role": "human"})
    new = Engram("My office moved to room 40", MemoryType.SEMANTIC, 0.5, metadata={"role": "human"})
    old.superseded_by, new.supersedes = new.engram_id, old.engram_id
    assert memory_block("Memories:", [old, new], "User", "Assistant").splitlines() == [
        "Memories:",
        "- User: My office moved to room 40",
        "- User: My office is in room 12 (out of date: revised by a later memory)",
    ]
