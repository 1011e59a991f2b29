"""The README's framework examples run as written and print what a reader expects (the
quick start is the main job, `make quickstart`; the API summary is a signature list)."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest

from tests.docs import pages

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = {
    "neuram_langchain": (("langchain", "langgraph"), "My favourite colour is teal"),
    "neuram_llamaindex": (("llama_index.core",), "I keep bees"),
}


def _block(module: str) -> pages.Block:
    found = [b for b in pages.blocks(README) if f"from {module} import" in b.source]
    assert len(found) == 1, f"the README should hold one example of {module}"
    return found[0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect")  # LlamaIndex workflows, upstream
@pytest.mark.parametrize("module", sorted(EXAMPLES))
def test_a_readme_example_runs_and_prints_what_it_stored(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs, expected = EXAMPLES[module]
    for name in needs:
        pytest.importorskip(name)
    monkeypatch.chdir(tmp_path)
    code = _block(module).compile()
    assert inspect.iscode(code)
    namespace: dict[str, object] = {"__name__": "readme"}
    if code.co_flags & inspect.CO_COROUTINE:
        with asyncio.Runner() as runner:
            runner.run(eval(code, namespace))
    else:
        exec(code, namespace)
    assert capsys.readouterr().out.strip() == expected
