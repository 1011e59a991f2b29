"""perceive_many: bulk perceive with batched embedding, the same per-input path as perceive."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock, MemoryType
from neuram_core.engram import Vector

TEXTS = [
    "the quarterly budget review moved to thursday afternoon",
    "haha ok thanks!",
    "Alice prefers tea over coffee in the morning",
    "the staging server database backup runs nightly at two",
    "Paris is the capital of France",
]


class CountingEmbedder(HashingEmbedder):
    """A hashing embedder that records every batch it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> Vector:
        self.calls.append(list(texts))
        return super().embed(texts)


@pytest.fixture
async def counting(clock: ManualClock) -> tuple[Brain, CountingEmbedder]:
    embedder = CountingEmbedder()
    brain = await Brain.create(path=":memory:", embedder=embedder, clock=clock)
    yield brain, embedder
    await brain.close()


async def test_one_embedding_call_for_the_batch_and_one_engram_per_input(
    counting: tuple[Brain, CountingEmbedder],
) -> None:
    brain, embedder = counting
    engrams = await brain.perceive_many(TEXTS)
    assert [e.content for e in engrams] == TEXTS
    # The phatic input is dropped by the Thalamus before embedding: one call, four texts.
    assert embedder.calls == [[t for t in TEXTS if t != "haha ok thanks!"]]
    assert [e.filtered_reason for e in engrams] == [None, "phatic", None, None, None]
    assert (await brain.stats())["filtered"] == 1
    kept = [e for e in engrams if not e.filtered]
    assert {e.engram_id for e in await brain.list()} == {e.engram_id for e in kept}
    for engram in kept:
        assert engram.embedding is not None
        np.testing.assert_allclose(engram.embedding, HashingEmbedder().embed([engram.content])[0], rtol=1e-6)


async def test_same_result_as_perceive_one_by_one(clock: ManualClock) -> None:
    async def run(bulk: bool) -> list[tuple[str, str, float, float, list[float], str | None]]:
        brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock(clock.now()))
        try:
            if bulk:
                engrams = await brain.perceive_many(TEXTS)
            else:
                engrams = [await brain.perceive(t) for t in TEXTS]
            index = {e.engram_id: i for i, e in enumerate(engrams)}
            return [
                (
                    e.content,
                    e.memory_type.value,
                    e.salience,
                    e.stability,
                    sorted(round(w, 9) for _, w in e.associations),
                    e.filtered_reason,
                )
                for e in engrams
            ] + [("links", str(sorted(index[i] for i, _ in e.associations)), 0, 0, [], None) for e in engrams]
        finally:
            await brain.close()

    assert await run(bulk=True) == await run(bulk=False)


async def test_recall_finds_bulk_perceived_memories(brain: Brain) -> None:
    await brain.perceive_many(TEXTS, memory_type="semantic")
    found = await brain.recall("what is the capital of France", top_k=1)
    assert found[0][0].content == "Paris is the capital of France"
    assert found[0][0].memory_type is MemoryType.SEMANTIC


async def test_type_salience_and_metadata(brain: Brain) -> None:
    engrams = await brain.perceive_many(TEXTS[:1] + TEXTS[2:3], memory_type="habitual", salience=0.9, metadata={"k": 1})
    assert all(e.memory_type is MemoryType.HABITUAL and e.salience == 0.9 for e in engrams)
    assert [e.metadata for e in engrams] == [{"k": 1}, {"k": 1}]
    engrams[0].metadata["k"] = 2  # each engram has its own copy
    assert engrams[1].metadata == {"k": 1}
    per_item = await brain.perceive_many(TEXTS[3:5], metadata=[{"i": 0}, {"i": 1}])
    assert [e.metadata for e in per_item] == [{"i": 0}, {"i": 1}]


async def test_gate_false_keeps_everything_and_duplicates_are_recognised(brain: Brain) -> None:
    engrams = await brain.perceive_many(["haha ok thanks!", TEXTS[0], TEXTS[0]], gate=False)
    assert not any(e.filtered for e in engrams)
    assert engrams[1].engram_id == engrams[2].engram_id  # heard twice: rehearsed, not copied
    assert engrams[2].access_count == 1
    assert len(await brain.list()) == 2


async def test_focus_filters_off_task_input_with_the_batch_embeddings(
    counting: tuple[Brain, CountingEmbedder],
) -> None:
    brain, embedder = counting
    await brain.focus("planning the product launch marketing budget")
    embedder.calls.clear()
    engrams = await brain.perceive_many(["the launch marketing budget is 40k", "my cat likes sardines very much"])
    assert [e.filtered_reason for e in engrams] == [None, "off_task"]
    assert len(embedder.calls) == 1


async def test_bad_input_is_rejected_before_anything_is_stored(brain: Brain) -> None:
    with pytest.raises(TypeError):
        await brain.perceive_many("one string")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await brain.perceive_many([TEXTS[0], "   "])
    with pytest.raises(TypeError):
        await brain.perceive_many([TEXTS[0], 3])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        await brain.perceive_many(TEXTS[:2], metadata=[{"a": 1}])
    with pytest.raises(ValueError):
        await brain.perceive_many(TEXTS[:1], salience=2.0)
    with pytest.raises(ValueError):
        await brain.perceive_many(TEXTS[:1], memory_type="dream")
    assert await brain.list() == []
    assert await brain.perceive_many([]) == []


async def test_batches_larger_than_one_embedding_call_and_a_progress_bar(
    counting: tuple[Brain, CountingEmbedder], capsys: pytest.CaptureFixture[str]
) -> None:
    brain, embedder = counting
    texts = [f"note {i} about the garden kitchen recipe and dinner plans" for i in range(1100)]
    engrams = await brain.perceive_many(texts, progress=True)
    assert len(engrams) == 1100 and len({e.engram_id for e in engrams}) == 1100
    assert [len(c) for c in embedder.calls] == [512, 512, 76]
    assert len(brain.hippocampus) == 1100
    assert "1100/1100" in capsys.readouterr().err


def test_sync_facade(clock: ManualClock) -> None:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    try:
        engrams = brain.sync.perceive_many(TEXTS[:1] + TEXTS[2:])
        assert len(engrams) == 4 and len(brain.sync.list()) == 4
    finally:
        brain.sync.close()


def test_hippocampus_encode_many_indexes_like_encode_one_by_one() -> None:
    """The bulk path that loads a namespace leaves the index exactly as encode() would."""
    from neuram_core import Engram, Hippocampus

    rng = np.random.default_rng(3)
    kinds = list(MemoryType)

    def engrams() -> list[Engram]:
        out = []
        for i in range(300):
            vector = rng.standard_normal(16).astype(np.float32)
            out.append(
                Engram(
                    content=f"text {i % 250}",
                    memory_type=kinds[i % 4],
                    salience=0.5,
                    embedding=vector / np.linalg.norm(vector),
                    engram_id=f"id{i}",
                    encoded_at=float(i),
                    associations=[(f"id{i - 1}", 0.9), (f"elsewhere{i}", 0.5)] if i else [],
                )
            )
        return out

    one, many = Hippocampus(HashingEmbedder(16)), Hippocampus(HashingEmbedder(16))
    first = engrams()
    rng = np.random.default_rng(3)
    second = engrams()
    for engram in first[:120]:
        one.encode(engram, pending=True)
    for engram in first[100:]:  # 20 re-encoded
        one.encode(engram, pending=False)
    many.encode_many(second[:120], pending=True)
    for start in range(100, 300, 64):
        many.encode_many(second[start : start + 64], pending=False)
    n = len(one)
    assert len(many) == n == 300
    assert one._ids == many._ids and one._rows == many._rows
    np.testing.assert_array_equal(one._matrix[:n], many._matrix[:n])
    np.testing.assert_array_equal(one._types[:n], many._types[:n])
    np.testing.assert_array_equal(one._encoded_at[:n], many._encoded_at[:n])
    linked = [*one._ids, *(f"elsewhere{i}" for i in range(300))]
    assert [one.neighbours(i) for i in linked] == [many.neighbours(i) for i in linked]
    assert one._by_content == many._by_content
    assert list(one.pending) == list(many.pending)
    query = second[7].embedding
    assert [(e.engram_id, s) for e, s in one.complete(query, 5, now=400.0)] == [
        (e.engram_id, s) for e, s in many.complete(query, 5, now=400.0)
    ]
    with pytest.raises(ValueError):
        many.encode_many([Engram(content="x", memory_type=MemoryType.SEMANTIC, salience=0.5, embedding=np.ones(8))])
