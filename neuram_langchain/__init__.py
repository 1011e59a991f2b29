"""neuram for LangChain and LangGraph (``pip install "neuram[langchain]"``).

Each adapter takes ``brain=`` a :class:`neuram_core.Brain`:

- :class:`NeuramChatMemory`: ``memory=`` of ``ConversationChain`` / ``LLMChain``
- :class:`NeuramChatMessageHistory`: a session for ``RunnableWithMessageHistory``
- :class:`NeuramRetriever`: recall as a retriever in LCEL chains
- :class:`NeuramStore`: LangGraph's ``BaseStore`` (``create_agent(store=...)``)
- :class:`NeuramMiddleware`: ``create_agent(middleware=[...])`` recall and perceive
- :class:`LangChainEmbedder`: any LangChain ``Embeddings`` as neuram's embedder

Adapters load on first use, so ``import neuram_langchain`` works without the extra and
a missing dependency is reported with the command that installs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuram_langchain.chat_history import NeuramChatMessageHistory
    from neuram_langchain.embeddings import LangChainEmbedder
    from neuram_langchain.memory import NeuramChatMemory
    from neuram_langchain.middleware import NeuramMiddleware
    from neuram_langchain.retriever import NeuramRetriever
    from neuram_langchain.store import NeuramStore

__all__ = [
    "LangChainEmbedder",
    "NeuramChatMemory",
    "NeuramChatMessageHistory",
    "NeuramMiddleware",
    "NeuramRetriever",
    "NeuramStore",
]

_MODULES = {
    "LangChainEmbedder": "neuram_langchain.embeddings",
    "NeuramChatMemory": "neuram_langchain.memory",
    "NeuramChatMessageHistory": "neuram_langchain.chat_history",
    "NeuramMiddleware": "neuram_langchain.middleware",
    "NeuramRetriever": "neuram_langchain.retriever",
    "NeuramStore": "neuram_langchain.store",
}
_FRAMEWORKS = ("langchain", "langchain_core", "langchain_classic", "langgraph")


def __getattr__(name: str) -> Any:
    module_name = _MODULES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'neuram_langchain' has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in _FRAMEWORKS:
            raise ImportError(f"neuram_langchain.{name} needs {missing}: pip install 'neuram[langchain]'") from exc
        raise
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
