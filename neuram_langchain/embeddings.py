"""LangChainEmbedder: any LangChain ``Embeddings`` as neuram's embedder."""

from __future__ import annotations

import numpy as np
from langchain_core.embeddings import Embeddings

from neuram_core import BaseEmbedder
from neuram_core.engram import Vector

__all__ = ["LangChainEmbedder"]

# Where LangChain's embedding classes keep their model's name (OpenAI, Ollama: model;
# HuggingFace: model_name; Bedrock: model_id).
_MODEL_ATTRIBUTES = ("model", "model_name", "model_id")


class LangChainEmbedder(BaseEmbedder):
    """Wraps a LangChain ``Embeddings`` (OpenAI, HuggingFace, Ollama, a fake...) for
    ``Brain.create(embedder=LangChainEmbedder(embeddings))``.

    Memories and cues are both embedded with ``embed_documents``, so a memory and the
    same text as a cue land on the same vector. The dimension is found by embedding one
    probe text on first use, unless given. neuram normalises the rows (cosine recall).
    """

    def __init__(self, embeddings: Embeddings, *, dimension: int | None = None, batch_size: int = 64) -> None:
        if not isinstance(embeddings, Embeddings):
            raise TypeError(f"embeddings must be a langchain_core Embeddings, not {type(embeddings).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.embeddings = embeddings
        self.batch_size = batch_size
        self._dimension = self.check_dimension(dimension)

    @property
    def identity(self) -> str:
        """The wrapped class and its model ("OpenAIEmbeddings:text-embedding-3-small")."""
        name = type(self.embeddings).__qualname__
        for attribute in _MODEL_ATTRIBUTES:
            model = getattr(self.embeddings, attribute, None)
            if isinstance(model, str) and model:
                return f"{name}:{model}"
        return name

    def _embed(self, texts: list[str]) -> Vector:
        return np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)

    def __repr__(self) -> str:
        return f"LangChainEmbedder({type(self.embeddings).__name__})"
