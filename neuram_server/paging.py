"""List pages: memories in (sort value, engram_id) order, an opaque cursor per page, so a
page boundary holds however many memories are added meanwhile.

The default order is by ``encoded_at``; the explorer also sorts by retention, stability,
last access or access count, either way. Retention falls as time passes, so pages sorted
by it are all as of the first page's moment, which the cursor carries.

A page of 25 out of 100k memories is picked with numpy: the sort values as one array
(retention by the vectorised formula of the core, equal bit for bit to
``compute_retention``), the ones after the cursor by a comparison, the best ``limit + 1``
by a partition; only the few that tie with the cursor or with the page's last value are
compared by id in Python.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from neuram_core.dynamics import SECONDS_PER_HOUR, retentions
from neuram_core.engram import Engram
from neuram_core.regions.hippocampus import Listing
from neuram_server.problems import Problem

__all__ = ["SortName", "matching", "moment_of", "page_of", "sort_values"]

SortName = Literal["encoded_at", "retention", "stability", "last_accessed", "access_count"]
FloatArray = npt.NDArray[np.float64]


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


def sort_values(listing: Listing, sort: SortName, now: float) -> FloatArray:
    """What ``sort`` orders the listing's engrams by, in step with them: retention as of
    ``now``, equal bit for bit to ``compute_retention(e, now)``; the field otherwise."""
    if sort == "retention":
        hours = (now - listing.last_accessed) / SECONDS_PER_HOUR  # negative (clock skew): counts as 0
        return retentions(hours, listing.stability)
    values: FloatArray = getattr(listing, sort)
    return values


def matching(
    listing: Listing,
    *,
    text: str | None = None,
    pinned: bool | None = None,
    since: float | None = None,
    until: float | None = None,
) -> Listing:
    """The engrams whose content holds ``text`` (any case), pinned or not as ``pinned``
    says, encoded in ``[since, until]`` (None: any), in their order. The field tests are
    array comparisons; only the text is looked for engram by engram, among those left."""
    if pinned is not None or since is not None or until is not None:
        keep = np.ones(len(listing.engrams), dtype=np.bool_)
        if pinned is not None:
            keep &= listing.pinned == pinned
        if since is not None:
            keep &= listing.encoded_at >= since
        if until is not None:
            keep &= listing.encoded_at <= until
        listing = listing.where(keep)
    if text:
        needle = text.casefold()
        engrams = listing.engrams
        listing = listing.where(np.array([needle in e.content.casefold() for e in engrams], dtype=np.bool_))
    return listing


def _by_id(ids: Sequence[str], rows: list[int], count: int, descending: bool) -> list[int]:
    """The first ``count`` of ``rows`` (of one sort value) in id order (descending:
    reversed), in no particular order."""
    if len(rows) <= count:
        return rows
    named = [ids[r] for r in rows]
    # The heap is cheapest fed the best first: ids made in sequence (note-0001, ...) sit
    # in rows in ascending order, so the largest are looked for from the end.
    first = set(heapq.nlargest(count, reversed(named)) if descending else heapq.nsmallest(count, named))
    return [r for r, engram_id in zip(rows, named, strict=True) if engram_id in first]


def _best(
    ids: Sequence[str], values: FloatArray, rows: npt.NDArray[np.intp] | None, count: int, descending: bool
) -> list[int]:
    """The first ``count`` of ``rows`` (None: every row) in (value, id) order (descending:
    both reversed), in no particular order: those of a better value than the count-th's,
    then the first by id of those equal to it."""
    candidates = values if rows is None else values[rows]
    n = candidates.shape[0]
    if n <= count:
        return list(range(n)) if rows is None else rows.tolist()
    at = n - count if descending else count - 1
    edge = np.partition(candidates, at)[at]
    better = np.flatnonzero(candidates > edge if descending else candidates < edge)
    level = np.flatnonzero(candidates == edge)
    if rows is not None:
        better, level = rows[better], rows[level]
    return better.tolist() + _by_id(ids, level.tolist(), count - better.shape[0], descending)


def _rows(
    ids: Sequence[str], values: FloatArray, count: int, after: tuple[float, str] | None, descending: bool
) -> list[int]:
    """The rows of the first ``count`` after ``after`` in (value, id) order (descending:
    both reversed), in that order: those of the cursor's value with an id after its id
    come first, then the best of the values beyond it."""
    if after is None:
        chosen = _best(ids, values, None, count, descending)
    else:
        value, engram_id = after
        level = np.flatnonzero(values == value).tolist()
        level = [r for r in level if (ids[r] < engram_id if descending else ids[r] > engram_id)]
        chosen = _by_id(ids, level, count, descending)
        if len(chosen) < count:
            beyond = np.flatnonzero(values < value if descending else values > value)
            chosen += _best(ids, values, beyond, count - len(chosen), descending)
    chosen.sort(key=lambda r: (values[r], ids[r]), reverse=descending)
    return chosen


def page_of(
    listing: Listing,
    limit: int,
    cursor: str | None,
    *,
    values: FloatArray | None = None,
    descending: bool = False,
    moment: float | None = None,
) -> tuple[list[Engram], str | None]:
    """The page after ``cursor`` (None: the first) of at most ``limit`` of the listing's
    engrams, in (value, engram_id) order, and the next cursor (which carries ``moment``,
    when the order depends on the time it is taken at). ``values``: each engram's sort
    value, in step with them (None: ``encoded_at``). No sort of everything: 100k memories,
    a page of 25."""
    if values is None:
        values = listing.encoded_at
    if values.shape != (len(listing.ids),):
        raise ValueError(f"sort values of shape {values.shape} for {len(listing.ids)} engrams")
    after = None
    if cursor is not None:
        value, engram_id, _ = _decode(cursor)
        after = (value, engram_id)
    rows = _rows(listing.ids, values, limit + 1, after, descending)
    more = len(rows) > limit
    rows = rows[:limit]
    page = [listing.engrams[r] for r in rows]
    return page, _encode(float(values[rows[-1]]), listing.ids[rows[-1]], moment) if more else None
