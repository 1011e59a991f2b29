"""List pages: memories in (sort value, engram_id) order, an opaque cursor per page, so a
page boundary holds however many memories are added meanwhile.

The default order is by ``encoded_at``; the explorer also sorts by retention, stability,
last access or access count, either way. A retention boundary moves as memories fade,
so a page sorted by it is as of the moment it was asked for.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence

from neuram_core.engram import Engram
from neuram_server.problems import Problem

__all__ = ["page_of"]


def _encode(at: float, engram_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, engram_id]).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[float, str]:
    try:
        at, engram_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(at, int | float) and not isinstance(at, bool) and isinstance(engram_id, str):
            return float(at), engram_id
    except (binascii.Error, ValueError, TypeError):
        pass
    raise Problem("invalid_cursor", "cursor is not one this API handed out (pass next_cursor as it came)")


def _encoded_at(engram: Engram) -> float:
    return engram.encoded_at


def page_of(
    engrams: Sequence[Engram],
    limit: int,
    cursor: str | None,
    *,
    key: Callable[[Engram], float] = _encoded_at,
    descending: bool = False,
) -> tuple[list[Engram], str | None]:
    """The page after ``cursor`` (None: the first) of at most ``limit``, and the next cursor."""
    keyed = sorted(((float(key(e)), e.engram_id, e) for e in engrams), key=lambda t: (t[0], t[1]), reverse=descending)
    if cursor is not None:
        after = _decode(cursor)
        keyed = [t for t in keyed if ((t[0], t[1]) < after if descending else (t[0], t[1]) > after)]
    page = keyed[:limit]
    more = len(keyed) > limit and bool(page)
    return [t[2] for t in page], _encode(page[-1][0], page[-1][1]) if more else None
