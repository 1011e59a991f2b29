"""List pages: memories in (sort value, engram_id) order, an opaque cursor per page, so a
page boundary holds however many memories are added meanwhile.

The default order is by ``encoded_at``; the explorer also sorts by retention, stability,
last access or access count, either way. Retention falls as time passes, so pages sorted
by it are all as of the first page's moment, which the cursor carries.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Callable, Sequence

from neuram_core.engram import Engram
from neuram_server.problems import Problem

__all__ = ["moment_of", "page_of"]


def _encode(value: float, engram_id: str, moment: float | None) -> str:
    fields: list[float | str] = [value, engram_id] if moment is None else [value, engram_id, moment]
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decode(cursor: str) -> tuple[float, str, float | None]:
    try:
        fields = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(fields, list) and len(fields) in (2, 3):
            value, engram_id, *rest = fields
            if _number(value) and isinstance(engram_id, str) and all(_number(m) for m in rest):
                return float(value), engram_id, float(rest[0]) if rest else None
    except (binascii.Error, ValueError, TypeError):
        pass
    raise Problem("invalid_cursor", "cursor is not one this API handed out (pass next_cursor as it came)")


def moment_of(cursor: str | None) -> float | None:
    """The moment a cursor's pages are sorted as of (None: the first page, or a fixed order)."""
    return None if cursor is None else _decode(cursor)[2]


def _encoded_at(engram: Engram) -> float:
    return engram.encoded_at


def page_of(
    engrams: Sequence[Engram],
    limit: int,
    cursor: str | None,
    *,
    key: Callable[[Engram], float] = _encoded_at,
    descending: bool = False,
    moment: float | None = None,
) -> tuple[list[Engram], str | None]:
    """The page after ``cursor`` (None: the first) of at most ``limit``, and the next cursor
    (which carries ``moment``, when the order depends on the time it is taken at). One pass
    keeping the best ``limit + 1``, not a sort of everything: 100k memories, a page of 25."""
    keyed = (((float(key(e)), e.engram_id), e) for e in engrams)
    if cursor is not None:
        value, engram_id, _ = _decode(cursor)
        after = (value, engram_id)
        keyed = (t for t in keyed if (t[0] < after if descending else t[0] > after))
    pick = heapq.nlargest if descending else heapq.nsmallest
    chosen = pick(limit + 1, keyed, key=lambda t: t[0])
    page = chosen[:limit]
    more = len(chosen) > limit
    return [e for _, e in page], _encode(*page[-1][0], moment) if more else None
