"""Fragments: a long text is also held as parts that each cue the whole (a model reads
only a text's first few hundred words). Splitting, the index's fold of a fragment into its
whole, and the Brain's life cycle of fragments: written with the whole, gone with it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, MemoryType, NeuramConfig
from neuram_core.regions import Cue, Hippocampus
from neuram_core.text import fragments
from tests.conftest import START

FILLER = " ".join(f"Committee reviewed budget line {i}; approved." for i in range(60))
KEY = "The spare boathouse key is hidden under the blue flowerpot."
LONG_NOTE = f"Minutes of meeting. {FILLER} {KEY}"  # 313 words, the key in the last ten


# -- splitting ----------------------------------------------------------------------------
def test_a_text_within_the_size_has_no_fragments() -> None:
    assert fragments("one two three four", 4) == []


def test_whole_sentences_are_packed_in_order() -> None:
    text = "Ann moved to Paris. She likes cheese! Bob said no.\nThen it rained all day long."
    pieces = ["Ann moved to Paris.", "She likes cheese! Bob said no.", "Then it rained all day long."]
    assert fragments(text, 6) == pieces


def test_a_sentence_longer_than_a_piece_is_cut_between_words() -> None:
    text = "Short one. " + " ".join(f"w{i}" for i in range(7)) + "."
    assert fragments(text, 3) == ["Short one.", "w0 w1 w2", "w3 w4 w5", "w6."]


def test_a_quote_closing_a_sentence_ends_it() -> None:
    assert fragments('He said "stop." We went on walking home.', 5) == ['He said "stop."', "We went on walking home."]


@pytest.mark.parametrize("size", [0, -3])
def test_a_size_that_is_not_positive_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="fragment size must be a positive number of words"):
        fragments("a b c", size)


def test_the_fragment_size_is_a_whole_number() -> None:
    with pytest.raises(TypeError, match="fragment_words must be a whole number"):
        NeuramConfig(fragment_words=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fragment_words must be finite and >= 0"):
        NeuramConfig(fragment_words=-1)


# -- the index: a fragment cues its whole ---------------------------------------------------
def unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def memory(text: str, vector: np.ndarray, engram_id: str, **fields: Any) -> Engram:
    return Engram(text, MemoryType.EPISODIC, 0.5, embedding=vector, engram_id=engram_id, stability=100.0, **fields)


def small_index(**config: object) -> Hippocampus:
    """A whole "w" whose own vector points along x, its fragments "w1" along y and "w2"
    along z, and two other memories."""
    hippocampus = Hippocampus(
        embeds=False, clock=ManualClock(START), config=NeuramConfig(lexical_weight=0.0, **config)  # type: ignore[arg-type]
    )
    hippocampus.encode(memory("whole", unit([1, 0, 0, 0]), "w", fragments=["w1", "w2"]))
    hippocampus.encode(memory("part one", unit([0, 1, 0, 0]), "w1", fragment_of="w"))
    hippocampus.encode(memory("part two", unit([0, 0, 1, 0]), "w2", fragment_of="w"))
    hippocampus.encode(memory("other", unit([0.6, 0.8, 0, 0]), "o"))
    hippocampus.encode(memory("far", unit([0, 0, 0, 1]), "f"))
    return hippocampus


def test_a_cue_matching_a_fragment_recalls_its_whole_once() -> None:
    hippocampus = small_index()
    found = hippocampus.activate(unit([0, 0.2, 1, 0]), 3, spread=False)
    assert [a.engram.engram_id for a in found] == ["w", "o"]  # never a fragment, never twice ("f": cosine 0)
    best = found[0]
    assert best.fragment == "w2"
    assert best.similarity == pytest.approx(float(unit([0, 0.2, 1, 0]) @ unit([0, 0, 1, 0])), abs=1e-6)
    assert found[1].fragment is None


def test_the_whole_is_matched_by_its_best_part_or_itself() -> None:
    hippocampus = small_index()
    [own] = hippocampus.activate(unit([1, 0.1, 0, 0]), 1, limit=1, spread=False)
    assert (own.engram.engram_id, own.fragment) == ("w", None)  # its own start matched best


def test_nearest_folds_fragments_into_their_wholes() -> None:
    hippocampus = small_index()
    found = [(e.engram_id, round(c, 4)) for e, c in hippocampus.nearest(unit([0, 1, 0.1, 0]), 2)]
    assert found == [("w", round(float(unit([0, 1, 0.1, 0]) @ unit([0, 1, 0, 0])), 4)), ("o", 0.7960)]


def test_listing_and_iteration_leave_fragments_out() -> None:
    hippocampus = small_index()
    assert sorted(e.engram_id for e in hippocampus) == ["f", "o", "w"]
    assert sorted(hippocampus.listing(START).ids) == ["f", "o", "w"]
    assert (len(hippocampus), hippocampus.fragment_count, hippocampus.parts("w")) == (5, 2, ["w1", "w2"])
    assert hippocampus.memory_count == 3
    assert hippocampus.whole("w2") is hippocampus.get("w")


def test_removing_a_whole_removes_its_fragments() -> None:
    hippocampus = small_index()
    hippocampus.remove("w")
    assert ("w1" in hippocampus, "w2" in hippocampus, hippocampus.fragment_count) == (False, False, 0)
    found = hippocampus.activate(unit([0, 0, 1, 0]), 3, spread=False)
    assert {a.engram.engram_id for a in found} <= {"o", "f"}


def test_a_fragment_whose_whole_is_not_indexed_recalls_nothing() -> None:
    hippocampus = Hippocampus(embeds=False, clock=ManualClock(START), config=NeuramConfig(lexical_weight=0.0))
    hippocampus.encode(memory("orphan part", unit([0, 1, 0, 0]), "p", fragment_of="gone"))
    hippocampus.encode(memory("other", unit([0.6, 0.8, 0, 0]), "o"))
    assert [a.engram.engram_id for a in hippocampus.activate(unit([0, 1, 0, 0]), 3, spread=False)] == ["o"]
    assert [e.engram_id for e, _ in hippocampus.nearest(unit([0, 1, 0, 0]), 3)] == ["o"]


def test_filters_read_the_whole_not_the_fragment() -> None:
    hippocampus = small_index()
    cue = Cue(None, unit([0, 0, 1, 0]))
    kept = hippocampus.activate(cue, 3, where=lambda e: e.engram_id != "w", spread=False)
    assert "w" not in {a.engram.engram_id for a in kept}
    whole = hippocampus.get("w")
    assert whole is not None
    whole.expires_at = START - 1.0
    hippocampus.refresh(whole)  # expired: hidden, also when a fragment matches
    assert "w" not in {a.engram.engram_id for a in hippocampus.activate(cue, 3, spread=False)}


def test_many_fragments_of_one_text_leave_room_for_other_memories() -> None:
    hippocampus = Hippocampus(embeds=False, clock=ManualClock(START), config=NeuramConfig(lexical_weight=0.0))
    rng = np.random.default_rng(3)
    base = unit([1.0] + [0.0] * 15)
    hippocampus.encode(memory("long", base, "w", fragments=[f"w{i}" for i in range(200)]))
    for i in range(200):  # all closer to the cue than any other memory
        hippocampus.encode(memory(f"part {i}", unit(list(base + 0.05 * rng.normal(size=16))), f"w{i}", fragment_of="w"))
    for i in range(40):
        hippocampus.encode(memory(f"note {i}", unit(list(rng.normal(size=16))), f"n{i}"))
    found = hippocampus.activate(base, 10, limit=10, spread=False)
    assert len(found) == 10 and found[0].engram.engram_id == "w"
    assert len({a.engram.engram_id for a in found}) == 10


def test_the_approximate_index_folds_fragments_too() -> None:
    rng = np.random.default_rng(5)
    dim = 32
    centres = rng.normal(size=(40, dim))
    config = NeuramConfig(lexical_weight=0.0, approximate_min_engrams=1500)
    hippocampus = Hippocampus(embeds=False, clock=ManualClock(START), config=config)
    vectors = centres[rng.integers(0, 40, 2000)] + 0.5 * rng.normal(size=(2000, dim))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    hippocampus.encode_many([memory(f"n{i}", v, f"n{i}") for i, v in enumerate(vectors)])
    part = vectors[7] + 0.01 * rng.normal(size=dim).astype(np.float32)
    hippocampus.encode(memory("long", unit(list(rng.normal(size=dim))), "w", fragments=["w1"]))
    hippocampus.encode(memory("its part", unit(list(part)), "w1", fragment_of="w"))
    assert hippocampus.approximate_index() is not None
    found = hippocampus.activate(vectors[7], 3, limit=3, spread=False)
    ids = [a.engram.engram_id for a in found]
    assert set(ids[:2]) == {"n7", "w"} and "w1" not in ids
    assert next(a for a in found if a.engram.engram_id == "w").fragment == "w1"


# -- the Brain: written with the whole, gone with it -----------------------------------------
class FirstWords(HashingEmbedder):
    """A hashing embedder that reads only a text's first 64 words, as a model reads only
    its first 256 word pieces (fragments must fit in it: 50 words here)."""

    def _embed(self, texts: list[str]) -> np.ndarray:
        return super()._embed([" ".join(text.split()[:64]) for text in texts])


async def long_note_brain(path: str = ":memory:", **config: object) -> tuple[Brain, ManualClock]:
    clock = ManualClock(START)
    settings = NeuramConfig(lexical_weight=0.0, **{"fragment_words": 50, **config})  # type: ignore[arg-type]
    brain = await Brain.create(path=path, embedder=FirstWords(), clock=clock, config=settings)
    return brain, clock


async def test_a_fact_past_the_models_window_is_found_by_its_fragment() -> None:
    for size, found_by_fragment in ((50, True), (0, False)):
        brain, _ = await long_note_brain(fragment_words=size)
        try:
            note = await brain.perceive(LONG_NOTE, gate=False)
            for i in range(12):
                await brain.perceive(f"Note {i}: a spare chair for guest {i}.", gate=False)
            [best] = await brain.explain("where is the spare boathouse key hidden?", top_k=1)
            assert (best.engram.engram_id == note.engram_id) is found_by_fragment
            if found_by_fragment:
                assert best.fragment_id in note.fragments and (best.fragment_content or "").endswith(KEY)
                assert best.as_dict()["fragment_content"] == best.fragment_content
                assert len(note.fragments) == len(fragments(LONG_NOTE, size)) == 8
        finally:
            await brain.close()


async def test_fragments_are_stored_with_the_whole_and_hidden_from_lists(tmp_path: object) -> None:
    path = f"{tmp_path}/m.db"
    brain, _ = await long_note_brain(path)
    try:
        note = await brain.perceive(LONG_NOTE, gate=False, metadata={"kind": "minutes"})
        await brain.perceive("A short note about lunch with Ben.", gate=False)
        stats = await brain.stats()
        assert (stats["indexed"], stats["fragments"], stats["pending"]) == (2, 8, 2)
        assert await brain.store.count(brain.namespace) == 10
        assert {e.engram_id for e in await brain.list()} == {note.engram_id, (await brain.list())[1].engram_id}
        assert len((await brain.listing()).ids) == 2
        parts = await brain.store.get(brain.namespace, note.fragments)
        assert all(p is not None and p.fragment_of == note.engram_id and p.consolidated for p in parts)
    finally:
        await brain.close()
    reopened, _ = await long_note_brain(path)  # loaded from the store: the fold holds
    try:
        [best] = await reopened.explain("where is the spare boathouse key hidden?", top_k=1)
        assert best.engram.engram_id == note.engram_id and best.fragment_id is not None
        assert (await reopened.stats())["fragments"] == 8
        assert await reopened.forget(note.engram_id)
        assert await reopened.store.count(reopened.namespace) == 1  # its fragments went with it
        assert reopened.hippocampus.fragment_count == 0
    finally:
        await reopened.close()


async def test_sleep_prunes_the_fragments_of_what_it_prunes() -> None:
    brain, clock = await long_note_brain()
    try:
        await brain.perceive(LONG_NOTE, gate=False, expires_at=START + 60.0)
        await brain.perceive("Keep this short note about the garden.", gate=False)
        assert await brain.store.count(brain.namespace) == 10
        clock.advance(120.0)
        done = await brain.sleep()
        assert done["pruned_wm"] + done["pruned_ltm"] == 1
        assert await brain.store.count(brain.namespace) == 1
        assert brain.hippocampus.fragment_count == 0
    finally:
        await brain.close()


async def test_a_fragment_is_never_due_on_its_own() -> None:
    brain, clock = await long_note_brain()
    try:
        note = await brain.perceive(LONG_NOTE, gate=False, pinned=True)
        clock.advance(3600.0 * 24 * 365 * 5)  # long after an unpinned trace would have faded
        await brain.sleep()
        assert await brain.store.count(brain.namespace) == 1 + len(note.fragments)
    finally:
        await brain.close()


async def test_rewriting_a_long_text_replaces_its_fragments() -> None:
    brain, _ = await long_note_brain()
    try:
        note = await brain.perceive(LONG_NOTE, gate=False)
        shorter = await brain.perceive("The boathouse key is now with Ann.", gate=False, engram_id=note.engram_id)
        assert shorter.fragments == []
        assert await brain.store.count(brain.namespace) == 1
        assert brain.hippocampus.fragment_count == 0
    finally:
        await brain.close()


async def test_clear_counts_memories_not_fragments() -> None:
    brain, _ = await long_note_brain()
    try:
        await brain.perceive(LONG_NOTE, gate=False)
        assert await brain.clear() == 1
        assert await brain.store.count(brain.namespace) == 0
    finally:
        await brain.close()


async def test_short_texts_have_no_fragments() -> None:
    brain, _ = await long_note_brain()
    try:
        note = await brain.perceive("Ann: I adopted a puppy called Max last week!", gate=False)
        assert note.fragments == [] and (await brain.stats())["fragments"] == 0
    finally:
        await brain.close()


class FailsOnMore(FirstWords):
    """Embeds up to ``most`` texts at a time (one input, or a batch of inputs), and fails
    on more (a long text's fragments)."""

    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most

    def _embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) > self.most:
            raise RuntimeError("the model ran out of memory")
        return super()._embed(texts)


async def test_a_failure_to_embed_the_fragments_leaves_nothing_behind() -> None:
    config = NeuramConfig(fragment_words=50)
    brain = await Brain.create(path=":memory:", embedder=FailsOnMore(1), clock=ManualClock(START), config=config)
    try:
        with pytest.raises(RuntimeError, match="ran out of memory"):
            await brain.perceive(LONG_NOTE, gate=False)
        assert (len(brain.hippocampus), await brain.store.count(brain.namespace), await brain.list()) == (0, 0, [])
        await brain.perceive("A short note still goes in.", gate=False)
        assert await brain.store.count(brain.namespace) == 1
    finally:
        await brain.close()


async def test_a_batch_that_fails_midway_leaves_none_of_it_indexed() -> None:
    config = NeuramConfig(fragment_words=50)
    brain = await Brain.create(path=":memory:", embedder=FailsOnMore(2), clock=ManualClock(START), config=config)
    try:
        with pytest.raises(RuntimeError, match="ran out of memory"):  # the second input's fragments fail
            await brain.perceive_many(["A first short note.", LONG_NOTE], gate=False)
        assert (len(brain.hippocampus), await brain.store.count(brain.namespace)) == (0, 0)
        assert brain.working_memory == []
    finally:
        await brain.close()


# -- review findings: two workers, reloads, late wholes, paraphrase, fragment ids -----------
OTHER_NOTE = "Budget review. " + " ".join(f"Auditors checked invoice {i}; signed." for i in range(60)) + " Done."


async def test_a_rewrite_by_another_worker_deletes_the_fragments_it_never_indexed(tmp_path: object) -> None:
    path = f"{tmp_path}/m.db"
    first, _ = await long_note_brain(path)
    second, _ = await long_note_brain(path)
    try:
        note = await first.perceive(LONG_NOTE, gate=False)
        rewritten = await second.perceive(OTHER_NOTE, gate=False, engram_id=note.engram_id)  # without following first
        assert await second.store.count(second.namespace) == 1 + len(rewritten.fragments)
        assert (await first.stats())["fragments"] == len(rewritten.fragments)  # first follows the change
        [best] = await first.explain("where is the spare boathouse key hidden?", top_k=1)
        assert best.fragment_id is None or best.fragment_id in rewritten.fragments
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("same_text", [False, True])
async def test_a_reload_keeps_a_rewritten_texts_new_fragments_and_drops_its_old(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, same_text: bool
) -> None:
    monkeypatch.setattr("neuram_core.brain._LOAD_BATCH", 2)  # fragments load in pages apart from their whole
    path = f"{tmp_path}/m.db"
    first, _ = await long_note_brain(path)
    second, _ = await long_note_brain(path)
    try:
        note = await first.perceive(LONG_NOTE, gate=False)
        await second.stats()
        rewritten = await second.perceive(LONG_NOTE if same_text else OTHER_NOTE, gate=False, engram_id=note.engram_id)
        await first._reload_index()
        assert sorted(first.hippocampus.parts(note.engram_id)) == sorted(rewritten.fragments)
        assert first.hippocampus.fragment_count == len(rewritten.fragments)
        assert await first.forget(note.engram_id)
        assert await first.store.count(first.namespace) == 0
    finally:
        await first.close()
        await second.close()


def test_a_whole_indexed_after_its_fragment_is_recalled_through_it() -> None:
    hippocampus = Hippocampus(embeds=False, clock=ManualClock(START), config=NeuramConfig(lexical_weight=0.0))
    hippocampus.encode(memory("part", unit([0, 1, 0, 0]), "p1", fragment_of="w"))
    hippocampus.encode(memory("other", unit([0.6, 0.8, 0, 0]), "o"))
    assert [a.engram.engram_id for a in hippocampus.activate(unit([0, 1, 0, 0]), 2, spread=False)] == ["o"]
    hippocampus.encode(memory("whole", unit([1, 0, 0, 0]), "w", fragments=["p1"]))
    found = hippocampus.activate(unit([0, 1, 0, 0]), 2, spread=False)
    assert [(a.engram.engram_id, a.fragment) for a in found] == [("w", "p1"), ("o", None)]
    hippocampus.remove("o")
    hippocampus.encode(memory("p", unit([0, 0, 1, 0]), "p2", fragment_of="w2"))
    assert hippocampus.activate(unit([0, 0, 1, 0]), 1, limit=1, spread=False) == []  # its whole is not here yet
    hippocampus.encode_many([memory("whole again", unit([1, 0, 0, 0]), "w2")])  # a load's page
    assert [a.fragment for a in hippocampus.activate(unit([0, 0, 1, 0]), 1, limit=1, spread=False)] == ["p2"]


async def test_a_sentence_of_a_long_note_said_again_is_a_memory_of_its_own() -> None:
    colours = ["red", "blue", "green", "grey", "white", "black", "pink", "gold"]
    things = ["fence", "gate", "door", "shed", "roof", "wall", "bench", "boat"]
    filler = " ".join(f"the crew painted the {c} {t} and went home." for c in colours for t in things)
    last = (
        "the crew agreed that the old boathouse must be painted before the summer fair opens again with music "
        "and food stalls for the village families and their guests from the towns around the lake this year."
    )  # no name, no number: nothing tells it from the note but the note's other sentences
    brain, _ = await long_note_brain()
    try:
        note = await brain.perceive(f"{filler} {last}", "semantic", gate=False)
        assert brain.hippocampus.get(note.fragments[-1]).content == last  # type: ignore[union-attr]
        again = await brain.perceive(last, "semantic", gate=False)  # a paraphrase of that fragment, not of the note
        assert again.engram_id != note.engram_id and len(await brain.list()) == 2
    finally:
        await brain.close()


async def test_a_fragments_id_cannot_be_rewritten_or_stand_for_its_whole() -> None:
    brain, _ = await long_note_brain()
    try:
        note = await brain.perceive(LONG_NOTE, gate=False)
        with pytest.raises(ValueError, match="is a fragment of"):
            await brain.perceive("A short note.", gate=False, engram_id=note.fragments[0])
        with pytest.raises(ValueError, match="is a fragment of"):
            await brain.forget(note.fragments[0])
        assert await brain.store.count(brain.namespace) == 1 + len(note.fragments)
    finally:
        await brain.close()


async def test_sleep_sweeps_fragments_whose_whole_is_gone() -> None:
    brain, _ = await long_note_brain()
    try:
        note = await brain.perceive(LONG_NOTE, gate=False)
        kept = await brain.perceive(OTHER_NOTE, gate=False)
        await brain.store.delete(brain.namespace, [note.engram_id])  # as if the process died before its fragments
        brain.hippocampus.remove(note.engram_id, with_fragments=False)
        assert set(brain.hippocampus.orphans()) == {note.engram_id}
        await brain.sleep()
        assert await brain.store.count(brain.namespace) == 1 + len(kept.fragments)
        assert brain.hippocampus.orphans() == {} and brain.hippocampus.fragment_count == len(kept.fragments)
    finally:
        await brain.close()


async def test_a_very_long_text_shows_a_bar_on_a_terminal_and_reads_the_same(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet, _ = await long_note_brain()
    try:
        plain = await quiet.perceive(LONG_NOTE, gate=False)
        plain_vectors = [quiet.hippocampus.get(i).embedding.copy() for i in plain.fragments]  # type: ignore[union-attr]
    finally:
        await quiet.close()
    assert "reading a long text" not in capsys.readouterr().err  # not a terminal here
    monkeypatch.setattr("neuram_core.brain._FRAGMENT_PROGRESS_OVER", 3)  # batches of 3: 8 fragments in 3 calls
    monkeypatch.setattr("neuram_core.progress.wanted", lambda progress: True)
    loud, _ = await long_note_brain()
    try:
        shown = await loud.perceive(LONG_NOTE, gate=False)
        vectors = [loud.hippocampus.get(i).embedding for i in shown.fragments]  # type: ignore[union-attr]
        assert all(np.array_equal(a, b) for a, b in zip(plain_vectors, vectors, strict=True)) and len(vectors) == 8
    finally:
        await loud.close()
    assert "reading a long text" in capsys.readouterr().err


async def test_the_servers_sleep_history_counts_a_long_text_once() -> None:
    from neuram_server.history import SleepHistory

    brain, _ = await long_note_brain()
    history = SleepHistory()
    try:
        history.watch(brain)
        await brain.perceive(LONG_NOTE, gate=False)
        await brain.sleep()
        assert history.of(brain.namespace)[-1]["size"] == 1
    finally:
        await brain.close()
