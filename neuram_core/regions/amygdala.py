"""Amygdala: tags how much an input matters (salience 0–1). Salient memories get a
stability boost at encoding and grow faster on recall (the norepinephrine effect): that
boost is ``dynamics.salience_boost``, applied at encoding and at every LTP."""

from __future__ import annotations

import math
import re

from neuram_core.text import informative_words

__all__ = ["Amygdala"]

_EMOTION = re.compile(
    r"\b(?:love[ds]?|hate[ds]?|amazing|awful|terrible|wonderful|fantastic|horrible|excited|"
    r"thrilled|scared|afraid|angry|furious|sad|upset|happy|proud|worried|anxious|grateful|"
    r"devastated|heartbroken|miss(?:ed)?|cried|died|passed away|funeral|married|wedding|divorce[d]?|"
    r"pregnant|born|baby|promotion|fired|hired|graduated|accident|hospital|sick|cancer|"
    r"surgery|diagnosed|adopted|engaged|broke up|won|lost|dream|goal|passion)\b",
    re.IGNORECASE,
)
_IMPORTANT = re.compile(
    r"\b(?:important|remember|never forget|don'?t forget|must|critical|urgent|deadline|"
    r"allerg(?:y|ic)|password|always|never|prefer(?:s|red)?|favou?rite|birthday|anniversary)\b",
    re.IGNORECASE,
)
# Life events: news that matters however briefly it is told ("I'm pregnant!").
_LIFE_EVENT = re.compile(
    r"\b(?:pregnan(?:t|cy)|married|marry|wedding|engaged|divorced?|born|birth|died|passed away|"
    r"funeral|graduated|graduation|promot(?:ed|ion)|fired|hired|laid off|retired|retirement|"
    r"adopted|adoption|moved|diagnosed|accident|surgery|hospital|broke up|new job|quit|"
    r"baby|pass(?:ed)? (?:the|my) \w+|got (?:a|my|the|into) \w+)\b",
    re.IGNORECASE,
)
# Information's share of salience, reached at this many words of news.
INFORMATION_WEIGHT = 0.4
INFORMATION_SATURATION = 20
_SPECIFIC = re.compile(r"\b\d+\b|\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)*\b")


class Amygdala:
    """Local heuristics: emotion, stated importance and specifics raise salience."""

    def __init__(self, baseline: float = 0.25) -> None:
        self.baseline = baseline

    def overrides_gate(self, content: str) -> bool:
        """Whether ``content`` tells a life event: it passes the Thalamus however short."""
        return _LIFE_EVENT.search(content) is not None

    def appraise(self, content: str) -> float:
        """Salience of ``content`` in [0.05, 0.95]; a caller's ``salience=`` overrides it.

        Information weighs most (the words of news it carries, with diminishing returns:
        a reaction holds none, a told event many), then a life event, stated importance,
        emotion and specifics (names, numbers)."""
        score = self.baseline
        news = len(informative_words(content))
        score += INFORMATION_WEIGHT * min(1.0, math.log1p(news) / math.log1p(INFORMATION_SATURATION))
        if _LIFE_EVENT.search(content):
            score += 0.15
        score += 0.15 * min(2, len(_IMPORTANT.findall(content)))
        score += 0.05 * min(2, len(_EMOTION.findall(content)))
        # Names, numbers and dates make a memory specific, and specific memories matter more.
        score += 0.05 * min(2, len(_SPECIFIC.findall(content[1:])))
        return round(min(0.95, max(0.05, score)), 4)
