"""NeuramRetriever: recalled engrams as LlamaIndex nodes, alone and in a RetrieverQueryEngine."""

from __future__ import annotations

import math

import pytest
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.llms.mock import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, QueryBundle

from neuram_core import Brain, Engram, ManualClock, MemoryType
from neuram_llamaindex import NeuramRetriever

FACT = "My favourite colour is teal and I keep bees in the garden."
OTHER = "The office printer on the third floor jams every Monday."
QUESTION = "Which colour do I like best?"


SKILL = "To deploy, run make release and then tag the commit."


def _seed(brain: Brain) -> dict[str, Engram]:
    engrams = {
        text: brain.sync.perceive(text, metadata={"source": "chat"}) for text in (FACT, OTHER)
    }
    engrams[SKILL] = brain.sync.perceive(SKILL, memory_type="procedural", metadata={"source": "chat"})
    return engrams


def test_retrieve_returns_nodes_with_memory_metadata(brain: Brain, clock: ManualClock) -> None:
    engrams = _seed(brain)
    clock.advance(days=3)
    retriever = NeuramRetriever(brain, similarity_top_k=1)
    assert isinstance(retriever, BaseRetriever)

    [hit] = retriever.retrieve(QUESTION)
    fact = engrams[FACT]
    assert hit.node.get_content() == FACT and hit.node.node_id == fact.engram_id
    assert hit.score is not None and hit.score > 0
    meta = hit.node.metadata
    assert meta["engram_id"] == fact.engram_id and meta["source"] == "chat"
    assert MemoryType(meta["memory_type"]) is fact.memory_type
    assert meta["encoded_at"] == fact.encoded_at
    assert brain.sync.get(fact.engram_id).last_accessed == clock.now()  # recalling it refreshed it
    assert meta["access_count"] == 1
    # Retention: how much was left when recalled, three days after encoding.
    assert meta["retention"] == pytest.approx(math.exp(-72.0 / fact.stability))
    assert 0 < meta["retention"] < 1 and meta["stability_hours"] > fact.stability  # LTP

    # The prompt sees the memory and its type, not the bookkeeping.
    prompt_text = hit.node.get_content(metadata_mode=MetadataMode.LLM)
    assert "memory_type" in prompt_text and "engram_id" not in prompt_text


async def test_aretrieve_honours_similarity_top_k(brain: Brain) -> None:
    _seed(brain)
    hits = await NeuramRetriever(brain, similarity_top_k=2).aretrieve(QueryBundle(QUESTION))
    assert len(hits) == 2 and hits[0].node.get_content() == FACT
    assert hits[0].score is not None and hits[1].score is not None and hits[0].score >= hits[1].score
    assert len(await NeuramRetriever(brain, similarity_top_k=3).aretrieve(QUESTION)) == 3
    assert len(NeuramRetriever(brain).retrieve(QUESTION)) == 3  # everything there is


async def test_filters_and_sessions(brain: Brain) -> None:
    _seed(brain)
    procedural = NeuramRetriever(brain, memory_type="procedural")
    assert [n.node.get_content() for n in await procedural.aretrieve("How do I deploy?")] == [SKILL]
    await brain.perceive("My favourite tea is green jasmine tea.", metadata={"source": "import"})
    imported = NeuramRetriever(brain, metadata_filter={"source": "import"})
    assert [n.node.get_content() for n in imported.retrieve("What is my favourite tea?")] == [
        "My favourite tea is green jasmine tea."
    ]

    await brain.perceive("Alice keeps her bicycle in the red garage.")
    await brain.for_namespace("bob").perceive("Bob keeps his bicycle in the blue shed.")
    bob = NeuramRetriever(brain, session_id="bob", similarity_top_k=5)
    assert [n.node.get_content() for n in await bob.aretrieve("Where is the bicycle?")] == [
        "Bob keeps his bicycle in the blue shed."
    ]
    mine = [n.node.get_content() for n in NeuramRetriever(brain).retrieve("Where does she keep her bicycle?")]
    assert mine[0] == "Alice keeps her bicycle in the red garage."
    assert "Bob keeps his bicycle in the blue shed." not in mine


def test_rejects_bad_top_k(brain: Brain) -> None:
    with pytest.raises(ValueError):
        NeuramRetriever(brain, similarity_top_k=0)
    with pytest.raises(TypeError):
        NeuramRetriever(brain, similarity_top_k=2.5)  # type: ignore[arg-type]


def test_query_engine_answers_from_recalled_nodes(brain: Brain) -> None:
    engrams = _seed(brain)
    engine = RetrieverQueryEngine.from_args(NeuramRetriever(brain, similarity_top_k=1), llm=MockLLM())
    response = engine.query(QUESTION)
    # MockLLM echoes its prompt: the answer was written from the recalled memory alone.
    assert FACT in str(response) and OTHER not in str(response)
    [source] = response.source_nodes
    assert source.node.metadata["engram_id"] == engrams[FACT].engram_id


async def test_query_engine_async_and_per_session(brain: Brain) -> None:
    _seed(brain)
    engine = RetrieverQueryEngine.from_args(NeuramRetriever(brain, similarity_top_k=1), llm=MockLLM())
    response = await engine.aquery(QUESTION)
    assert FACT in str(response)

    await brain.for_namespace("bob").perceive("Bob likes the colour crimson best of all.")
    bob = RetrieverQueryEngine.from_args(
        NeuramRetriever(brain, session_id="bob", similarity_top_k=3), llm=MockLLM()
    )
    answer = str(await bob.aquery(QUESTION))
    assert "crimson" in answer and FACT not in answer
