"""NeuramChatMessageHistory inside real RunnableWithMessageHistory runs."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

from neuram_core import Brain, ManualClock
from neuram_langchain import NeuramChatMessageHistory

from .conftest import Recorder

# RunnableWithMessageHistory is deprecated upstream (its warning, not ours).
pytestmark = pytest.mark.filterwarnings("ignore::langchain_core._api.deprecation.LangChainDeprecationWarning")


def with_history(brain: Brain, recorder: Recorder) -> RunnableWithMessageHistory:
    """The model itself takes the message list: history is read twice per turn."""
    model = FakeListChatModel(
        responses=["Noted.", "You keep bees.", "Noted too.", "Vintage bicycles."],
        callbacks=[recorder],
    )
    histories: dict[str, NeuramChatMessageHistory] = {}

    def session(session_id: str) -> NeuramChatMessageHistory:
        return histories.setdefault(session_id, NeuramChatMessageHistory(brain, session_id))

    return RunnableWithMessageHistory(model, session)


def turn(text: str, session: str) -> tuple[list[HumanMessage], dict[str, object]]:
    return [HumanMessage(text)], {"configurable": {"session_id": session}}


def test_two_sessions_are_kept_apart(brain: Brain, recorder: Recorder) -> None:
    chat = with_history(brain, recorder)
    chat.invoke(*turn("I keep bees on my roof in Leeds", "alice"))
    chat.invoke(*turn("I repair vintage bicycles", "bob"))
    chat.invoke(*turn("What do I keep on my roof?", "alice"))
    chat.invoke(*turn("What do I repair?", "bob"))
    alice_second, bob_second = recorder.messages[2], recorder.messages[3]
    assert [m.text for m in alice_second] == [
        "I keep bees on my roof in Leeds",
        "Noted.",
        "What do I keep on my roof?",
    ]
    assert [m.text for m in bob_second] == [
        "I repair vintage bicycles",
        "You keep bees.",
        "What do I repair?",
    ]
    # Stable reads: each turn's new messages were stored once, nothing duplicated.
    alice = NeuramChatMessageHistory(brain, "alice").messages
    assert [type(m) for m in alice] == [HumanMessage, AIMessage, HumanMessage, AIMessage]
    assert len(NeuramChatMessageHistory(brain, "bob").messages) == 4


async def test_two_sessions_are_kept_apart_async(async_only: Brain, recorder: Recorder) -> None:
    chat = with_history(async_only, recorder)
    await chat.ainvoke(*turn("I keep bees on my roof in Leeds", "alice"))
    await chat.ainvoke(*turn("I repair vintage bicycles", "bob"))
    await chat.ainvoke(*turn("What do I keep on my roof?", "alice"))
    assert [m.text for m in recorder.messages[2]] == [
        "I keep bees on my roof in Leeds",
        "Noted.",
        "What do I keep on my roof?",
    ]
    bob = await NeuramChatMessageHistory(async_only, "bob").aget_messages()
    assert [m.text for m in bob] == ["I repair vintage bicycles", "You keep bees."]


def test_prompt_with_a_history_placeholder(brain: Brain, recorder: Recorder) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Be brief."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    model = FakeListChatModel(responses=["Noted.", "Teal."], callbacks=[recorder])
    chat = RunnableWithMessageHistory(
        prompt | model,
        lambda sid: NeuramChatMessageHistory(brain, sid),
        input_messages_key="question",
        history_messages_key="history",
    )
    config = {"configurable": {"session_id": "s1"}}
    chat.invoke({"question": "My favourite colour is teal"}, config)
    chat.invoke({"question": "What is my favourite colour?"}, config)
    assert [m.text for m in recorder.messages[1]] == [
        "Be brief.",
        "My favourite colour is teal",
        "Noted.",
        "What is my favourite colour?",
    ]


def test_messages_round_trip_in_order_under_a_frozen_clock(brain: Brain, clock: ManualClock) -> None:
    history = NeuramChatMessageHistory(brain, "s")
    sent = [
        SystemMessage("You are a travel agent."),
        HumanMessage("Book me a flight to Oslo", id="h1", name="ann"),
        AIMessage("", tool_calls=[{"name": "book", "args": {"to": "OSL"}, "id": "c1"}]),
        ToolMessage("booked: SK4411", tool_call_id="c1"),
        AIMessage("Done: flight SK4411 to Oslo."),
    ]
    history.add_messages(sent[:2])
    history.add_message(sent[2])  # same clock reading for all: order comes from the seq key
    history.add_messages(sent[3:])
    got = history.messages
    assert got == sent
    assert history.messages == got  # reading changes nothing
    assert got[2].tool_calls[0]["args"] == {"to": "OSL"}
    # The tool call is remembered by a text the brain can recall.
    ai_texts = {e.content for e in brain.sync.list(metadata={"role": "ai"})}
    assert ai_texts == {'tool call book({"to": "OSL"})', "Done: flight SK4411 to Oslo."}


def test_gate_keeps_small_talk_out_when_asked(brain: Brain) -> None:
    gated = NeuramChatMessageHistory(brain, "g", gate=True)
    gated.add_messages([HumanMessage("hi!"), HumanMessage("My flat is on Elm Street 12")])
    assert [m.text for m in gated.messages] == ["My flat is on Elm Street 12"]
    transcript = NeuramChatMessageHistory(brain, "t")
    transcript.add_messages([HumanMessage("hi!"), HumanMessage("My flat is on Elm Street 12")])
    assert [m.text for m in transcript.messages] == ["hi!", "My flat is on Elm Street 12"]


def test_a_transcript_keeps_repeats_and_sessions_whole(brain: Brain) -> None:
    # The brain merges a word-for-word repeat into the engram it recognises; a transcript
    # must not lose the second message, nor leave it in the first speaker's session.
    one, two = NeuramChatMessageHistory(brain, "one"), NeuramChatMessageHistory(brain, "two")
    one.add_messages([HumanMessage("What is the weather in Paris?")] * 2)
    two.add_messages([HumanMessage("What is the weather in Paris?")])
    assert len(one.messages) == 2
    assert [m.text for m in two.messages] == ["What is the weather in Paris?"]


def test_consolidate_decides_whether_turns_reach_long_term_memory(brain: Brain) -> None:
    NeuramChatMessageHistory(brain, "lt").add_user_message("Kept in long-term storage")
    NeuramChatMessageHistory(brain, "wm", consolidate=False).add_user_message("Held in mind only")
    by_content = {e.content: e.consolidated for e in brain.sync.list()}
    assert by_content == {"Kept in long-term storage": True, "Held in mind only": False}


async def test_clear_forgets_one_session(async_only: Brain) -> None:
    one, two = NeuramChatMessageHistory(async_only, "1"), NeuramChatMessageHistory(async_only, "2")
    await one.aadd_messages([HumanMessage("Session one speaks of comets")])
    await two.aadd_messages([HumanMessage("Session two speaks of tides")])
    await one.aclear()
    assert await one.aget_messages() == []
    assert [m.text for m in await two.aget_messages()] == ["Session two speaks of tides"]


def test_clear_sync(brain: Brain) -> None:
    history = NeuramChatMessageHistory(brain, "x")
    history.add_user_message("Clear me away please")
    history.clear()
    assert history.messages == [] and brain.sync.list() == []


def test_bad_arguments(brain: Brain) -> None:
    with pytest.raises(TypeError):
        NeuramChatMessageHistory("not a brain")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        NeuramChatMessageHistory(brain, "")
    with pytest.raises(TypeError, match="pinned must be a bool"):
        NeuramChatMessageHistory(brain, "s", pinned="yes")  # type: ignore[arg-type]


def _exchange() -> list[BaseMessage]:
    return [
        HumanMessage("What's the weather in Porto for my bee hives?"),
        AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Porto"}, "id": "c1"}]),
        ToolMessage("Sunny, 24 degrees", tool_call_id="c1"),
        AIMessage("It is sunny and 24 degrees in Porto: a good day for the hives."),
    ]


def test_a_pinned_session_outlives_the_forgetting_curve(brain: Brain, clock: ManualClock) -> None:
    kept = NeuramChatMessageHistory(brain, "kept", pinned=True)
    faded = NeuramChatMessageHistory(brain, "faded")
    kept.add_messages(_exchange())
    faded.add_messages(_exchange())
    clock.advance(days=365)
    brain.sync.sleep()  # prunes what faded
    assert kept.messages == _exchange()
    assert faded.messages == []  # a year unused: the unpinned transcript is gone


def test_half_a_tool_exchange_is_never_given_back(brain: Brain) -> None:
    """A chat model API refuses tool calls without their results, and results without
    their call: when one half has faded (here: been forgotten), both halves go."""
    history = NeuramChatMessageHistory(brain, "s")
    history.add_messages(_exchange())
    [result] = brain.sync.list(metadata={"role": "tool"})
    brain.sync.forget(result.engram_id)
    assert [m.text for m in history.messages] == [
        "What's the weather in Porto for my bee hives?",
        "It is sunny and 24 degrees in Porto: a good day for the hives.",
    ]
    other = NeuramChatMessageHistory(brain, "t")
    other.add_messages(_exchange())
    [call] = [e for e in brain.sync.list(metadata={"session_id": "t"}) if e.content.startswith("tool call")]
    brain.sync.forget(call.engram_id)
    assert not any(isinstance(m, ToolMessage) for m in other.messages)


def test_an_exchange_under_way_and_calls_without_ids_are_kept(brain: Brain) -> None:
    history = NeuramChatMessageHistory(brain, "live")
    asked = AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Porto"}, "id": "c9"}])
    history.add_messages([HumanMessage("Weather in Porto?"), asked])
    assert history.messages[-1] == asked  # its result is not written yet: the exchange is under way
    anonymous = AIMessage("", tool_calls=[{"name": "clock", "args": {}, "id": None}])
    other = NeuramChatMessageHistory(brain, "anon")
    other.add_messages([anonymous, HumanMessage("And the time?")])
    assert len(other.messages) == 2  # a call without an id cannot be matched: kept
