"""Every page in docs/ runs as written: its ```python blocks, in order, in one namespace per
page, in a fresh working directory (tests/docs/pages.py: how blocks run, and their marks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import pages

# What a page needs beyond the core (its extra): the page is skipped without it.
REQUIRES = {
    "server.md": ("fastapi", "uvicorn", "httpx", "mcp"),
    "langchain.md": ("langchain", "langgraph", "langchain_classic"),
    "llamaindex.md": ("llama_index.core",),
}
# What a page must print when it runs, beyond not failing.
PRINTS = {
    "langchain.md": [
        "Relevant memories from earlier conversations:\n- User: I drive an old green Volvo",
        "Prefers green tea, no sugar", "A green Volvo.", "Violin, in Lisbon.", "You keep bees.",
    ],
    "llamaindex.md": ["- user: I keep bees and my favourite colour is teal.", "<long_term_memory>"],
    "metadata.md": ["Maria teaches violin in Lisbon 1", "The violin lessons are on Tuesdays 0"],
    "redis.md": ["Alice prefers the window seat"],
    "server.md": ["Ada's daughter Maya plays the violin"],
}
# Upstream noise, not ours: LlamaIndex workflows inspect the (pydantic) agents' attributes.
IGNORE = {"llamaindex.md": ["ignore::DeprecationWarning:inspect"]}
# The deprecated framework paths a page shows as legacy: they must still warn, or the page
# should stop calling them deprecated.
DEPRECATED = {"langchain.md": ["ConversationChain", "RunnableWithMessageHistory"]}


def _param(page: Path) -> object:
    marks = [pytest.mark.filterwarnings(f) for f in IGNORE.get(page.name, [])]
    if any(b.mark == "redis" for b in pages.blocks(page)):
        marks.append(pytest.mark.redis)
    if any(b.mark == "server" for b in pages.blocks(page)):
        marks += [pytest.mark.server, pytest.mark.slow]  # the real server, with the real model
    return pytest.param(page, id=page.name, marks=marks)


def test_every_page_is_found() -> None:
    names = {p.name for p in pages.PAGES}
    assert {"langchain.md", "llamaindex.md", "redis.md", "stores.md"} <= names
    assert set(REQUIRES) | set(PRINTS) | set(IGNORE) | set(DEPRECATED) <= names


@pytest.mark.parametrize("page", [_param(p) for p in pages.PAGES])
def test_the_page_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    for module in REQUIRES.get(page.name, ()):
        pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)  # the files a page writes land here
    if any(b.mark == "redis" for b in pages.blocks(page)):
        monkeypatch.setenv("REDIS_URL", request.getfixturevalue("redis_url"))  # a real server
    if any(b.mark == "server" for b in pages.blocks(page)):
        from tests.server.harness import ServerProcess

        # `neuram serve` on the embedded store with the real model, as the page starts it
        served = ServerProcess(None, embedder=None, env={"NEURAM_PATH": str(tmp_path / "memory.db")}).start()
        request.addfinalizer(served.terminate)
        monkeypatch.setenv("NEURAM_URL", served.url)
    if page.name in DEPRECATED:
        from langchain_core._api.deprecation import LangChainDeprecationWarning

        with pytest.warns(LangChainDeprecationWarning) as warned:
            pages.run(page)
        for name in DEPRECATED[page.name]:
            assert any(name in str(w.message) for w in warned), f"{name} no longer warns as deprecated"
    else:
        pages.run(page)
    printed = capsys.readouterr().out
    for text in PRINTS.get(page.name, []):
        assert text in printed, f"{page.name} should print {text!r}; it printed:\n{printed}"
