"""What an index keeps beside the store between runs, as bytes, and how its reader tells
whether it still describes the engrams it loaded.

A kept index is a cache of work (clusters trained, texts tokenised), never a source of
truth: its reader checks every entry against the engram now stored under its key, by a
fingerprint of what the entry was derived from (a vector's bytes, a text), and
re-indexes what changed. The bytes begin with a format line and a BLAKE2b digest of the
rest, so damaged or foreign bytes are refused before anything reads them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import DTypeLike

from neuram_core.engram import Vector

__all__ = [
    "Drift",
    "KeyPrints",
    "holding_entries",
    "join_strings",
    "pack",
    "split_strings",
    "text_fingerprints",
    "unpack",
    "vector_fingerprints",
]

_DIGEST_SIZE = 16
_REWRITE_SHARE = 0.01  # added entries that make a kept copy worth writing again, as a share of the index
_FINGERPRINT_BLOCK = 1024  # rows hashed at once: bounds the temporary (1024 × dimension × 8 B)


class Drift:
    """How far an index moved from the copy kept beside the store (or from nothing, when it
    was built): whether writing it again is worth its cost (10 s for a million engrams).

    A removal always is: the store dropped the kept copy when it deleted (or, for a
    re-encode, the copy still holds the old vector's entry). Additions are worth it from
    1 % of the index on: below that the reader indexes the few missing rows itself, and
    counts them here again, so they add up over runs until they are worth a write."""

    __slots__ = ("changes", "removals")

    def __init__(self, changes: int = 0, removals: int = 0) -> None:
        self.changes = changes
        self.removals = removals

    def added(self, count: int = 1) -> None:
        self.changes += count

    def removed(self, count: int = 1) -> None:
        self.changes += count
        self.removals += count

    def worth_keeping(self, size: int) -> bool:
        return self.removals > 0 or (self.changes > 0 and self.changes >= _REWRITE_SHARE * size)

    def __repr__(self) -> str:
        return f"Drift(changes={self.changes}, removals={self.removals})"


def pack(
    format_line: bytes, header: Mapping[str, Any], types: Mapping[str, DTypeLike], **arrays: npt.ArrayLike
) -> bytes:
    """``format_line``, a digest of the rest, the header's length and JSON (with each
    array's length added), then the arrays' bytes in ``types``' order and dtypes."""
    if set(arrays) != set(types):
        raise ValueError(f"the arrays to keep are {sorted(types)}, not {sorted(arrays)}")
    typed = {name: np.ascontiguousarray(arrays[name], dtype=kind) for name, kind in types.items()}
    head = json.dumps({**header, "arrays": {name: int(a.shape[0]) for name, a in typed.items()}}).encode()
    body = b"".join([len(head).to_bytes(4, "little"), head, *(a.tobytes() for a in typed.values())])
    return format_line + hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest() + body


def unpack(
    format_line: bytes, types: Mapping[str, DTypeLike], data: bytes
) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]] | None:
    """The header and arrays (read-only views of ``data``) that :func:`pack` wrote with
    this format line and these types; None if ``data`` is not that: another format,
    damaged (the digest differs), cut short or too long."""
    start = len(format_line) + _DIGEST_SIZE
    if not data.startswith(format_line) or len(data) < start + 4:
        return None
    view = memoryview(data)
    if hashlib.blake2b(view[start:], digest_size=_DIGEST_SIZE).digest() != data[len(format_line) : start]:
        return None
    length = int.from_bytes(view[start : start + 4], "little")
    offset = start + 4 + length
    try:
        header = json.loads(bytes(view[start + 4 : offset]))
        sizes = header["arrays"]
        arrays = {}
        for name, kind in types.items():
            count = int(sizes[name])
            end = offset + count * np.dtype(kind).itemsize
            if count < 0 or end > len(data):
                return None
            arrays[name] = np.frombuffer(view[offset:end], dtype=kind)
            offset = end
    except (KeyError, TypeError, ValueError):  # ValueError covers a JSON error
        return None
    return (header, arrays) if isinstance(header, dict) and offset == len(data) else None


def join_strings(strings: Sequence[str]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """Strings as each one's UTF-8 length and their bytes joined (an id stored by an
    older version may hold a lone surrogate: it is kept as it is)."""
    encoded = [text.encode("utf-8", "surrogatepass") for text in strings]
    return np.array([len(text) for text in encoded], dtype=np.int32), np.frombuffer(b"".join(encoded), dtype=np.uint8)


def split_strings(joined: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int32]) -> list[str] | None:
    """The strings :func:`join_strings` joined; None if the lengths do not add up."""
    raw = joined.tobytes()
    ends = np.cumsum(lengths, dtype=np.int64)
    if not lengths.shape[0]:
        return [] if not raw else None
    if int(lengths.min()) < 0 or int(ends[-1]) != len(raw):
        return None
    starts, stops = (ends - lengths).tolist(), ends.tolist()
    text = raw.decode("utf-8", "surrogatepass")
    if len(text) == len(raw):  # ASCII: byte offsets are character offsets
        return [text[a:b] for a, b in zip(starts, stops, strict=True)]
    return [raw[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, stops, strict=True)]


def _multipliers(dimension: int) -> npt.NDArray[np.uint64]:
    """One odd 64-bit multiplier per dimension (splitmix64 of 1, 2, ...): fixed for good,
    since kept fingerprints were made with them."""
    x = np.arange(1, dimension + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (x ^ (x >> np.uint64(31))) | np.uint64(1)


def vector_fingerprints(vectors: Vector) -> npt.NDArray[np.uint64]:
    """A 64-bit fingerprint of each row's float32 bytes: the sum of its 32-bit words, each
    times its dimension's odd multiplier, mod 2**64. Equal rows print alike; a changed row
    almost surely does not (0.05 s per 100,000 rows of 384)."""
    rows = np.ascontiguousarray(vectors, dtype=np.float32)
    words = rows.view(np.uint32)
    multipliers = _multipliers(rows.shape[1])
    prints = np.empty(rows.shape[0], dtype=np.uint64)
    for start in range(0, rows.shape[0], _FINGERPRINT_BLOCK):
        block = words[start : start + _FINGERPRINT_BLOCK].astype(np.uint64)
        block *= multipliers
        prints[start : start + _FINGERPRINT_BLOCK] = block.sum(axis=1, dtype=np.uint64)
    return prints


def text_fingerprints(texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """A 64-bit BLAKE2b fingerprint of each text's UTF-8 bytes."""
    digests = b"".join(
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest() for text in texts
    )
    return np.frombuffer(digests, dtype=np.uint64).copy()


class KeyPrints:
    """The current keys' fingerprints (:func:`text_fingerprints`), sorted once, to find
    the row of each kept entry's key: keys are matched by their prints so that reading a
    kept index makes no string per key."""

    def __init__(self, prints: npt.NDArray[np.uint64]) -> None:
        self._order = np.argsort(prints, kind="stable")
        self._sorted = prints[self._order]
        # Two current keys printing alike (a 64-bit collision: about one chance in 10**7
        # among a million keys) make every match doubtful: the caller builds afresh.
        self.distinct = not (self._sorted.shape[0] > 1 and bool((self._sorted[1:] == self._sorted[:-1]).any()))

    @classmethod
    def of(cls, keys: Sequence[str]) -> KeyPrints:
        return cls(text_fingerprints(keys))

    def rows(self, kept: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64] | None:
        """For each kept print, the row whose key prints alike (-1: none); None if the
        current keys are not distinct."""
        if not self.distinct:
            return None
        if not self._sorted.shape[0]:
            return np.full(kept.shape[0], -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, kept), self._sorted.shape[0] - 1)
        return np.where(self._sorted[at] == kept, self._order[at], -1).astype(np.int64)


def holding_entries(
    rows: npt.NDArray[np.int64], same: Callable[[npt.NDArray[np.intp]], npt.NDArray[np.bool_]]
) -> npt.NDArray[np.intp]:
    """The kept entries that still hold, in order: their key is a current row
    (``rows[entry]``, -1: none) and ``same`` says, for those entries, whether what they
    were made from prints as it does now; of two entries naming one row, the first."""
    named = np.flatnonzero(rows >= 0)
    fit = named[same(named)]
    return np.sort(fit[np.unique(rows[fit], return_index=True)[1]])
