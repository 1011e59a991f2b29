"""The Hippocampus's word cue: an inverted index of content-word stems, BM25-weighted.

Dense similarity finds what a cue *means*; this finds the rare words it *names* (people,
places, numbers, dates, hobbies) that a small embedding model blurs. Updated with the
index on every encode and remove; derived from content, never stored.

Postings are kept per slot (append-only); the Hippocampus tells the lexicon when a row
moves (its swap-delete) so a lookup maps slots to current rows with one array index.
Removed slots stay in the postings as dead entries until a compaction rewrites them.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import Stemmer

from neuram_core.kept import (
    Drift,
    KeyPrints,
    holding_entries,
    join_strings,
    pack,
    split_strings,
    text_fingerprints,
    unpack,
)
from neuram_core.text import STOPWORDS, WORD_PATTERN, content_words

__all__ = ["LexicalMatch", "Lexicon", "bm25_weights", "terms"]

_stemmer = Stemmer.Stemmer("english")
_stem = _stemmer.stemWord
_MAX_TF = 65535
_MAX_SLOTS = 2**31 - 1  # slots and rows are int32: half the postings' bytes and their gathers' traffic
_NO_ROWS: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
# A load tokenises its texts joined by this break, which no word contains: one regex pass
# over many texts instead of one call per text.
_BREAK = "\x00"
_WORD_OR_BREAK = re.compile(f"{WORD_PATTERN}|{_BREAK}")
_LOAD_CHUNK = 10_000  # texts per pass: bounds the words held at once (their freed strings stay in the process)
_SAMPLED_CUT, _CUT_SAMPLE = 8192, 4096  # LexicalMatch.strongest: from this many scores, a sample first
_MERGE_AT_LEAST = 4096  # tail postings before they may join the block (see _merge_tails)
_NOT_A_TERM, _BREAK_ID = -2, -1
_KEPT_FORMAT = b"neuram-words-1\n"  # what to_bytes writes first; restore reads nothing else
_KEPT_ARRAYS = {
    "term_lengths": np.int32,
    "terms": np.uint8,
    "key_prints": np.uint64,
    "prints": np.uint64,  # of each key's text
    "lengths": np.float32,  # each key's words
    "posting_terms": np.int32,  # postings sorted by term, then key
    "posting_keys": np.int32,
    "posting_tf": np.uint16,
}
# How texts become terms: a kept index made another way is not read.
_TERMS_MADE_BY = hashlib.blake2b(
    "\n".join([WORD_PATTERN, str(Stemmer.version()), "numbers unstemmed", *sorted(STOPWORDS)]).encode(),
    digest_size=8,
).hexdigest()


@lru_cache(maxsize=1 << 16)
def _stem_cached(word: str) -> str:
    return str(_stem(word))


def terms(text: str) -> list[str]:
    """The index terms of ``text``: its content words (no stopwords), stemmed, in order."""
    return [_stem_cached(w) for w in content_words(text)]


_Float = TypeVar("_Float", np.float32, np.float64)


def bm25_weights(
    tf: npt.NDArray[_Float],
    doc_len: npt.NDArray[_Float],
    average_len: float,
    idf: float,
    k1: float,
    b: float,
) -> npt.NDArray[_Float]:
    """BM25's share of one term: idf × tf(k1 + 1) / (tf + k1(1 − b + b·len/avg)), in the
    inputs' precision (broadcast together; a scalar pair gives a 0-d array). One new
    array, the rest in place: a common word has postings in half a million memories, and
    each temporary array is another pass over them."""
    counts, lengths = np.broadcast_arrays(np.asarray(tf), np.asarray(doc_len))
    weights = np.empty(counts.shape, dtype=np.result_type(counts, lengths, np.float32))
    np.multiply(lengths, k1 * b / average_len, out=weights)
    weights += k1 * (1.0 - b)
    weights += counts
    np.divide(counts, weights, out=weights)
    weights *= idf * (k1 + 1.0)
    return weights


class LexicalMatch:
    """What a cue's words matched: rows of the index and their BM25 scores, plus the
    first and second moments of the scores over all ``n`` rows (unmatched rows score 0),
    which fusion needs to put the lexical cue on the dense cue's scale.

    The spread is at least the one a single row holding the best score would give (best ×
    √(n − 1) / n): a word in nearly every row (a name in a small namespace: "Ada" in both
    of two notes) scores them all alike, and dividing by that near-zero spread made its
    few thousandths of BM25 outweigh the meaning of the cue many times over. The floor
    binds in a small namespace and for a word in nearly every row: a word in one row gives
    exactly that spread, and words scoring a share p of the rows alike give more once
    p(1 − p) > 1/n (a name in half of 600 turns: 0.25 against 0.0017)."""

    __slots__ = ("_by_row", "mean", "rows", "std", "values")

    def __init__(
        self,
        rows: npt.NDArray[np.intp],
        values: npt.NDArray[np.float64],
        n: int,
        by_row: npt.NDArray[np.float64] | None = None,
    ) -> None:
        self.rows = rows
        self.values = values
        self._by_row = by_row  # every row's score (0 for the unmatched): until the next match
        total = float(values.sum())
        mean = total / n if n else 0.0
        variance = float(np.dot(values, values)) / n - mean * mean if n else 0.0
        self.mean = mean
        peak = float(values.max()) if values.shape[0] else 0.0
        floor = peak * math.sqrt(n - 1) / n if n > 1 else 0.0
        self.std = max(math.sqrt(variance) if variance > 0 else 0.0, floor)

    def strongest(self, k: int) -> npt.NDArray[np.intp]:
        """Positions in :attr:`rows` of the ``k`` highest scores, ascending; of scores tied
        at the cut, the first. A name in half a million memories makes :attr:`values` one
        of the longest arrays a recall reads, and a partition of all of it cost 8 ns a
        score: a strided sample's high quantile bounds the cut from below first, so only
        the few hundred scores above it are partitioned (a bound too high, which the
        sample's slack makes rare, falls back to every score: the same answer)."""
        values = self.values
        n = values.shape[0]
        if k <= 0:
            return np.empty(0, dtype=np.intp)
        if k >= n:
            return np.arange(n, dtype=np.intp)
        above: npt.NDArray[np.intp] | None = None
        if n >= _SAMPLED_CUT:
            sample = values[:: n // _CUT_SAMPLE]
            place = min(sample.shape[0] - 1, 2 * k * sample.shape[0] // n + 8)  # slack past the k-th
            bound = np.partition(sample, sample.shape[0] - 1 - place)[sample.shape[0] - 1 - place]
            above = np.flatnonzero(values >= bound)
            if above.shape[0] < k:
                above = None
        scores = values if above is None else values[above]
        cut = np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k]  # the k-th highest
        over = np.flatnonzero(scores > cut)
        tied = np.flatnonzero(scores == cut)[: k - over.shape[0]]
        picked = np.sort(np.concatenate((over, tied)))
        return picked if above is None else above[picked]

    def at(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """The scores of ``rows`` (0 where the cue's words are not), read from the lexicon's
        array by row: valid until its next :meth:`Lexicon.match`, so only while the recall
        that asked is running (the index's thread runs one at a time)."""
        if self._by_row is None:
            raise RuntimeError("this match holds no scores by row")
        scores: npt.NDArray[np.float64] = self._by_row[rows]
        return scores


class Lexicon:
    """Inverted index of stems: term → (slots, term frequencies).

    A load builds the postings of every term at once into one sorted block (CSR: a term's
    postings are a slice); later adds go to small per-term tails. A lookup reads both."""

    def __init__(self, k1: float = 1.2, b: float = 0.3) -> None:
        self.k1 = k1
        self.b = b
        self.clear()

    def clear(self) -> None:
        self._term_id: dict[str, int] = {}
        self._df = np.zeros(0, dtype=np.int64)  # by term id; 0: no live document has it
        self._block_slots = np.zeros(0, dtype=np.int32)  # the loaded postings, by term id
        self._block_tf = np.zeros(0, dtype=np.uint16)
        # Beside each loaded posting, its text's length and its slot's row (-1: removed),
        # so that a cue reads its words' postings in order rather than gathering them by
        # slot from the length and row arrays (at 1M, half of a common word's cost). After
        # a move or removal the rows are stale: cues gather them by slot as before, until
        # what they gathered adds up to one pass over the block, which re-reads them all
        # (a recall right after a forget pays no pass over a million postings; a run of
        # recalls pays at most twice the gathers they would have made).
        self._block_len = np.zeros(0, dtype=np.float32)
        self._block_rows = np.zeros(0, dtype=np.int32)
        self._block_rows_stale = False
        self._gathered_while_stale = 0
        self._block_offsets = np.zeros(1, dtype=np.int64)  # term id t: [offsets[t], offsets[t+1])
        self._tails: dict[int, tuple[array[int], array[int]]] = {}  # postings added since (int32, uint16)
        self._tail_postings = 0
        self._slot_of: dict[str, int] = {}
        self._slot_row = np.zeros(0, dtype=np.int32)  # -1: removed
        self._slot_len = np.zeros(0, dtype=np.float32)  # words, exact in float32 below 2**24
        self._slots = 0
        self._live = 0
        self._total_len = 0.0
        self.drift = Drift()  # since it was built from scratch, kept or restored
        self._sums = np.zeros(0, dtype=np.float64)  # the last cue's scores by row (0 elsewhere)
        self._summed_rows = _NO_ROWS  # where they are not 0
        self._seen = np.zeros(0, dtype=np.bool_)

    def __len__(self) -> int:
        return self._live

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    def _ids_of(self, words_: Iterable[str]) -> list[int]:
        """Term ids, new terms numbered as they come."""
        term_id = self._term_id
        ids = []
        for term in words_:
            tid = term_id.get(term)
            if tid is None:
                tid = term_id[term] = len(term_id)
            ids.append(tid)
        if len(term_id) > self._df.shape[0]:
            self._df = np.concatenate((self._df, np.zeros(max(64, len(term_id)), dtype=np.int64)))
        return ids

    def add(self, key: str, text: str, row: int) -> None:
        """Index ``text`` as ``key``, which the Hippocampus holds at ``row`` (a key already
        indexed is left as it is: an engram's content never changes)."""
        if key in self._slot_of:
            self.move(key, row)
            return
        counts: dict[int, int] = {}
        for tid in self._ids_of(terms(text)):
            counts[tid] = counts.get(tid, 0) + 1
        slot = self._new_slots([key], [row], [float(sum(counts.values()))])
        tails = self._tails
        for tid, count in counts.items():
            entry = tails.get(tid)
            if entry is None:
                entry = tails[tid] = (array("i"), array("H"))
            entry[0].append(slot)
            entry[1].append(min(count, _MAX_TF))
            self._df[tid] += 1
        self._tail_postings += len(counts)
        if self._tail_postings >= max(_MERGE_AT_LEAST, self._block_slots.shape[0] // 2):
            self._merge_tails()

    def _new_slots(
        self,
        keys: Sequence[str],
        rows: Sequence[int] | npt.NDArray[np.int64],
        lengths: Sequence[float] | npt.NDArray[np.int64] | npt.NDArray[np.float32],
    ) -> int:
        """Slots for keys held at rows, with their lengths; the first slot."""
        first, count = self._slots, len(keys)
        self._reserve(first + count)
        self._slot_of.update(zip(keys, range(first, first + count), strict=True))
        self._slot_row[first : first + count] = rows
        self._slot_len[first : first + count] = lengths
        self._slots += count
        self._live += count
        self._total_len += float(np.sum(lengths, dtype=np.float64))
        self.drift.added(count)
        return first

    def add_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        """:meth:`add` for many (key, text, row). Into an empty lexicon (a load), the
        postings of every term are built at once with numpy, not one append per word."""
        items = list(items)
        if self._slots == 0 and len(items) >= 64:
            fresh = items  # nothing indexed yet: every key is new
        else:
            fresh = []
            for key, text, row in items:
                if key in self._slot_of:
                    self.move(key, row)
                else:
                    fresh.append((key, text, row))
        if self._slots or len(fresh) < 64:
            for key, text, row in fresh:
                self.add(key, text, row)
            return
        ids, owners = self._occurrences([text for _, text, _ in fresh])
        lengths = np.bincount(owners, minlength=len(fresh))
        self._new_slots([key for key, _, _ in fresh], [row for _, _, row in fresh], lengths)
        self._build_block(ids, owners, None)

    def _occurrences(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Every :func:`terms` occurrence of many texts (a load) as (term id, index of its
        text). The texts are tokenised joined, a chunk at a time; each distinct word is
        stemmed and numbered once (a number is its own stem), in sorted order, so a load
        numbers the same texts the same way every run."""
        term_of: dict[str, int] = {_BREAK: _BREAK_ID}
        ids_parts, owner_parts = [], []
        for start in range(0, len(texts), _LOAD_CHUNK):
            chunk = texts[start : start + _LOAD_CHUNK]
            joined = _BREAK.join(chunk)
            if joined.count(_BREAK) != len(chunk) - 1:  # a text holds the break: it is a space to words()
                joined = _BREAK.join(text.replace(_BREAK, " ") for text in chunk)
            tokens = _WORD_OR_BREAK.findall(joined.lower().replace("’", "'"))
            new = sorted(set(tokens).difference(term_of))
            for word in STOPWORDS.intersection(new):
                term_of[word] = _NOT_A_TERM
            new = [w for w in new if w not in STOPWORDS]
            numbers = [w for w in new if w.isascii() and w.isdigit()]
            others = [w for w in new if not (w.isascii() and w.isdigit())]
            term_of.update(zip(numbers, self._ids_of(numbers), strict=True))
            term_of.update(zip(others, self._ids_of(_stemmer.stemWords(others)), strict=True))
            ids = np.fromiter(map(term_of.__getitem__, tokens), dtype=np.int64, count=len(tokens))
            owners = np.cumsum(ids == _BREAK_ID) + start
            kept = ids >= 0
            ids_parts.append(ids[kept])
            owner_parts.append(owners[kept])
        if not ids_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(ids_parts), np.concatenate(owner_parts)

    def _build_block(
        self,
        ids: npt.NDArray[np.integer[Any]],
        slots: npt.NDArray[np.integer[Any]],
        tf: npt.NDArray[np.integer[Any]] | None,
        *,
        presorted: bool = False,
        counted: bool = True,
    ) -> None:
        """The block from (term id, slot) occurrences (``tf`` None), counted pairs (sorted
        by term, then slot, if ``presorted``), or pairs that may repeat, whose counts
        ``tf`` add up (``counted`` False)."""
        span = max(self._slots, 1)
        if tf is None:
            pairs, counts = np.unique(ids * span + slots, return_counts=True)  # by term, then slot
            ids, slots = np.divmod(pairs, span)
            tf = counts
        elif not counted:
            pairs, inverse = np.unique(ids.astype(np.int64) * span + slots, return_inverse=True)
            ids, slots = np.divmod(pairs, span)
            tf = np.bincount(inverse.ravel(), weights=tf, minlength=pairs.shape[0]).astype(np.int64)
        elif not presorted:
            order = np.lexsort((slots, ids))
            ids, slots, tf = ids[order], slots[order], tf[order]
        n_terms = len(self._term_id)
        self._set_block(
            slots.astype(np.int32),
            np.minimum(tf, _MAX_TF).astype(np.uint16),
            np.searchsorted(ids, np.arange(n_terms + 1, dtype=np.int64)).astype(np.int64),
        )
        self._df = np.bincount(ids, minlength=max(n_terms, self._df.shape[0])).astype(np.int64)

    def _set_block(
        self, slots: npt.NDArray[np.int32], tf: npt.NDArray[np.uint16], offsets: npt.NDArray[np.int64]
    ) -> None:
        """Hold these postings as the block, each one's length and current row beside it,
        and no tails."""
        self._block_slots, self._block_tf, self._block_offsets = slots, tf, offsets
        self._block_len = self._slot_len[slots]
        self._block_rows = self._slot_row[slots]
        self._block_rows_stale, self._gathered_while_stale = False, 0
        self._tails, self._tail_postings = {}, 0

    def _merge_tails(self) -> None:
        """Move the tails' postings into the block, after each term's own, with their
        lengths and rows beside them, so that cues read them in order too (what one process
        perceives is otherwise gathered by slot at every cue: at 1M a word cue took 4.6 ms
        all from tails, 3.1 ms merged this way). A tail's slots are newer than any in the
        block, so each term's postings stay in slot order and a cue sums them as before;
        no sort, one pass over the block. It runs once the tails hold half as many postings
        as the block, so at most a third of them are gathered by slot; each posting is moved
        about three times in all (at 1M, a merge of 7M postings takes about 0.3 s)."""
        if not self._tails:
            return
        n_terms = len(self._term_id)
        block_counts = np.zeros(n_terms, dtype=np.int64)
        block_counts[: self._block_offsets.shape[0] - 1] = np.diff(self._block_offsets)
        tids = sorted(self._tails)
        tails = [self._tails[tid] for tid in tids]
        tail_counts = np.zeros(n_terms, dtype=np.int64)
        tail_counts[tids] = [len(slots) for slots, _ in tails]
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(block_counts + tail_counts, out=offsets[1:])
        # Where each tail's postings go: after its term's block postings.
        where = offsets[tids] + block_counts[tids]
        sizes = tail_counts[tids]
        tail_at = np.repeat(where - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(int(sizes.sum()))
        in_block = np.ones(int(offsets[-1]), dtype=np.bool_)
        in_block[tail_at] = False
        slots = np.empty(in_block.shape[0], dtype=np.int32)
        tf = np.empty(in_block.shape[0], dtype=np.uint16)
        slots[in_block], tf[in_block] = self._block_slots, self._block_tf
        slots[tail_at] = np.concatenate([np.frombuffer(s, dtype=np.intc) for s, _ in tails])
        tf[tail_at] = np.concatenate([np.frombuffer(t, dtype=np.uint16) for _, t in tails])
        self._set_block(slots, tf, offsets)

    def _reserve(self, slots: int) -> None:
        if slots > _MAX_SLOTS:
            raise OverflowError(f"the word index holds at most {_MAX_SLOTS:,} memories' slots; {slots:,} asked")
        if slots > self._slot_row.shape[0]:
            size = max(64, slots, 2 * self._slot_row.shape[0])
            self._slot_row = np.resize(self._slot_row, size)
            self._slot_len = np.resize(self._slot_len, size)

    def move(self, key: str, row: int) -> None:
        """``key`` now lives at ``row`` of the Hippocampus (its swap-delete moved it)."""
        slot = self._slot_of.get(key)
        if slot is not None:
            self._slot_row[slot] = row
            self._block_rows_stale = True

    def remove(self, key: str, text: str) -> None:
        """Forget ``key`` (its ``text`` says which document frequencies to lower)."""
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return
        self._slot_row[slot] = -1
        self._block_rows_stale = True
        self._total_len -= float(self._slot_len[slot])
        self._live -= 1
        self.drift.removed()
        term_id = self._term_id
        for term in set(terms(text)):
            tid = term_id.get(term)
            if tid is not None and self._df[tid] > 0:
                self._df[tid] -= 1
        if self._slots > 1024 and self._live < self._slots // 2:
            self._compact()

    def _postings(self, tid: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint16]]:
        """A term's postings, the loaded block's and the tail's, dead slots included."""
        slots: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        tf: npt.NDArray[np.uint16] = np.zeros(0, dtype=np.uint16)
        if tid + 1 < self._block_offsets.shape[0]:
            lo, hi = int(self._block_offsets[tid]), int(self._block_offsets[tid + 1])
            slots, tf = self._block_slots[lo:hi], self._block_tf[lo:hi]
        tail = self._tails.get(tid)
        if tail is not None:
            slots = np.concatenate((slots, np.frombuffer(tail[0], dtype=np.intc).astype(np.int32, copy=False)))
            tf = np.concatenate((tf, np.frombuffer(tail[1], dtype=np.uint16)))
        return slots, tf

    def _cue_postings(
        self, tid: int
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint16], npt.NDArray[np.float32]]:
        """A term's postings as a cue reads them: each one's row (-1: removed), term
        frequency and text length; the loaded block's as slices (its rows gathered by slot
        while stale), the tail's gathered by slot."""
        if self._block_rows_stale and self._gathered_while_stale >= self._block_slots.shape[0]:
            self._block_rows = self._slot_row[self._block_slots]
            self._block_rows_stale, self._gathered_while_stale = False, 0
        rows: npt.NDArray[np.int32] = self._block_rows[:0]
        tf: npt.NDArray[np.uint16] = self._block_tf[:0]
        lengths: npt.NDArray[np.float32] = self._block_len[:0]
        if tid + 1 < self._block_offsets.shape[0]:
            lo, hi = int(self._block_offsets[tid]), int(self._block_offsets[tid + 1])
            tf, lengths = self._block_tf[lo:hi], self._block_len[lo:hi]
            if self._block_rows_stale:
                rows = self._slot_row[self._block_slots[lo:hi]]
                self._gathered_while_stale += hi - lo
            else:
                rows = self._block_rows[lo:hi]
        tail = self._tails.get(tid)
        if tail is not None:
            slots = np.frombuffer(tail[0], dtype=np.intc)
            rows = np.concatenate((rows, self._slot_row[slots]))
            tf = np.concatenate((tf, np.frombuffer(tail[1], dtype=np.uint16)))
            lengths = np.concatenate((lengths, self._slot_len[slots]))
        return rows, tf, lengths

    def _compact(self) -> None:
        """Rewrite the postings without dead slots (after many removals), as one block."""
        alive = self._slot_row[: self._slots] >= 0
        new_slot = np.cumsum(alive) - 1
        ids_parts, slot_parts, tf_parts = [], [], []
        for tid in range(len(self._term_id)):
            slots, tf = self._postings(tid)
            keep = alive[slots]
            if keep.any():
                ids_parts.append(np.full(int(keep.sum()), tid, dtype=np.int64))
                slot_parts.append(new_slot[slots[keep]])
                tf_parts.append(tf[keep].astype(np.int64))
        self._slot_of = {k: int(new_slot[s]) for k, s in self._slot_of.items()}
        self._slot_row = self._slot_row[: self._slots][alive].copy()
        self._slot_len = self._slot_len[: self._slots][alive].copy()
        self._slots = int(alive.sum())
        empty = np.zeros(0, dtype=np.int64)
        self._build_block(
            np.concatenate(ids_parts) if ids_parts else empty,
            np.concatenate(slot_parts) if slot_parts else empty,
            np.concatenate(tf_parts) if tf_parts else empty,
        )

    def to_bytes(self, text_of: Callable[[str], str]) -> bytes:
        """The word index as bytes to keep beside the store: its terms, each live key with
        a fingerprint of its text (``text_of(key)``) and its length, and the postings.
        Removed keys are left out: nothing of a forgotten text is kept."""
        live_slots = np.flatnonzero(self._slot_row[: self._slots] >= 0)
        key_of_slot = dict(zip(self._slot_of.values(), self._slot_of.keys(), strict=True))
        keys = [key_of_slot[slot] for slot in live_slots.tolist()]
        numbered = np.full(max(self._slots, 1), -1, dtype=np.int64)
        numbered[live_slots] = np.arange(live_slots.shape[0])
        counts = np.diff(self._block_offsets)
        term_parts = [np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)]
        slot_parts, tf_parts = [self._block_slots.astype(np.int64)], [self._block_tf]
        for tid, (tail_slots, tail_tf) in self._tails.items():
            term_parts.append(np.full(len(tail_slots), tid, dtype=np.int64))
            slot_parts.append(np.frombuffer(tail_slots, dtype=np.intc).astype(np.int64))
            tf_parts.append(np.frombuffer(tail_tf, dtype=np.uint16))
        posting_terms, posting_slots = np.concatenate(term_parts), np.concatenate(slot_parts)
        posting_tf = np.concatenate(tf_parts)
        live = numbered[posting_slots] >= 0
        posting_keys = numbered[posting_slots[live]]
        posting_terms, posting_tf = posting_terms[live], posting_tf[live]
        # Only the terms of live texts, renumbered: a forgotten text's words are not kept.
        used, posting_terms = np.unique(posting_terms, return_inverse=True)
        order = np.lexsort((posting_keys, posting_terms))
        names = list(self._term_id)  # numbered in insertion order
        term_lengths, joined_terms = join_strings([names[tid] for tid in used.tolist()])
        payload = pack(
            _KEPT_FORMAT,
            {"terms_made_by": _TERMS_MADE_BY},
            _KEPT_ARRAYS,
            term_lengths=term_lengths,
            terms=joined_terms,
            key_prints=text_fingerprints(keys),
            prints=text_fingerprints([text_of(key) for key in keys]),
            lengths=self._slot_len[live_slots],
            posting_terms=posting_terms[order],
            posting_keys=posting_keys[order],
            posting_tf=posting_tf[order],
        )
        self.drift = Drift()
        return payload

    def restore(
        self, data: bytes, key_prints: KeyPrints, keys: Sequence[str], text_of: Callable[[str], str]
    ) -> bool:
        """Replace this index with the one :meth:`to_bytes` kept, brought up to date with
        the rows now indexed (row i holds ``keys[i]``, printed in ``key_prints``): a kept
        key that is gone or whose text changed is dropped, a row it lacks is tokenised.
        The result is the index a build from scratch would make (slots in row order).
        False, and this index left as it was, if ``data`` is not such an index or most of
        it changed."""
        kept = unpack(_KEPT_FORMAT, _KEPT_ARRAYS, data)
        if kept is None or kept[0].get("terms_made_by") != _TERMS_MADE_BY:
            return False
        arrays = kept[1]
        terms_ = split_strings(arrays["terms"], arrays["term_lengths"])
        count, n = arrays["key_prints"].shape[0], len(keys)
        posting_terms, posting_keys = arrays["posting_terms"], arrays["posting_keys"]
        if (
            terms_ is None
            or len(set(terms_)) != len(terms_)
            or not count == arrays["prints"].shape[0] == arrays["lengths"].shape[0]
            or not posting_terms.shape == posting_keys.shape == arrays["posting_tf"].shape
            or (posting_terms.shape[0] and not 0 <= int(posting_terms.min()) <= int(posting_terms.max()) < len(terms_))
            or (posting_keys.shape[0] and not 0 <= int(posting_keys.min()) <= int(posting_keys.max()) < count)
        ):
            return False
        rows = key_prints.rows(arrays["key_prints"])
        if rows is None:
            return False
        taken = holding_entries(
            rows,
            lambda named: text_fingerprints([text_of(keys[row]) for row in rows[named].tolist()])
            == arrays["prints"][named],
        )
        holds = np.zeros(count, dtype=np.bool_)
        holds[taken] = True
        if 2 * taken.shape[0] < n:
            return False  # most of it changed: tokenise afresh
        self.clear()
        self._ids_of(terms_)
        if taken.shape[0] == count == n and bool((rows == np.arange(n)).all()):
            # The usual start-up: every kept key holds, in row order; its postings as they are.
            self._new_slots(keys, rows, arrays["lengths"])
            self._build_block(posting_terms, posting_keys, arrays["posting_tf"], presorted=True)
            self.drift = Drift()
            return True
        missing = np.ones(n, dtype=np.bool_)
        missing[rows[taken]] = False
        new_rows = np.flatnonzero(missing)
        extra_ids, owners = self._occurrences([text_of(keys[row]) for row in new_rows.tolist()])
        lengths = np.zeros(n, dtype=np.float32)  # by row: held rows are every row now
        lengths[rows[taken]] = arrays["lengths"][taken]
        lengths[new_rows] = np.bincount(owners, minlength=new_rows.shape[0])
        self._new_slots(keys, np.arange(n), lengths)  # slot = row, as a build from scratch
        live = holds[posting_keys]
        self._build_block(
            np.concatenate((posting_terms[live].astype(np.int64), extra_ids)),
            np.concatenate((rows[posting_keys[live]], new_rows[owners])),
            np.concatenate((arrays["posting_tf"][live].astype(np.int64), np.ones(owners.shape[0], dtype=np.int64))),
            counted=False,
        )
        dropped = count - taken.shape[0]
        self.drift = Drift(dropped + new_rows.shape[0], dropped)
        return True

    def idf(self, term: str) -> float:
        """BM25's idf of a stem: ln(1 + (N − df + ½)/(df + ½)); 0 for an unknown one."""
        tid = self._term_id.get(term)
        df = 0 if tid is None else int(self._df[tid])
        if not df:
            return 0.0
        return math.log(1.0 + (self._live - df + 0.5) / (df + 0.5))

    def match(self, text: str, n: int) -> LexicalMatch | None:
        """BM25 of every row that shares a stem with ``text``, over an index of ``n`` rows;
        None when no word of the cue is indexed."""
        if not self._live:
            return None
        average = self._total_len / self._live or 1.0
        some_dead = self._live < self._slots  # else every posting is live: no pass to check
        parts_rows: list[npt.NDArray[np.int32]] = []
        parts_values: list[npt.NDArray[np.float32]] = []
        for term in dict.fromkeys(terms(text)):
            tid = self._term_id.get(term)
            if tid is None or self._df[tid] == 0:
                continue
            rows, counts, lengths = self._cue_postings(tid)
            live = rows >= 0 if some_dead else None
            if live is not None and not live.all():
                rows, counts, lengths = rows[live], counts[live], lengths[live]
                if not rows.shape[0]:
                    continue
            parts_rows.append(rows)
            weights = bm25_weights(counts.astype(np.float32), lengths, average, self.idf(term), self.k1, self.b)
            parts_values.append(weights)
        self._sums[self._summed_rows] = 0.0  # the previous cue's scores, cleared
        self._summed_rows = _NO_ROWS
        if not parts_rows:
            return None
        unique, summed = self._summed(parts_rows, parts_values, n)
        return LexicalMatch(unique, summed, n, self._sums)

    def _summed(
        self, parts_rows: list[npt.NDArray[np.int32]], parts_values: list[npt.NDArray[np.float32]], n: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """The rows the words matched, each once, and the sum of their words' scores:
        added into an array by row (left there for :meth:`LexicalMatch.at` until the next
        cue) and read back. A word's rows are distinct, so each step is a plain scatter;
        the word with the most postings goes first, into rows that are all still 0 and
        unseen, so it is written, not added (a name in half the memories, the bulk of a
        cue's postings, costs one pass). Measured against sorting the rows to group them
        (``np.unique``) and against summing into all ``n`` rows (``np.bincount``), for
        2,000 to 600,000 postings at 100k and 1M engrams: 2.7–18× and 1.3–260× faster."""
        size = max(n, 1 + max(int(rows.max()) for rows in parts_rows if rows.shape[0]))
        if self._sums.shape[0] < size:
            self._sums = np.zeros(size, dtype=np.float64)
            self._seen = np.zeros(size, dtype=np.bool_)
        sums, seen = self._sums, self._seen
        order = sorted(range(len(parts_rows)), key=lambda i: -parts_rows[i].shape[0])
        first = parts_rows[order[0]]
        sums[first] = parts_values[order[0]]
        seen[first] = True
        pieces = [first]
        for i in order[1:]:
            rows = parts_rows[i]
            sums[rows] += parts_values[i]
            fresh = rows[~seen[rows]]
            seen[fresh] = True
            pieces.append(fresh)
        unique = np.concatenate(pieces, dtype=np.intp)
        seen[unique] = False
        self._summed_rows = unique  # cleared by the next cue
        return unique, sums[unique]
