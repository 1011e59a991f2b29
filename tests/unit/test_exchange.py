"""The exchange: an answer to a question and a turn that draws a follow-up question are
more salient (exchange.py), and weak traces fade (dynamics.trace_factor)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, NeuramConfig
from neuram_core.dynamics import (
    encoding_stability,
    novelty,
    raised_salience_stability,
    salience_boost,
    trace_factor,
)
from neuram_core.exchange import Turn, asks, reply, turn_of
from neuram_core.regions.amygdala import Amygdala

WINDOW = 300.0


def test_asks() -> None:
    assert asks("Ann: Where did you go?") and not asks("Ann: I went to Rome.")


@pytest.mark.parametrize(
    ("previous", "content", "at", "expected"),
    [
        (Turn("Ann", True, 0.0), "Ben: I went to Rome.", 30.0, (True, False)),  # answers
        (Turn("Ann", False, 0.0), "Ben: Who went with you?", 30.0, (False, True)),  # follows up
        (Turn("Ann", True, 0.0), "Ben: And you?", 30.0, (False, False)),  # a question for a question
        (Turn("Ann", False, 0.0), "Ben: I went to Rome.", 30.0, (False, False)),  # a statement after one
        (Turn("Ann", True, 0.0), "Ann: I went to Rome.", 30.0, (False, False)),  # the same speaker
        (Turn("Ann", True, 0.0), "Ben: I went to Rome.", 301.0, (False, False)),  # too late
        (Turn(None, True, 0.0), "Ben: I went to Rome.", 30.0, (False, False)),  # nobody named
        (Turn("Ann", True, 0.0), "I went to Rome.", 30.0, (False, False)),
        (None, "Ben: I went to Rome.", 30.0, (False, False)),
    ],
)
def test_reply(previous: Turn | None, content: str, at: float, expected: tuple[bool, bool]) -> None:
    assert reply(previous, turn_of(content, at), WINDOW) == expected


def test_trace_factor_is_weak_below_the_tag_and_lasting_above() -> None:
    config = NeuramConfig(tag_min_salience=0.6, weak_trace_factor=0.05, tagged_trace_factor=2.0)
    assert trace_factor(0.59, config) == 0.05
    assert trace_factor(0.6, config) == 2.0
    assert trace_factor(0.1, NeuramConfig(tag_min_salience=0.0, tagged_trace_factor=1.0)) == 1.0  # off


def test_raised_salience_stability_rescales_boost_and_tag() -> None:
    config = NeuramConfig(tag_min_salience=0.6, weak_trace_factor=0.05, tagged_trace_factor=2.0)
    # From untagged 0.5 to tagged 0.7: × 4^0.4 × 2 / (4^0 × 0.05).
    assert raised_salience_stability(10.0, 0.5, 0.7, config) == pytest.approx(10.0 * 4**0.4 * 2 / 0.05)
    assert raised_salience_stability(10.0, 0.7, 0.8, config) == pytest.approx(10.0 * 4**0.2)
    assert salience_boost(0.5) == 1.0


async def test_an_answer_to_a_question_is_more_salient() -> None:
    config = NeuramConfig(answer_salience=0.2, novelty_salience=0.0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock(0.0), config=config)
    try:
        answer = "Ben: I climbed Mount Rainier with my brother last summer."
        alone = await brain.perceive(answer.replace("Rainier", "Hood"))
        await brain.perceive("Ann: What did you do on your holidays?")
        asked = await brain.perceive(answer)
        assert alone.salience == Amygdala().appraise(answer.replace("Rainier", "Hood"))
        assert asked.salience == pytest.approx(Amygdala().appraise(answer) + 0.2)
        # Deliberate writes are no exchange.
        await brain.perceive("Ann: What did you do then?", gate=False)
        direct = await brain.perceive(answer.replace("Rainier", "Baker"), gate=False)
        assert direct.salience == Amygdala().appraise(answer.replace("Rainier", "Baker"))
    finally:
        await brain.close()


async def test_a_follow_up_question_raises_the_turn_it_asks_about() -> None:
    config = NeuramConfig(follow_up_salience=0.2, novelty_salience=0.0, tag_min_salience=0.0)
    clock = ManualClock(0.0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock, config=config)
    try:
        news = await brain.perceive("Ben: I adopted a puppy from the shelter downtown.")
        clock.advance(30.0)
        dropped = await brain.perceive("Ann: Wow! What breed?")  # the gate drops it; it still counts
        assert dropped.filtered
        [stored] = await brain.list()
        assert stored.salience == pytest.approx(news.salience + 0.2)
        assert stored.stability == pytest.approx(news.stability * 4 ** (2 * 0.2))
        assert (await brain.get(news.engram_id)).salience == stored.salience  # the index agrees
    finally:
        await brain.close()


async def test_untagged_chatter_fades_before_news() -> None:
    config = NeuramConfig(tag_min_salience=0.6, weak_trace_factor=0.05, tagged_trace_factor=2.0, novelty_salience=0.0)
    clock = ManualClock(0.0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock, config=config)
    try:
        # A conversation opens: its first two turns are no stream yet (each label has not
        # taken a turn), so they keep their stability as encoded.
        opening = [
            await brain.perceive("Ann: I finally visited the animal shelter downtown today."),
            await brain.perceive("Ben: I went to the shelter downtown on Saturday as well."),
        ]
        for turn in opening:
            assert turn.stability == pytest.approx(
                encoding_stability(config.base_stability_hours[turn.memory_type], turn.salience, 0.0, config)
            )
        chatter = await brain.perceive("Ann: that sounds like a nice plan for the weekend")
        news = await brain.perceive("Ben: I adopted a puppy named Max from the shelter last week.")
        assert chatter.salience < 0.6 <= news.salience
        assert chatter.stability == pytest.approx(168.0 * salience_boost(chatter.salience) * 0.05)
        assert news.stability == pytest.approx(168.0 * salience_boost(news.salience) * 2.0)
        # A deliberate write of as little is encoded in full.
        kept = await brain.perceive("Ann: that sounds like a nice idea for the holidays", gate=False)
        assert kept.salience < 0.6
        assert kept.stability == pytest.approx(168.0 * salience_boost(kept.salience))
        # So is a caller's salience: it is taken as given, not tagged.
        given = await brain.perceive("Ann: the weather was fine on the beach walk", salience=0.3)
        assert given.stability == pytest.approx(168.0 * salience_boost(0.3))
        # And a note headed like a label, right after the conversation: "Parking" never
        # took a turn in it, so it is a note, not a turn.
        header = await brain.perceive("Parking: level three near the lifts")
        assert header.stability == pytest.approx(
            encoding_stability(config.base_stability_hours[header.memory_type], header.salience, 0.0, config)
        )
        # And a note with no speaker: tagging sorts a conversation's turns, not notes.
        note = await brain.perceive("that sounds like a nice plan for the spring")
        assert note.salience < 0.6
        assert note.stability == pytest.approx(168.0 * salience_boost(note.salience))
        await brain.sleep()
        clock.advance(7 * 86400.0)
        await brain.sleep()
        left = {e.engram_id for e in await brain.list()}
        assert news.engram_id in left and kept.engram_id in left and chatter.engram_id not in left
        assert note.engram_id in left
    finally:
        await brain.close()


def test_novelty() -> None:
    assert novelty(None) == 1.0  # nothing stored: all is new
    assert novelty(0.8) == pytest.approx(0.2)
    assert novelty(-0.3) == 1.0 and novelty(1.0) == 0.0


async def test_novel_input_is_more_salient_than_a_near_repeat() -> None:
    config = NeuramConfig(novelty_salience=0.3, answer_salience=0.0, follow_up_salience=0.0)
    embedder = HashingEmbedder()
    brain = await Brain.create(path=":memory:", embedder=embedder, clock=ManualClock(0.0), config=config)
    try:
        opener = "Ben: we drove up to the lake house for the long weekend"
        assert (await brain.perceive(opener)).salience == Amygdala().appraise(opener)  # no conversation yet
        await brain.perceive("Ann: Saturday was rainy here so I stayed at home")
        first_text = "Ben: my sister paints birds in the old barn"
        second_text = "Ben: my sister paints birds and my brother paints boats"
        async def novelty_of(text: str) -> float:  # 1 - the cosine to the closest stored memory
            vector = embedder.embed([text])[0]
            return 1.0 - max(0.0, max(float(vector @ e.embedding) for e in await brain.list()))

        expected = Amygdala().appraise(first_text) + 0.3 * await novelty_of(first_text)
        first = await brain.perceive(first_text)
        assert first.salience == pytest.approx(expected)
        await brain.perceive("Ann: my cousin keeps bees on the roof of her flat")
        expected = Amygdala().appraise(second_text) + 0.3 * await novelty_of(second_text)
        second = await brain.perceive(second_text)
        assert second.salience == pytest.approx(expected)
        assert second.salience < first.salience  # a near repeat of the first
        written = await brain.perceive("Ben: my brother sculpts whales in the new studio", gate=False)
        assert written.salience == Amygdala().appraise(written.content)  # no novelty for a deliberate write
        note = "my cousin carves owls in a lighthouse"
        assert (await brain.perceive(note)).salience == Amygdala().appraise(note)  # nor for a note with no speaker
    finally:
        await brain.close()


class _SlowOnPuppies(HashingEmbedder):
    """Embeds a text about a puppy slowly: a perceive of it is overtaken by the next."""

    def embed(self, texts: list[str]) -> Any:
        if any("puppy" in t for t in texts):
            time.sleep(0.3)
        return super().embed(texts)


async def test_a_perceive_that_overtakes_another_keeps_its_own_turn() -> None:
    clock = ManualClock(0.0)
    config = NeuramConfig(novelty_salience=0.0)
    brain = await Brain.create(path=":memory:", embedder=_SlowOnPuppies(), clock=clock, config=config)
    try:
        await brain.perceive("Cat: the garden is full of tomatoes this summer.")  # the embedder claimed
        ann, bob = await asyncio.gather(
            brain.perceive("Ann: I adopted a puppy from the shelter downtown."),
            brain.perceive("Bob: I moved to Denver for a new nursing job in May."),
        )
        clock.advance(10.0)
        await brain.perceive("Ann: How do you like the new hospital job there?")  # asks Bob
        assert (await brain.get(ann.engram_id)).salience == ann.salience  # not Ann's own statement
        assert (await brain.get(bob.engram_id)).salience == pytest.approx(min(0.95, bob.salience + 0.2))
    finally:
        await brain.close()


async def test_a_turn_rewritten_as_given_is_not_rescaled_by_a_follow_up() -> None:
    clock = ManualClock(0.0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    try:
        await brain.perceive("Ben: we drove up to the lake house for the long weekend")
        await brain.perceive("Ann: Saturday was rainy here so I stayed at home")
        news = await brain.perceive("Ben: I adopted a puppy from the shelter downtown.")
        fixed = await brain.perceive(
            "Ben adopted a puppy from the shelter in May.", gate=False, engram_id=news.engram_id, salience=0.6
        )
        await brain.perceive("Ann: Oh nice, what breed is the puppy?")  # a follow-up to the turn
        stored = await brain.get(news.engram_id)
        assert stored.salience == 0.6 and stored.stability == fixed.stability  # as given
    finally:
        await brain.close()
