"""The doc runner itself: blocks in order in one namespace, top-level await, marks, indented
fences, and tracebacks that name the page's own lines."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from tests.docs import pages

PAGE = '''# A page

```python
import asyncio

seen = ["sync"]
```

Text, then an async block:

```python
await asyncio.sleep(0)
seen.append("async")
```

<!-- docs-test: skip needs a GPU -->
```python
seen.append("skipped")
```

1. In a list:

   ```python
   if seen:
       seen.append("indented")
   ```

```bash
echo not python
```
'''


def _page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text)
    return path


def test_blocks_run_in_order_in_one_namespace(tmp_path: Path) -> None:
    page = _page(tmp_path, PAGE)
    found = pages.blocks(page)
    assert [b.mark for b in found] == [None, None, "skip", None]
    assert found[2].reason == "needs a GPU"
    assert pages.run(page)["seen"] == ["sync", "async", "indented"]


def test_a_skipped_block_is_still_compiled(tmp_path: Path) -> None:
    page = _page(tmp_path, "<!-- docs-test: skip reason -->\n```python\nif True print(1)\n```\n")
    with pytest.raises(SyntaxError):
        pages.run(page)


def test_an_unknown_mark_is_an_error(tmp_path: Path) -> None:
    page = _page(tmp_path, "<!-- docs-test: later -->\n```python\npass\n```\n")
    with pytest.raises(ValueError, match="unknown docs-test mark 'later'"):
        pages.blocks(page)


def test_a_failure_names_the_page_and_its_line(tmp_path: Path) -> None:
    page = _page(tmp_path, "Intro\n\n```python\nx = 1\n\nraise RuntimeError(x)\n```\n")
    with pytest.raises(RuntimeError) as failure:
        pages.run(page)
    last = traceback.extract_tb(failure.value.__traceback__)[-1]
    assert (last.filename, last.lineno) == (str(page), 6)
