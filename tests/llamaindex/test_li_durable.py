"""What NeuramMemory perceives outlives the process without any sleep (issue 14)."""

from __future__ import annotations

from pathlib import Path

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from neuram_core import Brain, HashingEmbedder, ManualClock
from neuram_llamaindex import NeuramMemory

FACT = "My favourite colour is teal and I keep bees in the garden."


def test_a_put_message_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    brain = Brain.open(path=path, embedder=HashingEmbedder(), namespace="test", clock=ManualClock())
    memory = NeuramMemory(brain=brain, session_id="alice")
    memory.put(ChatMessage(role=MessageRole.USER, content=FACT))
    namespace = memory.session_brain.namespace
    brain.sync.close()  # no sleep ever ran

    again = Brain.open(path=path, embedder=HashingEmbedder(), namespace=namespace, clock=ManualClock())
    try:
        [(found, _)] = again.sync.recall("which colour do I like best", top_k=1)
        assert found.content == FACT and not found.consolidated
        assert again.sync.stats()["pending"] == 1
    finally:
        again.sync.close()
