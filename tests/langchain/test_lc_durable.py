"""A conversation through NeuramMiddleware outlives the process without any sleep: what
the run perceived is in the store when the run returns (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage

from neuram_core import Brain, HashingEmbedder, ManualClock
from neuram_langchain import NeuramMiddleware

from .conftest import ToolCallingFakeModel

EARLIER = "I drive an old green Volvo and park it on Elm Street"


def test_a_run_remembered_without_a_sleep_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    brain = Brain.open(path=path, embedder=HashingEmbedder(), clock=ManualClock())
    model = ToolCallingFakeModel(messages=iter(["Nice car, noted where you park it."]))
    bot: Any = create_agent(model, middleware=[NeuramMiddleware(brain)])
    bot.invoke({"messages": [HumanMessage(EARLIER)]})
    brain.sync.close()  # no sleep ever ran

    again = Brain.open(path=path, embedder=HashingEmbedder(), clock=ManualClock())
    try:
        [(found, _)] = again.sync.recall("where do I park my Volvo", top_k=1)
        assert found.content == EARLIER
        stats = again.sync.stats()
        assert (stats["pending"], stats["long_term"]) == (2, 0)
    finally:
        again.sync.close()
