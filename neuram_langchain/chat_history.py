"""NeuramChatMessageHistory: a chat session kept as engrams of a Brain.

For ``RunnableWithMessageHistory`` (and as the ``chat_memory`` of NeuramChatMemory).
Messages are engrams tagged with the session id, so sessions stay apart in the history
while the brain can still recall any of them by meaning.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage

from neuram_core import MemoryType
from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, call, run_async, run_sync
from neuram_langchain.messages import (
    SESSION,
    engram_to_message,
    message_metadata,
    message_text,
    sort_key,
    whole_exchanges,
)

__all__ = ["NeuramChatMessageHistory"]


class NeuramChatMessageHistory(BaseChatMessageHistory):
    """The messages of one session, stored in ``brain`` (oldest first).

    ``gate=False`` (the default) keeps every message, repeats included, as a transcript
    should; with ``gate=True`` they pass the Thalamus, small talk is not kept and a message
    the brain already holds word for word is rehearsed rather than stored twice. ``consolidate=True``
    (the default) writes them to long-term memory at once, so a sleep cycle cannot drop a
    turn the model has already seen; the forgetting curve still applies afterwards, and an
    unused session fades out message by message (chatter first) over weeks. ``pinned=True``
    keeps every message until :meth:`clear`. A tool call and its results are given back
    whole or not at all, so a faded half never breaks the history a chat model is sent.
    """

    def __init__(
        self,
        brain: BrainAPI,
        session_id: str = "default",
        *,
        gate: bool = False,
        consolidate: bool = True,
        memory_type: MemoryType | str | None = None,
        metadata: dict[str, Any] | None = None,
        pinned: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(pinned, bool):
            raise TypeError(f"pinned must be a bool, not {type(pinned).__name__}")
        if not isinstance(brain, BrainAPI):
            raise TypeError(f"brain must be a neuram Brain or RemoteBrain, not {type(brain).__name__}")
        if not isinstance(session_id, str) or not session_id:
            raise ValueError("session_id must be a non-empty str")
        self.brain = brain
        self.session_id = session_id
        self.gate = gate
        self.consolidate = consolidate
        self.memory_type = None if memory_type is None else MemoryType.parse(memory_type)
        self.extra_metadata = dict(metadata or {})
        self.pinned = pinned

    # -- plans: the logic, once ------------------------------------------------------------
    def _session_engrams(self) -> Plan[list[Any]]:
        engrams = yield call(self.brain, "list", metadata={SESSION: self.session_id})
        return sorted(engrams, key=sort_key)

    def _read(self) -> Plan[list[BaseMessage]]:
        engrams = yield from self._session_engrams()
        return whole_exchanges([engram_to_message(e) for e in engrams])

    def _add(self, messages: Sequence[BaseMessage]) -> Plan[None]:
        for message in messages:
            yield call(
                self.brain,
                "perceive",
                message_text(message),
                memory_type=self.memory_type,
                metadata=message_metadata(message, {**self.extra_metadata, SESSION: self.session_id}),
                gate=self.gate,
                consolidate=self.consolidate,
                pinned=self.pinned,
                # A transcript keeps every message, repeats included, as its own engram (and
                # in its own session); a new id stops the brain from merging a repeat into
                # the engram it recognises. Gated, the history is memory: a repeat rehearses.
                engram_id=None if self.gate else uuid.uuid4().hex,
            )

    def _clear(self) -> Plan[None]:
        for engram in (yield from self._session_engrams()):
            yield call(self.brain, "forget", engram.engram_id)  # False if pruned or forgotten meanwhile

    # -- BaseChatMessageHistory --------------------------------------------------------------
    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The session's messages, oldest first. Reading changes nothing (no recall, no
        LTP), so two reads in one turn agree."""
        return run_sync(self._read())

    async def aget_messages(self) -> list[BaseMessage]:
        return await run_async(self._read())

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        run_sync(self._add(messages))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await run_async(self._add(messages))

    def clear(self) -> None:
        """Forget this session's messages (other sessions and memories stay)."""
        run_sync(self._clear())

    async def aclear(self) -> None:
        await run_async(self._clear())

    def __repr__(self) -> str:
        return f"NeuramChatMessageHistory(namespace={self.brain.namespace!r}, session_id={self.session_id!r})"
