"""NeuramMemory: a LlamaIndex chat memory whose every message goes through the brain.

The recent conversation is kept verbatim in a LlamaIndex chat store (tool calls and
all, as agents need it); every message is also perceived by the brain, which decides
through the Thalamus what is worth remembering. Reading the memory returns the recent
conversation plus one system message with the long-term memories recalled for it.
"""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock
from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr, field_validator
from llama_index.core.memory.types import BaseChatStoreMemory
from llama_index.core.storage.chat_store import BaseChatStore, SimpleChatStore

from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, call, run_async, run_sync
from neuram_core.recalled import PROMPT_MIN_RELEVANCE
from neuram_llamaindex.messages import (
    DEFAULT_MEMORY_PROMPT,
    DEFAULT_TOP_K,
    in_view,
    message_metadata,
    perceivable,
    query_from,
    recall_lines,
    recent_window,
)

__all__ = ["NeuramMemory"]


class NeuramMemory(BaseChatStoreMemory):
    """Memory for ``agent.run(user_msg=..., memory=...)`` (FunctionAgent, ReActAgent,
    AgentWorkflow) backed by a neuram Brain.

    ``session_id`` is the neuram namespace (and the chat store key): two sessions never
    see each other's memories. Without it the brain's own namespace is used.
    ``reset()`` clears the conversation only; long-term memories fade by themselves
    (or go with ``brain.clear()``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    brain: BrainAPI = Field(exclude=True, description="The brain that perceives and recalls.")
    session_id: str | None = Field(
        default=None, description="Conversation id; the neuram namespace of its memories."
    )
    similarity_top_k: int = Field(
        default=DEFAULT_TOP_K, ge=0, description="How many long-term memories to recall."
    )
    min_relevance: float = Field(
        default=PROMPT_MIN_RELEVANCE,
        ge=0,
        allow_inf_nan=False,
        description="Relevance floor: recall only what stands out from chance (0: the top k always).",
    )
    history_limit: int | None = Field(
        default=40, ge=1, description="How many recent messages get() returns (None: all)."
    )
    memory_prompt: str = Field(
        default=DEFAULT_MEMORY_PROMPT,
        description="Text of the recalled-memories message; {memories} becomes the list.",
    )
    insert_method: Literal["system", "user"] = Field(
        default="system",
        description=(
            "'system': a system message after any leading ones; 'user': prefixed to the "
            "latest user message (for agents that drop a leading system message)."
        ),
    )

    _session_brain: BrainAPI = PrivateAttr()

    @field_validator("memory_prompt")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if "{memories}" not in value:
            raise ValueError("memory_prompt must contain '{memories}'")
        return value

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        self._session_brain = (
            self.brain if self.session_id is None else self.brain.for_namespace(self.session_id)
        )
        if "chat_store_key" not in self.model_fields_set:
            self.chat_store_key = self._session_brain.namespace

    @classmethod
    def class_name(cls) -> str:
        return "NeuramMemory"

    @classmethod
    def from_defaults(  # type: ignore[override]
        cls,
        *,
        brain: BrainAPI,
        session_id: str | None = None,
        chat_history: list[ChatMessage] | None = None,
        chat_store: BaseChatStore | None = None,
        **kwargs: Any,
    ) -> NeuramMemory:
        """A memory over ``brain``; ``chat_history`` seeds the conversation (not perceived)."""
        memory = cls(
            brain=brain, session_id=session_id, chat_store=chat_store or SimpleChatStore(), **kwargs
        )
        if chat_history is not None:
            memory.set(chat_history)
        return memory

    @property
    def session_brain(self) -> BrainAPI:
        """The brain on this session's namespace."""
        return self._session_brain

    # -- writing: the transcript keeps everything, the brain perceives through the Thalamus

    def put(self, message: ChatMessage) -> None:
        self.chat_store.add_message(self.chat_store_key, message)
        run_sync(self._perceive(message))

    async def aput(self, message: ChatMessage) -> None:
        await self.chat_store.async_add_message(self.chat_store_key, message)
        await run_async(self._perceive(message))

    def put_messages(self, messages: list[ChatMessage]) -> None:
        for message in messages:
            self.put(message)

    async def aput_messages(self, messages: list[ChatMessage]) -> None:
        for message in messages:
            await self.aput(message)

    def _perceive(self, message: ChatMessage) -> Plan[None]:
        text = perceivable(message)
        if text is not None:
            yield call(self._session_brain, "perceive", text, metadata=message_metadata(message))

    # -- reading: the recent conversation plus what it reminds the brain of

    def get(self, input: str | ChatMessage | None = None, **kwargs: Any) -> list[ChatMessage]:
        window = recent_window(self.chat_store.get_messages(self.chat_store_key), self.history_limit)
        return run_sync(self._read(window, input))

    async def aget(
        self, input: str | ChatMessage | None = None, **kwargs: Any
    ) -> list[ChatMessage]:
        window = recent_window(
            await self.chat_store.aget_messages(self.chat_store_key), self.history_limit
        )
        return await run_async(self._read(window, input))

    def _read(self, window: list[ChatMessage], input: str | ChatMessage | None) -> Plan[list[ChatMessage]]:
        """``window`` plus what it (or ``input``) reminds the brain of; only the memories
        shown are strengthened."""
        query = query_from(window, input) if self.similarity_top_k > 0 else ""
        if not query:
            return window
        lines = yield from recall_lines(
            self._session_brain, query, in_view(window), self.similarity_top_k, self.min_relevance
        )
        return self._compose(window, lines)

    def _compose(self, window: list[ChatMessage], lines: list[str]) -> list[ChatMessage]:
        if not lines:
            return window
        text = self.memory_prompt.replace("{memories}", "\n".join(lines))
        if self.insert_method == "user":
            for index in range(len(window) - 1, -1, -1):
                message = window[index]
                if message.role == MessageRole.USER:
                    blocks = [TextBlock(text=text + "\n"), *message.blocks]
                    window[index] = message.model_copy(update={"blocks": blocks})
                    return window
        # After any leading system messages: an agent that strips the first message as its
        # own system prompt (ReActAgent) then strips that, not the memories.
        at = 0
        while at < len(window) and window[at].role == MessageRole.SYSTEM:
            at += 1
        window.insert(at, ChatMessage(role=MessageRole.SYSTEM, content=text))
        return window
