"""The exchange: what a conversation's turn-taking tells about what matters.

A listener's behaviour is evidence of news that the words of a turn do not carry: a
statement that answers the other speaker's question was asked for (curiosity: what one
wants to know is encoded better, Gruber et al. 2014), and one that draws a follow-up
question from the other speaker caught the listener's interest (social feedback marks
salience). Both need speaker labels ("Ann: ..."); without them there is no exchange."""

from __future__ import annotations

from dataclasses import dataclass

from neuram_core.text import speaker

__all__ = ["Turn", "asks", "in_conversation", "reply", "turn_of"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One perceived input of a conversation: who said it, whether it asked, when, and
    the engram it left (None when the Thalamus dropped it, or it was not appraised)."""

    speaker: str | None
    asked: bool
    at: float
    engram_id: str | None = None
    tagged: bool = False  # its engram's stability carries the tag (dynamics.trace_factor)


def asks(content: str) -> bool:
    """Whether ``content`` asks something (a question mark in what is said)."""
    return "?" in content


def turn_of(content: str, at: float) -> Turn:
    """The turn ``content`` takes at ``at``: its speaker label (if any) and whether it asks."""
    return Turn(speaker(content), asks(content), at)


def reply(previous: Turn | None, current: Turn, window_seconds: float) -> tuple[bool, bool]:
    """(answers, follows up): whether ``current`` answers ``previous`` (the other speaker
    asked, this one states) and whether it asks a follow-up question about ``previous``
    (the other speaker stated, this one asks). Only a reply by another named speaker
    within ``window_seconds`` counts: a turn talks to the one before it."""
    if (
        previous is None
        or current.speaker is None
        or previous.speaker in (None, current.speaker)
        or not 0.0 <= current.at - previous.at <= window_seconds
    ):
        return False, False
    return previous.asked and not current.asked, current.asked and not previous.asked


def in_conversation(last: Turn | None, before: Turn | None, current: Turn, window_seconds: float) -> bool:
    """Whether ``current`` continues a conversation: its speaker spoke before (``before``)
    and another has spoken since (``last``), each turn within ``window_seconds`` of the
    next. A header that looks like a label ("Parking: level 3") is no speaker to anyone:
    labels take turns only in a conversation."""
    said_by = current.speaker
    return (
        said_by is not None
        and last is not None
        and before is not None
        and last.speaker not in (None, said_by)
        and before.speaker == said_by
        and 0.0 <= current.at - last.at <= window_seconds
        and 0.0 <= last.at - before.at <= window_seconds
    )
