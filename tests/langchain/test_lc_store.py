"""NeuramStore behaves like LangGraph's InMemoryStore on the same operations, maps
namespaces onto neuram's, and serves a real create_agent through runtime.store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.tools import ToolRuntime, tool
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchOp,
)
from langgraph.store.memory import InMemoryStore

from neuram_core import Brain, ManualClock, MemoryType
from neuram_langchain import NeuramStore

from .conftest import HashingEmbeddings, ToolCallingFakeModel

ITEMS: list[tuple[tuple[str, ...], str, dict[str, Any]]] = [
    (("users", "alice", "memories"), "m1", {"text": "Alice likes green tea", "kind": "pref", "n": 3}),
    (("users", "alice", "memories"), "m2", {"text": "Alice is a nurse in Ghent", "kind": "fact", "n": 7}),
    (("users", "alice", "profile"), "name", {"text": "Alice Dupont", "kind": "profile", "n": 1}),
    (("users", "bob", "memories"), "m1", {"text": "Bob likes black coffee", "kind": "pref", "n": 5}),
    (("users", "bob", "memories"), "m2", {"text": "Bob has a grey cat", "kind": "fact", "n": 2}),
    (("docs",), "readme", {"text": "How to install neuram", "kind": "doc", "n": 0, "tags": {"lang": "en"}}),
]


@pytest.fixture
def stores(brain: Brain) -> Iterator[tuple[BaseStore, BaseStore]]:
    """The same writes, applied to an InMemoryStore (the reference) and a NeuramStore."""
    reference = InMemoryStore(index={"dims": 384, "embed": HashingEmbeddings(), "fields": ["text"]})
    ours = NeuramStore(brain, index_fields=["text"])
    for store in (reference, ours):
        for namespace, key, value in ITEMS:
            store.put(namespace, key, value)
        store.put(("users", "alice", "memories"), "m1", {**ITEMS[0][2], "text": "Alice likes green tea with honey"})
        store.delete(("users", "bob", "memories"), "m2")
    yield reference, ours


def rows(items: list[Any]) -> list[tuple[tuple[str, ...], str, dict[str, Any]]]:
    return [(i.namespace, i.key, i.value) for i in items]


GETS = [
    (("users", "alice", "memories"), "m1"),
    (("users", "alice", "memories"), "m2"),
    (("users", "bob", "memories"), "m1"),
    (("users", "bob", "memories"), "m2"),  # deleted
    (("docs",), "readme"),
    (("docs",), "nothing-here"),
    (("nowhere",), "m1"),
]


@pytest.mark.parametrize(("namespace", "key"), GETS)
def test_get_matches_in_memory_store(stores: tuple[BaseStore, BaseStore], namespace: tuple[str, ...], key: str) -> None:
    reference, ours = stores
    expected, got = reference.get(namespace, key), ours.get(namespace, key)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert (got.namespace, got.key, got.value) == (expected.namespace, expected.key, expected.value)


SEARCHES: list[dict[str, Any]] = [
    {"namespace_prefix": ()},
    {"namespace_prefix": ("users",)},
    {"namespace_prefix": ("users", "alice")},
    {"namespace_prefix": ("users",), "limit": 2},
    {"namespace_prefix": ("users",), "limit": 2, "offset": 1},
    {"namespace_prefix": ("users",), "filter": {"kind": "pref"}},
    {"namespace_prefix": (), "filter": {"n": {"$gt": 2}}},
    {"namespace_prefix": (), "filter": {"n": {"$lte": 3}, "kind": {"$ne": "profile"}}},
    {"namespace_prefix": (), "filter": {"tags": {"lang": "en"}}},
    {"namespace_prefix": ("users",), "filter": {"kind": "nothing"}},
    {"namespace_prefix": ("ghosts",)},
]


@pytest.mark.parametrize("search", SEARCHES, ids=str)
def test_search_without_query_matches_in_memory_store(
    stores: tuple[BaseStore, BaseStore], search: dict[str, Any]
) -> None:
    reference, ours = stores
    search = dict(search)  # the parameter is shared by the local and the remote run
    prefix = search.pop("namespace_prefix")
    assert rows(ours.search(prefix, **search)) == rows(reference.search(prefix, **search))


@pytest.mark.parametrize(
    ("prefix", "query", "best"),
    [
        (("users",), "green tea with honey", ("users", "alice", "memories", "m1")),
        (("users",), "who has black coffee", ("users", "bob", "memories", "m1")),
        (("users", "alice"), "nurse in Ghent", ("users", "alice", "memories", "m2")),
        ((), "install neuram", ("docs", "readme")),
    ],
)
def test_search_with_a_query_ranks_like_in_memory_store(
    stores: tuple[BaseStore, BaseStore], prefix: tuple[str, ...], query: str, best: tuple[str, ...]
) -> None:
    reference, ours = stores
    expected, got = reference.search(prefix, query=query), ours.search(prefix, query=query)
    assert (*expected[0].namespace, expected[0].key) == best  # the reference agrees
    assert (*got[0].namespace, got[0].key) == best
    assert got[0].score is not None and got[0].score > 0
    assert {(i.namespace, i.key) for i in got} == {(i.namespace, i.key) for i in expected}
    scored = [i.score for i in got if i.score is not None]
    assert scored == sorted(scored, reverse=True)


def test_search_with_a_query_and_filter(stores: tuple[BaseStore, BaseStore]) -> None:
    reference, ours = stores
    kwargs: dict[str, Any] = {"query": "likes", "filter": {"kind": "pref"}}
    got = ours.search(("users",), **kwargs)
    assert {i.key for i in got} == {i.key for i in reference.search(("users",), **kwargs)}
    assert all(i.value["kind"] == "pref" for i in got)
    assert len(ours.search(("users",), query="likes", limit=1)) == 1


LISTINGS: list[dict[str, Any]] = [
    {},
    {"prefix": ("users",)},
    {"suffix": ("memories",)},
    {"prefix": ("users", "*", "memories")},
    {"prefix": ("users",), "max_depth": 2},
    {"max_depth": 1},
    {"limit": 2, "offset": 1},
    {"prefix": ("nothing",)},
]


@pytest.mark.parametrize("listing", LISTINGS, ids=str)
def test_list_namespaces_matches_in_memory_store(stores: tuple[BaseStore, BaseStore], listing: dict[str, Any]) -> None:
    reference, ours = stores
    assert ours.list_namespaces(**listing) == reference.list_namespaces(**listing)


def test_batch_reads_see_the_store_before_the_batch_writes(brain: Brain) -> None:
    reference, ours = InMemoryStore(), NeuramStore(brain)
    ops = [
        PutOp(("a",), "k", {"v": 1}),
        GetOp(("a",), "k"),
        PutOp(("a",), "k", {"v": 2}),
        SearchOp(("a",)),
    ]
    assert ours.batch(ops) == reference.batch(ops) == [None, None, None, []]
    assert ours.get(("a",), "k").value == reference.get(("a",), "k").value == {"v": 2}
    # (InMemoryStore would also list a namespace that was only read; ours lists what holds.)
    listing = ListNamespacesOp(match_conditions=(MatchCondition("prefix", ("a",)),))
    assert ours.batch([GetOp(("b",), "k"), listing]) == [None, [("a",)]]


async def test_async_batch_is_native(async_only: Brain) -> None:
    store = NeuramStore(async_only)
    await store.aput(("notes",), "n1", {"text": "Renew the passport in March"})
    await store.aput(("notes",), "n2", {"text": "Buy oat milk"}, index=False)
    got = await store.aget(("notes",), "n1")
    assert got is not None and got.value == {"text": "Renew the passport in March"}
    found = await store.asearch(("notes",), query="passport renewal")
    assert [(i.key, i.score is not None) for i in found] == [("n1", True), ("n2", False)]
    assert await store.alist_namespaces() == [("notes",)]
    await store.adelete(("notes",), "n1")
    assert await store.aget(("notes",), "n1") is None


def test_items_are_memories_of_the_mapped_namespace(brain: Brain, clock: ManualClock) -> None:
    store = NeuramStore(brain, memory_type="semantic")
    store.put(("users", "u1"), "diet", {"text": "Vegetarian since 2019"})
    assert store.neuram_namespace(("users", "u1")) == "lc.users.u1"
    user = brain.for_namespace("lc.users.u1")
    [engram] = user.sync.list()
    assert engram.content == "Vegetarian since 2019"
    assert engram.memory_type is MemoryType.SEMANTIC and engram.consolidated
    assert brain.sync.list() == []  # the root namespace holds nothing
    # What the brain perceives in that namespace shows up in the store too.
    perceived = user.sync.perceive("The user is allergic to peanuts")
    [hit] = store.search(("users", "u1"), query="peanut allergy allergic")[:1]
    assert hit.key == perceived.engram_id
    assert hit.value["content"] == "The user is allergic to peanuts"
    assert store.get(("users", "u1"), perceived.engram_id) is not None
    store.delete(("users", "u1"), perceived.engram_id)
    assert [e.content for e in user.sync.list()] == ["Vegetarian since 2019"]


def test_update_keeps_created_at_and_moves_updated_at(brain: Brain, clock: ManualClock) -> None:
    store = NeuramStore(brain)
    store.put(("p",), "k", {"text": "first version"})
    created = store.get(("p",), "k").created_at
    clock.advance(hours=2)
    store.put(("p",), "k", {"text": "second version"})
    item = store.get(("p",), "k")
    assert item.value == {"text": "second version"}
    assert item.created_at == created
    assert (item.updated_at - created).total_seconds() == 7200
    assert len(brain.for_namespace("lc.p").sync.list()) == 1  # replaced, not duplicated


def test_stores_with_other_roots_do_not_meet(brain: Brain) -> None:
    one, two = NeuramStore(brain, root="one"), NeuramStore(brain, root="two")
    one.put(("ns",), "k", {"text": "only in one"})
    assert two.get(("ns",), "k") is None
    assert two.search(("ns",)) == []
    assert one.list_namespaces() == [("ns",)]


def test_invalid_namespaces_are_refused(brain: Brain) -> None:
    store = NeuramStore(brain)
    for bad in [(), ("a.b",), ("",), ("a/b",), ("a\nb",), ("ok", "x/y")]:
        with pytest.raises(InvalidNamespaceError):
            store.batch([PutOp(bad, "k", {"v": 1})])
    with pytest.raises(InvalidNamespaceError):
        store.search(("a.b",))
    with pytest.raises(TypeError):
        NeuramStore("not a brain")  # type: ignore[arg-type]


# -- inside a real agent -------------------------------------------------------------------------


@tool
def recall_preferences(query: str, runtime: ToolRuntime) -> str:
    """Search what the user told us before."""
    assert runtime.store is not None
    return "\n".join(i.value["text"] for i in runtime.store.search(("prefs", "u1"), query=query))


@tool
async def arecall_preferences(query: str, runtime: ToolRuntime) -> str:
    """Search what the user told us before (async)."""
    assert runtime.store is not None
    found = await runtime.store.asearch(("prefs", "u1"), query=query, limit=1)
    return "\n".join(i.value["text"] for i in found)


def scripted(tool_name: str) -> ToolCallingFakeModel:
    call = {"name": tool_name, "args": {"query": "tea preference"}, "id": "call-1"}
    return ToolCallingFakeModel(messages=iter([AIMessage("", tool_calls=[call]), AIMessage("You like green tea.")]))


def test_agent_tool_searches_the_store(brain: Brain) -> None:
    store = NeuramStore(brain)
    store.put(("prefs", "u1"), "tea", {"text": "Prefers green tea preference, no sugar"})
    store.put(("prefs", "u1"), "car", {"text": "Drives an old Volvo"})
    agent = create_agent(scripted("recall_preferences"), [recall_preferences], store=store)
    result = agent.invoke({"messages": [HumanMessage("What tea do I like?")]})
    [tool_message] = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert tool_message.text.splitlines()[0] == "Prefers green tea preference, no sugar"
    assert result["messages"][-1].text == "You like green tea."


async def test_agent_tool_searches_the_store_async(async_only: Brain) -> None:
    store = NeuramStore(async_only)
    await store.aput(("prefs", "u1"), "tea", {"text": "Prefers green tea preference, no sugar"})
    await store.aput(("prefs", "u1"), "car", {"text": "Drives an old Volvo"})
    agent = create_agent(scripted("arecall_preferences"), [arecall_preferences], store=store)
    result = await agent.ainvoke({"messages": [HumanMessage("What tea do I like?")]})
    [tool_message] = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert tool_message.text == "Prefers green tea preference, no sugar"


def test_index_paths_choose_what_is_embedded(brain: Brain) -> None:
    store = NeuramStore(brain, index_fields=["title"])
    value = {"title": "Quarterly tax return", "body": "Bring the receipts", "pages": 3}
    store.put(("docs",), "default", value)
    store.put(("docs",), "whole", value, index=["$"])
    store.put(("docs",), "nested", {"meta": {"tags": ["garden", "roses"]}}, index=["meta.tags[*]"])
    ns = brain.for_namespace("lc.docs")
    contents = {e.metadata["langgraph_item"]["key"]: e.content for e in ns.sync.list()}
    assert contents["default"] == "Quarterly tax return"
    assert '"body": "Bring the receipts"' in contents["whole"]  # "$" is the JSON document
    assert contents["nested"] == "garden\nroses"
    assert NeuramStore(brain).search(("docs",), query="roses garden")[0].key == "nested"


def test_a_pinned_store_keeps_its_items_however_they_fade(brain: Brain, clock: ManualClock) -> None:
    pinned, plain = NeuramStore(brain, pinned=True), NeuramStore(brain, root="plain")
    pinned.put(("users", "u1"), "plan", {"user_id": "12345", "plan": "pro"})
    plain.put(("users", "u1"), "plan", {"user_id": "12345", "plan": "pro"})
    clock.advance(days=365)
    brain.sync.sleep()
    assert plain.get(("users", "u1"), "plan") is not None  # the brain's sleep covers its own namespace only
    assert pinned.sleep()["pruned_ltm"] == 0
    assert plain.sleep()["pruned_ltm"] == 1  # the store's sleep covers every namespace it holds
    kept = pinned.get(("users", "u1"), "plan")
    assert kept is not None and kept.value == {"user_id": "12345", "plan": "pro"}
    assert plain.get(("users", "u1"), "plan") is None  # an item nobody used for a year faded
    with pytest.raises(TypeError, match="pinned must be a bool"):
        NeuramStore(brain, pinned=1)  # type: ignore[arg-type]


def test_an_unindexed_item_embeds_its_key_only(brain: Brain) -> None:
    """Its text neither matches a query nor lends its match to the items put before it."""
    store = NeuramStore(brain)
    store.put(("notes",), "secret", {"text": "unindexed secret note"}, index=False)
    [engram] = brain.for_namespace("lc.notes").sync.list()
    assert engram.content == "secret"
    assert store.get(("notes",), "secret").value == {"text": "unindexed secret note"}  # type: ignore[union-attr]


def test_an_update_keeps_a_pin(brain: Brain, clock: ManualClock) -> None:
    """A put over a pinned item (pinned by a pinned store, or by brain.pin) keeps it pinned:
    only unpin lets it fade again."""
    NeuramStore(brain, pinned=True).put(("users", "u1"), "plan", {"plan": "pro"})
    plain = NeuramStore(brain)
    plain.put(("users", "u1"), "plan", {"plan": "team"})
    plain.put(("users", "u1"), "seat", {"seat": "window"})
    user = brain.for_namespace("lc.users.u1")
    [seat] = [e for e in user.sync.list() if e.metadata["langgraph_item"]["key"] == "seat"]
    user.sync.pin(seat.engram_id)
    plain.put(("users", "u1"), "seat", {"seat": "aisle"})
    clock.advance(days=365)
    plain.sleep()
    assert plain.get(("users", "u1"), "plan").value == {"plan": "team"}  # type: ignore[union-attr]
    assert plain.get(("users", "u1"), "seat").value == {"seat": "aisle"}  # type: ignore[union-attr]
