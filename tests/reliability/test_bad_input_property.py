"""Property-based bad input over the public API: every call either works or raises our
documented errors (ValueError / TypeError, incl. UnknownEngramError), and a failed call
writes nothing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, SyncBrain

DOCUMENTED = (ValueError, TypeError)
EXAMPLES = 150

any_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=50),
    st.sampled_from(["", " ", "\x00", "\ud800", "a\udfffb", "\n\t\r", "🧠" * 50]),
    st.just(200_000).map(lambda n: "huge " * n),
)
any_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([float("nan"), float("inf"), -0.0, 1e308, -1e-308]),
)
anything = st.one_of(
    any_text, any_number, st.none(), st.booleans(), st.binary(max_size=20), st.lists(st.integers(), max_size=3)
)
hashable = st.one_of(any_text, st.integers(), st.none(), st.booleans(), st.floats())
memory_types = st.one_of(
    st.none(), st.sampled_from(["episodic", "SEMANTIC", "Procedural", "habitual", "dream", ""]), anything
)


@pytest.fixture(scope="module")
def memory() -> Iterator[SyncBrain]:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
    with brain.sync as sync:
        yield sync


def snapshot(memory: SyncBrain) -> tuple[int, int, int]:
    brain = memory.brain
    return len(brain.hippocampus), len(brain.working_memory), brain.call_blocking(brain.store.count(brain.namespace))


def attempt(memory: SyncBrain, call: Any, *args: Any, **kwargs: Any) -> object:
    before = snapshot(memory)
    try:
        return call(*args, **kwargs)
    except DOCUMENTED:
        assert snapshot(memory) == before, "a rejected call wrote something"
        return None


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=anything,
    memory_type=memory_types,
    salience=st.one_of(st.none(), any_number, anything),
    reward=st.one_of(st.none(), any_number),
    metadata=st.one_of(st.none(), anything, st.dictionaries(hashable, anything, max_size=2)),
)
def test_perceive(memory: SyncBrain, content: Any, memory_type: Any, salience: Any, reward: Any, metadata: Any) -> None:
    result = attempt(
        memory, memory.perceive, content, memory_type=memory_type, salience=salience, reward=reward, metadata=metadata
    )
    if result is not None:
        assert isinstance(result, Engram)
        assert 0.0 <= result.salience <= 1.0 and math.isfinite(result.stability)
        assert result.filtered or result.engram_id in memory.brain.hippocampus


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=anything,
    top_k=st.one_of(st.none(), any_number, anything),
    since=st.one_of(st.none(), any_number),
    until=st.one_of(st.none(), any_number),
    memory_type=memory_types,
)
def test_recall(memory: SyncBrain, query: Any, top_k: Any, since: Any, until: Any, memory_type: Any) -> None:
    memory.perceive("a sturdy memory about lighthouses and ships", memory_type="semantic")
    result = attempt(memory, memory.recall, query, top_k=top_k, since=since, until=until, memory_type=memory_type)
    if result is not None:
        assert isinstance(result, list) and all(isinstance(e, Engram) for e, _ in result)
        assert all(math.isfinite(score) for _, score in result)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(engram_id=anything, reward=st.one_of(any_number, anything))
def test_ids_and_rewards(memory: SyncBrain, engram_id: Any, reward: Any) -> None:
    assert attempt(memory, memory.get, engram_id) is None  # random ids are never known
    forgotten = attempt(memory, memory.forget, engram_id)
    assert forgotten is None or forgotten is False  # rejected, or well formed and not there
    attempt(memory, memory.reinforce, engram_id, reward)


@settings(max_examples=60, deadline=None)
@given(namespace=anything, path=st.sampled_from([":memory:"]), interval=st.one_of(st.none(), any_number))
def test_create(namespace: Any, path: str, interval: Any) -> None:
    try:
        brain = Brain.open(path=path, namespace=namespace, embedder=HashingEmbedder(), sleep_interval_seconds=interval)
    except DOCUMENTED:
        return
    brain.sync.close()
