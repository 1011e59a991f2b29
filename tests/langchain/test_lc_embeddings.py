"""LangChainEmbedder: any LangChain Embeddings as neuram's embedder."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from neuram_core import Brain, Embedder, HashingEmbedder, ManualClock
from neuram_langchain import LangChainEmbedder

from .conftest import HashingEmbeddings


def test_it_is_a_neuram_embedder_with_unit_rows() -> None:
    embedder = LangChainEmbedder(DeterministicFakeEmbedding(size=32))
    assert isinstance(embedder, Embedder)
    assert embedder.dimension == 32  # probed from the model
    rows = embedder.embed(["a", "b", "a"])
    assert rows.shape == (3, 32) and rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(rows[0], rows[2])


def test_vectors_pass_through_unchanged_but_normalised() -> None:
    wrapped = LangChainEmbedder(HashingEmbeddings(), dimension=384)
    texts = ["green tea with honey", "black coffee"]
    np.testing.assert_allclose(wrapped.embed(texts), HashingEmbedder().embed(texts), atol=1e-6)


def test_batches_follow_batch_size() -> None:
    inner = HashingEmbeddings()
    embedder = LangChainEmbedder(inner, dimension=384, batch_size=2)
    assert embedder.embed([f"text {i}" for i in range(5)]).shape == (5, 384)
    assert inner.calls == 3


def test_a_brain_recalls_through_langchain_embeddings(clock: ManualClock) -> None:
    brain = Brain.open(path=":memory:", embedder=LangChainEmbedder(HashingEmbeddings()), clock=clock)
    try:
        brain.sync.perceive("The boiler was serviced in October", gate=False)
        clock.advance(3600)
        brain.sync.perceive("The cat's vaccination is due in May", gate=False)
        [(best, _), *_] = brain.sync.recall("when was the boiler serviced")
        assert best.content == "The boiler was serviced in October"
    finally:
        brain.sync.close()


def test_wrong_shapes_and_arguments_are_refused() -> None:
    class Broken(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [[1.0, 2.0]]  # one row, whatever the input

        def embed_query(self, text: str) -> list[float]:
            return [1.0, 2.0]

    with pytest.raises(ValueError):
        LangChainEmbedder(Broken()).embed(["a", "b"])
    with pytest.raises(TypeError):
        LangChainEmbedder(HashingEmbedder())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        LangChainEmbedder(HashingEmbeddings(), dimension=0)
