"""NeuramRetriever: recall as a LlamaIndex retriever, for query engines and agents' tools.

Each recalled engram becomes a ``TextNode`` whose id is the engram id and whose metadata
is neuram's recall vocabulary (docs/metadata.md): what kind of memory it is and how vivid
it was at the moment of recall. Recall strengthens what it returns, as remembering does.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from neuram_core import Engram, MemoryType
from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, run_async, run_sync
from neuram_core.recalled import RECALL_KEYS, Recalled, recall, recalled_metadata
from neuram_core.validation import check_non_negative
from neuram_llamaindex.messages import DEFAULT_TOP_K

__all__ = ["NeuramRetriever", "engram_to_node"]

# Bookkeeping a reader of the node may want but an LLM prompt or an embedding does not.
_HIDDEN_KEYS = [key for key in RECALL_KEYS if key != "memory_type"]


def engram_to_node(engram: Engram, score: float | None = None, *, retention: float | None = None) -> NodeWithScore:
    """A node for ``engram``: its own metadata plus neuram's recall keys.

    ``retention`` is how vivid the memory was when recalled; it defaults to the engram's
    ``synaptic_strength`` (its retention when last read), right for an engram just
    returned by a strengthening recall."""
    vivid = engram.synaptic_strength if retention is None else retention
    node = TextNode(
        id_=engram.engram_id,
        text=engram.content,
        metadata=recalled_metadata(engram, score, vivid),
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
    )
    return NodeWithScore(node=node, score=score)


def _node(memory: Recalled) -> NodeWithScore:
    return engram_to_node(memory.engram, memory.score, retention=memory.retention)


class NeuramRetriever(BaseRetriever):
    """Recalls the ``similarity_top_k`` memories best matching a query, best first.

    ``session_id`` reads that neuram namespace instead of the brain's own;
    ``memory_type`` and ``metadata_filter`` (exact key/value matches) narrow recall.
    ``strengthen=False`` only looks: nothing returned is strengthened.
    """

    def __init__(
        self,
        brain: BrainAPI,
        *,
        similarity_top_k: int = DEFAULT_TOP_K,
        session_id: str | None = None,
        memory_type: MemoryType | str | None = None,
        metadata_filter: dict[str, Any] | None = None,
        strengthen: bool = True,
        min_relevance: float | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        if isinstance(similarity_top_k, bool) or not isinstance(similarity_top_k, int):
            raise TypeError(f"similarity_top_k must be an int, not {type(similarity_top_k).__name__}")
        if similarity_top_k < 1:
            raise ValueError(f"similarity_top_k must be >= 1, got {similarity_top_k}")
        if not isinstance(strengthen, bool):
            raise TypeError(f"strengthen must be a bool, not {type(strengthen).__name__}")
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self.brain = brain if session_id is None else brain.for_namespace(session_id)
        self.similarity_top_k = similarity_top_k
        self.memory_type = None if memory_type is None else MemoryType.parse(memory_type)
        self.metadata_filter = dict(metadata_filter) if metadata_filter else None
        self.strengthen = strengthen
        self.min_relevance = None if min_relevance is None else check_non_negative(min_relevance, "min_relevance")

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return run_sync(self._recall(query_bundle.query_str))

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await run_async(self._recall(query_bundle.query_str))

    def _recall(self, query: str) -> Plan[list[NodeWithScore]]:
        found = yield from recall(
            self.brain,
            query,
            strengthen=self.strengthen,
            top_k=self.similarity_top_k,
            memory_type=self.memory_type,
            metadata=self.metadata_filter,
            min_relevance=self.min_relevance,
        )
        return [_node(memory) for memory in found]
