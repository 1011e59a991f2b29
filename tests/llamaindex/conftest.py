"""Fixtures for the LlamaIndex adapters: an in-memory brain with the hashing embedder and a
manual clock, and a scripted LLM that records every input it is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms.mock import MockFunctionCallingLLM

from neuram_core import Brain, HashingEmbedder, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["local", pytest.param("remote", marks=pytest.mark.server)])
def brain(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[Brain]:
    """A Brain in this process, or (``remote``) a RemoteBrain on a real server sharing the
    clock: every adapter test runs against both, through the one protocol (BrainAPI)."""
    if request.param == "remote":
        from tests.server.remote_brains import remote_brain, skip_if_local_only

        skip_if_local_only(request)
        with remote_brain(clock, "test") as remote:
            yield remote  # type: ignore[misc]
        return
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder(), namespace="test", clock=clock)
    yield brain
    brain.sync.close()


class ScriptedLLM:
    """A response generator for ``MockFunctionCallingLLM``: answers with ``reply`` (or
    ``reply(messages)``) and records each LLM input."""

    def __init__(self, reply: str | Callable[[Sequence[ChatMessage]], ChatMessage] = "Noted.") -> None:
        self.reply = reply
        self.inputs: list[list[ChatMessage]] = []

    def __call__(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self.inputs.append(list(messages))
        if callable(self.reply):
            return self.reply(messages)
        return ChatMessage(role=MessageRole.ASSISTANT, content=self.reply)

    def llm(self) -> MockFunctionCallingLLM:
        return MockFunctionCallingLLM(response_generator=self)

    @property
    def last_input(self) -> str:
        """The last LLM input as one text, role by role."""
        return "\n".join(f"{m.role.value}: {m.content or ''}" for m in self.inputs[-1])

    def last_system_text(self) -> str:
        return "\n".join(
            m.content or "" for m in self.inputs[-1] if m.role == MessageRole.SYSTEM
        )


@pytest.fixture
def scripted() -> Callable[..., ScriptedLLM]:
    return ScriptedLLM
