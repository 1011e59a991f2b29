"""The recall-quality mechanisms on small hand-made examples, with exact numbers:
partial-cue completion by words (BM25), temporal context, the gate, reminding, the
relevance floor and explanations."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, MemoryType, NeuramConfig, lexicon
from neuram_core.lexicon import Lexicon, bm25_weights, terms
from neuram_core.regions import Cue, Hippocampus, Thalamus


def unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def memory(text: str, vector: np.ndarray, engram_id: str) -> Engram:
    return Engram(text, MemoryType.EPISODIC, 0.5, embedding=vector, engram_id=engram_id, stability=100.0)


def test_terms_are_stemmed_content_words() -> None:
    assert terms("She adopted two dogs; the adoption was in May 2023") == [
        "adopt", "two", "dog", "adopt", "may", "2023"
    ]


def test_bm25_weights_follow_the_formula() -> None:
    idf = math.log(1 + (10 - 2 + 0.5) / (2 + 0.5))
    want = idf * 2 * 2.2 / (2 + 1.2 * (0.7 + 0.3 * 4 / 5))
    got = bm25_weights(np.array([2.0]), np.array([4.0]), 5.0, idf, 1.2, 0.3)
    assert got[0] == pytest.approx(want, rel=1e-12)
    assert float(bm25_weights(2.0, 4.0, 5.0, idf, 1.2, 0.3)) == pytest.approx(want, rel=1e-12)  # type: ignore[arg-type]
    broadcast = bm25_weights(np.array([2.0, 2.0]), np.array(4.0), 5.0, idf, 1.2, 0.3)  # one length for all
    assert broadcast.tolist() == pytest.approx([want, want], rel=1e-12)
    single = bm25_weights(np.array([2.0], np.float32), np.array([4.0], np.float32), 5.0, idf, 1.2, 0.3)
    assert single.dtype == np.float32 and single[0] == pytest.approx(want, rel=1e-6)


def test_lexicon_scores_updates_on_remove_and_move_and_compacts() -> None:
    lex = Lexicon(k1=1.2, b=0.3)
    lex.add("a", "Zanzibar trip in June", 0)
    lex.add("b", "a trip to the shops", 1)
    lex.add("c", "cooking pasta tonight", 2)
    assert lex.idf("zanzibar") == pytest.approx(math.log(1 + (3 - 1 + 0.5) / 1.5))
    match = lex.match("the Zanzibar trip", 3)
    assert match is not None
    scores = dict(zip(match.rows.tolist(), match.values.tolist(), strict=True))
    average = (3 + 2 + 3) / 3
    trip_idf = math.log(1 + (3 - 2 + 0.5) / 2.5)
    assert scores[0] == pytest.approx(
        bm25_weights(np.array([1.0]), np.array([3.0]), average, lex.idf("zanzibar"), 1.2, 0.3)[0]
        + bm25_weights(np.array([1.0]), np.array([3.0]), average, trip_idf, 1.2, 0.3)[0]
    )
    assert set(scores) == {0, 1}
    assert match.mean == pytest.approx(sum(scores.values()) / 3)
    # Three rows: the spread is at least the one the best row alone would give.
    assert match.std == pytest.approx(max(float(np.std([scores[0], scores[1], 0.0])), scores[0] * math.sqrt(2) / 3))
    lex.remove("a", "Zanzibar trip in June")
    lex.move("c", 0)  # the index swap-deleted row 0
    assert lex.match("zanzibar", 2) is None
    assert lex.match("pasta", 2).rows.tolist() == [0]  # type: ignore[union-attr]
    for i in range(3000):  # many removals: the postings are rewritten, the answers stay
        lex.add(f"x{i}", f"filler word{i} pasta", 2 + i)
    for i in range(2500):
        lex.remove(f"x{i}", f"filler word{i} pasta")
    match = lex.match("pasta", 503)
    assert match is not None and sorted(match.rows.tolist()) == [0, *range(2502, 3002)]
    assert len(lex) == 502


def test_a_word_in_every_row_does_not_outweigh_the_meaning_of_the_cue() -> None:
    """Two notes that both name Ada: BM25 scores them almost alike, and the spread of the
    word cue is floored at the one the best row alone gives (best × √(n − 1) / n), so the
    name adds a little to both instead of dwarfing the dense match."""
    lex = Lexicon(k1=1.2, b=0.3)
    lex.add("seat", "Ada prefers the window seat on long flights", 0)
    lex.add("violin", "Ada's daughter Maya plays the violin", 1)
    match = lex.match("where does Ada sit on planes", 2)
    assert match is not None and sorted(match.rows.tolist()) == [0, 1]
    best = float(match.values.max())
    assert float(np.std(match.values)) < 0.1 * best  # nearly alike: the spread they give is tiny
    assert match.std == pytest.approx(best * math.sqrt(1) / 2)  # the floor
    hpc = Hippocampus(embeds=False, config=NeuramConfig(recall_retention_weight=0.0), clock=ManualClock())
    hpc.encode(memory("Ada prefers the window seat on long flights", unit([1.0, 0.2, 0.0]), "seat"))
    hpc.encode(memory("Ada's daughter Maya plays the violin", unit([0.3, 1.0, 0.0]), "violin"))
    cue = unit([1.0, 0.0, 0.1])
    found = hpc.activate(Cue("where does Ada sit on planes", cue), 2, spread=False)
    assert [a.engram.engram_id for a in found] == ["seat", "violin"]
    cosines = [float(unit([1.0, 0.2, 0.0]) @ cue), float(unit([0.3, 1.0, 0.0]) @ cue)]
    bm25 = dict(zip(match.rows.tolist(), match.values.tolist(), strict=True))
    for row, activation in enumerate(found):
        assert activation.similarity == pytest.approx(cosines[row], abs=1e-6)
        # lexical_weight × the cosines' spread × BM25 / (best / 2): at most 1.4 spreads.
        assert activation.lexical == pytest.approx(0.7 * float(np.std(cosines)) * bm25[row] / (best / 2), rel=1e-5)


def test_a_cue_of_many_words_sums_each_row_once_and_leaves_no_trace_for_the_next() -> None:
    rng = np.random.default_rng(11)
    vocabulary = [f"word{i}" for i in range(40)]
    texts = [" ".join(rng.choice(vocabulary, 6).tolist()) for _ in range(500)]
    lex = Lexicon(k1=1.2, b=0.3)
    for row, text in enumerate(texts):
        lex.add(f"d{row}", text, row)
    average = sum(len(terms(t)) for t in texts) / len(texts)

    def expected(cue: str) -> dict[int, float]:
        sums: dict[int, float] = {}
        for term in dict.fromkeys(terms(cue)):
            for row, text in enumerate(texts):
                tf = terms(text).count(term)
                if tf:
                    weight = bm25_weights(
                        np.array([float(tf)]), np.array([float(len(terms(text)))]), average, lex.idf(term), 1.2, 0.3
                    )[0]
                    sums[row] = sums.get(row, 0.0) + weight
        return sums

    for cue in ("word1 word2 word3", "word3 word4 word1 word5", "word39 word1"):
        match = lex.match(cue, 500)
        assert match is not None
        rows = match.rows.tolist()
        assert len(rows) == len(set(rows))  # each row once
        got = dict(zip(rows, match.values.tolist(), strict=True))
        want = expected(cue)
        assert set(got) == set(want)
        # each word's weights in float32 (half the traffic over a common word's postings), summed in float64
        assert all(got[row] == pytest.approx(want[row], rel=1e-6) for row in want)
        assert match.std == pytest.approx(float(np.std([want.get(r, 0.0) for r in range(500)])), rel=1e-6)
        every = match.at(np.arange(500))  # by row, until the next match: the last cue's rows only
        assert every.tolist() == pytest.approx([want.get(r, 0.0) for r in range(500)], rel=1e-6)


def test_the_cues_words_complete_a_memory_the_dense_cue_misses() -> None:
    """Dense similarity points at the wrong memory; the cue's rare name finds the right one,
    and the fused score is cosine + lexical_weight × std(cosines) × bm25 / std(bm25)."""
    rng = np.random.default_rng(3)
    vectors = [unit(rng.normal(size=16).tolist()) for _ in range(12)]
    texts = [f"note about topic {i}" for i in range(12)]
    texts[7] = "my sister Ingrid moved to Zanzibar"
    other = rng.normal(size=16)
    vectors[7] = unit((other - float(other @ vectors[2]) * vectors[2]).tolist())  # orthogonal to the dense cue
    config = NeuramConfig(recall_retention_weight=0.0, spreading_hops=0)
    hpc = Hippocampus(embeds=False, config=config, clock=ManualClock())
    for i in range(12):
        hpc.encode(memory(texts[i], vectors[i], f"m{i}"))
    query = Cue("where does Ingrid live", vectors[2])
    dense_only = Hippocampus(embeds=False, config=config.replace(lexical_weight=0.0), clock=ManualClock())
    for i in range(12):
        dense_only.encode(memory(texts[i], vectors[i], f"m{i}"))
    assert "m7" not in [a.engram.engram_id for a in dense_only.activate(query, 3, limit=3)]
    found = hpc.activate(query, 3, limit=3)
    assert [a.engram.engram_id for a in found][:2] == ["m2", "m7"]  # the exact dense match, then the name
    cosines = np.array([float(v @ vectors[2]) for v in vectors])
    bm25 = hpc_lexicon_match(texts, "where does Ingrid live")
    expected = cosines[7] + 0.7 * cosines.std() * bm25[7] / bm25.std()
    top = found[1]
    assert top.similarity == pytest.approx(cosines[7], abs=1e-6)
    assert top.activation == pytest.approx(expected, abs=1e-6)
    assert top.lexical == pytest.approx(expected - cosines[7], abs=1e-6)


def hpc_lexicon_match(texts: list[str], query: str) -> np.ndarray:
    lex = Lexicon(1.2, 0.3)
    for i, text in enumerate(texts):
        lex.add(str(i), text, i)
    match = lex.match(query, len(texts))
    out = np.zeros(len(texts))
    assert match is not None
    out[match.rows] = match.values
    return out


def test_temporal_context_lifts_the_answer_after_a_matching_question() -> None:
    """The reply shares nothing with the cue; its link to the question it answers adds
    decay × edge × (the question's match − the mean cosine) to its own cosine."""
    rng = np.random.default_rng(5)
    vectors = [unit(rng.normal(size=16).tolist()) for _ in range(10)]
    hpc = Hippocampus(embeds=False, config=NeuramConfig(recall_retention_weight=0.0), clock=ManualClock())
    for i, v in enumerate(vectors):
        hpc.encode(memory(f"turn {i}", v, f"t{i}"))
    hpc.associate("t3", "t4", math.exp(-30 / 300))
    found = {a.engram.engram_id: a for a in hpc.activate(vectors[3], 5)}
    cosines = np.array([float(v @ vectors[3]) for v in vectors])
    reply = found["t4"]
    assert reply.spread == pytest.approx(0.7 * math.exp(-0.1) * (cosines[3] - cosines.mean()), abs=1e-6)
    assert reply.activation == pytest.approx(cosines[4] + reply.spread, abs=1e-6)
    assert (reply.spread_from, reply.spread_via) == ("t3", "t3")
    assert list(found)[:2] == ["t3", "t4"]


@pytest.mark.parametrize("text", ["Baby on the way!", "We got married.", "Got engaged!"])
async def test_a_short_life_event_passes_the_gate(text: str) -> None:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
    try:
        assert brain.thalamus.gate(text) is not None  # the Thalamus alone would drop it
        assert not (await brain.perceive(text)).filtered  # the Amygdala overrides
    finally:
        await brain.close()


@pytest.mark.parametrize(
    "text",
    [
        *("I keep bees", "I'm vegetarian", "I'm a nurse", "I own a dog", "We have a cat", "My son is Tom"),
        *("I love jazz", "I’m vegetarian", "i keep bees", "I'm Ann", "I'm from Spain", "My car is a Volvo"),
        *("I'm retired", "My birthday is May 3"),
        *("Oh, I keep bees", "haha I keep bees", "lol\nI keep bees", "I keep bees, you?", "I'm a nurse, and you?"),
        *("I'm not married", "I'm not vegetarian", "I don't have a car", "No, I don't have kids"),  # negated
        *("I'm not employed", "I'm employed", "I have asthma", "We have diabetes in the family"),
        *("I can't swim", "I don't smoke", "No, I don't drink", "We don't own a car", "I can't drive a car"),
    ],
)
def test_a_short_fact_about_the_speaker_passes_the_gate(text: str) -> None:
    assert Thalamus().gate(text) is None
    assert Thalamus().gate(f"Ann: Thanks! {text}") is None  # after a reaction, under a speaker's label


@pytest.mark.parametrize(
    "text",
    [
        *("I'm so tired", "I'm starving", "I'm dead 😂", "I'm obsessed", "I'm sold", "I'm on the fence"),  # states
        *("I think so.", "I doubt it", "I believe so", "I suppose so"),  # opinions
        *("I love it!", "I love this genre.", "I promise", "I remember", "I miss this"),  # reactions
        "I love your painting!",  # about the listener
        *("I'm all ears", "I have no idea", "I have to go", "I'm a mess", "I'm just saying"),  # idioms
        *("I'll check it out", "I’ll check it out", "I can't wait!", "I'm heading out"),  # plans
        "I had a blast!",  # a past reaction
        *("I'm not giving up.", "I'm gonna keep it up"),
        *("I'm not sure", "I'm not ready", "I'm not a fan", "I don't know him", "I don't have time"),  # negated
        *("I can't wait for it", "I can't stop", "I don't mind", "I don't have a clue", "No, I don't think so"),
        *("I'm not going to Paris", "I'm not going to Rome, you?", "I can't go to Paris", "I don't get the joke"),
        *("I cannot wait", "I cant wait", "I dont get the joke", "I Cannot wait!"),  # as typed
        *("Haha i'm just doing what I can do to help.", "My bad", "My pleasure"),
        *("I have a headache", "I have a cold", "We have the flu", "I have a hangover"),  # passing ailments
    ],
)
def test_feelings_plans_and_idioms_about_the_speaker_are_still_dropped(text: str) -> None:
    assert Thalamus().gate(text) is not None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("That's so cool! What did you do?", "phatic"),
        ("Wow, that sounds amazing, I love it!", "reaction"),
        ("Ben: Great pic! What did you paint?", "question"),
    ],
)
async def test_reactions_and_questions_back_are_dropped(text: str, reason: str) -> None:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
    try:
        assert (await brain.perceive(text)).filtered_reason == reason
        assert not (await brain.perceive("Ben: We went to the Louvre in Paris last spring.")).filtered
    finally:
        await brain.close()


async def test_something_mentioned_again_later_is_rehearsed() -> None:
    clock = ManualClock(1_000_000.0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    try:
        sister = await brain.perceive("My sister Ingrid lives in Zanzibar with her two cats")
        for i in range(12):
            clock.advance(600)
            await brain.perceive(f"The quarterly report number {i} needs tables and charts")
        clock.advance(2 * 86400)
        unrelated = await brain.perceive("The plumber fixes the kitchen sink on Tuesday morning")
        assert unrelated is not None
        assert (await brain.get(sister.engram_id)).access_count == 0  # type: ignore[union-attr]
        await brain.perceive("Ingrid sent a postcard from Zanzibar yesterday")
        reminded = await brain.get(sister.engram_id)
        assert reminded is not None and reminded.access_count == 1
        assert reminded.last_accessed == clock.now()
        assert reminded.stability > sister.stability
    finally:
        await brain.close()


async def test_the_relevance_floor_returns_fewer_than_k_or_nothing() -> None:
    """A result must stand out from chance: relevance ≥ factor × √(2 ln n)."""
    clock = ManualClock()
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    notes = [
        "the team meeting moved to Thursday afternoon",
        "buy oat milk and coffee beans",
        "Paris is in France",
        "renew the car insurance in March",
        "the dentist is on Elm Street",
        "water the tomatoes every evening",
        "the wifi password is on the fridge",
        "return the library books on Monday",
    ]
    try:
        for text in notes:
            await brain.perceive(text, gate=False)
            clock.advance(3600)  # hours apart: no temporal link lends them activation
        assert len(await brain.recall("what is my kid called", top_k=3)) == 3  # no floor by default
        assert await brain.recall("what is my kid called", top_k=3, min_relevance=1.0) == []
        found = await brain.activations("coffee beans and oat milk", top_k=8)
        bar = 1.0 * math.sqrt(2 * math.log(8))
        kept = await brain.recall("coffee beans and oat milk", top_k=8, min_relevance=1.0, strengthen=False)
        assert [e.engram_id for e, _ in kept] == [a.engram.engram_id for a in found if a.relevance >= bar]
        assert [e.content for e, _ in kept] == ["buy oat milk and coffee beans"]
        with pytest.raises(ValueError, match="min_relevance"):
            await brain.recall("milk", min_relevance=-1)
        small = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
        await small.perceive_many(["a b", "c d e"], gate=False)
        assert len(await small.recall("a c", top_k=2, min_relevance=1.0)) == 2  # too few to calibrate on
        await small.close()
    finally:
        await brain.close()


async def test_an_explanation_sums_to_the_score() -> None:
    clock = ManualClock(1_000_000.0)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    try:
        for text in (
            "Ann: what did you do at the weekend",
            "Ben: I went climbing in the Dolomites with Carla",
            "Ann: the garden needs water",
            "Ben: Carla booked a hut near Cortina",
        ):
            await brain.perceive(text, gate=False)
            clock.advance(30)
        clock.advance(86400)
        explained = await brain.explain("climbing Dolomites weekend", top_k=4)
        recalled = await brain.recall("climbing Dolomites weekend", top_k=4, strengthen=False)
        assert [(x.engram.engram_id, x.score) for x in explained] == [(e.engram_id, s) for e, s in recalled]
        assert any(x.lexical > 0 for x in explained) and any(x.spread > 0 for x in explained)
        for x in explained:
            assert x.similarity + x.lexical + x.spread == pytest.approx(x.activation, abs=1e-9)
            assert x.activation * x.retention_factor * x.superseded_factor == pytest.approx(x.score, rel=1e-9)
            hours = (clock.now() - x.engram.last_accessed) / 3600
            assert x.retention == pytest.approx(math.exp(-hours / x.engram.stability))
        assert all(e.access_count == 0 for e, _ in recalled)  # explain only looks
    finally:
        await brain.close()


@pytest.mark.parametrize("chunk", [None, 64])  # 64: a load of many chunks, words numbered across them
def test_a_bulk_load_builds_the_postings_one_add_at_a_time_would(
    chunk: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunk is not None:
        monkeypatch.setattr(lexicon, "_LOAD_CHUNK", chunk)
    rng = np.random.default_rng(11)
    words_ = [f"w{i}" for i in range(300)] + ["meeting", "meetings", "Paris", "2023"]
    texts = [" ".join(rng.choice(words_, size=int(rng.integers(0, 12))).tolist()) for _ in range(500)]
    one = Lexicon()
    for i, text in enumerate(texts):
        one.add(f"k{i}", text, i)
    bulk = Lexicon()
    bulk.add_many([(f"k{i}", text, i) for i, text in enumerate(texts)])
    assert len(bulk) == len(one) == 500
    for cue in ("meeting w3 w17", "paris 2023", "w5 w5 w250", "absent"):
        a, b = one.match(cue, 500), bulk.match(cue, 500)
        if a is None or b is None:
            assert a is None and b is None
            continue
        order_a, order_b = np.argsort(a.rows), np.argsort(b.rows)
        assert a.rows[order_a].tolist() == b.rows[order_b].tolist()
        assert np.allclose(a.values[order_a], b.values[order_b], rtol=0, atol=1e-12)


def test_a_bulk_load_reads_every_kind_of_text_as_one_add_at_a_time_would() -> None:
    """A load tokenises its texts joined by a break: a text holding that break, curly
    apostrophes, capitals of any script (a final sigma), numbers, stopwords-only and empty
    texts are read as :func:`terms` reads each one alone."""
    pieces = [
        "Ann's", "Ann’s", "don’t", "DON'T", "ΟΔΟΣ", "οδός", "Straße", "İstanbul", "2023", "2nd", "١٢٣",
        "café", "CAFÉ", "24hours", "9ers", "the", "and", "x\x00y", "\x00", "meetings", "meeting", "naïve",
        "日本語", "e-mail", "under_score", "Zanzibar!", "42.5", "—", "",
    ]
    rng = np.random.default_rng(5)
    texts = [" ".join(rng.choice(pieces, size=int(rng.integers(0, 9))).tolist()) for _ in range(400)]
    texts += ["", "the and of", "\x00", "ΣΑΣ\x00ΣΑΣ"]
    one = Lexicon()
    for i, text in enumerate(texts):
        one.add(f"k{i}", text, i)
    bulk = Lexicon()
    bulk.add_many([(f"k{i}", text, i) for i, text in enumerate(texts)])
    n = len(texts)
    for cue in [*pieces, *texts[:60], "ΣΑΣ", "σας", "x y"]:
        a, b = one.match(cue, n), bulk.match(cue, n)
        assert (a is None) == (b is None), cue
        if a is None or b is None:
            continue
        order_a, order_b = np.argsort(a.rows), np.argsort(b.rows)
        assert a.rows[order_a].tolist() == b.rows[order_b].tolist(), cue
        assert np.allclose(a.values[order_a], b.values[order_b], rtol=0, atol=1e-12), cue


def test_a_bulk_load_defers_the_word_index_and_builds_it_right() -> None:
    """A load of 10,000+ engrams leaves the lexicon for the first cue with words; removals
    and encodes before that are reflected when it is built."""
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(10_150, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    engrams = [memory(f"plain note {i}", vectors[i], f"n{i}") for i in range(10_100)]
    engrams[5] = memory("the Zanzibar ferry leaves at noon", vectors[5], "n5")
    engrams[9] = memory("Zanzibar spices market", vectors[9], "n9")
    hpc = Hippocampus(embeds=False, config=NeuramConfig(spreading_hops=0), clock=ManualClock())
    hpc.encode_many(engrams)
    assert hpc.lexicon_deferred
    hpc.remove("n9")
    hpc.encode(memory("a Zanzibar postcard", vectors[10_101], "late"))
    found = [a.engram.engram_id for a in hpc.activate(Cue("Zanzibar", vectors[10_102]), 2, limit=2)]
    assert found[:2] == ["n5", "late"] or found[:2] == ["late", "n5"]
    assert not hpc.lexicon_deferred and len(hpc.lexicon()) == 10_100  # 10,100 loaded - 1 removed + 1 new


def test_a_loaded_lexicon_with_later_adds_removals_and_compaction_answers_as_a_fresh_one() -> None:
    rng = np.random.default_rng(4)
    vocabulary = [f"v{i}" for i in range(400)] + ["Zanzibar", "ferries", "ferry", "2024"]
    texts = {f"k{i}": " ".join(rng.choice(vocabulary, size=int(rng.integers(1, 10))).tolist()) for i in range(1300)}
    lex = Lexicon()
    keys = list(texts)
    lex.add_many([(k, texts[k], i) for i, k in enumerate(keys[:1100])])  # a load: one block
    for i, k in enumerate(keys[1100:], start=1100):
        lex.add(k, texts[k], i)  # later perceptions: the tails
    gone = set(rng.choice(keys, size=700, replace=False).tolist())
    for k in gone:
        lex.remove(k, texts[k])  # more than half: a compaction
    survivors = [k for k in keys if k not in gone]
    fresh = Lexicon()
    for i, k in enumerate(keys):
        if k not in gone:
            fresh.add(k, texts[k], i)
    assert len(lex) == len(fresh) == len(survivors)
    for cue in ("zanzibar ferry", "v3 v17 v250", "2024", "v399 nothing"):
        a, b = lex.match(cue, 1300), fresh.match(cue, 1300)
        assert (a is None) == (b is None)
        if a is None or b is None:
            continue
        order_a, order_b = np.argsort(a.rows), np.argsort(b.rows)
        assert a.rows[order_a].tolist() == b.rows[order_b].tolist()
        assert np.allclose(a.values[order_a], b.values[order_b], rtol=0, atol=1e-12)
        assert lex.idf(terms(cue)[0]) == pytest.approx(fresh.idf(terms(cue)[0]))


def test_the_strongest_rows_of_a_word_match_are_its_highest_scores() -> None:
    lex = Lexicon(k1=1.2, b=0.3)
    texts = ["kayak", "kayak kayak kayak", "kayak river", "kayak kayak", "river"]
    for row, text in enumerate(texts):
        lex.add(f"d{row}", text, row)
    match = lex.match("kayak", 5)
    assert match is not None
    ranked = sorted(range(len(match.rows)), key=lambda i: -match.values[i])
    for k in range(1, 5):
        assert set(match.strongest(k).tolist()) == set(ranked[:k])
    assert match.strongest(0).tolist() == []
    assert sorted(match.strongest(9).tolist()) == list(range(len(match.rows)))


@pytest.mark.parametrize("n", [5, 300, 9_000, 60_000])
def test_the_strongest_are_the_k_highest_scores_the_first_of_ties_at_the_cut(n: int) -> None:
    """Many equal scores, as copies of one text give: the answer is the k highest, and of
    those tied at the cut the first positions, whether a sample bounded the cut (from
    8,192 scores on) or every score was partitioned; also when the sample's bound is too
    high (only its own high scores above it) and every score is read after all."""
    rng = np.random.default_rng(n)
    levels = rng.random(max(2, n // 40)) * 10
    spiked = np.zeros(n)
    spiked[:: max(1, n // 4096)] = 100 + np.arange(len(range(0, n, max(1, n // 4096))))  # the sample's own
    for values in (rng.choice(levels, n), spiked):
        match = lexicon.LexicalMatch(np.arange(n, dtype=np.intp), values, n)
        for k in (0, 1, 7, 128, 1_000, n, n + 3):
            expected = np.sort(np.lexsort((np.arange(n), -values))[: min(k, n)])
            assert match.strongest(k).tolist() == expected.tolist(), (n, k)


def scores_by_row(lexicon: Lexicon, cue: str, n: int) -> dict[int, float]:
    match = lexicon.match(cue, n)
    return {} if match is None else dict(zip(match.rows.tolist(), match.values.tolist(), strict=True))


def test_the_word_index_scores_as_a_fresh_build_while_rows_move() -> None:
    """A loaded block keeps each posting's row beside it; after a move or a removal cues
    gather the rows by slot until they re-read them all. After swap-deletes (as the
    Hippocampus does them) and a late add, every cue, before and after that re-read,
    scores every row exactly as a word index built afresh over the rows now held."""
    names, places = ("Ada", "Bob", "Caro", "Dan", "Eve"), ("Paris", "Lisbon", "Oslo", "Rome")
    held = {f"k{i}": f"{names[i % 5]} went to {places[i % 4]} on day {i} by train" for i in range(80)}
    rows = {key: i for i, key in enumerate(held)}
    lexicon = Lexicon()
    lexicon.add_many([(key, text, rows[key]) for key, text in held.items()])  # a load: one block
    cues = ("Ada in Paris", "Oslo by train day 7", "Eve Rome", "day 79", "Zoe Quito")

    def same_as_fresh() -> None:
        fresh = Lexicon()
        fresh.add_many(sorted(((key, text, rows[key]) for key, text in held.items()), key=lambda item: item[2]))
        for cue in cues * 8:  # enough postings read for the stale rows to be re-read
            assert scores_by_row(lexicon, cue, len(held)) == scores_by_row(fresh, cue, len(held))

    same_as_fresh()
    for gone in ("k3", "k10", "k79"):  # swap-delete: the last row moves into the hole
        last = max(rows, key=rows.__getitem__)
        lexicon.remove(gone, held.pop(gone))
        row = rows.pop(gone)
        if last != gone:
            lexicon.move(last, row)
            rows[last] = row
        same_as_fresh()
    held["late"], rows["late"] = "Ada went to Oslo late", len(held)
    lexicon.add("late", held["late"], rows["late"])  # a tail posting beside the block
    same_as_fresh()


def test_postings_added_one_at_a_time_join_the_block_and_score_as_a_fresh_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a process perceives is added to per-word tails, which join the block once they
    hold half as many postings as it (here from 16 on, to merge often). Words new since the
    block, words only in the block, removed and moved rows: after every add and every
    merge, each cue scores each row exactly as a word index built afresh, and matches
    its rows in the order an index that never merges gives (the order that breaks ties)."""
    merges = 0
    merge = Lexicon._merge_tails

    def counted(self: Lexicon) -> None:
        nonlocal merges
        merges += 1
        merge(self)

    monkeypatch.setattr(Lexicon, "_merge_tails", counted)
    rng = np.random.default_rng(8)
    vocabulary = [f"v{i}" for i in range(40)] + ["Zanzibar", "ferry", "2024", "Oslo"]
    held = {f"s{i}": " ".join(rng.choice(vocabulary[:20], size=4).tolist()) for i in range(30)}
    rows = {key: i for i, key in enumerate(held)}
    merging, unmerged = Lexicon(), Lexicon()

    def apply(change: Callable[[Lexicon], None]) -> None:
        monkeypatch.setattr(lexicon, "_MERGE_AT_LEAST", 16)
        change(merging)
        monkeypatch.setattr(lexicon, "_MERGE_AT_LEAST", 10**9)
        change(unmerged)

    apply(lambda lex: lex.add_many([(key, text, rows[key]) for key, text in held.items()]))  # a load: the block
    cues = ("zanzibar ferry", "v3 v17", "2024 oslo v1", "v39", "nothing here")
    for step in range(300):
        if step % 7 == 3:  # a swap-delete, as the Hippocampus makes them
            gone = str(rng.choice(sorted(held)))
            last = max(rows, key=rows.__getitem__)
            text, row = held.pop(gone), rows.pop(gone)
            apply(lambda lex: lex.remove(gone, text))  # noqa: B023 (applied at once)
            if last != gone:
                apply(lambda lex: lex.move(last, row))  # noqa: B023
                rows[last] = row
        key = f"k{step}"
        held[key], rows[key] = " ".join(rng.choice(vocabulary, size=int(rng.integers(1, 6))).tolist()), len(rows)
        apply(lambda lex: lex.add(key, held[key], rows[key]))  # noqa: B023
        fresh = Lexicon()
        fresh.add_many(sorted(((k, held[k], rows[k]) for k in held), key=lambda item: item[2]))
        for cue in cues:
            a, b, c = merging.match(cue, len(held)), unmerged.match(cue, len(held)), fresh.match(cue, len(held))
            assert (a is None) == (b is None) == (c is None)
            if a is not None and b is not None and c is not None:
                assert a.rows.tolist() == b.rows.tolist()
                assert a.values.tolist() == b.values.tolist()
                assert dict(zip(a.rows.tolist(), a.values.tolist(), strict=True)) == dict(
                    zip(c.rows.tolist(), c.values.tolist(), strict=True)
                )
    assert merges >= 3
