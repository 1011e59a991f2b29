"""docs/langchain.md runs as written: its Python blocks, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import langchain_classic.chains  # noqa: F401  (imported here, its warning filters are set before the test)
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "langchain.md"


@pytest.mark.filterwarnings("ignore::langchain_core._api.deprecation.LangChainDeprecationWarning")
def test_the_langchain_docs_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 7
    namespace: dict[str, object] = {"__name__": "docs_langchain"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    printed = capsys.readouterr().out
    assert "Violin, in Lisbon." in printed
    assert "You keep bees." in printed
    assert "Prefers green tea, no sugar" in printed
