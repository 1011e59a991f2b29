"""The LangChain adapters on neuram's shared seams: retention read at the moment of recall,
one metadata vocabulary, and LTP only on what a chat memory shows."""

from __future__ import annotations

import math
from typing import Any, TypeVar

import pytest
from langchain_core.documents import Document

from neuram_core import Brain, Engram, ManualClock, NeuramConfig, salience_boost
from neuram_core.plan import Plan, call, run_async, run_sync
from neuram_core.recalled import RECALL_KEYS
from neuram_langchain import NeuramChatMemory, NeuramRetriever

T = TypeVar("T")

FACT = "The office coffee machine is on the third floor"
VIOLIN = [f"Maria taught violin in {town} last year" for town in ("Lisbon", "Porto", "Braga")]


def after_one_recall(brain: Brain, before: Engram, hours: float) -> float:
    """The seed's LTP by hand: the stability ``before`` gains at its first recall after
    ``hours`` untouched (the same operations in the same order as the core, bit for bit)."""
    config = NeuramConfig()  # every brain of these tests runs the defaults (a server does too)
    retention = math.exp(-hours / before.stability)
    effort = config.ltp_effort_scale * math.expm1(config.ltp_effort_steepness * (1.0 - retention))
    boost = salience_boost(before.salience, config.salience_boost_base) * effort
    boost *= config.base_stability_hours[before.memory_type]
    return before.stability + config.ltp_rate * boost * math.log1p(1)


def snapshot(brain: Brain, ids: list[str]) -> dict[str, Engram]:
    return {i: brain.sync.get(i) for i in ids}


# -- NeuramRetriever: retention at the moment of recall ----------------------------------------


def test_retention_is_read_before_recall_strengthens(brain: Brain, clock: ManualClock) -> None:
    fact = brain.sync.perceive(FACT, gate=False, consolidate=True)
    clock.advance(hours=30)
    [doc] = NeuramRetriever(brain=brain, k=1).invoke("which floor is the coffee machine on")
    expected = math.exp(-30.0 / fact.stability)  # Ebbinghaus, R = e^(-t/S)
    assert doc.metadata["retention"] == expected < 1  # not 1.0: LTP restarted the curve after
    now = brain.sync.get(fact.engram_id)
    assert (now.access_count, now.last_accessed) == (1, clock.now())
    assert now.stability == after_one_recall(brain, fact, 30.0)
    assert doc.metadata["stability_hours"] == now.stability  # the memory as it now stands
    assert doc.metadata["access_count"] == 1


async def test_retention_is_read_before_recall_strengthens_async(async_only: Brain, clock: ManualClock) -> None:
    fact = await async_only.perceive(FACT, gate=False, consolidate=True)
    clock.advance(hours=12)
    [doc] = await NeuramRetriever(brain=async_only, k=1).ainvoke("coffee machine floor")
    assert doc.metadata["retention"] == math.exp(-12.0 / fact.stability) < 1
    assert (await async_only.get(fact.engram_id)).access_count == 1


def test_a_retriever_that_does_not_strengthen_only_looks(brain: Brain, clock: ManualClock) -> None:
    fact = brain.sync.perceive(FACT, gate=False, consolidate=True)
    clock.advance(hours=30)
    retriever = NeuramRetriever(brain=brain, k=1, strengthen=False)
    [first] = retriever.invoke("coffee machine floor")
    [again] = retriever.invoke("coffee machine floor")
    assert first.metadata["retention"] == again.metadata["retention"] == math.exp(-30.0 / fact.stability)
    now = brain.sync.get(fact.engram_id)
    assert (now.access_count, now.stability, now.last_accessed) == (0, fact.stability, fact.last_accessed)
    with pytest.raises(ValueError):
        NeuramRetriever(brain=brain, strengthen="yes")


# -- one metadata vocabulary ------------------------------------------------------------------


def test_documents_carry_neurams_keys_and_the_callers(brain: Brain) -> None:
    brain.sync.perceive(FACT, gate=False, metadata={"source": "wiki", "score": "five stars"})
    [doc] = NeuramRetriever(brain=brain, k=1).invoke("coffee machine")
    assert set(doc.metadata) == {*RECALL_KEYS, "source"}
    assert doc.metadata["source"] == "wiki"
    # neuram's key wins over the caller's of the same name; the engram still holds it.
    assert isinstance(doc.metadata["score"], float)
    assert brain.sync.get(doc.metadata["engram_id"]).metadata["score"] == "five stars"


def test_chat_history_internals_stay_out_of_documents(brain: Brain) -> None:
    NeuramChatMemory(brain=brain, session_id="s").save_context({"input": FACT}, {"output": "Good to know"})
    docs: list[Document] = NeuramRetriever(brain=brain, k=1).invoke("coffee machine")
    assert set(docs[0].metadata) == {*RECALL_KEYS, "role", "session_id"}


# -- NeuramChatMemory: LTP on what the prompt shows, nothing else --------------------------------


def _violin_brain(brain: Brain, clock: ManualClock) -> tuple[list[str], list[str]]:
    """Three long-term memories from another session, 30 hours old, and this session's
    fresh turn held in working memory. Returns (long-term ids, held ids)."""
    facts = [
        brain.sync.perceive(text, gate=False, consolidate=True, metadata={"session_id": "last-year"})
        for text in VIOLIN
    ]
    clock.advance(hours=30)
    memory = NeuramChatMemory(brain=brain, session_id="me")
    memory.save_context({"input": "Did Maria teach violin anywhere?"}, {"output": "I will check that"})
    held = [e.engram_id for e in brain.working_memory if e.metadata.get("session_id") == "me"]
    assert held
    return [f.engram_id for f in facts], held


def test_chat_memory_strengthens_only_the_memories_it_shows(brain: Brain, clock: ManualClock) -> None:
    facts, held = _violin_brain(brain, clock)
    before = snapshot(brain, facts + held)
    query = "Where did Maria teach violin?"
    looked = brain.sync.recall(query, top_k=1 + len(held), strengthen=False)
    assert set(held) <= {e.engram_id for e, _ in looked}  # over-fetched: looked at, not shown

    history = NeuramChatMemory(brain=brain, session_id="me", k=1).load_memory_variables({"input": query})["history"]
    shown = [i for i in facts if f"- {before[i].content}" in history]
    assert len(shown) == 1
    after = snapshot(brain, facts + held)
    for engram_id, engram in after.items():
        if engram_id in shown:
            assert engram.access_count == 1
            assert engram.stability == after_one_recall(brain, before[engram_id], 30.0)
        else:  # looked at (held turns, the other facts) but never shown: untouched
            assert (engram.access_count, engram.stability) == (0, before[engram_id].stability)


async def test_chat_memory_strengthens_only_what_it_shows_async(brain: Brain, clock: ManualClock) -> None:
    facts, held = _violin_brain(brain, clock)
    before = snapshot(brain, facts + held)
    memory = NeuramChatMemory(brain=brain, session_id="me", k=2)
    history = (await memory.aload_memory_variables({"input": "Where did Maria teach violin?"}))["history"]
    counts = {i: (await brain.get(i)).access_count for i in facts + held}
    shown = {i for i in facts if before[i].content in history}
    assert len(shown) == 2
    assert counts == {i: int(i in shown) for i in facts + held}


def forgetting_before_rehearse(plan: Plan[T], brain: Brain, engram_id: str) -> Plan[T]:
    """``plan`` as it is, except that ``engram_id`` is forgotten just before its first
    rehearse, as another process might (whatever ``forget`` returns, it exists here)."""
    result: Any = None
    error: Exception | None = None
    forgotten = False
    while True:
        try:
            step = plan.send(result) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if step.method == "rehearse" and not forgotten:
            forgotten = True
            yield call(brain, "forget", engram_id)
        result, error = None, None
        try:
            result = yield step
        except Exception as exc:
            error = exc


@pytest.mark.parametrize("driver", ["sync", "async"])
async def test_a_memory_forgotten_between_look_and_rehearse_is_still_shown(
    brain: Brain, clock: ManualClock, driver: str
) -> None:
    facts, _held = _violin_brain(brain, clock)
    memory = NeuramChatMemory(brain=brain, session_id="me", k=2)
    inputs = {"input": "Where did Maria teach violin?"}
    looked = brain.sync.recall(inputs["input"], top_k=3, strengthen=False)
    gone, kept = [e.engram_id for e, _ in looked if e.engram_id in facts]  # what k=2 will show
    before = brain.sync.get(kept).access_count
    plan = forgetting_before_rehearse(memory._load(inputs), brain, gone)
    loaded = run_sync(plan) if driver == "sync" else await run_async(plan)
    assert VIOLIN[facts.index(gone)] in loaded["history"]  # still shown, no failure
    assert brain.sync.get(kept).access_count == before + 1  # the rest still strengthened
    assert gone not in {e.engram_id for e in brain.sync.list()}
