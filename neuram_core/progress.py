"""Progress bars for long work: a tqdm bar on stderr when it is a terminal, nothing otherwise.

One rule for the library and the CLI: ``progress=None`` means "on a terminal", and
True/False force it. tqdm is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any, TypeVar

__all__ = ["bar", "counted", "wanted"]

T = TypeVar("T")


def wanted(progress: bool | None) -> bool:
    """Whether to draw a bar: as asked, or (None) when stderr is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, not {type(progress).__name__}")
    return progress


def bar(total: int, desc: str, unit: str) -> Any:
    """A tqdm bar on stderr (a widget in a notebook)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)


async def counted(items: AsyncIterator[T], total: int, desc: str, unit: str) -> AsyncIterator[T]:
    """``items`` as they come, drawing a bar of how many of ``total`` have passed."""
    shown = bar(total, desc, unit)
    try:
        async for item in items:
            yield item
            shown.update()
    finally:
        shown.close()
