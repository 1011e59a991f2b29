"""The LlamaIndex adapters on neuram's shared seams: one plan per method driven sync or
async, retention read at the moment of recall, one metadata vocabulary, and LTP only on
what a memory shows."""

from __future__ import annotations

import math
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.schema import MetadataMode

from neuram_core import Brain, Engram, ManualClock, NeuramConfig, UnknownEngramError, salience_boost
from neuram_core.plan import Plan, call, run_async, run_sync
from neuram_core.recalled import RECALL_KEYS, rehearse_shown
from neuram_llamaindex import NeuramMemory, NeuramMemoryBlock, NeuramRetriever, engram_to_node

COLOUR = "My favourite colour is teal and I keep bees in the garden."
FAVOURITES = [
    COLOUR,
    "My favourite food is ramen with a soft egg.",
    "My favourite city to visit is Kyoto in autumn.",
]
QUESTION = "Which colour do I like best?"


@pytest.fixture
def async_only(brain: Brain, monkeypatch: pytest.MonkeyPatch) -> Brain:
    """The brain, with ``brain.sync`` made to fail: proves an async path is native."""

    def refuse(self: Brain) -> Any:
        raise AssertionError("an async adapter method went through brain.sync")

    monkeypatch.setattr(type(brain), "sync", property(refuse))
    return brain


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


def after_one_recall(brain: Brain, before: Engram, hours: float) -> float:
    """The seed's LTP by hand: the stability ``before`` gains at its first recall after
    ``hours`` untouched (the same operations in the same order as the core, bit for bit)."""
    config = NeuramConfig()  # every brain of these tests runs the defaults (a server does too)
    retention = math.exp(-hours / before.stability)
    effort = config.ltp_effort_scale * math.expm1(config.ltp_effort_steepness * (1.0 - retention))
    boost = salience_boost(before.salience, config.salience_boost_base) * effort
    boost *= config.base_stability_hours[before.memory_type]
    return before.stability + config.ltp_rate * boost * math.log1p(1)


def learn(brain: Brain, clock: ManualClock, hours: float = 30.0) -> list[Engram]:
    """The favourites, long-term, then ``hours`` pass."""
    learned = [brain.sync.perceive(text, gate=False, consolidate=True) for text in FAVOURITES]
    clock.advance(hours=hours)
    return learned


# -- the plan driver ----------------------------------------------------------------------------


def _lookup(brain: Brain, engram_id: str) -> Plan[str]:
    """A plan that handles a failed call: the error is thrown back into it."""
    try:
        engram = yield call(brain, "get", engram_id)
    except UnknownEngramError:
        return "unknown"
    return str(engram.content)


async def test_one_plan_runs_sync_and_async(brain: Brain) -> None:
    engram = await brain.perceive(COLOUR, gate=False)
    assert run_sync(_lookup(brain, engram.engram_id)) == await run_async(_lookup(brain, engram.engram_id)) == COLOUR
    assert run_sync(_lookup(brain, "nope")) == await run_async(_lookup(brain, "nope")) == "unknown"
    with pytest.raises(ValueError):
        call(brain, "_embed", "text")  # plans reach public methods only


async def test_memory_get_and_aget_are_one_plan(brain: Brain, clock: ManualClock) -> None:
    learn(brain, clock)
    chat = [user("I am planning the garden this weekend."), user(QUESTION)]
    sync_memory = NeuramMemory.from_defaults(brain=brain, chat_history=chat, similarity_top_k=1)
    async_memory = NeuramMemory.from_defaults(brain=brain, chat_history=chat, similarity_top_k=1)
    got = sync_memory.get()
    assert got == await async_memory.aget()
    assert COLOUR in (got[0].content or "")


async def test_llamaindex_async_paths_never_touch_the_sync_facade(async_only: Brain) -> None:
    for text in FAVOURITES:
        await async_only.perceive(text, gate=False)
    hits = await NeuramRetriever(async_only, similarity_top_k=1).aretrieve(QUESTION)
    assert [h.node.get_content() for h in hits] == [COLOUR]
    memory = NeuramMemory.from_defaults(brain=async_only, session_id="alice", similarity_top_k=1)
    await memory.session_brain.perceive(COLOUR, gate=False)
    await memory.aput(user(QUESTION))
    assert sorted(e.content for e in await memory.session_brain.list()) == sorted([COLOUR, QUESTION])
    assert (await memory.aget())[0].content == memory.memory_prompt.replace("{memories}", f"- {COLOUR}")
    block = NeuramMemoryBlock(brain=async_only, similarity_top_k=1, session_scoped=False)
    await block.aput([user("I keep three hives of bees on the roof.")])
    assert await block.aget([user(QUESTION)]) == f"- {COLOUR}"


# -- NeuramRetriever: retention at the moment of recall, one vocabulary ----------------------


def test_retention_is_the_ebbinghaus_value_at_recall(brain: Brain, clock: ManualClock) -> None:
    colour = learn(brain, clock)[0]
    [hit] = NeuramRetriever(brain, similarity_top_k=1).retrieve(QUESTION)
    assert hit.node.metadata["retention"] == math.exp(-30.0 / colour.stability) < 1
    now = brain.sync.get(colour.engram_id)
    assert (now.access_count, now.stability) == (1, after_one_recall(brain, colour, 30.0))
    assert hit.node.metadata["stability_hours"] == now.stability


async def test_retention_at_recall_async_and_without_strengthening(async_only: Brain, clock: ManualClock) -> None:
    colour = await async_only.perceive(COLOUR, gate=False, consolidate=True)
    clock.advance(hours=50)
    looking = NeuramRetriever(async_only, similarity_top_k=1, strengthen=False)
    [first] = await looking.aretrieve(QUESTION)
    [again] = await looking.aretrieve(QUESTION)
    assert first.node.metadata["retention"] == again.node.metadata["retention"] == math.exp(-50.0 / colour.stability)
    now = await async_only.get(colour.engram_id)
    assert (now.access_count, now.stability) == (0, colour.stability)
    with pytest.raises(TypeError):
        NeuramRetriever(async_only, strengthen=1)  # type: ignore[arg-type]


def test_nodes_carry_neurams_keys_and_the_callers(brain: Brain) -> None:
    brain.sync.perceive(COLOUR, gate=False, metadata={"source": "chat", "retention": "forever"})
    [hit] = NeuramRetriever(brain, similarity_top_k=1).retrieve(QUESTION)
    meta = hit.node.metadata
    assert set(meta) == {*RECALL_KEYS, "source"}
    assert meta["score"] == hit.score
    assert isinstance(meta["retention"], float)  # ours wins; the engram keeps its own
    assert brain.sync.get(meta["engram_id"]).metadata["retention"] == "forever"
    prompt = hit.node.get_content(metadata_mode=MetadataMode.LLM)
    assert "memory_type" in prompt and "source" in prompt
    assert not [key for key in RECALL_KEYS if key != "memory_type" and f"{key}:" in prompt]


def test_engram_to_node_defaults_retention_to_the_last_read(brain: Brain) -> None:
    engram = brain.sync.perceive(COLOUR, gate=False)
    node = engram_to_node(engram, 0.5)
    assert node.node.metadata["retention"] == engram.synaptic_strength
    assert engram_to_node(engram, retention=0.25).node.metadata["retention"] == 0.25


def test_both_adapters_speak_the_same_vocabulary(brain: Brain) -> None:
    pytest.importorskip("langchain_core")
    from neuram_langchain import NeuramRetriever as LangChainRetriever

    brain.sync.perceive(COLOUR, gate=False, metadata={"source": "chat"})
    [node] = NeuramRetriever(brain, similarity_top_k=1, strengthen=False).retrieve(QUESTION)
    [doc] = LangChainRetriever(brain=brain, k=1, strengthen=False).invoke(QUESTION)
    assert node.node.metadata == doc.metadata
    assert set(doc.metadata) == {*RECALL_KEYS, "source"}


# -- memories: LTP on what the prompt shows, nothing else ----------------------------------------


def _chat_in_view(memory: NeuramMemory, brain: Brain) -> str:
    """Put a user message that matches the question; returns its engram id (it is in view)."""
    memory.put(user("Teal or navy, which colour do I like best for the garden?"))
    [engram] = [e for e in memory.session_brain.sync.list() if e.content.startswith("Teal or navy")]
    return engram.engram_id


@pytest.mark.parametrize("driver", ["sync", "async"])
async def test_memory_strengthens_only_what_it_shows(brain: Brain, clock: ManualClock, driver: str) -> None:
    learned = learn(brain, clock)
    memory = NeuramMemory.from_defaults(brain=brain, similarity_top_k=1)
    in_view = _chat_in_view(memory, brain)
    ids = [e.engram_id for e in learned] + [in_view]
    looked = brain.sync.recall(QUESTION, top_k=2, strengthen=False)
    assert in_view in {e.engram_id for e, _ in looked}  # over-fetched: looked at, never shown

    messages = memory.get(QUESTION) if driver == "sync" else await memory.aget(QUESTION)
    assert f"- user: {COLOUR}" not in (messages[0].content or "")  # perceived directly: no role
    assert f"- {COLOUR}" in (messages[0].content or "")
    after = {i: brain.sync.get(i) for i in ids}
    assert after[learned[0].engram_id].access_count == 1
    assert after[learned[0].engram_id].stability == after_one_recall(brain, learned[0], 30.0)
    assert [after[i].access_count for i in ids[1:]] == [0, 0, 0]


async def test_memory_block_strengthens_only_what_it_shows(brain: Brain, clock: ManualClock) -> None:
    learned = learn(brain, clock)
    block = NeuramMemoryBlock(brain=brain, similarity_top_k=2, session_scoped=False)
    chat = [user("Teal or navy, which colour do I like best for the garden?")]
    await block.aput(chat)
    shown = await block.aget([*chat, user(QUESTION)])
    counts = {e.content: (await brain.get(e.engram_id)).access_count for e in learned}
    assert counts == {text: int(f"- {text}" in shown) for text in FAVOURITES}
    assert sum(counts.values()) == 2
    [said] = [e for e in await brain.list() if e.content.startswith("Teal or navy")]
    assert said.access_count == 0  # in view, so looked at but not shown


async def test_a_memory_forgotten_before_rehearsal_is_skipped_not_fatal(brain: Brain, clock: ManualClock) -> None:
    kept, gone, _ = learn(brain, clock)
    await brain.forget(gone.engram_id)  # as if another process forgot it after the look
    fresh = run_sync(rehearse_shown(brain, [gone, kept]))
    assert list(fresh) == [kept.engram_id] and fresh[kept.engram_id].access_count == 1
    again = await run_async(rehearse_shown(brain, [kept, gone]))
    assert again[kept.engram_id].access_count == 2
    assert await run_async(rehearse_shown(brain, [gone])) == {}
