"""Each region's behaviour on its own."""

from __future__ import annotations

import numpy as np
import pytest

from neuram_core import (
    Amygdala,
    Engram,
    HashingEmbedder,
    Hippocampus,
    ManualClock,
    MemoryType,
    PrefrontalCortex,
    SensoryCortex,
    Thalamus,
    classify_memory_type,
)


def e(text: str, clock: ManualClock | None = None) -> Engram:
    now = clock.now() if clock else 0.0
    return Engram(text, MemoryType.EPISODIC, 0.5, encoded_at=now, last_accessed=now, stability=10.0)


def test_sensory_buffer_expires_unattended_input_after_3_seconds() -> None:
    clock = ManualClock()
    cortex = SensoryCortex(clock)
    first = cortex.register("a flash")
    clock.advance(2.9)
    second = cortex.register("a sound")
    assert [t.content for t in cortex.buffer] == ["a flash", "a sound"]
    clock.advance(0.1)  # first is now 3.0 s old
    assert [t.content for t in cortex.buffer] == ["a sound"]
    assert cortex.attend(first) is False  # too late to attend
    assert cortex.attend(second) is True
    assert cortex.buffer == []


def test_working_memory_holds_7_and_evicts_least_recently_used() -> None:
    clock = ManualClock()
    pfc = PrefrontalCortex(clock)
    items = [e(f"item {i}") for i in range(8)]
    for item in items[:7]:
        assert pfc.hold(item) is None
        clock.advance(1)
    pfc.rehearse(items[0].engram_id)  # item 0 becomes most recent
    evicted = pfc.hold(items[7])
    assert evicted is items[1]
    assert len(pfc) == 7
    assert [x.content for x in pfc.items] == [f"item {i}" for i in (2, 3, 4, 5, 6, 0, 7)]


def test_working_memory_decays_without_rehearsal() -> None:
    clock = ManualClock()
    pfc = PrefrontalCortex(clock, span_seconds=60)
    a, b = e("a"), e("b")
    pfc.hold(a)
    clock.advance(40)
    pfc.hold(b)
    clock.advance(30)  # a: 70 s unrehearsed, b: 30 s
    assert [x.content for x in pfc.items] == ["b"]
    assert pfc.decay() == [a]


def test_thalamus_drops_phatic_low_information_and_off_task() -> None:
    thalamus = Thalamus()
    assert thalamus.gate("hi! how are you?") == "phatic"
    assert thalamus.gate("haha thanks so much") == "phatic"
    assert thalamus.gate("ok") == "low_information"
    assert thalamus.gate("!!! ...") == "low_information"
    assert thalamus.gate("Thanks! My sister Anna moved to Berlin in May") is None
    assert thalamus.gate("Paris is the capital of France") is None
    assert thalamus.gate("Ann: Hi Ben! How are you?") == "phatic"  # a speaker label is not content
    assert thalamus.gate("User: my flight lands at 6pm") is None
    embedder = HashingEmbedder()
    thalamus.set_focus(embedder.embed(["python debugging breakpoints"])[0])
    on_task, off_task = embedder.embed(["python breakpoints help debugging", "football scores tonight"])
    assert thalamus.gate("python breakpoints help debugging", on_task) is None
    assert thalamus.gate("football scores tonight", off_task) == "off_task"


def test_amygdala_tags_emotion_and_importance() -> None:
    amygdala = Amygdala()
    calm = amygdala.appraise("the bus comes at the corner")
    moving = amygdala.appraise("I was devastated when my grandmother died, I cried all night!")
    important = amygdala.appraise("Remember: I am allergic to peanuts, this is important")
    assert calm < moving and calm < important
    assert 0.05 <= calm <= 0.95 and moving <= 0.95


def test_amygdala_weighs_who_a_turn_is_about_when_and_whether_it_asks() -> None:
    amygdala = Amygdala()
    neutral = amygdala.appraise("the sister paints birds")
    # The speaker's own life rises, the listener's falls: 0.1 × words / 3 (at most 3).
    assert amygdala.appraise("my sister paints birds") == pytest.approx(neutral + 0.1 / 3, abs=1e-4)
    assert amygdala.appraise("your sister paints birds") == pytest.approx(neutral - 0.1 / 3, abs=1e-4)
    # Asking takes 0.05; an event placed in time adds 0.1.
    assert amygdala.appraise("the sister paints birds?") == pytest.approx(neutral - 0.05, abs=1e-4)
    assert amygdala.appraise("the sister paints birds on sunday") == pytest.approx(
        amygdala.appraise("the sister paints birds on stone") + 0.1, abs=1e-4
    )
    # Who speaks is not what is said: a speaker label changes nothing.
    assert amygdala.appraise("Ann: my sister paints birds") == amygdala.appraise("my sister paints birds")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("To deploy: run make build, then push the image", MemoryType.PROCEDURAL),
        ("First install the package, then restart the server", MemoryType.PROCEDURAL),
        ("User always prefers concise answers", MemoryType.HABITUAL),
        ("I go running every morning", MemoryType.HABITUAL),
        ("Yesterday I met Alice at the station", MemoryType.EPISODIC),
        ("Paris is the capital of France", MemoryType.SEMANTIC),
        # Several sentences: a vote in which the opening statement counts twice, unless the
        # text opens as instructions or walks through them.
        (
            "Kickoff notes. The team met on Monday. The backend will use Postgres, add a queue. "
            "The launch is in April. The budget is forty thousand euros.",
            MemoryType.EPISODIC,
        ),
        (
            "Kickoff notes. The backend will use Postgres, add a queue. It is fast. It is cheap. It is free.",
            MemoryType.SEMANTIC,
        ),
        ("I always take the bus. It is cheaper. The stop is near my house.", MemoryType.HABITUAL),
        ("Yesterday I met Alice at the station. She is a doctor. Her office is in Leeds.", MemoryType.EPISODIC),
        ("How to make tea. Boil water. The kettle is in the kitchen. Mugs are above it.", MemoryType.PROCEDURAL),
        ("First, open the settings. Then click Privacy. Toggle off tracking.", MemoryType.PROCEDURAL),
        ("Boil water. Add the tea, then wait. Pour it into a cup.", MemoryType.PROCEDURAL),
        ("Recipe for disaster. We went out in the storm. It was bad.", MemoryType.EPISODIC),
        ("Postgres is fast. We met on Monday. We had lunch.", MemoryType.SEMANTIC),  # a tie: the first
        ("Hello there. Nothing here names a type.", MemoryType.EPISODIC),
    ],
)
def test_untyped_input_is_routed_by_local_cues(text: str, kind: MemoryType) -> None:
    assert classify_memory_type(text) is kind


def test_hippocampus_alone_completes_a_partial_cue() -> None:
    hpc = Hippocampus(HashingEmbedder())
    assert hpc.pattern_complete("anything") == []
    for text in ["we discussed Redis persistence and AOF", "lunch was pasta", "the cat sleeps"]:
        hpc.encode(e(text))
    results = hpc.pattern_complete("what did we discuss about Redis?", top_k=10)
    assert results[0][0].content == "we discussed Redis persistence and AOF"
    assert all(isinstance(score, float) for _, score in results)


def test_hippocampus_spreads_activation_to_temporal_associates() -> None:
    clock = ManualClock()
    hpc = Hippocampus(HashingEmbedder(), clock=clock)
    first = hpc.encode(e("booked flights to Lisbon", clock))
    hpc.note_encoded(first)
    clock.advance(30)
    second = e("the hotel has a rooftop pool", clock)
    links = hpc.temporal_context(clock.now())
    assert links[0][0] == first.engram_id and links[0][1] == pytest.approx(np.exp(-30 / 300))
    hpc.encode(second)
    for other, weight in links:
        hpc.associate(second.engram_id, other, weight)
    hpc.encode(e("unrelated gardening notes", clock))
    results = dict((x.content, s) for x, s in hpc.pattern_complete("flights Lisbon", top_k=3))
    # the hotel shares no word with the cue, yet comes back through its temporal link
    assert "the hotel has a rooftop pool" in results
    assert results["the hotel has a rooftop pool"] < results["booked flights to Lisbon"]
    clock.advance(301)
    assert hpc.temporal_context(clock.now()) == []  # beyond the window: no link


def test_hippocampus_swap_delete_keeps_rows_consistent() -> None:
    hpc = Hippocampus(HashingEmbedder())
    items = [hpc.encode(e(f"note number {i} about topic{i}")) for i in range(40)]
    for item in items[::3]:
        hpc.remove(item.engram_id)
    assert len(hpc) == 40 - 14
    for item in items:
        found = hpc.pattern_complete(item.content, top_k=1)
        if item.engram_id in hpc:
            assert found[0][0] is item
        else:
            assert all(x is not item for x, _ in found)


def test_activate_explains_the_ranking_complete_returns() -> None:
    clock = ManualClock()
    hpc = Hippocampus(HashingEmbedder(), clock=clock)
    seed = hpc.encode(e("booked flights to Lisbon", clock))
    linked = hpc.encode(e("the hotel has a rooftop pool", clock))
    hpc.associate(seed.engram_id, linked.engram_id, 1.0)
    cue = hpc.embed(["flights Lisbon"])[0]
    found = hpc.activate(cue, 5)
    by_id = {a.engram.engram_id: a for a in found}
    direct = by_id[seed.engram_id]
    assert direct.similarity == pytest.approx(float(np.dot(cue, seed.embedding)))
    assert direct.activation == pytest.approx(direct.similarity)
    # The neighbour adds what the seed matched above the cue's mean cosine × edge × decay.
    own = float(np.dot(cue, linked.embedding))
    mean = (direct.similarity + own) / 2
    spread = by_id[linked.engram_id]
    assert spread.similarity == pytest.approx(own)
    assert spread.spread == pytest.approx(0.7 * 1.0 * (direct.similarity - mean))
    assert spread.activation == pytest.approx(own + 0.7 * (direct.similarity - mean))
    assert (spread.spread_from, spread.spread_via, spread.spread_weight) == (seed.engram_id, seed.engram_id, 1.0)
    assert [a.score for a in found] == sorted((a.score for a in found), reverse=True)
    assert hpc.complete(cue, 1) == [(found[0].engram, found[0].score)]


def test_encode_many_builds_the_graph_encode_would() -> None:
    """The load path inlines the graph building: it must match encoding one at a time,
    with repeated edges (the larger weight wins), self-links and edges to absent ids."""
    rng = np.random.default_rng(7)
    ids = [f"n{i}" for i in range(60)]
    engrams = []
    for i, engram_id in enumerate(ids):
        targets = rng.choice([*ids, "ghost"], size=int(rng.integers(0, 5)))
        links = [(str(t), float(rng.choice([0.1, 0.5, 0.9]))) for t in targets]
        if i % 7 == 0:
            links.append((engram_id, 1.0))
        engrams.append(
            Engram(f"text {i}", MemoryType.EPISODIC, 0.5, engram_id=engram_id, associations=links, encoded_at=float(i))
        )
    one_by_one = Hippocampus(HashingEmbedder(32))
    for engram in engrams:
        one_by_one.encode(engram)
    batched = Hippocampus(HashingEmbedder(32))
    batched.encode_many(engrams)
    for engram_id in [*ids, "ghost"]:
        assert batched.neighbours(engram_id) == one_by_one.neighbours(engram_id)
    assert sum(map(len, (batched.neighbours(i) for i in ids))) > 100  # the test has edges to compare
    cue = batched.embed(["text 3"])[0]
    assert batched.complete(cue, 10) == one_by_one.complete(cue, 10)


def test_a_reserved_index_loads_without_copying_its_matrix() -> None:
    hpc = Hippocampus(HashingEmbedder(256))
    hpc.reserve(500)
    hpc.encode_many([e(f"item {i}") for i in range(10)])
    matrix = hpc._matrix
    assert matrix.shape[0] >= 500
    hpc.encode_many([e(f"item {i}") for i in range(10, 500)])
    assert hpc._matrix is matrix  # grown by doubling, it would have been copied 5 times
    assert len(hpc) == 500
    assert [x.content for x, _ in hpc.pattern_complete("item 321", top_k=1)] == ["item 321"]
    loaded = hpc.get(hpc.indexed_ids()[0])
    assert loaded is not None
    lent = loaded.embedding
    for i in range(500, 562):  # perceived after the load: an eighth of room, no copy
        hpc.encode(e(f"item {i}"))
    assert hpc._matrix is matrix and loaded.embedding is lent
    hpc.encode(e("item 563"))  # past it: grown (copied once, by doubling)
    assert hpc._matrix is not matrix and hpc._matrix.shape[0] >= 1_000
    assert loaded.embedding is not lent and np.array_equal(loaded.embedding, lent)


def test_recognition_is_by_content_and_type_and_forgets_what_was_removed() -> None:
    hpc = Hippocampus(HashingEmbedder(16))
    fact = Engram("the shed key hangs on hook 3", MemoryType.SEMANTIC, 0.5)
    event = Engram("the shed key hangs on hook 3", MemoryType.EPISODIC, 0.5)
    hpc.encode(fact)
    hpc.encode_many([event, e("another thing")])
    assert hpc.recognise(fact.content, MemoryType.SEMANTIC) is fact
    assert hpc.recognise(fact.content, "episodic") is event  # type: ignore[arg-type]
    assert hpc.recognise(fact.content, MemoryType.PROCEDURAL) is None
    hpc.remove(fact.engram_id)
    assert hpc.recognise(fact.content, MemoryType.SEMANTIC) is None
    assert hpc.recognise(fact.content, MemoryType.EPISODIC) is event
    hpc.clear()
    assert hpc.recognise(fact.content, MemoryType.EPISODIC) is None
    assert all(not held for held in hpc._by_content.values())  # nothing kept for what is gone


def test_encode_many_names_an_embedding_that_does_not_fit() -> None:
    hpc = Hippocampus(HashingEmbedder(16))
    hpc.encode(e("first"))
    odd = e("odd one")
    odd.embedding = np.ones(8, dtype=np.float32)
    with pytest.raises(ValueError, match="embedding has 8 dimensions, the index holds 16"):
        hpc.encode_many([e("fine"), odd])
    assert len(hpc) == 1  # nothing half-written


def test_an_association_weight_must_be_finite() -> None:
    hpc = Hippocampus(HashingEmbedder(16))
    a, b = hpc.encode(e("first")), hpc.encode(e("second"))
    with pytest.raises(ValueError, match="finite"):
        hpc.associate(a.engram_id, b.engram_id, float("nan"))
    assert hpc.neighbours(a.engram_id) == {} and a.associations == []


def test_decode_embeddings_checks_each_record_and_copies() -> None:
    from neuram_core.codec import decode_embeddings

    good = np.arange(4, dtype="<f4")
    nan = np.array([1, np.nan, 2, 3], dtype="<f4")
    decoded = decode_embeddings([good.tobytes(), None, nan.tobytes(), b"", (good * 2).tobytes()])
    assert [v is None for v in decoded] == [False, True, True, True, False]
    assert np.array_equal(decoded[0], good) and np.array_equal(decoded[4], good * 2)
    assert decoded[0] is not None and decoded[0].dtype == np.float32 and decoded[0].base is None  # owns its data
    # a batch it cannot take at once (a size apart) is left to the per-record decode
    assert decode_embeddings([good.tobytes(), good[:3].tobytes()]) == [None, None]
