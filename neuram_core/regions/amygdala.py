"""Amygdala: tags how much an input matters (salience 0–1). Salient memories get a
stability boost at encoding and grow faster on recall (the norepinephrine effect): that
boost is ``dynamics.salience_boost``, applied at encoding and at every LTP."""

from __future__ import annotations

import math
import re

from neuram_core.text import informative_words, without_label

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
# Who a turn is about: the speaker's own life (self-disclosure, news) or the listener's
# (a reaction, advice, a question back). Their share of salience, reached at this many
# words, counts the words of each person (LoCoMo conversations 1–5: a first-person turn is
# news more often, a second-person one less; docs/recall.md).
PERSON_WEIGHT = 0.1
PERSON_SATURATION = 3
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|myself|we|we're|we've|us|our|ours)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(?:you|you're|you've|you'd|you'll|your|yours|yourself)\b", re.IGNORECASE)
# An event placed in time ("yesterday", "last week", "in May") is episodic news.
TIME_WEIGHT = 0.1
_TIME_ANCHOR = re.compile(
    r"\b(?:today|yesterday|tonight|tomorrow|ago|recently|last (?:night|week|weekend|month|year|\w+day)|"
    r"this (?:morning|afternoon|evening|week|weekend|month|year)|next (?:week|weekend|month|year)|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|march|april|june|july|august|"
    r"september|october|november|december)\b",
    re.IGNORECASE,
)
# A turn that asks carries less news than one that tells.
QUESTION_PENALTY = 0.05


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
        emotion and specifics (names, numbers); a turn about the speaker (first person)
        or placed in time rises, one about the listener (second person) or that asks falls.
        A speaker label ("Ann: ") is not part of what is said."""
        said = without_label(content)
        score = self.baseline
        news = len(informative_words(said))
        score += INFORMATION_WEIGHT * min(1.0, math.log1p(news) / math.log1p(INFORMATION_SATURATION))
        if _LIFE_EVENT.search(content):
            score += 0.15
        score += 0.15 * min(2, len(_IMPORTANT.findall(content)))
        score += 0.05 * min(2, len(_EMOTION.findall(content)))
        # Names, numbers and dates make a memory specific, and specific memories matter more.
        score += 0.05 * min(2, len(_SPECIFIC.findall(said[1:])))
        score += PERSON_WEIGHT * (
            min(PERSON_SATURATION, len(_FIRST_PERSON.findall(said)))
            - min(PERSON_SATURATION, len(_SECOND_PERSON.findall(said)))
        ) / PERSON_SATURATION
        if _TIME_ANCHOR.search(said):
            score += TIME_WEIGHT
        if "?" in said:
            score -= QUESTION_PENALTY
        return round(min(0.95, max(0.05, score)), 4)
