"""Run a docs/ page as written: its ```python blocks in order, in one namespace, on one event
loop (top-level ``await`` allowed, as in a notebook or ``python -m asyncio``).

A page marks a block that needs something this machine provides only in a test with an HTML
comment on the line just before the fence:

    <!-- docs-test: redis -->    the test starts a redis-server and sets $REDIS_URL to it
    <!-- docs-test: server -->    the test starts `neuram serve` and sets $NEURAM_URL to it
    <!-- docs-test: skip REASON -->    compiled (so it stays valid Python), not run

A block that cannot run at all (a shell command, a config file) is not a ```python block.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(DOCS.glob("*.md"))

# A fence may be indented (a block inside a list item): its lines lose that indent.
_FENCE = re.compile(r"^( *)```python\n(.*?)^\1```", re.DOTALL | re.MULTILINE)
_MARK = re.compile(r"<!--\s*docs-test:\s*(\w+)\s*(.*?)\s*-->\s*\n\Z")
MARKS = {"redis", "server", "skip"}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # the first line of code, 1-based, in the page
    source: str
    mark: str | None = None  # "redis" | "server" | "skip" | None
    reason: str = ""

    def compile(self) -> object:
        # Padded so a traceback names the page's own line numbers.
        padded = "\n" * (self.line - 1) + self.source
        return compile(padded, str(self.page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def blocks(page: Path) -> list[Block]:
    """The page's ```python blocks, in order, with their marks."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()]
        mark = _MARK.search(before)
        kind, reason = (mark.group(1), mark.group(2)) if mark else (None, "")
        if kind is not None and kind not in MARKS:
            raise ValueError(f"{page.name}:{before.count(chr(10)) + 1}: unknown docs-test mark {kind!r}")
        indent = len(match.group(1))
        lines = match.group(2).splitlines(keepends=True)
        source = "".join(line[indent:] if line.strip() else "\n" for line in lines)
        found.append(Block(page, before.count("\n") + 2, source, kind, reason))
    return found


def run(page: Path, namespace: dict[str, object] | None = None) -> dict[str, object]:
    """Execute the page's blocks (skipped ones only compiled); return the shared namespace."""
    namespace = {"__name__": f"docs_{page.stem}"} if namespace is None else namespace
    with asyncio.Runner() as runner:
        for block in blocks(page):
            code = block.compile()
            if block.mark == "skip":
                continue
            assert inspect.iscode(code)
            if code.co_flags & inspect.CO_COROUTINE:
                runner.run(eval(code, namespace))
            else:
                exec(code, namespace)
    return namespace
