"""docs/langchain.md leads with LangChain 1.x: agents (create_agent with NeuramMiddleware),
the LangGraph store, then the retriever; the classic chains, deprecated upstream, come last
in a section that says so. tests/docs/test_docs.py runs the page and checks that those
classic paths still warn as deprecated."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "langchain.md"


def _sections() -> list[tuple[str, str]]:
    parts = re.split(r"^### (.+)$", DOC.read_text(), flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_the_current_paths_come_first() -> None:
    titles = [title for title, _ in _sections()]
    assert "create_agent" in titles[0] and "NeuramMiddleware" in titles[0]
    assert "LangGraph" in titles[1] and "NeuramStore" in titles[1]
    assert "NeuramRetriever" in titles[2]
    table = re.findall(r"^\| `(\w+)` \|", DOC.read_text(), flags=re.MULTILINE)
    assert table[:2] == ["NeuramMiddleware", "NeuramStore"]


def test_the_deprecated_paths_are_last_and_marked() -> None:
    title, body = _sections()[-1]
    assert "deprecated" in title.lower()
    earlier = "".join(b for _, b in _sections()[:-1])
    for legacy in ("ConversationChain(", "RunnableWithMessageHistory("):
        assert legacy in body and legacy not in earlier
