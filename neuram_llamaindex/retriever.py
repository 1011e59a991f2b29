"""NeuramRetriever: recall as a LlamaIndex retriever, for query engines and agents' tools.

Each recalled engram becomes a ``TextNode`` whose id is the engram id and whose metadata
says what kind of memory it is and how vivid it was when recalled. Recall strengthens
what it returns, as remembering does.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from neuram_core import Brain, Engram, MemoryType
from neuram_llamaindex._messages import DEFAULT_TOP_K

__all__ = ["NeuramRetriever", "engram_to_node"]

# Bookkeeping a reader of the node may want but an LLM prompt or an embedding does not.
_HIDDEN_KEYS = (
    "engram_id",
    "retention",
    "stability_hours",
    "salience",
    "access_count",
    "encoded_at",
    "last_accessed",
)


def engram_to_node(engram: Engram, score: float | None = None) -> NodeWithScore:
    """A node for ``engram``: its own metadata plus memory type, engram id, retention
    (0–1, how vivid it was when last recalled, before that recall refreshed it),
    stability, salience, access count and timestamps (epoch seconds)."""
    metadata: dict[str, Any] = {
        **engram.metadata,
        "memory_type": engram.memory_type.value,
        "engram_id": engram.engram_id,
        "retention": engram.synaptic_strength,
        "stability_hours": engram.stability,
        "salience": engram.salience,
        "access_count": engram.access_count,
        "encoded_at": engram.encoded_at,
        "last_accessed": engram.last_accessed,
    }
    node = TextNode(
        id_=engram.engram_id,
        text=engram.content,
        metadata=metadata,
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
    )
    return NodeWithScore(node=node, score=score)


class NeuramRetriever(BaseRetriever):
    """Recalls the ``similarity_top_k`` memories best matching a query, best first.

    ``session_id`` reads that neuram namespace instead of the brain's own;
    ``memory_type`` and ``metadata_filter`` (exact key/value matches) narrow recall.
    """

    def __init__(
        self,
        brain: Brain,
        *,
        similarity_top_k: int = DEFAULT_TOP_K,
        session_id: str | None = None,
        memory_type: MemoryType | str | None = None,
        metadata_filter: dict[str, Any] | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        if isinstance(similarity_top_k, bool) or not isinstance(similarity_top_k, int):
            raise TypeError(f"similarity_top_k must be an int, not {type(similarity_top_k).__name__}")
        if similarity_top_k < 1:
            raise ValueError(f"similarity_top_k must be >= 1, got {similarity_top_k}")
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self.brain = brain if session_id is None else brain.for_namespace(session_id)
        self.similarity_top_k = similarity_top_k
        self.memory_type = None if memory_type is None else MemoryType.parse(memory_type)
        self.metadata_filter = dict(metadata_filter) if metadata_filter else None

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        recalled = self.brain.sync.recall(
            query_bundle.query_str,
            top_k=self.similarity_top_k,
            memory_type=self.memory_type,
            metadata=self.metadata_filter,
        )
        return [engram_to_node(engram, score) for engram, score in recalled]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        recalled = await self.brain.recall(
            query_bundle.query_str,
            top_k=self.similarity_top_k,
            memory_type=self.memory_type,
            metadata=self.metadata_filter,
        )
        return [engram_to_node(engram, score) for engram, score in recalled]
