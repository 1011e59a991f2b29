"""NeuramMemory on its own, sync and async: what it perceives, what get() returns, and
how sessions map onto neuram namespaces."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.bridge.pydantic import ValidationError
from llama_index.core.memory.types import BaseMemory

from neuram_core import Brain, ManualClock
from neuram_llamaindex import NeuramMemory

FACT = "My favourite colour is teal and I keep bees in the garden."
QUESTION = "Which colour do I like best?"
SYSTEM, USER, ASSISTANT, TOOL = (
    MessageRole.SYSTEM, MessageRole.USER, MessageRole.ASSISTANT, MessageRole.TOOL
)


def user(text: str) -> ChatMessage:
    return ChatMessage(role=USER, content=text)


def assistant(text: str) -> ChatMessage:
    return ChatMessage(role=ASSISTANT, content=text)


def contents(brain: Brain) -> list[str]:
    return [e.content for e in brain.sync.list()]


def test_is_a_llamaindex_memory(brain: Brain) -> None:
    memory = NeuramMemory.from_defaults(brain=brain)
    assert isinstance(memory, BaseMemory)
    assert memory.class_name() == "NeuramMemory"
    assert "brain" not in memory.to_dict()


def test_put_perceives_through_the_thalamus(brain: Brain) -> None:
    memory = NeuramMemory(brain=brain, session_id="alice")
    tool_call = ChatMessage(role=ASSISTANT, blocks=[ToolCallBlock(tool_name="search", tool_kwargs={})])
    messages = [
        ChatMessage(role=SYSTEM, content="You are a terse assistant who answers in French."),
        user("hi"),
        user(FACT),
        tool_call,
        ChatMessage(role=TOOL, content="Bees produce honey from the nectar of flowers."),
    ]
    for message in messages:
        memory.put(message)

    assert memory.get_all() == messages  # the transcript keeps everything
    stored = {e.content: e.metadata for e in memory.session_brain.sync.list()}
    # Small talk is gated out, a system prompt is no experience, a bare tool call has no text.
    assert stored == {
        FACT: {"role": "user"},
        "Bees produce honey from the nectar of flowers.": {"role": "tool"},
    }


async def test_aput_and_aput_messages_perceive_every_message(brain: Brain) -> None:
    memory = NeuramMemory(brain=brain, session_id="alice")
    await memory.aput(user(FACT))
    await memory.aput_messages(
        [assistant("Teal is a calm colour and beekeeping is a patient craft."), user("thanks")]
    )
    assert len(await memory.aget_all()) == 3
    remembered = {(e.content, e.metadata["role"]) for e in await memory.session_brain.list()}
    assert remembered == {
        (FACT, "user"),
        ("Teal is a calm colour and beekeeping is a patient craft.", "assistant"),
    }


def test_get_returns_history_plus_recalled_memories(brain: Brain) -> None:
    NeuramMemory(brain=brain, session_id="alice").put(user(FACT))
    memory = NeuramMemory(brain=brain, session_id="alice")
    memory.put(user(QUESTION))

    messages = memory.get()
    assert [m.role for m in messages] == [SYSTEM, USER]
    assert f"- user: {FACT}" in (messages[0].content or "")
    assert messages[1].content == QUESTION
    # An explicit input is what gets recalled for.
    assert FACT in (NeuramMemory(brain=brain, session_id="alice").get(input=QUESTION)[0].content or "")


async def test_aget_recalls_for_the_input_or_the_latest_user_message(brain: Brain) -> None:
    await NeuramMemory(brain=brain, session_id="alice").aput(user(FACT))
    empty = NeuramMemory(brain=brain, session_id="alice")
    assert await empty.aget() == []  # nothing to ask about, nothing recalled
    [recalled] = await empty.aget(input=QUESTION)
    assert recalled.role == SYSTEM and FACT in (recalled.content or "")

    memory = NeuramMemory(brain=brain, session_id="alice")
    await memory.aput(user(QUESTION))
    await memory.aput(assistant("Let me think about that for a moment."))
    messages = await memory.aget()
    assert [m.role for m in messages] == [SYSTEM, USER, ASSISTANT]
    assert FACT in (messages[0].content or "")


async def test_the_cue_is_the_latest_user_message_not_the_reply(
    brain: Brain, clock: ManualClock
) -> None:
    printer = "The office printer on the third floor jams every Monday."
    seed = NeuramMemory(brain=brain, session_id="alice")
    await seed.aput(user(FACT))
    clock.advance(hours=1)  # far apart in time: no association between the two
    await seed.aput(user(printer))
    clock.advance(hours=1)

    memory = NeuramMemory(brain=brain, session_id="alice", similarity_top_k=1)
    await memory.aput(user(QUESTION))
    await memory.aput(assistant("Is that the printer on the third floor that jams?"))
    [recalled, *_] = await memory.aget()
    assert FACT in (recalled.content or "") and printer not in (recalled.content or "")


def test_messages_in_view_are_not_repeated_as_memories(brain: Brain) -> None:
    memory = NeuramMemory(brain=brain, session_id="alice", history_limit=2)
    memory.put(user(FACT))
    assert memory.get() == [user(FACT)]

    memory.put(assistant("Teal is a calm colour and beekeeping is a patient craft."))
    memory.put(user(QUESTION))
    # The fact scrolled out of the recent window; now it comes back as a memory.
    messages = memory.get()
    assert [m.role for m in messages] == [SYSTEM, USER]
    assert f"- user: {FACT}" in (messages[0].content or "")


def test_the_same_words_from_two_speakers_are_listed_once(brain: Brain) -> None:
    seed = NeuramMemory(brain=brain, session_id="alice")
    seed.put_messages([user(FACT), assistant(FACT)])  # an echoing assistant
    [recalled] = NeuramMemory(brain=brain, session_id="alice").get(input=QUESTION)
    assert (recalled.content or "").count(FACT) == 1


async def test_history_limit_keeps_tool_results_with_their_calls(brain: Brain) -> None:
    memory = NeuramMemory(brain=brain, similarity_top_k=0, history_limit=4)
    call = ChatMessage(role=ASSISTANT, blocks=[ToolCallBlock(tool_name="search", tool_kwargs={})])
    system = ChatMessage(role=SYSTEM, content="Be brief.")
    history = [system, user("first question"), call, ChatMessage(role=TOOL, content="result"),
               assistant("first answer"), user("second question"), assistant("second answer")]
    await memory.aset(history)
    # The last four start mid-turn (a tool result); the window starts at the next user
    # message, and the leading system message stays.
    assert await memory.aget() == [system, user("second question"), assistant("second answer")]
    assert memory.get() == await memory.aget()
    assert await memory.aget_all() == history


def test_set_and_reset_touch_the_conversation_only(brain: Brain) -> None:
    memory = NeuramMemory(brain=brain, session_id="alice")
    memory.set([user(FACT), assistant("Lovely, teal suits a beekeeper.")])
    assert memory.session_brain.sync.list() == []  # set() seeds history; nothing perceived

    memory.put(user(FACT))
    memory.reset()
    assert memory.get_all() == []
    [recalled] = memory.get(input=QUESTION)  # long-term memory outlives the conversation
    assert FACT in (recalled.content or "")


async def test_sync_methods_work_inside_a_running_loop(brain: Brain) -> None:
    # As in a notebook cell: blocking calls while an event loop runs.
    NeuramMemory(brain=brain, session_id="alice").put(user(FACT))
    memory = NeuramMemory(brain=brain, session_id="alice")
    memory.put(user(QUESTION))
    assert FACT in (memory.get()[0].content or "")


async def test_aset_and_areset(brain: Brain) -> None:
    memory = NeuramMemory(brain=brain, session_id="alice")
    await memory.aput(user(FACT))
    await memory.aset([user("What should I plant for my bees?")])
    assert [m.content for m in await memory.aget_all()] == ["What should I plant for my bees?"]
    await memory.areset()
    assert await memory.aget_all() == []
    assert [e.content for e in await memory.session_brain.list()] == [FACT]


def test_from_defaults_seeds_chat_history_without_perceiving(brain: Brain) -> None:
    memory = NeuramMemory.from_defaults(brain=brain, session_id="alice", chat_history=[user(FACT)])
    assert memory.get_all() == [user(FACT)]
    assert memory.session_brain.sync.list() == []


def test_insert_method_user_prefixes_the_latest_user_message(brain: Brain) -> None:
    NeuramMemory(brain=brain, session_id="alice").put(user(FACT))
    memory = NeuramMemory(brain=brain, session_id="alice", insert_method="user")
    memory.put(user(QUESTION))
    [message] = memory.get()
    assert message.role == USER
    text = message.content or ""
    assert text.startswith("Long-term memories") and FACT in text and text.endswith(QUESTION)
    assert memory.get_all() == [user(QUESTION)]  # the stored message is untouched


def test_memories_go_after_leading_system_messages(brain: Brain) -> None:
    NeuramMemory(brain=brain, session_id="alice").put(user(FACT))
    memory = NeuramMemory(brain=brain, session_id="alice")
    memory.set([ChatMessage(role=SYSTEM, content="Be brief."), user(QUESTION)])
    messages = memory.get()
    assert [m.role for m in messages] == [SYSTEM, SYSTEM, USER]
    assert messages[0].content == "Be brief." and FACT in (messages[1].content or "")


def test_similarity_top_k_and_memory_prompt(brain: Brain) -> None:
    seed = NeuramMemory(brain=brain, session_id="alice")
    for fact in (FACT, "My second favourite colour is deep orange.", "I like the colour of lavender."):
        seed.put(user(fact))
    memory = NeuramMemory(
        brain=brain, session_id="alice", similarity_top_k=2, memory_prompt="Known:\n{memories}"
    )
    [recalled] = memory.get(input=QUESTION)
    lines = (recalled.content or "").splitlines()
    assert lines[0] == "Known:" and len(lines) == 3 and all(x.startswith("- user: ") for x in lines[1:])

    assert NeuramMemory(brain=brain, session_id="alice", similarity_top_k=0).get(input=QUESTION) == []
    with pytest.raises(ValidationError, match="memories"):
        NeuramMemory(brain=brain, memory_prompt="no placeholder")


def test_session_id_is_the_namespace(brain: Brain) -> None:
    NeuramMemory(brain=brain, session_id="alice").put(user(FACT))
    bob = NeuramMemory(brain=brain, session_id="bob")
    bob.put(user("I am allergic to peanuts and shellfish."))

    assert contents(brain.for_namespace("alice")) == [FACT]
    assert contents(brain.for_namespace("bob")) == ["I am allergic to peanuts and shellfish."]
    assert bob.get(input=QUESTION)[-1].content == "I am allergic to peanuts and shellfish."
    assert all(FACT not in (m.content or "") for m in bob.get(input=QUESTION))
    assert FACT in (NeuramMemory(brain=brain, session_id="alice").get(input=QUESTION)[0].content or "")


async def test_sessions_share_a_chat_store_without_mixing(brain: Brain) -> None:
    alice = NeuramMemory(brain=brain, session_id="alice")
    bob = NeuramMemory(brain=brain, session_id="bob", chat_store=alice.chat_store)
    await alice.aput(user(FACT))
    await bob.aput(user("I am allergic to peanuts and shellfish."))
    assert (alice.chat_store_key, bob.chat_store_key) == ("alice", "bob")
    assert [m.content for m in await bob.aget_all()] == ["I am allergic to peanuts and shellfish."]
    assert [e.content for e in await brain.for_namespace("bob").list()] == [
        "I am allergic to peanuts and shellfish."
    ]


def test_without_session_id_the_brains_own_namespace_is_used(brain: Brain) -> None:
    memory = NeuramMemory(brain=brain)
    memory.put(user(FACT))
    assert memory.session_brain is brain and memory.chat_store_key == brain.namespace
    assert contents(brain) == [FACT]
