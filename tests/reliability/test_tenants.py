"""For any two distinct namespaces, nothing perceived in one is ever recalled, listed,
forgotten or pruned through the other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuram_core import Brain, HashingEmbedder, ManualClock, UnknownEngramError

TRICKY = ["alice", "a*", "al{ice}", "x:y", "a", "a:", "{a}", "*", "?", "[a-z]", "a\\", "%2A", "default", "ä", "a b"]
namespaces = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="/"), min_size=1, max_size=30)
    .filter(lambda name: name.strip() and name not in {".", ".."}),
)  # every name a namespace may have (check_namespace refuses "/", control characters, "." and "..")


@pytest.fixture(scope="module")
def root() -> Iterator[Brain]:
    brain = Brain.open(path=":memory:", embedder=HashingEmbedder(), clock=ManualClock())
    yield brain
    brain.sync.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=st.lists(namespaces, min_size=2, max_size=2, unique=True))
def test_two_namespaces_never_see_each_other(root: Brain, pair: list[str]) -> None:
    ours, theirs = (root.for_namespace(ns).sync for ns in pair)
    ours.clear()
    theirs.clear()
    secret = ours.perceive(f"the secret of {pair[0]!r} is a purple lighthouse", memory_type="semantic")
    ours.sleep()
    assert theirs.recall("secret purple lighthouse", top_k=50) == []
    assert theirs.list() == []
    with pytest.raises(UnknownEngramError):
        theirs.get(secret.engram_id)
    assert theirs.forget(secret.engram_id) is False  # not theirs to forget
    theirs.brain.clock.advance(days=10_000)  # type: ignore[attr-defined]
    assert theirs.sleep()["pruned_ltm"] == 0  # their sleep never prunes our memories
    assert [e.engram_id for e in ours.list()] == [secret.engram_id]
    ours.clear()
