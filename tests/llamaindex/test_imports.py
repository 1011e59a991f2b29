"""The public surface of neuram_llamaindex, locked."""

from __future__ import annotations

from pathlib import Path

import neuram_llamaindex


def test_public_names() -> None:
    assert neuram_llamaindex.__all__ == [
        "LlamaIndexEmbedder",
        "NeuramMemory",
        "NeuramMemoryBlock",
        "NeuramRetriever",
        "engram_to_node",
    ]
    for name in neuram_llamaindex.__all__:
        assert getattr(neuram_llamaindex, name).__module__.startswith("neuram_llamaindex.")


def test_ships_type_information() -> None:
    assert (Path(neuram_llamaindex.__file__).parent / "py.typed").exists()
