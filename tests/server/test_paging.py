"""List pages (neuram_server.paging), exactly: the order is (value, engram_id), either way,
for every sort key; a walk of pages by their cursors yields each memory once and in order
while memories are added; retention is compute_retention's, as of the first page's moment."""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Sequence

import numpy as np
import pytest

from neuram_core.dynamics import compute_retention
from neuram_core.engram import Engram, MemoryType
from neuram_core.regions.hippocampus import Listing
from neuram_server.paging import SortName, matching, moment_of, page_of, sort_values
from neuram_server.problems import Problem

SORTS: tuple[SortName, ...] = ("encoded_at", "retention", "stability", "last_accessed", "access_count")
NOW = 1_800_000_000.0
HOUR = 3600.0


def engrams(n: int, seed: int, *, sequential_ids: bool = False) -> list[Engram]:
    """``n`` engrams whose fields take few values (many ties), in a shuffled order."""
    rng = random.Random(seed)
    made = []
    for i in range(n):
        at = NOW - HOUR * rng.choice([1, 5, 24, 500])
        made.append(
            Engram(
                content=f"note {i}",
                memory_type=MemoryType.EPISODIC,
                salience=0.5,
                engram_id=f"note-{i:04d}" if sequential_ids else uuid.UUID(int=rng.getrandbits(128)).hex,
                encoded_at=at,
                last_accessed=at + HOUR * rng.choice([0, 0, 1]),
                stability=rng.choice([0.0, 24.0, 168.0]),
                access_count=rng.choice([0, 0, 0, 1, 3]),
                pinned=rng.random() < 0.3,
            )
        )
    rng.shuffle(made)
    return made


def value(engram: Engram, sort: SortName, now: float) -> float:
    if sort == "retention":
        return compute_retention(engram, now)
    return float(getattr(engram, sort))


def expected(items: Sequence[Engram], sort: SortName, descending: bool, now: float = NOW) -> list[str]:
    ranked = sorted(items, key=lambda e: (value(e, sort, now), e.engram_id), reverse=descending)
    return [e.engram_id for e in ranked]


def walk(listing: Listing, sort: SortName, descending: bool, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page, cursor = page_of(
            listing,
            limit,
            cursor,
            values=sort_values(listing, sort, NOW),
            descending=descending,
            moment=NOW if sort == "retention" else None,
        )
        pages.append([e.engram_id for e in page])
        if cursor is None:
            return pages


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sequential_ids", [False, True])
def test_pages_walk_every_memory_once_in_value_then_id_order(
    sort: SortName, descending: bool, sequential_ids: bool
) -> None:
    items = engrams(60, seed=7, sequential_ids=sequential_ids)
    want = expected(items, sort, descending)
    for limit in (1, 4, 7, 59, 60, 61):
        pages = walk(Listing.of(items), sort, descending, limit)
        assert [e for page in pages for e in page] == want, limit
        assert [len(p) for p in pages[:-1]] == [limit] * (len(pages) - 1)
        assert 1 <= len(pages[-1]) <= limit  # no empty last page: the cursor stops at the end


def test_ties_are_broken_by_id_across_a_page_boundary() -> None:
    same = [
        Engram(content=f"n{i}", memory_type=MemoryType.SEMANTIC, salience=0.5, engram_id=name, encoded_at=5.0)
        for i, name in enumerate(["d", "a", "e", "c", "b"])
    ]
    listing = Listing.of(same)
    first, cursor = page_of(listing, 2, None)
    assert [e.engram_id for e in first] == ["a", "b"] and cursor is not None
    second, cursor = page_of(listing, 2, cursor)
    assert [e.engram_id for e in second] == ["c", "d"]
    last, cursor = page_of(listing, 2, cursor)
    assert [e.engram_id for e in last] == ["e"] and cursor is None
    down, cursor = page_of(listing, 3, None, descending=True)
    assert [e.engram_id for e in down] == ["e", "d", "c"]
    assert [e.engram_id for e in page_of(listing, 3, cursor, descending=True)[0]] == ["b", "a"]


def test_the_first_page_is_the_least_values_then_the_next_after_the_cursor() -> None:
    items = [
        Engram(content=str(i), memory_type=MemoryType.SEMANTIC, salience=0.5, engram_id=f"id{i}", encoded_at=at)
        for i, at in enumerate([30.0, 10.0, 20.0, 10.0, 40.0])
    ]
    listing = Listing.of(items)
    page, cursor = page_of(listing, 3, None)
    assert [e.engram_id for e in page] == ["id1", "id3", "id2"]
    page, cursor = page_of(listing, 3, cursor)
    assert [e.engram_id for e in page] == ["id0", "id4"] and cursor is None
    assert page_of(Listing.of([]), 3, None) == ([], None)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [False, True])
def test_pages_hold_while_memories_are_added(sort: SortName, descending: bool) -> None:
    """Memories added between pages, some before the cursor, some after, some tying with
    it: the walk is strictly in order (no repeats) and holds every memory there from the
    start (no gaps), and an added one exactly when it sorts after the cursor."""
    rng = random.Random(3)
    items = engrams(40, seed=11)
    original = {e.engram_id for e in items}
    added = engrams(200, seed=12)
    seen: list[Engram] = []
    must: set[str] = set(original)
    cursor = None
    while True:
        listing = Listing.of(items)
        page, cursor = page_of(
            listing,
            3,
            cursor,
            values=sort_values(listing, sort, NOW),
            descending=descending,
            moment=NOW if sort == "retention" else None,
        )
        seen += page
        if cursor is None:
            break
        last = (value(seen[-1], sort, NOW), seen[-1].engram_id)
        for _ in range(rng.choice([0, 1, 4])):  # arrivals: those after the cursor must come
            new = added.pop()
            if rng.random() < 0.3:  # one that ties with the cursor's value
                new = dataclasses.replace(seen[-1], engram_id=new.engram_id)
            items.insert(rng.randrange(len(items) + 1), new)
            mine = (value(new, sort, NOW), new.engram_id)
            if (mine < last) if descending else (mine > last):
                must.add(new.engram_id)
    keys = [(value(e, sort, NOW), e.engram_id) for e in seen]
    assert keys == sorted(keys, reverse=descending) and len(set(keys)) == len(keys)
    assert {e.engram_id for e in seen} == must
    assert len(must) > len(original)  # some arrivals came after the cursor


def test_retention_is_compute_retentions_value_bit_for_bit() -> None:
    items = engrams(300, seed=5)
    odd = [  # in the future (clock skew), never accessed, ages that underflow to 0
        dataclasses.replace(items[0], engram_id="skew", last_accessed=NOW + HOUR),
        dataclasses.replace(items[0], engram_id="zero", stability=0.0),
        dataclasses.replace(items[0], engram_id="ancient", last_accessed=0.0, stability=1.0),
        dataclasses.replace(items[0], engram_id="tiny", last_accessed=NOW - 1e-3, stability=1e-9),
    ]
    items += odd
    rng = random.Random(1)
    items += [
        dataclasses.replace(items[0], engram_id=f"r{i}", last_accessed=NOW - rng.uniform(0, 1e7),
                            stability=rng.uniform(0.01, 5000.0))
        for i in range(300)
    ]  # fmt: skip
    for now in (NOW, NOW + 12345.678, NOW - 7 * HOUR):
        got = sort_values(Listing.of(items), "retention", now)
        assert got.dtype == np.float64
        assert got.tolist() == [compute_retention(e, now) for e in items]


def test_retention_pages_are_as_of_the_first_pages_moment() -> None:
    """The cursor carries the moment; the next page, taken a day later, still orders by
    the retention of that moment (a day's fading reorders these two memories)."""
    fast = Engram(content="fast", memory_type=MemoryType.EPISODIC, salience=0.5, engram_id="fast",
                  last_accessed=NOW, stability=1.0)  # fmt: skip
    slow = Engram(content="slow", memory_type=MemoryType.EPISODIC, salience=0.5, engram_id="slow",
                  last_accessed=NOW - 10 * HOUR, stability=1000.0)  # fmt: skip
    gone = Engram(content="gone", memory_type=MemoryType.EPISODIC, salience=0.5, engram_id="gone",
                  last_accessed=NOW - 1e6, stability=1.0)  # fmt: skip
    listing = Listing.of([slow, gone, fast])
    assert compute_retention(fast, NOW) > compute_retention(slow, NOW)
    assert compute_retention(fast, NOW + 86400) < compute_retention(slow, NOW + 86400)
    page, cursor = page_of(listing, 1, None, values=sort_values(listing, "retention", NOW), descending=True, moment=NOW)
    assert [e.engram_id for e in page] == ["fast"] and moment_of(cursor) == NOW
    later = NOW + 86400
    now = moment_of(cursor) or later  # what the REST layer does
    page, cursor = page_of(listing, 1, cursor, values=sort_values(listing, "retention", now), descending=True,
                           moment=now)  # fmt: skip
    assert [e.engram_id for e in page] == ["slow"] and moment_of(cursor) == NOW
    page, cursor = page_of(listing, 1, cursor, values=sort_values(listing, "retention", now), descending=True,
                           moment=now)  # fmt: skip
    assert [e.engram_id for e in page] == ["gone"] and cursor is None
    # Taken at the later moment instead, the order is the other one.
    page, _ = page_of(listing, 1, None, values=sort_values(listing, "retention", later), descending=True)
    assert [e.engram_id for e in page] == ["slow"]


def test_a_fixed_order_cursor_carries_no_moment_and_a_bad_one_is_refused() -> None:
    listing = Listing.of(engrams(5, seed=2))
    _, cursor = page_of(listing, 2, None)
    assert cursor is not None and moment_of(cursor) is None and moment_of(None) is None
    for bad in ("not-a-cursor", "W10", "WyJhIiwgImIiXQ"):  # garbage, [], ["a", "b"]
        with pytest.raises(Problem):
            page_of(listing, 2, bad)
    with pytest.raises(ValueError, match="sort values"):
        page_of(listing, 2, None, values=np.zeros(4))


def test_matching_filters_like_the_list_did() -> None:
    items = engrams(80, seed=9)
    items[3] = dataclasses.replace(items[3], content="Ada's CAT Turing")
    items[5] = dataclasses.replace(items[5], content="a cat named turing")
    listing = Listing.of(items)
    ats = sorted({e.encoded_at for e in items})
    since, until = ats[1], ats[2]
    cases: list[tuple[dict[str, object], list[Engram]]] = [
        ({}, items),
        ({"text": ""}, items),
        ({"text": "TURING"}, [items[3], items[5]]),
        ({"pinned": True}, [e for e in items if e.pinned]),
        ({"pinned": False}, [e for e in items if not e.pinned]),
        ({"since": since}, [e for e in items if e.encoded_at >= since]),
        ({"until": until}, [e for e in items if e.encoded_at <= until]),
        ({"since": since, "until": until, "pinned": False},
         [e for e in items if since <= e.encoded_at <= until and not e.pinned]),
    ]  # fmt: skip
    for options, want in cases:
        got = matching(listing, **options)  # type: ignore[arg-type]
        assert got.engrams == want, options
        assert got.ids == [e.engram_id for e in want]
        assert got.encoded_at.tolist() == [e.encoded_at for e in want]
        assert got.pinned.tolist() == [e.pinned for e in want]
        assert got.access_count.tolist() == [float(e.access_count) for e in want]
