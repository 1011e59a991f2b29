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
    is (semantic); anything else is kept as an event of the conversation (episodic)."""
    if _PROCEDURAL.search(content):
        return MemoryType.PROCEDURAL
    if _HABITUAL.search(content):
        return MemoryType.HABITUAL
    if _EPISODIC.search(content):
        return MemoryType.EPISODIC
    if _SEMANTIC.search(content):
        return MemoryType.SEMANTIC
    return MemoryType.EPISODIC
