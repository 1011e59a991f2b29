"""List pages: memories in (encoded_at, engram_id) order, an opaque cursor per page, so a
page boundary holds however many memories are added meanwhile."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

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


def page_of(engrams: Sequence[Engram], limit: int, cursor: str | None) -> tuple[list[Engram], str | None]:
    """The page after ``cursor`` (None: the first) of at most ``limit``, and the next cursor."""
    ordered = sorted(engrams, key=lambda e: (e.encoded_at, e.engram_id))
    if cursor is not None:
        after = _decode(cursor)
        ordered = [e for e in ordered if (e.encoded_at, e.engram_id) > after]
    page = ordered[:limit]
    more = len(ordered) > limit and bool(page)
    return page, _encode(page[-1].encoded_at, page[-1].engram_id) if more else None
