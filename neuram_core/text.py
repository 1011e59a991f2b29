"""Word-level text heuristics shared by the Thalamus, the Amygdala and type routing.
Local and deterministic: no LLM on the write path."""

from __future__ import annotations

import re

__all__ = [
    "REACTION_WORDS",
    "STOPWORDS",
    "WORD_PATTERN",
    "content_words",
    "fragments",
    "informative_words",
    "speaker",
    "without_label",
    "words",
]

# A word: letters and digits, with one inner apostrophe ("don't", "Ann's").
WORD_PATTERN = r"[^\W_]+(?:['’][^\W_]+)?"
_WORD = re.compile(WORD_PATTERN, re.UNICODE)

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you
    your yours yourself yourselves i'm you're it's that's i've i'll i'd let's don't can't
    won't isn't didn't also really just yeah yes ok okay oh well so get got go going
    """.split()  # noqa: SIM905
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, with inner apostrophes)."""
    return _WORD.findall(text.lower().replace("’", "'"))  # one replace, not one per word


def content_words(text: str) -> list[str]:
    """Words that carry information: not stopwords."""
    return [w for w in words(text) if w not in STOPWORDS]


# Words that only react to what someone else said: praise, sympathy, agreement.
REACTION_WORDS = frozenset(
    """
    amazing awesome great cool wonderful nice fantastic incredible beautiful lovely glad
    happy sounds sound thanks thank wow love loved totally agree true exactly definitely
    absolutely super good hear heard proud inspiring interesting fun exciting excited hope
    hopefully sure pretty cute congrats congratulations wish luck means lot appreciate
    brilliant impressive stunning gorgeous sorry tough rough glad dude man omg amazing
    keep thing things stuff kind way always totally much
    """.split()  # noqa: SIM905
)


def informative_words(text: str) -> list[str]:
    """Content words of ``text`` that are not reactions to someone else's news."""
    return [w for w in content_words(text) if w not in REACTION_WORDS]


# "Ann: ...", "Dr Lee: ..." — a transcript's speaker label: one to three capitalised words.
_SPEAKER_LABEL = re.compile(r"^\s*([A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,2}):\s")
# Labels that head a note rather than name who speaks.
_NOTE_LABELS = frozenset(
    [
        "note",
        "notes",
        "update",
        "correction",
        "remember",
        "reminder",
        "fyi",
        "todo",
        "important",
        "ps",
        "re",
        "summary",
        "tip",
        "warning",
    ]
)


# Any leading "Label: " (up to 40 characters): who speaks, or what a note is about.
_LEADING_LABEL = re.compile(r"^\s*[^\W\d][\w .'-]{0,39}:\s+")


def without_label(text: str) -> str:
    """What ``text`` says, a leading label ("Ann: ", "Note: ") taken off: who speaks is not
    what is said (the Thalamus and the Amygdala read this)."""
    return _LEADING_LABEL.sub("", text, count=1)


def speaker(text: str) -> str | None:
    """Who says ``text``, when it starts with a speaker label ("Ann: I moved"); else None."""
    match = _SPEAKER_LABEL.match(text)
    if match is None or match.group(1).lower() in _NOTE_LABELS:
        return None
    return match.group(1)


# Where one sentence ends and the next begins: after . ! ? (and closing quotes), or a line break.
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))\s+|\s*\n\s*")


def fragments(text: str, size: int) -> list[str]:
    """The parts of a long ``text`` that each cue the whole: whole sentences packed, in
    order, into pieces of at most ``size`` words (a longer sentence is cut between words).
    A text of ``size`` words or fewer has no fragments: its own embedding reads all of it."""
    if size <= 0:
        raise ValueError(f"fragment size must be a positive number of words, got {size!r}")
    if len(_WORD.findall(text)) <= size:
        return []
    pieces: list[str] = []
    held: list[str] = []
    count = 0  # words held
    for sentence in _SENTENCE_BREAK.split(text.strip()):
        tokens = sentence.split()
        if held and count + len(_WORD.findall(sentence)) > size:  # it does not fit beside them
            pieces.append(" ".join(held))
            held, count = [], 0
        while tokens:
            taken, words_taken = _within(tokens, size - count)
            held += tokens[:taken]
            count += words_taken
            tokens = tokens[taken:]
            if tokens:  # a sentence longer than a piece: cut between words
                pieces.append(" ".join(held))
                held, count = [], 0
    if held:
        pieces.append(" ".join(held))
    return pieces


def _within(tokens: list[str], room: int) -> tuple[int, int]:
    """How many of ``tokens`` (split at white space) hold at most ``room`` words, at least
    one, and how many words those are."""
    total = 0
    for taken, token in enumerate(tokens):
        words_in = len(_WORD.findall(token))
        if taken and total + words_in > room:
            return taken, total
        total += words_in
    return len(tokens), total
