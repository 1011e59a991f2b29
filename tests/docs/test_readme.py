"""The README's framework examples run as written and print what a reader expects (the
quick start is the main job, `make quickstart`; the API summary is a signature list)."""

from __future__ import annotations

import asyncio
import inspect
import shlex
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


def test_the_readme_cli_example_prints_what_perceive_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console example's perceive line, id aside, is what the command prints today."""
    from tests.cli.runner import QUICK, run_cli

    lines = README.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("$ neuram perceive "))
    argv = shlex.split(lines[at].removeprefix("$ neuram "))
    shown = lines[at + 1].split("  ", 1)[1]  # after the engram id
    run = run_cli(capsys, *QUICK, "--path", str(tmp_path / "memory.db"), *argv)
    assert run.code == 0, run.err
    assert run.out.strip().split("  ", 1)[1] == shown
