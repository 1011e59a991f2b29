"""Thalamus: the gate. Low-information input, phatic small talk, reactions, questions
back and (given a focus) off-task input never reach working memory.

It reads a message sentence by sentence: a sentence that asks ("What did you do?") or
only reacts ("That's so cool!") carries nothing to remember; a message passes when one
of its statements still holds content words once reactions are taken out, or when the
speaker states a fact about themselves, however short ("I'm vegetarian", "I keep bees",
"I don't have a car").
The Amygdala may override a drop for a short life event ("I'm pregnant!"): see
Brain.perceive."""

from __future__ import annotations

import re

import numpy as np

from neuram_core.engram import Vector
from neuram_core.text import REACTION_WORDS, content_words, informative_words, without_label, words

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
# A question back ("What did you paint?") holds nothing to remember; one that names two
# things ("Where do I park my Volvo?") tells what matters to the asker.
QUESTION_MIN_WORDS = 2
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_STATEMENTS = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")  # sentences, and lines of a chat message
# A statement about the speaker, in the present ("I'm a nurse", "I'm vegetarian", "I keep
# bees", "My son is Tom"): a fact an agent is told to remember, however short. Not a plan,
# a wish, a feeling or a passing state ("I'll check it out", "I can't wait", "I'm
# starving", "I'm dead"), nor a past reaction ("I had a blast"): those name nothing that
# lasts. Which states are facts is a short list; anything else is read as a passing state.
_MODAL = (  # and as typed without the apostrophe (cannot, cant, dont, ... are read with it: _APOSTROPHED)
    r"will|would|can|could|should|might|must|shall|may|won't|can't|couldn't|wouldn't|shouldn't|don't|didn't"
    r"|couldnt|wouldnt|shouldnt"
)
_PAST = r"had|made|did|got|went|was|were|saw|felt|knew|thought|took|came|gave|told|said|\w+ed"
# Contractions as typed without their apostrophe, read as with it (the gate's idioms and
# stopwords know the apostrophed forms).
_APOSTROPHED = {"cannot": "can't", "cant": "can't", "dont": "don't", "doesnt": "doesn't", "didnt": "didn't"}
_UNAPOSTROPHED = re.compile(r"\b(?:cannot|cant|dont|doesnt|didnt)\b", re.IGNORECASE)
# A fact stated in the negative is a fact too ("I'm not married", "I don't have a car").
_I_AM = re.compile(r"^(?:i'm|i am|we're|we are)\s+(?!(?:not\s+)?(?:going|gonna)\b)(?:not\s+)?(.+)$", re.IGNORECASE)
_I_HAVE = re.compile(
    r"^(?:i|we) (?:have|'ve got|have got|don't have|do not have|haven't got)\s+(?!to\b|been\b)(.+)$", re.IGNORECASE
)
_NOT_DO = re.compile(
    r"^(?:i|we) (don't|do not|never|can't|cannot|can not)\s+([a-z]+)(?:\s+(.+))?$", re.IGNORECASE
)
# What someone does or cannot do at all ("I don't smoke", "I can't swim", "I can't drive a
# car"): a short list for the verb alone and for "can't", since most such sentences are
# idioms or passing states ("I can't wait", "I don't mind", "I can't find the file").
_HABITS = frozenset("smoke drink drive swim cook dance sing ski skate fly vote gamble".split())  # noqa: SIM905
# Verbs whose negation with a thing is a reaction, not a fact ("I don't get the joke").
_NOT_A_HABIT = frozenset("get go find remember believe imagine blame stop wait understand recall".split())  # noqa: SIM905
_I_DO = re.compile(rf"^(?:i|we) (?!(?:{_MODAL}|{_PAST}|have|am|'m)\b)([a-z]+)\s+(.+)$", re.IGNORECASE)
_MY_X_IS = re.compile(r"^(?:my|our) \w+(?: \w+)? (?:is|are)\s+(.+)$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:a|an|the)\b", re.IGNORECASE)
_POINTING = re.compile(r"^(?:this|that|these|those|it)\b", re.IGNORECASE)  # at what was just said or shown
_NAMED = re.compile(r"\b(?:(?!I\b|I')[A-Z][\w'-]*|\d[\w.,/-]*)")  # a name, a place, a number
# Interjections before a statement ("Oh, I keep bees") and a question back after it ("I
# keep bees, you?"): neither changes what it states.
_LEAD_IN = re.compile(
    r"^(?:(?:yes|yeah|yep|no|nope|oh|well|also|so|and|but|actually|honestly|btw|lol|haha+|hey|hi|hello|ok|okay)\b[\s,!.:-]*)+",
    re.IGNORECASE,
)
_ASKED_BACK = re.compile(r"[\s,;:-]*(?:and|what about|how about)?\s*(?:you|u)\s*\?\s*$", re.IGNORECASE)
_TO_YOU = re.compile(r"\b(?:you|you're|you've|you'd|you'll|your|yours|yourself)\b", re.IGNORECASE)
# States that are facts about a person (how they live, who they are), not passing ones.
_LASTING_STATES = frozenset(
    """
    vegetarian vegan pescatarian diabetic allergic lactose celiac coeliac married engaged
    single divorced widowed retired pregnant religious atheist christian catholic protestant
    muslim jewish hindu buddhist gay lesbian bisexual straight transgender nonbinary
    left-handed right-handed bilingual deaf blind colourblind colorblind sober employed
    unemployed self-employed freelance adopted twin vaccinated
    """.split()  # noqa: SIM905
)
# What a statement about oneself may name that is still no fact: opinions, feelings,
# passing states and idioms ("I think so", "I love it", "I have no idea").
_NOT_A_FACT = frozenset(
    """
    like love loving hate think know feel feeling guess mean understand agree see bet wonder
    hope hoping wish want need try trying glad happy sad sorry tired fine bored busy ready
    done back home sick hungry sleepy late sure alright excited curious impressed jealous
    honored honoured kidding joking serious confused lost thinking doing good bad thankful
    grateful blessed lucky relieved stoked pumped nervous worried scared afraid stressed
    surprised shocked speechless touched flattered confident positive idea ears gonna wanna
    gotta everyone everybody everything anything something nothing someone anyone one time
    clue problem chance fan question mess worst best
    """.split()  # noqa: SIM905
)
# What one has for a day or two ("I have a headache", "We have the flu"): passing states,
# not facts to keep ("I have asthma", "I have diabetes" are).
_PASSING_AILMENTS = frozenset(
    """
    headache headaches migraine hangover cold colds fever flu cough toothache stomachache
    bellyache earache backache cramps jetlag jet-lag sunburn hiccups
    """.split()  # noqa: SIM905
)


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
        """None if ``content`` passes; else why not: ``"phatic"``, ``"low_information"``,
        ``"question"`` (it only asks), ``"reaction"`` (it only reacts) or ``"off_task"``."""
        said = without_label(content)  # "Ann: ...", "User: ...": who speaks is not what is said
        said = _UNAPOSTROPHED.sub(lambda m: _APOSTROPHED[m.group(0).lower()], said)  # "I cant wait" as "I can't wait"
        if not words(said):
            return "low_information"
        remainder = _PHATIC.sub(" ", said)
        if not any(_about_self(sentence) for sentence in _STATEMENTS.split(said)):
            if len(content_words(remainder)) < self.min_content_words:
                return "phatic" if remainder != said else "low_information"
            reason = self._statement_reason(remainder)
            if reason is not None:
                return reason
        if embedding is not None and self.off_task(embedding):
            return "off_task"
        return None

    def off_task(self, embedding: Vector) -> bool:
        """Whether an input embedded as ``embedding`` lies far from the focus (if one is set)."""
        return self.focus is not None and float(np.dot(embedding, self.focus)) < self.focus_threshold

    def _statement_reason(self, said: str) -> str | None:
        """None when a sentence of ``said`` states something; else whether it only asked
        or only reacted."""
        asked = False
        for sentence in _SENTENCE_END.split(said):
            if sentence.rstrip().endswith("?"):
                named = len(informative_words(sentence))
                if named >= QUESTION_MIN_WORDS:
                    return None  # a question that names things tells what matters to the asker
                asked = asked or named > 0
                continue
            if len(informative_words(sentence)) >= self.min_content_words:
                return None
        return "question" if asked else "reaction"


def _about_self(sentence: str) -> bool:
    """Whether ``sentence`` states a lasting fact about the speaker, in the present, not
    addressed to the listener: "I'm" a role, a name or one of the lasting states; "I
    have" or "I <verb>" something that is not a feeling or an opinion; "my X is" a name,
    a number or a thing ("My son is Tom", "My car is a Volvo")."""
    said = _LEAD_IN.sub("", sentence.strip().replace("’", "'"))  # "I’m" as typed on a phone
    said = _ASKED_BACK.sub("", said)
    if not said or said.endswith("?") or _TO_YOU.search(said):
        return False
    if (told := _I_AM.match(said)) is not None:
        rest = told.group(1)
        named = _ARTICLE.match(rest) is not None or _NAMED.search(rest) is not None
        return (named and _names_a_fact(rest)) or any(w in _LASTING_STATES for w in words(rest))
    if (told := _I_HAVE.match(said)) is not None:
        had = told.group(1)
        passing = any(w in _PASSING_AILMENTS for w in words(had))
        return not passing and not _POINTING.match(had) and _names_a_fact(had)
    if (told := _NOT_DO.match(said)) is not None:
        negation, verb, rest = told.group(1).lower(), told.group(2).lower(), told.group(3)
        if rest is None or negation.startswith("can"):
            return verb in _HABITS
        return (
            not _POINTING.match(rest)
            and verb not in _NOT_A_FACT
            and verb not in _NOT_A_HABIT
            and _names_a_fact(rest, also_not=verb)
        )
    if (told := _I_DO.match(said)) is not None:
        return not _POINTING.match(told.group(2)) and _names_a_fact(told.group(2), also_not=told.group(1).lower())
    if (told := _MY_X_IS.match(said)) is not None:
        rest = told.group(1)
        return (_ARTICLE.match(rest) is not None or _NAMED.search(rest) is not None) and _names_a_fact(rest)
    return False


def _names_a_fact(text: str, also_not: str = "") -> bool:
    """Whether ``text`` holds a content word that is not a reaction, a feeling or an
    opinion (nor ``also_not``, the verb that introduced it)."""
    return any(
        w not in REACTION_WORDS and w not in _NOT_A_FACT and w != also_not and "'" not in w and not w.endswith("ing")
        for w in content_words(text)
    )
