"""LlamaIndexEmbedder: any LlamaIndex ``BaseEmbedding`` as neuram's embedder.

``Brain.create(embedder=LlamaIndexEmbedder(OpenAIEmbedding()))``. neuram embeds memories
and queries alike with one call, so the model's text (document) embedding is used.
"""

from __future__ import annotations

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from neuram_core.embeddings import BaseEmbedder
from neuram_core.engram import Vector

__all__ = ["LlamaIndexEmbedder"]


class LlamaIndexEmbedder(BaseEmbedder):
    """Wraps a LlamaIndex embedding model; neuram batches, validates and normalises.

    ``dimension`` is read from the first embedding unless given (saving one model call).
    """

    def __init__(self, embed_model: BaseEmbedding, *, dimension: int | None = None) -> None:
        if not isinstance(embed_model, BaseEmbedding):
            raise TypeError(
                f"embed_model must be a LlamaIndex BaseEmbedding, not {type(embed_model).__name__}"
            )
        self.embed_model = embed_model
        self.batch_size = max(1, embed_model.embed_batch_size)
        self._dimension = self.check_dimension(dimension)

    @property
    def identity(self) -> str:
        """The wrapped class and its model ("OpenAIEmbedding:text-embedding-ada-002")."""
        return f"{type(self.embed_model).__qualname__}:{self.embed_model.model_name}"

    def _embed(self, texts: list[str]) -> Vector:
        matrix = np.asarray(self.embed_model.get_text_embedding_batch(texts), dtype=np.float32)
        if self._dimension is None and matrix.ndim == 2:
            self._dimension = int(matrix.shape[1])
        return matrix

    def __repr__(self) -> str:
        return f"LlamaIndexEmbedder({type(self.embed_model).__name__}({self.embed_model.model_name!r}))"
