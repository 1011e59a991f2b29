"""NeuramChatMemory as the memory= of real ConversationChain / LLMChain objects."""

from __future__ import annotations

import pytest
from langchain_classic.chains import ConversationChain, LLMChain
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from neuram_core import Brain, HashingEmbedder
from neuram_langchain import NeuramChatMemory, NeuramChatMessageHistory

from .conftest import Recorder

# ConversationChain and LLMChain are deprecated upstream; the warning is theirs, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::langchain_core._api.deprecation.LangChainDeprecationWarning")

FIRST = "My sister Maria moved to Lisbon and teaches violin there"
SECOND = "What instrument does Maria teach?"


def conversation(brain: Brain, recorder: Recorder, **memory_args: object) -> ConversationChain:
    llm = FakeListLLM(
        responses=["Lisbon sounds wonderful for a violin teacher", "The violin"],
        callbacks=[recorder],
    )
    return ConversationChain(llm=llm, memory=NeuramChatMemory(brain=brain, **memory_args))


def test_second_prompt_contains_the_first_turn(brain: Brain, recorder: Recorder) -> None:
    chain = conversation(brain, recorder)
    chain.invoke({"input": FIRST})
    assert recorder.inputs[0].count(FIRST) == 1  # only as the input: nothing remembered yet
    chain.invoke({"input": SECOND})
    before_input = recorder.inputs[1].rsplit(f"Human: {SECOND}", 1)[0]
    assert f"Human: {FIRST}" in before_input
    assert "AI: Lisbon sounds wonderful for a violin teacher" in before_input


async def test_second_prompt_contains_the_first_turn_async(async_only: Brain, recorder: Recorder) -> None:
    chain = conversation(async_only, recorder)
    await chain.ainvoke({"input": FIRST})
    await chain.ainvoke({"input": SECOND})
    before_input = recorder.inputs[1].rsplit(f"Human: {SECOND}", 1)[0]
    assert f"Human: {FIRST}" in before_input
    assert "AI: Lisbon sounds wonderful" in before_input


def test_save_context_perceives_both_sides_through_the_thalamus(brain: Brain) -> None:
    memory = NeuramChatMemory(brain=brain)
    memory.save_context({"input": "hi there!"}, {"output": "Hello! How are you?"})
    assert brain.sync.list() == []  # small talk never reached memory
    memory.save_context({"input": FIRST}, {"output": "Lisbon is a fine city for musicians"})
    stored = {(e.metadata["role"], e.content) for e in brain.sync.list()}
    assert stored == {("human", FIRST), ("ai", "Lisbon is a fine city for musicians")}
    history = memory.load_memory_variables({"input": "ok"})["history"]
    assert "hi there" not in history and "How are you" not in history


def test_long_term_memories_are_recalled_for_the_current_input(brain: Brain) -> None:
    # Another session told the brain about Maria; this session's working memory does not
    # hold it as a turn, so it must come back through recall.
    NeuramChatMemory(brain=brain, session_id="last-week").save_context(
        {"input": FIRST}, {"output": "Noted, a violin teacher in Lisbon"}
    )
    memory = NeuramChatMemory(brain=brain, session_id="today")
    history = memory.load_memory_variables({"input": SECOND})["history"]
    memories, _, turns = history.partition("\n\n")
    assert memories.startswith("Relevant memories:")
    assert f"- Human: {FIRST}" in memories
    assert turns == ""  # the other session's turns are not this conversation
    unrelated = memory.load_memory_variables({"input": "quarterly tax forms deadline"})
    assert FIRST not in unrelated["history"]


def test_k_bounds_the_recalled_memories(brain: Brain) -> None:
    other = NeuramChatMemory(brain=brain, session_id="other")
    for town in ("Lisbon", "Porto", "Braga"):
        other.save_context({"input": f"Maria taught violin in {town} last year"}, {"output": "ok"})
    loaded = NeuramChatMemory(brain=brain, session_id="me", k=2).load_memory_variables(
        {"input": "Where did Maria teach violin?"}
    )
    assert loaded["history"].count("- Human: Maria taught violin in") == 2
    none = NeuramChatMemory(brain=brain, session_id="me", k=0).load_memory_variables(
        {"input": "Where did Maria teach violin?"}
    )
    assert none["history"] == ""


def test_return_messages_in_an_llm_chain_with_a_chat_model(brain: Brain, recorder: Recorder) -> None:
    NeuramChatMemory(brain=brain, session_id="old").save_context(
        {"input": "My passport number ends in 4471"}, {"output": "Stored"}
    )
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("chat_history"), ("human", "{question}")])
    memory = NeuramChatMemory(brain=brain, memory_key="chat_history", return_messages=True, session_id="new")
    model = FakeListChatModel(responses=["Noted, the red suitcase", "It ends in 4471"], callbacks=[recorder])
    chain = LLMChain(llm=model, prompt=prompt, memory=memory)
    chain.invoke({"question": "I packed the passport in the red suitcase"})
    chain.invoke({"question": "What does my passport number end in?"})
    sent = recorder.messages[1]
    assert isinstance(sent[0], SystemMessage)
    assert "My passport number ends in 4471" in sent[0].text  # recalled
    assert [type(m) for m in sent[1:]] == [HumanMessage, AIMessage, HumanMessage]
    assert sent[1].text == "I packed the passport in the red suitcase"  # working memory
    assert sent[2].text == "Noted, the red suitcase"


async def test_async_load_and_save_are_native(async_only: Brain) -> None:
    memory = NeuramChatMemory(brain=async_only, return_messages=True)
    await memory.asave_context({"input": FIRST}, {"output": "A violin teacher, lovely"})
    loaded = await memory.aload_memory_variables({"input": SECOND})
    assert [m.text for m in loaded["history"]] == [FIRST, "A violin teacher, lovely"]
    await memory.aclear()
    assert await async_only.list() == []


def test_clear_forgets_only_this_session(brain: Brain) -> None:
    mine = NeuramChatMemory(brain=brain, session_id="mine")
    theirs = NeuramChatMemory(brain=brain, session_id="theirs")
    mine.save_context({"input": FIRST}, {"output": "Lisbon has great music schools"})
    theirs.save_context({"input": "Tom repairs vintage bicycles"}, {"output": "Nice hobby indeed"})
    mine.clear()
    assert {e.content for e in brain.sync.list()} == {"Tom repairs vintage bicycles"}


def test_memory_is_checked(brain: Brain) -> None:
    with pytest.raises(ValueError):
        NeuramChatMemory(brain=brain, k=-1)
    other = Brain.open(path=":memory:", namespace="x", embedder=HashingEmbedder())
    try:
        with pytest.raises(ValueError, match="same brain"):
            NeuramChatMemory(brain=brain, chat_memory=NeuramChatMessageHistory(other))
    finally:
        other.sync.close()
    adopted = NeuramChatMemory(brain=brain, chat_memory=NeuramChatMessageHistory(brain, "s9"))
    assert adopted.session_id == "s9"


def test_turns_stay_in_conversation_order_when_recall_rehearses_one(brain: Brain) -> None:
    memory = NeuramChatMemory(brain=brain)
    memory.save_context({"input": "The boiler makes a knocking noise"}, {"output": "How long has the knocking lasted?"})
    # Rehearsal reorders working memory by use: it now holds the AI's reply before the
    # human line it answered.
    [boiler] = [e for e in brain.working_memory if e.content.startswith("The boiler")]
    brain.sync.rehearse([boiler.engram_id])
    assert brain.working_memory[0].content == "How long has the knocking lasted?"
    memory.save_context({"input": "It started last Tuesday"}, {"output": "Call a plumber soon"})
    history = memory.load_memory_variables({"input": "who should I call"})["history"]
    assert history.splitlines()[-4:] == [
        "Human: The boiler makes a knocking noise",
        "AI: How long has the knocking lasted?",
        "Human: It started last Tuesday",
        "AI: Call a plumber soon",
    ]
