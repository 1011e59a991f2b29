"""The public surface of neuram_langchain is locked, loads lazily, and is typed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import neuram_langchain

EXPECTED = {
    "LangChainEmbedder",
    "NeuramChatMemory",
    "NeuramChatMessageHistory",
    "NeuramMiddleware",
    "NeuramRetriever",
    "NeuramStore",
}


def test_all_is_locked() -> None:
    assert set(neuram_langchain.__all__) == EXPECTED
    assert not [name for name in neuram_langchain.__all__ if name.startswith("_")]


def test_every_export_resolves_to_a_class_of_its_name() -> None:
    for name in EXPECTED:
        value = getattr(neuram_langchain, name)
        assert isinstance(value, type) and value.__name__ == name
        assert value.__module__.startswith("neuram_langchain.")
    with pytest.raises(AttributeError):
        neuram_langchain.NoSuchAdapter  # noqa: B018


def test_py_typed_is_shipped() -> None:
    assert (Path(neuram_langchain.__file__).parent / "py.typed").exists()


def test_import_loads_no_framework_until_an_adapter_is_used() -> None:
    code = textwrap.dedent(
        """
        import sys
        import neuram_langchain
        assert not any(m.split(".")[0] in {"langchain", "langchain_core", "langchain_classic",
                       "langgraph"} for m in sys.modules), "framework imported eagerly"
        neuram_langchain.NeuramRetriever
        assert "langchain_core" in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_missing_framework_is_reported_with_the_install_command() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["langgraph"] = None  # as if the extra were not installed
        sys.modules["langgraph.store"] = None
        sys.modules["langgraph.store.base"] = None
        import neuram_langchain
        try:
            neuram_langchain.NeuramStore
        except ImportError as exc:
            assert "neuram[langchain]" in str(exc), exc
        else:
            raise SystemExit("no ImportError")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_our_classes_raise_no_deprecation_warning(brain: object) -> None:
    from neuram_langchain import (
        NeuramChatMemory,
        NeuramChatMessageHistory,
        NeuramMiddleware,
        NeuramRetriever,
        NeuramStore,
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        memory = NeuramChatMemory(brain=brain)
        memory.save_context({"input": "The launch code is in the blue folder"}, {"output": "Noted"})
        memory.load_memory_variables({"input": "where is the launch code?"})
        history = NeuramChatMessageHistory(brain, "s")
        history.add_user_message("Please remember the blue folder holds the launch code")
        assert history.messages
        NeuramRetriever(brain=brain).invoke("blue folder")
        store = NeuramStore(brain)
        store.put(("docs",), "a", {"text": "blue folder"})
        store.search(("docs",), query="blue")
        NeuramMiddleware(brain)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert not deprecations, [str(w.message) for w in deprecations]
