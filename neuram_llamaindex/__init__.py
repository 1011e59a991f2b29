"""LlamaIndex adapters for neuram: chat memory, a memory block, a retriever and an
embedder bridge. Install with ``pip install "neuram[llamaindex]"``."""

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra only
    raise ImportError(
        'neuram_llamaindex needs llama-index-core: pip install "neuram[llamaindex]"'
    ) from exc

from neuram_llamaindex.embeddings import LlamaIndexEmbedder
from neuram_llamaindex.memory import NeuramMemory
from neuram_llamaindex.memory_block import NeuramMemoryBlock
from neuram_llamaindex.retriever import NeuramRetriever, engram_to_node

__all__ = [
    "LlamaIndexEmbedder",
    "NeuramMemory",
    "NeuramMemoryBlock",
    "NeuramRetriever",
    "engram_to_node",
]
