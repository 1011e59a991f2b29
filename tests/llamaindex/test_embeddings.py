"""LlamaIndexEmbedder: a LlamaIndex embedding model as the brain's embedder."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.embeddings import MockEmbedding

from neuram_core import Brain, Embedder, HashingEmbedder
from neuram_llamaindex import LlamaIndexEmbedder, NeuramRetriever


class WordEmbedding(BaseEmbedding):
    """A LlamaIndex embedding model over word hashing that counts the texts it embeds."""

    _words: HashingEmbedder = PrivateAttr(default_factory=lambda: HashingEmbedder())
    _texts: list[str] = PrivateAttr(default_factory=list)

    def _vector(self, text: str) -> list[float]:
        self._texts.append(text)
        return [float(x) for x in self._words._embed([text])[0]]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


@pytest.fixture
def word_brain() -> Iterator[tuple[Brain, WordEmbedding]]:
    model = WordEmbedding(model_name="words")
    brain = Brain.open(path=":memory:", embedder=LlamaIndexEmbedder(model), namespace="test")
    yield brain, model
    brain.sync.close()


async def test_a_brain_recalls_with_a_llamaindex_embedding(
    word_brain: tuple[Brain, WordEmbedding],
) -> None:
    brain, model = word_brain
    assert isinstance(brain.embedder, Embedder) and brain.embedder.dimension == 384
    await brain.perceive("My favourite colour is teal and I keep bees in the garden.")
    await brain.perceive("The office printer on the third floor jams every Monday.")
    [hit] = await NeuramRetriever(brain, similarity_top_k=1).aretrieve("Which colour do I like?")
    assert hit.node.get_content().startswith("My favourite colour is teal")
    assert "Which colour do I like?" in model._texts  # the model embedded the query


def test_dimension_is_probed_once_or_given() -> None:
    embedder = LlamaIndexEmbedder(MockEmbedding(embed_dim=16))
    assert embedder.dimension == 16
    vectors = embedder.embed(["one text", "another text", "a third"])
    assert vectors.shape == (3, 16) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)  # neuram normalises

    model = WordEmbedding()
    given = LlamaIndexEmbedder(model, dimension=384)
    assert given.dimension == 384 and model._texts == []  # no probe call
    learned = LlamaIndexEmbedder(model)
    learned.embed(["first text"])
    assert learned.dimension == 384 and model._texts == ["first text"]


def test_rejects_what_is_not_a_llamaindex_embedding() -> None:
    with pytest.raises(TypeError, match="BaseEmbedding"):
        LlamaIndexEmbedder(HashingEmbedder())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        LlamaIndexEmbedder(MockEmbedding(embed_dim=8), dimension=0)
    with pytest.raises(ValueError, match="shape"):
        LlamaIndexEmbedder(MockEmbedding(embed_dim=8), dimension=4).embed(["a text"])
