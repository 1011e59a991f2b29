"""NeuramRetriever: recall as a LangChain retriever (LCEL chains, RAG, tools)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, field_validator

from neuram_core import MemoryType
from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, run_async, run_sync
from neuram_core.recalled import Recalled, recall
from neuram_langchain.messages import MESSAGE, SEQ

__all__ = ["NeuramRetriever"]

_INTERNAL = frozenset({MESSAGE, SEQ})  # how a chat history rebuilds its messages


class NeuramRetriever(BaseRetriever):
    """Recall from ``brain``: one Document per memory, best first.

    Each Document's metadata holds the engram's own metadata plus neuram's keys
    (``engram_id``, ``memory_type``, ``score``, ``retention`` at the moment of recall,
    ``stability_hours``, ``access_count``, ``encoded_at``: see docs/metadata.md). Recall
    strengthens what it returns (LTP), as remembering does, unless ``strengthen=False``.
    ``k``, ``memory_type`` and ``metadata_filter`` are set here and can be overridden per
    call: ``retriever.invoke(query, k=2)``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    brain: BrainAPI
    k: int = Field(default=4, ge=0)
    memory_type: MemoryType | None = None
    metadata_filter: dict[str, Any] | None = None
    strengthen: bool = Field(default=True, strict=True)
    # A relevance floor (see docs/recall.md): fewer than k, or nothing, when nothing fits.
    min_relevance: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @field_validator("memory_type", mode="before")
    @classmethod
    def _parse_memory_type(cls, value: Any) -> MemoryType | None:
        return None if value is None else MemoryType.parse(value)

    def _recall(
        self,
        query: str,
        k: int | None,
        memory_type: MemoryType | str | None,
        metadata_filter: dict[str, Any] | None,
    ) -> Plan[list[Document]]:
        found = yield from recall(
            self.brain,
            query,
            strengthen=self.strengthen,
            top_k=self.k if k is None else k,
            memory_type=self.memory_type if memory_type is None else memory_type,
            metadata=self.metadata_filter if metadata_filter is None else metadata_filter,
            min_relevance=self.min_relevance,
        )
        return [_document(memory) for memory in found]

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        memory_type: MemoryType | str | None = None,
        metadata_filter: dict[str, Any] | None = None,
    ) -> list[Document]:
        return run_sync(self._recall(query, k, memory_type, metadata_filter))

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
        memory_type: MemoryType | str | None = None,
        metadata_filter: dict[str, Any] | None = None,
    ) -> list[Document]:
        return await run_async(self._recall(query, k, memory_type, metadata_filter))


def _document(memory: Recalled) -> Document:
    """The Document for one recalled memory; chat-history internals stay out of it."""
    engram = memory.engram
    return Document(page_content=engram.content, metadata=memory.metadata(_INTERNAL), id=engram.engram_id)
