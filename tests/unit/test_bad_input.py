"""Bad input gets a clear ValueError/TypeError, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from neuram_core import Brain, HashingEmbedder, NeuramConfig, UnknownEngramError


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"content": ""}, ValueError, "content is empty"),
        ({"content": "   \n\t"}, ValueError, "content is empty"),
        ({"content": 42}, TypeError, "content must be a str"),
        ({"content": None}, TypeError, "content must be a str"),
        ({"content": "bad \ud800 surrogate text here"}, ValueError, "not valid UTF-8 text at byte 4"),
        ({"content": "a fine sentence about cats", "salience": float("nan")}, ValueError, "salience must be finite"),
        ({"content": "a fine sentence about cats", "salience": float("inf")}, ValueError, "finite"),
        ({"content": "a fine sentence about cats", "salience": 1.5}, ValueError, r"salience must lie in \[0, 1\]"),
        ({"content": "a fine sentence about cats", "salience": -0.1}, ValueError, "salience"),
        ({"content": "a fine sentence about cats", "salience": "high"}, TypeError, "salience must be a number"),
        ({"content": "a fine sentence about cats", "salience": True}, TypeError, "salience must be a number"),
        ({"content": "a fine sentence about cats", "reward": 2.0}, ValueError, r"reward must lie in \[-1, 1\]"),
        ({"content": "a fine sentence about cats", "reward": float("-inf")}, ValueError, "reward"),
        ({"content": "a fine sentence about cats", "memory_type": "dream"}, ValueError,
         "unknown memory type .dream.; expected one of episodic, semantic, procedural, habitual"),
        ({"content": "a fine sentence about cats", "memory_type": 3}, TypeError, "memory_type"),
        ({"content": "a fine sentence about cats", "metadata": ["x"]}, TypeError, "metadata must be a dict"),
        ({"content": "a fine sentence about cats", "metadata": {1: "x"}}, TypeError, "keys must be str"),
        ({"content": "a fine sentence about cats", "metadata": {"x": object()}}, ValueError, "JSON"),
        ({"content": "a fine sentence about cats", "metadata": {"x": float("nan")}}, ValueError, "JSON"),
        ({"content": "a fine sentence about cats", "metadata": {"x": 10**400}}, ValueError, "outside the 64-bit"),
        ({"content": "a fine sentence about cats", "metadata": {"x": 2**64}}, ValueError, r"metadata\['x'\] is an"),
        ({"content": "cats", "metadata": {"a": [1, {"b": -(2**63) - 1}]}}, ValueError, r"metadata\['a'\]\[1\]\['b'\]"),
        ({"content": "a fine sentence about cats", "engram_id": ""}, ValueError, "invalid engram id"),
        ({"content": "a fine sentence about cats", "engram_id": "a/b"}, ValueError, "an id holds no '/'"),
        ({"content": "a fine sentence about cats", "engram_id": ".."}, ValueError, "is not '.' or '..'"),
    ],
)
async def test_perceive_rejects_bad_input_and_stores_nothing(
    brain: Brain, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        await brain.perceive(**kwargs)
    assert await brain.list() == []
    assert brain.working_memory == []
    assert await brain.store.count(brain.namespace) == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"query": ""}, ValueError, "query is empty"),
        ({"query": b"bytes"}, TypeError, "query must be a str"),
        ({"query": "cats", "top_k": -1}, ValueError, "top_k must be >= 0"),
        ({"query": "cats", "top_k": 2.5}, TypeError, "top_k must be an int"),
        ({"query": "cats", "memory_type": "nope"}, ValueError, "unknown memory type"),
        ({"query": "cats", "since": "yesterday"}, TypeError, "since must be a number"),
        ({"query": "cats", "until": float("nan")}, ValueError, "until must be finite"),
    ],
)
async def test_recall_rejects_bad_input(
    brain: Brain, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    await brain.perceive("cats sleep most of the day", memory_type="semantic")
    with pytest.raises(error, match=match):
        await brain.recall(**kwargs)
    assert (await brain.list())[0].access_count == 0  # nothing strengthened


async def test_unknown_ids_and_bad_rewards(brain: Brain) -> None:
    assert await brain.forget("nope") is False  # unknown, not malformed: as in neuram 0.1.0
    with pytest.raises(ValueError):
        await brain.get("nope")
    with pytest.raises(UnknownEngramError):
        await brain.reinforce("nope", 0.5)
    with pytest.raises(TypeError):
        await brain.forget(123)  # type: ignore[arg-type]
    engram = await brain.perceive("dogs bark at the mail carrier", memory_type="semantic")
    with pytest.raises(ValueError, match="reward"):
        await brain.reinforce(engram.engram_id, float("nan"))
    assert (await brain.get(engram.engram_id)).stability == engram.stability


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"namespace": ""}, ValueError),
        ({"namespace": 5}, TypeError),
        ({"namespace": "team/ada"}, ValueError),  # a REST path cannot carry it
        ({"namespace": "ada\x00"}, ValueError),
        ({"config": {"ltp_rate": 1}}, TypeError),
        ({"clock": "now"}, TypeError),
        ({"embedder": 3.5}, TypeError),
        ({"redis_url": 6379}, TypeError),
        ({"path": ":memory:", "redis_url": "redis://x"}, ValueError),
        ({"sleep_interval_seconds": -1.0}, ValueError),
    ],
)
async def test_create_rejects_bad_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    if "redis_url" not in kwargs:
        kwargs.setdefault("path", ":memory:")
    with pytest.raises(error):
        await Brain.create(**kwargs)


async def test_a_namespace_every_door_reaches() -> None:
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder())
    try:
        with pytest.raises(ValueError, match="holds '/': use another separator"):
            brain.for_namespace("team/ada")
        with pytest.raises(ValueError, match="holds a control character"):
            brain.for_namespace("ada\nbob")
        for step in (".", ".."):
            with pytest.raises(ValueError, match="is a path step"):
                brain.for_namespace(step)
        assert brain.for_namespace("team:ada ä").namespace == "team:ada ä"
        assert brain.for_namespace("...").namespace == "..."
    finally:
        await brain.close()


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        NeuramConfig(working_memory_capacity=0)
    with pytest.raises(TypeError):
        NeuramConfig(default_top_k="5")  # type: ignore[arg-type]


async def test_metadata_integers_at_the_64_bit_edges_come_back_exactly(tmp_path: Any) -> None:
    """A store reads JSON with orjson: up to 2**64 - 1 and down to -2**63 an integer comes
    back as itself after a reopen (past them it would come back a float, or not at all)."""
    edges = {"top": 2**64 - 1, "bottom": -(2**63), "list": [2**63, -1]}
    path = tmp_path / "m.db"
    brain = await Brain.create(path=path, embedder=HashingEmbedder())
    engram = await brain.perceive("a note with large numbers in it", metadata=edges, gate=False, consolidate=True)
    await brain.close()
    again = await Brain.create(path=path, embedder=HashingEmbedder())
    try:
        back = await again.get(engram.engram_id)
        assert back is not None and back.metadata == edges
        assert [type(v) for v in back.metadata["list"]] == [int, int]
    finally:
        await again.close()


async def test_an_id_stored_before_the_rule_can_still_be_rewritten(tmp_path: Any) -> None:
    """New ids hold no "/" (no REST path carries one); an id an older version stored keeps
    working: read, rewritten in place, forgotten."""
    from neuram_core import Engram, MemoryType

    path = tmp_path / "m.db"
    brain = await Brain.create(path=path, embedder=HashingEmbedder())
    old = Engram("the legacy note about the blue key", MemoryType.SEMANTIC, 0.5, engram_id="legacy/1")
    old.embedding = brain.embedder.embed([old.content])[0]
    await brain.store.put(brain.namespace, [(old, 1e12)])
    await brain.close()
    brain = await Brain.create(path=path, embedder=HashingEmbedder())
    try:
        rewritten = await brain.perceive("the legacy note, now about the red key", engram_id="legacy/1", gate=False)
        assert rewritten.engram_id == "legacy/1" and (await brain.get("legacy/1")) is not None
        with pytest.raises(ValueError, match="an id holds no '/'"):
            await brain.perceive("a new note with a slash id", engram_id="new/1", gate=False)
        assert await brain.forget("legacy/1")
    finally:
        await brain.close()
