"""NeuramChatMemory: neuram as the ``memory=`` of a legacy LangChain chain.

``ConversationChain`` / ``LLMChain(memory=...)`` call ``load_memory_variables`` before
each turn and ``save_context`` after it. Saving perceives both sides of the turn through
the Thalamus (small talk is not kept); loading returns the recent turns held in working
memory plus long-term memories recalled for the new input.
"""

from __future__ import annotations

from typing import Any

from langchain_classic.memory.chat_memory import BaseChatMemory
from langchain_classic.memory.utils import get_prompt_input_key
from langchain_core.messages import BaseMessage, SystemMessage
from pydantic import ConfigDict, Field, model_validator

from neuram_core import Engram
from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, run_async, run_sync
from neuram_core.recalled import PROMPT_MIN_RELEVANCE, look, rehearse_shown
from neuram_langchain.chat_history import NeuramChatMessageHistory
from neuram_langchain.messages import (
    ROLE,
    SESSION,
    engram_to_message,
    memory_block,
    sort_key,
    speaker_line,
)

__all__ = ["NeuramChatMemory"]

_CHAT_ROLES = ("human", "ai")


class NeuramChatMemory(BaseChatMemory):
    """Brain-backed chat memory: working memory for the conversation, recall for the rest.

    ``memory_key`` (default ``"history"``) holds a string, or a list of messages with
    ``return_messages=True`` (recalled memories first, as one system message).
    ``k`` long-term memories are recalled per turn; only those shown are strengthened (LTP).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    brain: BrainAPI
    chat_memory: NeuramChatMessageHistory
    session_id: str = "default"
    memory_key: str = "history"
    human_prefix: str = "Human"
    ai_prefix: str = "AI"
    k: int = Field(default=4, ge=0)
    # Only memories that stand out from chance reach the prompt (0: the k best, always).
    min_relevance: float = Field(default=PROMPT_MIN_RELEVANCE, ge=0, allow_inf_nan=False)
    memory_header: str = "Relevant memories:"

    @model_validator(mode="before")
    @classmethod
    def _brain_backed_history(cls, data: Any) -> Any:
        """Turns are written through a gated NeuramChatMessageHistory on the same brain
        (and never through LangChain's default in-memory history)."""
        if not isinstance(data, dict):
            return data
        history = data.get("chat_memory")
        if history is None and isinstance(data.get("brain"), BrainAPI):
            history = NeuramChatMessageHistory(
                data["brain"], data.get("session_id", "default"), gate=True, consolidate=False
            )
            data = {**data, "chat_memory": history}
        if isinstance(history, NeuramChatMessageHistory) and "session_id" not in data:
            data = {**data, "session_id": history.session_id}
        return data

    @model_validator(mode="after")
    def _same_brain(self) -> NeuramChatMemory:
        if self.chat_memory.brain is not self.brain:
            raise ValueError("chat_memory must be a NeuramChatMessageHistory on the same brain")
        if self.chat_memory.session_id != self.session_id:
            raise ValueError("chat_memory belongs to another session than session_id")
        return self

    @property
    def memory_variables(self) -> list[str]:
        return [self.memory_key]

    # -- the logic, once ---------------------------------------------------------------------
    def _load(self, inputs: dict[str, Any]) -> Plan[dict[str, Any]]:
        key = self.input_key or get_prompt_input_key(inputs, self.memory_variables)
        query = inputs.get(key)
        held = [e for e in self.brain.working_memory if self._in_session(e)]
        recalled: list[Engram] = []
        if isinstance(query, str) and query.strip() and self.k > 0:
            # Over-fetch without a trace, then strengthen only what reaches the prompt.
            found = yield from look(
                self.brain, query, top_k=self.k + len(held), min_relevance=self.min_relevance
            )
            held_ids = {e.engram_id for e in held}
            recalled = [r.engram for r in found if r.engram.engram_id not in held_ids][: self.k]
            yield from rehearse_shown(self.brain, recalled)
        # Working memory is ordered by use (recall rehearses); a conversation by time.
        turns = sorted((e for e in held if e.metadata.get(ROLE) in _CHAT_ROLES), key=sort_key)
        # What working memory holds besides chat turns is in mind too: show it as memory.
        memories = recalled + [e for e in held if e.metadata.get(ROLE) not in _CHAT_ROLES]
        return {self.memory_key: self._render(memories, turns)}

    def _in_session(self, engram: Engram) -> bool:
        """Working memory is the namespace's; other sessions' turns are not this chat's."""
        return bool(engram.metadata.get(SESSION, self.session_id) == self.session_id)

    def _render(self, memories: list[Engram], turns: list[Engram]) -> str | list[BaseMessage]:
        block = memory_block(self.memory_header, memories, self.human_prefix, self.ai_prefix)
        if self.return_messages:
            messages: list[BaseMessage] = [SystemMessage(content=block)] if block else []
            return messages + [engram_to_message(e) for e in turns]
        lines = [speaker_line(e, self.human_prefix, self.ai_prefix) for e in turns]
        return "\n\n".join(part for part in (block, "\n".join(lines)) if part)

    # -- BaseMemory ----------------------------------------------------------------------------
    def load_memory_variables(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return run_sync(self._load(inputs))

    async def aload_memory_variables(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return await run_async(self._load(inputs))

    # save_context/asave_context/clear/aclear come from BaseChatMemory: they write through
    # ``chat_memory``, a NeuramChatMessageHistory that perceives each message through the
    # Thalamus (gate=True by default here) and whose async methods are native.
