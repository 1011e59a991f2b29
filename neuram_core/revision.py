"""When a new engram revises an older one, and when it only says the same thing again.

Pure rules over texts and a cosine (no I/O, no LLM): the Brain asks them about a new
input and its nearest neighbours. Both rules read the *specifics* of a text (names,
numbers, dates, places, tools: the words a fact turns on), its polarity (negation) and
its *revising cues* (the words people use when a fact changes: now, new, moved, no longer).

- A **revision** is close in meaning (cosine ≥ ``revision_min_cosine``), of the same kind,
  differs in its specifics or polarity, and carries a revising cue the older text lacks:
  "My manager is Priya Raman" → "Priya left; my new manager is Tom Okafor".
- A **paraphrase** is very close in meaning (cosine ≥ ``paraphrase_min_cosine``) and
  differs in nothing the rules can see: no specific of either is missing from the other,
  the same polarity, no revising cue. Merging two different facts loses one, which is
  worse than keeping a duplicate, so every doubt keeps them apart.
"""

from __future__ import annotations

import functools
import re
from enum import Enum

from neuram_core.engram import MemoryType
from neuram_core.text import STOPWORDS, words

__all__ = [
    "Relation",
    "has_revising_cue",
    "is_fact",
    "is_negated",
    "relate",
    "same_kind",
    "specifics",
]


class Relation(Enum):
    """How a new text stands to an older one."""

    UNRELATED = "unrelated"
    PARAPHRASE = "paraphrase"  # the same fact again: rehearse the older engram
    REVISION = "revision"  # the new fact replaces the older one


# Words that name a time slot even in lower case, and month/day names at a sentence start.
_CALENDAR = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
_TOKEN = re.compile(r"[^\W_]+(?:[-'’.,:][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?;:]\s*$")
_ABBREVIATIONS = frozenset(
    ["dr", "mr", "mrs", "ms", "st", "prof", "mt", "jr", "sr", "vs"]
)  # a period that ends no sentence
# Words that add a second instance rather than replace the first ("we added another cluster").
_ADDING = re.compile(
    r"\b(?:also|another|too|as well|additional|added|adding|second|extra|plus|joined)\b", re.IGNORECASE
)
_NEGATION = frozenset(
    [
        "not",
        "no",
        "never",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "won't",
        "can't",
        "nothing",
        "none",
    ]
)
# Change verbs and markers, in their usual forms: the cue that a fact was replaced.
_REVISING = re.compile(
    r"\b(?:now|new|newly|no longer|any ?more|instead|actually|these days|from now on|as of|"
    r"updated?|updates|correction|changed? (?:my|our) mind|rather|turns? out|"
    r"chang(?:e|ed|es|ing)|switch(?:ed|es|ing)?|mov(?:e|ed|es|ing)|relocat\w*|migrat\w*|"
    r"replac\w*|upgrad\w*|downgrad\w*|reschedul\w*|postpon\w*|delay(?:ed|s)?|pushed back|"
    r"brought forward|slipp?(?:ed|s)?|extended|cut|raised|increased|decreased|dropped|"
    r"went (?:up|down)|left|quit|retired|stepped down|gone|closed|stopped|sold|rewr(?:ote|itten)|"
    r"handed over|took over|broke up|renamed|no more)\b",
    re.IGNORECASE,
)


# The rules read the same stored texts again for every new input near them: each text's
# tokens are worked out once (pure functions of the text, so a cache cannot go stale).
_CACHE_TEXTS = 16_384


def _normal(token: str) -> str:
    """A token as compared: lower case, without a plural or possessive s ("Tuesdays" = "Tuesday")."""
    token = token.lower().replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    elif len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        token = token[:-1]
    return token


@functools.lru_cache(maxsize=_CACHE_TEXTS)
def specifics(text: str) -> frozenset[str]:
    """The tokens a fact turns on: any token with a digit, a month or weekday name, and any
    capitalised word but "I" (at a sentence's start, only if not a stopword: "Marcus
    sent it" names someone, "My manager" does not)."""
    found: set[str] = set()
    starts = True
    for match in _TOKEN.finditer(text):
        token = match.group().rstrip(".,:")
        normal = _normal(token)
        if (
            any(c.isdigit() for c in token)
            or normal in _CALENDAR
            or (_capitalised(token) and (not starts or token.lower() not in STOPWORDS))
        ):
            found.add(normal)
        ends = _SENTENCE_END.search(text[match.end() : match.end() + 2]) is not None
        starts = ends and token.lower() not in _ABBREVIATIONS
    return frozenset(found)


def _capitalised(token: str) -> bool:
    """A capitalised word, the pronoun I (and I'm, I've) aside."""
    return token[:1].isupper() and token != "I" and not token.startswith(("I'", "I’"))


def _missing(these: frozenset[str], text: str) -> frozenset[str]:
    """Specifics of one text that the other text does not contain as a word at all."""
    present = _present(text)
    return frozenset(s for s in these if s not in present)


@functools.lru_cache(maxsize=_CACHE_TEXTS)
def _present(text: str) -> frozenset[str]:
    """Every word of a text as compared, and its specifics."""
    return frozenset({_normal(w) for w in words(text)} | specifics(text))


@functools.lru_cache(maxsize=_CACHE_TEXTS)
def is_negated(text: str) -> bool:
    """Whether the text says something is not so (its polarity)."""
    return any(w in _NEGATION or w.endswith("n't") for w in words(text))


@functools.lru_cache(maxsize=_CACHE_TEXTS)
def has_revising_cue(text: str) -> bool:
    """Whether the text uses a word people use when a fact changes (now, new, moved...)
    and none that adds a further instance instead (also, another, added, second...)."""
    return _REVISING.search(text) is not None and _ADDING.search(text) is None


def same_kind(a: MemoryType, b: MemoryType) -> bool:
    """Facts, events and preferences are one kind (routing often files one fact said two
    ways as two of them); skills (procedural) are another."""
    return (a is MemoryType.PROCEDURAL) == (b is MemoryType.PROCEDURAL)


def differs(new: str, old: str) -> bool:
    """Whether two texts disagree on a specific (one names what the other does not) or on
    polarity: what makes a close text another fact rather than the same one."""
    if is_negated(new) != is_negated(old):
        return True
    return bool(_missing(specifics(new), old) or _missing(specifics(old), new))


# A fact is told in a sentence or two; a longer text tells a story, which a later story
# does not replace (in conversation, long turns share topics and "new"/"now" all the time).
FACT_MAX_WORDS = 30
FACT_MAX_SENTENCES = 2
_SENTENCE_BREAK = re.compile(r"[.!?]+(?:\s+|$)")


@functools.lru_cache(maxsize=_CACHE_TEXTS)
def is_fact(text: str) -> bool:
    """Whether ``text`` is short enough to state one fact that a later one may revise."""
    if len(words(text)) > FACT_MAX_WORDS:
        return False
    breaks = 0
    for match in _SENTENCE_BREAK.finditer(text.strip()):
        before = text[: match.start()].split()
        if match.end() < len(text.strip()) and before and before[-1].lower() not in _ABBREVIATIONS:
            breaks += 1  # "Dr. Osei" is not a sentence's end
    return breaks + 1 <= FACT_MAX_SENTENCES


def relate(
    new: str,
    old: str,
    cosine: float,
    *,
    revision_min_cosine: float,
    paraphrase_min_cosine: float,
) -> Relation:
    """How ``new`` (just heard) stands to ``old`` (remembered), their embeddings' cosine given.

    A revision needs a revising cue in ``new`` that ``old`` lacks, so two close facts that
    simply coexist (two colleagues, two trips) are never linked; a paraphrase needs the
    texts to agree on every specific and on polarity, so an update never merges."""
    if cosine < min(revision_min_cosine, paraphrase_min_cosine):
        return Relation.UNRELATED
    different = differs(new, old)
    cue = has_revising_cue(new) and not has_revising_cue(old)
    if different and cue and cosine >= revision_min_cosine and is_fact(new) and is_fact(old):
        return Relation.REVISION
    if not different and not cue and cosine >= paraphrase_min_cosine:
        return Relation.PARAPHRASE
    return Relation.UNRELATED
