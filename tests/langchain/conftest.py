"""Fixtures for the LangChain adapters: an in-memory brain with the hashing embedder and
a manual clock, a callback that records every model input, and a fake chat model that
agents can bind tools to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import BaseMessage, get_buffer_string
from langchain_core.runnables import Runnable

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
        with remote_brain(clock, "lc") as remote:
            yield remote  # type: ignore[misc]
        return
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder(), namespace="lc", clock=clock)
    yield brain
    brain.sync.close()


@pytest.fixture
def async_only(brain: Brain, monkeypatch: pytest.MonkeyPatch) -> Brain:
    """The brain, with ``brain.sync`` made to fail: proves an async path is native."""

    def refuse(self: Brain) -> Any:
        raise AssertionError("an async adapter method went through brain.sync")

    monkeypatch.setattr(type(brain), "sync", property(refuse))
    return brain


class Recorder(BaseCallbackHandler):
    """Records each model input: prompts of LLMs, message lists of chat models."""

    def __init__(self) -> None:
        self.inputs: list[str] = []
        self.messages: list[list[BaseMessage]] = []

    def on_llm_start(self, serialized: Any, prompts: list[str], **kwargs: Any) -> None:
        self.inputs.extend(prompts)

    def on_chat_model_start(self, serialized: Any, messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        for batch in messages:
            self.messages.append(list(batch))
            self.inputs.append(get_buffer_string(batch))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


class ToolCallingFakeModel(GenericFakeChatModel):
    """GenericFakeChatModel that accepts ``bind_tools`` (create_agent binds its tools)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Runnable[Any, Any]:  # type: ignore[override]
        return self


class HashingEmbeddings(Embeddings):
    """neuram's HashingEmbedder as a LangChain Embeddings (for InMemoryStore and for the
    LangChainEmbedder round trip): deterministic, and texts sharing words are close."""

    def __init__(self) -> None:
        self.embedder = HashingEmbedder()
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [[float(x) for x in row] for row in self.embedder.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
