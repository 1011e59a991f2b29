"""NeuramMemoryBlock inside LlamaIndex's Memory: messages flushed from the short-term queue
are perceived, and surface again (in the block's tag) when the conversation touches them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.memory import Memory
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from neuram_core import Brain
from neuram_llamaindex import NeuramMemoryBlock

FACT = "My favourite colour is teal and I keep bees in the garden."
REPLY = "That sounds lovely, bees need a lot of care through the year."
NEXT = "Tell me something about planting flowers in spring please."
QUESTION = "Which colour do I like best?"


def _memory(block: NeuramMemoryBlock, session_id: str, engine: AsyncEngine) -> Memory:
    # Word-count tokens and a 20-token short-term queue: the first turn gets flushed
    # as soon as the next user message arrives.
    return Memory.from_defaults(
        session_id=session_id,
        async_engine=engine,
        token_limit=40,
        chat_history_token_ratio=0.5,
        token_flush_size=10,
        tokenizer_fn=lambda text: text.split(),
        memory_blocks=[block],
    )


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    """The chat store's database, closed on the test's own loop."""
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    yield engine
    await engine.dispose()


def _chat(role: MessageRole, text: str) -> ChatMessage:
    return ChatMessage(role=role, content=text)


TURNS = [
    _chat(MessageRole.USER, FACT),
    _chat(MessageRole.ASSISTANT, REPLY),
    _chat(MessageRole.USER, NEXT),
]


def _recalled(messages: list[ChatMessage]) -> str:
    assert messages[0].role == MessageRole.SYSTEM
    return messages[0].content or ""


async def test_flushed_messages_surface_later(brain: Brain, engine: AsyncEngine) -> None:
    block = NeuramMemoryBlock(brain=brain)
    memory = _memory(block, "s1", engine)
    for message in TURNS:
        await memory.aput(message)

    active = [m.content for m in await memory.aget() if m.role != MessageRole.SYSTEM]
    assert active == [NEXT]  # the first turn was flushed to the block
    assert sorted(e.content for e in await brain.for_namespace("s1").list()) == sorted([FACT, REPLY])

    # Later, a new Memory on the same session: the block brings the fact back.
    later = _memory(block, "s1", engine)
    text = _recalled(await later.aget(input=QUESTION))
    assert "<long_term_memory>" in text and f"- user: {FACT}" in text


@pytest.fixture
def sync_engine() -> Iterator[AsyncEngine]:
    """Memory's sync methods run on the current event loop (llama_index's asyncio_run):
    give them one, and close the chat store's SQLite connection on it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    yield engine
    loop.run_until_complete(engine.dispose())
    asyncio.set_event_loop(None)
    loop.close()


def test_sync_memory_api_works_too(brain: Brain, sync_engine: AsyncEngine) -> None:
    block = NeuramMemoryBlock(brain=brain, name="neuram")
    memory = _memory(block, "s1", sync_engine)
    memory.put_messages(TURNS)
    memory.put(_chat(MessageRole.USER, QUESTION))
    text = _recalled(memory.get())
    assert "<neuram>" in text and FACT in text


async def test_sessions_are_kept_apart_unless_shared(brain: Brain, engine: AsyncEngine) -> None:
    scoped = NeuramMemoryBlock(brain=brain)
    memory = _memory(scoped, "s1", engine)
    for message in TURNS:
        await memory.aput(message)
    other = await _memory(scoped, "s2", engine).aget(input=QUESTION)
    assert all(FACT not in (m.content or "") for m in other)
    assert await brain.list() == []

    shared = NeuramMemoryBlock(brain=brain, session_scoped=False)
    memory = _memory(shared, "s3", engine)
    for message in TURNS:
        await memory.aput(message)
    assert FACT in [e.content for e in await brain.list()]
    assert FACT in _recalled(await _memory(shared, "s4", engine).aget(input=QUESTION))


async def test_block_reads_nothing_without_a_cue(brain: Brain) -> None:
    block = NeuramMemoryBlock(brain=brain, similarity_top_k=3)
    await block.aput([_chat(MessageRole.USER, FACT)])
    assert await block.aget([]) == ""
    assert await block.aget([_chat(MessageRole.USER, FACT)]) == ""  # already in view
    assert await block.aget([_chat(MessageRole.USER, QUESTION)]) == f"- user: {FACT}"
    assert await NeuramMemoryBlock(brain=brain, similarity_top_k=0).aget(
        [_chat(MessageRole.USER, QUESTION)]
    ) == ""
