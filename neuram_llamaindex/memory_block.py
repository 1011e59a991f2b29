"""NeuramMemoryBlock: long-term memory as a block of LlamaIndex's ``Memory``.

``Memory`` hands a block only the messages it flushes from its short-term queue; the
block perceives those and, on every read, recalls what the current messages remind the
brain of. To have the brain see every message, use :class:`NeuramMemory` instead.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.memory.memory import BaseMemoryBlock

from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, call, run_async
from neuram_core.recalled import PROMPT_MIN_RELEVANCE
from neuram_llamaindex.messages import (
    DEFAULT_TOP_K,
    in_view,
    message_metadata,
    perceivable,
    query_from,
    recall_lines,
)

__all__ = ["NeuramMemoryBlock"]


class NeuramMemoryBlock(BaseMemoryBlock[str]):
    """``Memory.from_defaults(memory_blocks=[NeuramMemoryBlock(brain=brain)])``.

    With ``session_scoped`` (the default) the ``Memory``'s ``session_id`` is the neuram
    namespace, as LlamaIndex's own blocks keep sessions apart; set it False to share the
    brain's namespace across sessions (one user's memories over many conversations).
    """

    name: str = Field(default="long_term_memory", description="The block's name and tag.")
    brain: BrainAPI = Field(exclude=True, description="The brain that perceives and recalls.")
    similarity_top_k: int = Field(
        default=DEFAULT_TOP_K, ge=0, description="How many long-term memories to recall."
    )
    min_relevance: float = Field(
        default=PROMPT_MIN_RELEVANCE,
        ge=0,
        allow_inf_nan=False,
        description="Relevance floor: recall only what stands out from chance (0: the top k always).",
    )
    session_scoped: bool = Field(
        default=True, description="Use the Memory's session_id as the neuram namespace."
    )

    _brains: dict[str, BrainAPI] = PrivateAttr(default_factory=dict)

    def brain_for(self, session_id: str | None) -> BrainAPI:
        """The brain whose namespace holds this session's memories."""
        if not self.session_scoped or session_id is None:
            return self.brain
        if session_id not in self._brains:
            self._brains[session_id] = self.brain.for_namespace(session_id)
        return self._brains[session_id]

    async def _aget(
        self,
        messages: list[ChatMessage] | None = None,
        session_id: str | None = None,
        **block_kwargs: Any,
    ) -> str:
        return await run_async(self._read(messages or [], session_id))

    async def _aput(self, messages: list[ChatMessage]) -> None:
        await run_async(self._perceive(messages))

    # LlamaIndex's Memory drives a block through its async hooks only (its sync API runs
    # them itself); the plans keep the logic in the same shape as every other adapter.
    def _read(self, messages: list[ChatMessage], session_id: str | None) -> Plan[str]:
        query = query_from(messages)
        if not query or self.similarity_top_k == 0:
            return ""
        brain = self.brain_for(session_id)
        lines = yield from recall_lines(brain, query, in_view(messages), self.similarity_top_k, self.min_relevance)
        return "\n".join(lines)

    def _perceive(self, messages: list[ChatMessage]) -> Plan[None]:
        for message in messages:
            text = perceivable(message)
            if text is None:
                continue
            session_id = message.additional_kwargs.get("session_id")
            brain = self.brain_for(session_id if isinstance(session_id, str) else None)
            yield call(brain, "perceive", text, metadata=message_metadata(message))
