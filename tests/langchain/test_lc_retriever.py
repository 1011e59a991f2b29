"""NeuramRetriever: langchain-tests' standard retriever suite, metadata, and LCEL chains."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_tests.integration_tests import RetrieversIntegrationTests

from neuram_core import Brain, HashingEmbedder, ManualClock, MemoryType
from neuram_langchain import NeuramRetriever

from .conftest import Recorder

FACTS = [
    ("The office coffee machine is on the third floor", MemoryType.SEMANTIC),
    ("The coffee beans come from a roaster in Antwerp", MemoryType.SEMANTIC),
    ("Every morning the team drinks coffee at nine", MemoryType.HABITUAL),
    ("Yesterday the coffee machine broke down", MemoryType.EPISODIC),
    ("To descale the coffee machine, run the cleaning cycle twice", MemoryType.PROCEDURAL),
    ("The parking garage closes at midnight", MemoryType.SEMANTIC),
]


def remember(brain: Brain) -> None:
    """Learn the facts ten minutes apart (a manual clock would otherwise make them one
    episode, temporally linked, so that recalling one lights up all the others)."""
    for text, kind in FACTS:
        brain.sync.perceive(text, memory_type=kind, metadata={"source": "wiki"}, gate=False)
        if isinstance(brain.clock, ManualClock):
            brain.clock.advance(600)


class TestNeuramRetrieverStandard(RetrieversIntegrationTests):
    """The conformance suite LangChain partner retrievers pass."""

    @pytest.fixture(autouse=True)
    def _brain(self) -> Iterator[None]:
        self._memory = Brain.open(path=":memory:", embedder=HashingEmbedder(), namespace="std")
        remember(self._memory)
        yield
        self._memory.sync.close()

    @property
    def retriever_constructor(self) -> type[NeuramRetriever]:
        return NeuramRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"brain": self._memory}

    @property
    def retriever_query_example(self) -> str:
        return "Where is the coffee machine?"


def test_documents_carry_the_engram_in_their_metadata(brain: Brain, clock: ManualClock) -> None:
    remember(brain)
    learned = clock.now()
    clock.advance(hours=5)
    [doc] = NeuramRetriever(brain=brain, k=1).invoke("which floor is the coffee machine on")
    assert doc.page_content == "The office coffee machine is on the third floor"
    engram = brain.sync.get(doc.id)
    meta = doc.metadata
    assert meta["engram_id"] == doc.id == engram.engram_id
    assert meta["memory_type"] == "semantic"
    assert meta["source"] == "wiki"  # the engram's own metadata
    assert 0 < meta["score"] <= 1.5
    assert 0 < meta["retention"] < 1  # as it was when recalled, five hours and more on
    assert meta["encoded_at"] == learned - 600 * len(FACTS)
    assert engram.last_accessed == clock.now()  # recall strengthened it just now
    assert meta["access_count"] == engram.access_count == 1
    assert meta["stability_hours"] == engram.stability


def test_results_are_ranked_and_k_is_settable_per_call(brain: Brain) -> None:
    remember(brain)
    retriever = NeuramRetriever(brain=brain, k=4)
    docs = retriever.invoke("coffee machine")
    assert len(docs) == 4
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    assert all("coffee" in d.page_content for d in docs)
    assert len(retriever.invoke("coffee machine", k=2)) == 2
    assert retriever.invoke("coffee machine", k=0) == []


def test_memory_type_and_metadata_filters(brain: Brain) -> None:
    remember(brain)
    brain.sync.perceive("The coffee budget is 200 euros", metadata={"source": "mail"}, gate=False)
    habits = NeuramRetriever(brain=brain, memory_type="HABITUAL").invoke("coffee")
    assert [d.page_content for d in habits] == ["Every morning the team drinks coffee at nine"]
    steps = NeuramRetriever(brain=brain).invoke("coffee", memory_type="procedural")
    assert [d.metadata["memory_type"] for d in steps] == ["procedural"]
    mail = NeuramRetriever(brain=brain, metadata_filter={"source": "mail"}).invoke("coffee")
    assert [d.page_content for d in mail] == ["The coffee budget is 200 euros"]


def test_unknown_per_call_arguments_are_refused(brain: Brain) -> None:
    with pytest.raises(TypeError):
        NeuramRetriever(brain=brain).invoke("coffee", top_n=3)


def format_docs(docs: list[Document]) -> str:
    return "\n".join(d.page_content for d in docs)


def rag_chain(brain: Brain, recorder: Recorder) -> Any:
    prompt = PromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}\nAnswer:")
    llm = FakeListLLM(responses=["On the third floor."], callbacks=[recorder])
    retriever = NeuramRetriever(brain=brain, k=2)
    return {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()


def test_retriever_in_an_lcel_chain(brain: Brain, recorder: Recorder) -> None:
    remember(brain)
    answer = rag_chain(brain, recorder).invoke("which floor is the coffee machine on")
    assert answer == "On the third floor."
    [prompt] = recorder.inputs
    context = prompt.split("Question:")[0]
    assert "The office coffee machine is on the third floor" in context
    assert "parking garage" not in context
    assert context.count("\n- ") == 0 and len(context.strip().splitlines()) == 3  # header + k=2


async def test_retriever_in_an_lcel_chain_async(async_only: Brain, recorder: Recorder) -> None:
    for text, kind in FACTS:
        await async_only.perceive(text, memory_type=kind, gate=False)
        async_only.clock.advance(600)  # type: ignore[attr-defined]
    answer = await rag_chain(async_only, recorder).ainvoke("which floor is the coffee machine on")
    assert answer == "On the third floor."
    assert "The office coffee machine is on the third floor" in recorder.inputs[0]
    docs = await NeuramRetriever(brain=async_only).ainvoke("parking", k=1)
    assert [d.page_content for d in docs] == ["The parking garage closes at midnight"]
