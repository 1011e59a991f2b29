"""Which long-term system an untyped input belongs to: chat messages arrive untyped,
so the brain routes them itself with local cues (no LLM)."""

from __future__ import annotations

import re

from neuram_core.engram import MemoryType

__all__ = ["classify_memory_type", "describes_event"]

_PROCEDURAL = re.compile(
    r"^\s*(?:to\s+\w+.*?:|how to\b|steps?\b|first\b.*\bthen\b|step \d)|"
    r"\b(?:run|install|click|type|press|open|add|call|use|set|configure|restart|deploy)\b[^.]*"
    r"(?:,|\bthen\b|->|→)",
    re.IGNORECASE,
)
# A text that opens as instructions, or walks through steps, is one whatever its steps say.
_PROCEDURE = re.compile(
    r"^\s*(?:to\s+\w+[^.\n]*?:|how to\b|steps?\s*(?::|\n|\d)|step \d|(?:recipe|instructions?)\s*(?::|\n))|"
    r"^\s*first\b.*\bthen\b",
    re.IGNORECASE | re.DOTALL,
)
# Where one sentence ends and the next begins: after . ! ? and a space, or a line break.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
_HABITUAL = re.compile(
    r"\b(?:always|usually|every (?:day|morning|evening|night|week|time)|each (?:day|morning|week)|"
    r"prefers?|preference|likes? (?:to|it when)|habit|tends? to|routinely|never (?:wants?|likes?)|"
    r"daily|weekly|whenever)\b",
    re.IGNORECASE,
)
_EPISODIC = re.compile(
    r"\b(?:today|yesterday|tonight|last (?:night|week|month|year|weekend)|this (?:morning|"
    r"afternoon|evening|week|weekend)|ago|just now|recently|(?:i|we) (?:went|had|met|saw|did|"
    r"visited|got|made|was|were|took|started|finished)|was|were|had|went|met|happened)\b",
    re.IGNORECASE,
)
_SEMANTIC = re.compile(
    r"\b(?:is|are|means|consists? of|contains?|equals?|has|have|was born in|is located in|"
    r"capital of|defined as)\b",
    re.IGNORECASE,
)


def describes_event(content: str) -> bool:
    """Whether the text tells of something that happened (a time cue or a past-tense event
    verb): an event stays true when a later one follows, so it is never superseded."""
    return _EPISODIC.search(content) is not None


def classify_memory_type(content: str) -> MemoryType:
    """Procedural instructions, habitual preferences, episodic events, statements of what
    is (semantic); anything else is kept as an event of the conversation (episodic). A
    text of several sentences is what its sentences say by a vote in which the first that
    names a type counts twice (a meeting note with one "use Postgres, add a queue" in it is
    not a procedure; a habit told with the reasons for it stays a habit), unless it opens
    as instructions ("How to ...", "Steps:") or walks through them ("First ... Then ...");
    a tie goes to the first."""
    sentences = [part for part in _SENTENCE_BREAK.split(content.strip()) if part]
    if len(sentences) <= 1:
        return _sentence_type(content) or MemoryType.EPISODIC
    if _PROCEDURE.match(content):
        return MemoryType.PROCEDURAL
    votes: dict[MemoryType, int] = {}
    for sentence in sentences:
        kind = _sentence_type(sentence)
        if kind is not None:
            votes[kind] = votes.get(kind, 0) + (1 if votes else 2)  # the opening statement counts twice
    if not votes:
        return MemoryType.EPISODIC
    most = max(votes.values())
    return next(kind for kind, count in votes.items() if count == most)  # dicts keep the first seen first


def _sentence_type(text: str) -> MemoryType | None:
    """The type one sentence's cues name, in order of precedence; None when none does."""
    if _PROCEDURAL.search(text):
        return MemoryType.PROCEDURAL
    if _HABITUAL.search(text):
        return MemoryType.HABITUAL
    if _EPISODIC.search(text):
        return MemoryType.EPISODIC
    if _SEMANTIC.search(text):
        return MemoryType.SEMANTIC
    return None
