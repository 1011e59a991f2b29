"""Thalamus: the gate. Low-information input, phatic small talk and (given a focus)
off-task input never reach working memory."""

from __future__ import annotations

import re

import numpy as np

from neuram_core.engram import Vector
from neuram_core.text import content_words, words

__all__ = ["Thalamus"]

# Social glue that carries no memory-worthy content on its own.
_PHATIC = re.compile(
    r"\b(?:h(?:i|ello|ey|owdy)|good (?:morning|afternoon|evening|night)|bye|goodbye|see (?:you|ya)"
    r"(?: later| soon)?|take care|thanks?(?: you)?(?: (?:so|very) much)?|thx|ty|cheers|lol|lmao|"
    r"haha+|hehe+|wow|cool|nice|great|awesome|sure|sounds good|no problem|np|you'?re welcome|"
    r"how are you(?: doing)?|how'?s it going|what'?s up|sup|not much|me too|same here|"
    r"i see|got it|makes sense|of course|indeed|right|alright|yep|yup|nope|hmm+|uh+|um+)\b",
    re.IGNORECASE,
)
# "Ann: ...", "User: ..." — who speaks is not what is said.
_SPEAKER = re.compile(r"^\s*[^\W\d][\w .'-]{0,39}:\s+")


class Thalamus:
    """Decides what gets attention. :meth:`gate` returns None to pass, or why it dropped."""

    def __init__(self, min_content_words: int = 2, focus_threshold: float = 0.15) -> None:
        self.min_content_words = min_content_words
        self.focus_threshold = focus_threshold
        self.focus: Vector | None = None

    def set_focus(self, embedding: Vector | None) -> None:
        """Attend to a task: input far from it (cosine below the threshold) is off-task."""
        self.focus = None if embedding is None else np.asarray(embedding, dtype=np.float32)

    def gate(self, content: str, embedding: Vector | None = None) -> str | None:
        """None if ``content`` passes; else ``"phatic"``, ``"low_information"`` or ``"off_task"``."""
        said = _SPEAKER.sub("", content, count=1)
        if not words(said):
            return "low_information"
        remainder = _PHATIC.sub(" ", said)
        if len(content_words(remainder)) < self.min_content_words:
            return "phatic" if remainder != said else "low_information"
        if (
            self.focus is not None
            and embedding is not None
            and float(np.dot(embedding, self.focus)) < self.focus_threshold
        ):
            return "off_task"
        return None
