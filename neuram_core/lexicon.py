"""The Hippocampus's word cue: an inverted index of content-word stems, BM25-weighted.

Dense similarity finds what a cue *means*; this finds the rare words it *names* (people,
places, numbers, dates, hobbies) that a small embedding model blurs. Updated with the
index on every encode and remove; derived from content, never stored.

Postings are kept per slot (append-only); the Hippocampus tells the lexicon when a row
moves (its swap-delete) so a lookup maps slots to current rows with one array index.
Removed slots stay in the postings as dead entries until a compaction rewrites them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import Stemmer

from neuram_core.text import content_words

__all__ = ["LexicalMatch", "Lexicon", "bm25_weights", "terms"]

_stem = Stemmer.Stemmer("english").stemWord
_MAX_TF = 65535


@lru_cache(maxsize=1 << 16)
def _stem_cached(word: str) -> str:
    return str(_stem(word))


def terms(text: str) -> list[str]:
    """The index terms of ``text``: its content words (no stopwords), stemmed, in order."""
    return [_stem_cached(w) for w in content_words(text)]


def bm25_weights(
    tf: npt.NDArray[np.float64],
    doc_len: npt.NDArray[np.float64],
    average_len: float,
    idf: float,
    k1: float,
    b: float,
) -> npt.NDArray[np.float64]:
    """BM25's share of one term: idf × tf(k1 + 1) / (tf + k1(1 − b + b·len/avg))."""
    norm = k1 * (1.0 - b + b * doc_len / average_len)
    return idf * tf * (k1 + 1.0) / (tf + norm)


class LexicalMatch:
    """What a cue's words matched: rows of the index and their BM25 scores, plus the
    first and second moments of the scores over all ``n`` rows (unmatched rows score 0),
    which fusion needs to put the lexical cue on the dense cue's scale."""

    __slots__ = ("mean", "rows", "std", "values")

    def __init__(self, rows: npt.NDArray[np.intp], values: npt.NDArray[np.float64], n: int) -> None:
        self.rows = rows
        self.values = values
        total = float(values.sum())
        mean = total / n if n else 0.0
        variance = float(np.dot(values, values)) / n - mean * mean if n else 0.0
        self.mean = mean
        self.std = math.sqrt(variance) if variance > 0 else 0.0


class Lexicon:
    """Inverted index of stems: term → (slots, term frequencies)."""

    def __init__(self, k1: float = 1.2, b: float = 0.3) -> None:
        self.k1 = k1
        self.b = b
        self.clear()

    def clear(self) -> None:
        self._postings: dict[str, tuple[array[int], array[int]]] = {}
        self._df: dict[str, int] = {}
        self._slot_of: dict[str, int] = {}
        self._slot_row = np.zeros(0, dtype=np.int64)  # -1: removed
        self._slot_len = np.zeros(0, dtype=np.float64)
        self._slots = 0
        self._live = 0
        self._total_len = 0.0

    def __len__(self) -> int:
        return self._live

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    def add(self, key: str, text: str, row: int) -> None:
        """Index ``text`` as ``key``, which the Hippocampus holds at ``row`` (a key already
        indexed is left as it is: an engram's content never changes)."""
        if key in self._slot_of:
            self.move(key, row)
            return
        counts: dict[str, int] = {}
        for term in terms(text):
            counts[term] = counts.get(term, 0) + 1
        slot = self._slots
        self._slots += 1
        self._reserve(slot + 1)
        self._slot_of[key] = slot
        self._slot_row[slot] = row
        length = float(sum(counts.values()))
        self._slot_len[slot] = length
        self._total_len += length
        self._live += 1
        postings, df = self._postings, self._df
        for term, count in counts.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("q"), array("H"))
            entry[0].append(slot)
            entry[1].append(min(count, _MAX_TF))
            df[term] = df.get(term, 0) + 1

    def add_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        """:meth:`add` for many (key, text, row): loading an index. The postings are built
        with numpy, term by term, instead of one append per word."""
        fresh: list[tuple[str, str, int]] = []
        for key, text, row in items:
            if key in self._slot_of:
                self.move(key, row)
            else:
                fresh.append((key, text, row))
        if len(fresh) < 64:
            for key, text, row in fresh:
                self.add(key, text, row)
            return
        term_lists = [terms(text) for _, text, _ in fresh]
        lengths = np.fromiter(map(len, term_lists), dtype=np.int64, count=len(term_lists))
        flat = [t for ts in term_lists for t in ts]
        first = self._slots
        count = len(fresh)
        self._reserve(first + count)
        for offset, (key, _, _row) in enumerate(fresh):
            self._slot_of[key] = first + offset
        self._slot_row[first : first + count] = [row for _, _, row in fresh]
        self._slot_len[first : first + count] = lengths
        self._slots += count
        self._live += count
        self._total_len += float(lengths.sum())
        if not flat:
            return
        vocabulary = list(dict.fromkeys(flat))
        term_id = {term: i for i, term in enumerate(vocabulary)}
        ids = np.fromiter(map(term_id.__getitem__, flat), dtype=np.int64, count=len(flat))
        slots = np.repeat(np.arange(first, first + count, dtype=np.int64), lengths)
        pairs, tf = np.unique(ids * (first + count) + slots, return_counts=True)  # sorted by term, then slot
        pair_terms, pair_slots = np.divmod(pairs, first + count)
        bounds = np.flatnonzero(np.diff(pair_terms)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(pairs)]))
        tf16 = np.minimum(tf, _MAX_TF).astype(np.uint16)
        postings, df = self._postings, self._df
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            term = vocabulary[int(pair_terms[start])]
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("q"), array("H"))
            entry[0].frombytes(pair_slots[start:end].tobytes())
            entry[1].frombytes(tf16[start:end].tobytes())
            df[term] = df.get(term, 0) + (end - start)

    def _reserve(self, slots: int) -> None:
        if slots > self._slot_row.shape[0]:
            size = max(64, slots, 2 * self._slot_row.shape[0])
            self._slot_row = np.resize(self._slot_row, size)
            self._slot_len = np.resize(self._slot_len, size)

    def move(self, key: str, row: int) -> None:
        """``key`` now lives at ``row`` of the Hippocampus (its swap-delete moved it)."""
        slot = self._slot_of.get(key)
        if slot is not None:
            self._slot_row[slot] = row

    def remove(self, key: str, text: str) -> None:
        """Forget ``key`` (its ``text`` says which document frequencies to lower)."""
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return
        self._slot_row[slot] = -1
        self._total_len -= float(self._slot_len[slot])
        self._live -= 1
        df = self._df
        for term in set(terms(text)):
            left = df.get(term, 0) - 1
            if left > 0:
                df[term] = left
            else:
                df.pop(term, None)
                self._postings.pop(term, None)
        if self._slots > 1024 and self._live < self._slots // 2:
            self._compact()

    def _compact(self) -> None:
        """Rewrite the postings without dead slots (after many removals)."""
        alive = self._slot_row[: self._slots] >= 0
        new_slot = np.cumsum(alive) - 1
        for term, (slots, tfs) in list(self._postings.items()):
            old = np.frombuffer(slots, dtype=np.int64)
            keep = alive[old]
            self._postings[term] = (
                array("q", new_slot[old[keep]].tobytes()),
                array("H", np.frombuffer(tfs, dtype=np.uint16)[keep].tobytes()),
            )
        self._slot_of = {k: int(new_slot[s]) for k, s in self._slot_of.items()}
        self._slot_row = self._slot_row[: self._slots][alive].copy()
        self._slot_len = self._slot_len[: self._slots][alive].copy()
        self._slots = int(alive.sum())

    def idf(self, term: str) -> float:
        """BM25's idf of a stem: ln(1 + (N − df + ½)/(df + ½)); 0 for an unknown one."""
        df = self._df.get(term, 0)
        if not df:
            return 0.0
        return math.log(1.0 + (self._live - df + 0.5) / (df + 0.5))

    def match(self, text: str, n: int) -> LexicalMatch | None:
        """BM25 of every row that shares a stem with ``text``, over an index of ``n`` rows;
        None when no word of the cue is indexed."""
        if not self._live:
            return None
        cue = dict.fromkeys(terms(text))
        average = self._total_len / self._live or 1.0
        parts_rows: list[npt.NDArray[np.int64]] = []
        parts_values: list[npt.NDArray[np.float64]] = []
        for term in cue:
            entry = self._postings.get(term)
            if entry is None:
                continue
            slots = np.frombuffer(entry[0], dtype=np.int64)
            rows = self._slot_row[slots]
            live = rows >= 0
            if not live.all():
                slots, rows = slots[live], rows[live]
            counts = np.frombuffer(entry[1], dtype=np.uint16)
            tf = (counts[live] if not live.all() else counts).astype(np.float64)
            parts_rows.append(rows)
            parts_values.append(bm25_weights(tf, self._slot_len[slots], average, self.idf(term), self.k1, self.b))
        if not parts_rows:
            return None
        if len(parts_rows) == 1:
            return LexicalMatch(parts_rows[0].astype(np.intp), parts_values[0], n)
        rows_all = np.concatenate(parts_rows)
        values_all = np.concatenate(parts_values)
        if rows_all.shape[0] * 8 > n:  # common words: summing into all n rows beats sorting
            dense = np.bincount(rows_all, weights=values_all, minlength=n)
            hit = np.flatnonzero(dense)
            return LexicalMatch(hit.astype(np.intp), dense[hit].astype(np.float64), n)
        unique, inverse = np.unique(rows_all, return_inverse=True)
        summed = np.bincount(inverse, weights=values_all, minlength=unique.shape[0]).astype(np.float64)
        return LexicalMatch(unique.astype(np.intp), summed, n)
