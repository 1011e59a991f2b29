"""NeuramStore: a Brain (or RemoteBrain) as LangGraph's long-term ``BaseStore`` (``create_agent(store=...)``).

A LangGraph namespace tuple is a neuram namespace: ``("users", "u1")`` is
``"<root>.users.u1"``, where ``root`` defaults to the brain's own namespace (LangGraph
labels cannot contain ``"."``, so the mapping is reversible). An item is an engram of
that namespace: its text (the indexed fields) is what the brain embeds and recalls; the
value, key and timestamps ride in its metadata. Puts are deliberate writes (no Thalamus)
consolidated at once; items then follow the forgetting curve like any memory, and search
with a ``query`` is recall (pattern completion, spreading activation, LTP).

Engrams the brain holds in a mapped namespace that no put wrote (perceived by a chat
memory or the middleware, say) show up too, keyed by engram id with value
``{"content", "memory_type", "metadata"}``. Namespaces are listed (and found by a search
prefix) from long-term memory: one that holds only unconsolidated perceptions appears
once sleep has consolidated them.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)
from langgraph.store.base.embed import get_text_at_path

from neuram_core import Engram, MemoryType
from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, call, run_async, run_sync
from neuram_langchain.messages import next_seq

__all__ = ["NeuramStore"]

ITEM = "langgraph_item"  # engram metadata key holding {"key", "value", "created_at", ...}


class NeuramStore(BaseStore):
    """LangGraph store over ``brain``: get, put, delete, search (with a query: recall)
    and list namespaces, sync and async.

    ``index_fields`` are the value paths embedded by default (LangGraph path syntax, as
    in ``IndexConfig["fields"]``); ``None`` means all string fields of the value.
    ``put(..., index=[...])`` overrides per item; ``index=False`` stores the item
    unscored: it is found by get, filters and listing, and after the scored items in a
    query search (as ``InMemoryStore`` does); only its key is embedded.

    Items are memories: an item nobody searches for fades over weeks (``get`` is a read,
    not a use). ``pinned=True`` keeps every item this store puts until it is deleted.
    """

    def __init__(
        self,
        brain: BrainAPI,
        *,
        root: str | None = None,
        index_fields: Sequence[str] | None = None,
        memory_type: MemoryType | str | None = None,
        pinned: bool = False,
    ) -> None:
        if not isinstance(brain, BrainAPI):
            raise TypeError(f"brain must be a neuram Brain or RemoteBrain, not {type(brain).__name__}")
        if not isinstance(pinned, bool):
            raise TypeError(f"pinned must be a bool, not {type(pinned).__name__}")
        self.pinned = pinned
        self.brain = brain
        self.root = brain.namespace if root is None else root
        if not isinstance(self.root, str) or not self.root:
            raise ValueError("root must be a non-empty str")
        self.index_fields = None if index_fields is None else list(index_fields)
        self.memory_type = None if memory_type is None else MemoryType.parse(memory_type)

    # -- namespace mapping -----------------------------------------------------------------
    def neuram_namespace(self, namespace: tuple[str, ...]) -> str:
        """The neuram namespace a LangGraph namespace tuple maps onto."""
        return ".".join((self.root, *namespace))

    def _langgraph_namespace(self, neuram_namespace: str) -> tuple[str, ...] | None:
        prefix = self.root + "."
        if not neuram_namespace.startswith(prefix) or neuram_namespace == prefix:
            return None
        labels = tuple(neuram_namespace[len(prefix) :].split("."))
        return None if "" in labels else labels

    def _brain(self, namespace: tuple[str, ...]) -> BrainAPI:
        return self.brain.for_namespace(self.neuram_namespace(namespace))

    @staticmethod
    def _engram_id(namespace: str, key: str) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"neuram-store:{namespace}\x00{key}").hex

    # -- engram <-> item ---------------------------------------------------------------------
    def _text(self, value: dict[str, Any], index: Sequence[str] | None) -> str:
        fields = index if index is not None else self.index_fields
        if fields is None:
            texts = _string_leaves(value)
        else:
            texts = [t for path in fields for t in get_text_at_path(value, path)]
        return "\n".join(t for t in texts if t.strip())

    @staticmethod
    def _item(namespace: tuple[str, ...], engram: Engram, score: float | None) -> SearchItem:
        record = engram.metadata.get(ITEM)
        if isinstance(record, dict):
            key, value = str(record["key"]), dict(record["value"])
            created, updated = float(record["created_at"]), float(record["updated_at"])
        else:  # a memory the brain holds that no put wrote
            key, created, updated = engram.engram_id, engram.encoded_at, engram.encoded_at
            value = {"content": engram.content, "memory_type": engram.memory_type.value}
            if engram.metadata:
                value["metadata"] = engram.metadata
        return SearchItem(
            namespace=namespace,
            key=key,
            value=value,
            created_at=datetime.fromtimestamp(created, UTC),
            updated_at=datetime.fromtimestamp(updated, UTC),
            score=score,
        )

    # -- plans: the logic, once ----------------------------------------------------------------
    def _batch(self, ops: Iterable[Op]) -> Plan[list[Result]]:
        ops = list(ops)
        for op in ops:
            _validate(op)
        results: list[Result] = [None] * len(ops)
        # Like InMemoryStore: reads see the store as it was before the batch, and of several
        # writes to one item the last wins.
        writes: dict[tuple[tuple[str, ...], str], PutOp] = {}
        for i, op in enumerate(ops):
            if isinstance(op, GetOp):
                results[i] = yield from self._get(op)
            elif isinstance(op, SearchOp):
                results[i] = yield from self._search(op)
            elif isinstance(op, ListNamespacesOp):
                results[i] = yield from self._list_namespaces(op)
            elif isinstance(op, PutOp):
                writes[(op.namespace, op.key)] = op
            else:
                raise TypeError(f"unknown operation {type(op).__name__}")
        for op in writes.values():
            yield from self._put(op)
        return results

    def _locate(self, brain: BrainAPI, key: str) -> Plan[tuple[str, Engram | None]]:
        """The engram id an item's key lives at, and the engram if there is one. A put
        writes at a deterministic id; a memory no put wrote is addressed by its own id."""
        engram_id = self._engram_id(brain.namespace, key)
        for candidate in (engram_id, key):
            try:
                engram = yield call(brain, "get", candidate)
            except ValueError:  # unknown (UnknownEngramError) or not an engram id at all
                continue
            record = engram.metadata.get(ITEM)
            if not isinstance(record, dict) or record.get("key") == key:
                return candidate, engram
        return engram_id, None

    def _get(self, op: GetOp) -> Plan[Item | None]:
        _, engram = yield from self._locate(self._brain(op.namespace), op.key)
        if engram is None:
            return None
        item = self._item(op.namespace, engram, None)
        return Item(
            namespace=item.namespace,
            key=item.key,
            value=item.value,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )

    def _put(self, op: PutOp) -> Plan[None]:
        brain = self._brain(op.namespace)
        engram_id, old = yield from self._locate(brain, op.key)
        if op.value is None:
            if old is not None:
                yield call(brain, "forget", engram_id)  # False if forgotten meanwhile
            return
        now = brain.clock.now()
        record = None if old is None else old.metadata.get(ITEM)
        if isinstance(record, dict):  # an update keeps the item's creation
            created, seq = float(record["created_at"]), int(record.get("seq", 0))
        else:
            created, seq = now, next_seq()
        value = dict(op.value)
        text = "" if op.index is False else self._text(value, op.index)  # unindexed: its key alone
        item = {
            "key": op.key,
            "value": value,
            "created_at": created,
            "seq": seq,  # creation order when timestamps tie (a manual clock)
            "updated_at": now,
            "indexed": op.index is not False and bool(text),
        }
        yield call(
            brain,
            "perceive",
            text or op.key,
            memory_type=self.memory_type,
            metadata={ITEM: item},
            gate=False,
            consolidate=True,
            engram_id=engram_id,
            pinned=self.pinned,
        )

    def _namespaces(self) -> Plan[list[tuple[str, ...]]]:
        """Every LangGraph namespace under the root that long-term memory holds."""
        names = yield call(self.brain, "namespaces")
        mapped = (self._langgraph_namespace(n) for n in names)
        return [ns for ns in mapped if ns is not None]

    def _search(self, op: SearchOp) -> Plan[list[SearchItem]]:
        prefix = tuple(op.namespace_prefix)
        namespaces = [ns for ns in (yield from self._namespaces()) if ns[: len(prefix)] == prefix]
        found: list[tuple[tuple[str, ...], Engram, SearchItem]] = []
        sizes: dict[tuple[str, ...], int] = {}
        for namespace in namespaces:
            engrams = yield call(self._brain(namespace), "list")
            sizes[namespace] = len(engrams)
            for engram in engrams:
                item = self._item(namespace, engram, None)
                if not op.filter or all(_matches(item.value.get(k), v) for k, v in op.filter.items()):
                    found.append((namespace, engram, item))
        # InMemoryStore order: namespaces by when they were first written, items by creation.
        first: dict[tuple[str, ...], tuple[float, int]] = {}
        for namespace, engram, _ in found:
            first[namespace] = min(first.get(namespace, _created(engram)), _created(engram))
        found.sort(key=lambda f: (first[f[0]], f[0], _created(f[1])))
        window = slice(op.offset, op.offset + op.limit)
        if not op.query:
            return [item for _, _, item in found][window]
        scores: dict[str, float] = {}
        for namespace in dict.fromkeys(ns for ns, _, _ in found):
            # Recall strengthens what it returns: ask for no more than the page needs (a
            # filter is applied afterwards, so then the whole namespace is ranked).
            here = [e for ns, e, _ in found if ns == namespace]
            top_k = sizes[namespace] if op.filter else window.stop + sum(map(_unindexed, here))
            hits = yield call(self._brain(namespace), "recall", op.query, top_k=top_k)
            scores.update((e.engram_id, float(s)) for e, s in hits)
        scored, unscored = [], []
        for _, engram, item in found:
            if not _unindexed(engram) and engram.engram_id in scores:
                item.score = scores[engram.engram_id]
                scored.append(item)
            else:
                unscored.append(item)
        scored.sort(key=lambda item: -(item.score or 0.0))
        return (scored + unscored)[window]

    def _list_namespaces(self, op: ListNamespacesOp) -> Plan[list[tuple[str, ...]]]:
        namespaces = yield from self._namespaces()
        conditions = op.match_conditions or ()
        kept = [ns for ns in namespaces if all(_namespace_matches(c, ns) for c in conditions)]
        if op.max_depth is not None:
            kept = [ns[: op.max_depth] for ns in kept]
        return sorted(set(kept))[op.offset : op.offset + op.limit]

    def _sleep(self) -> Plan[dict[str, int]]:
        totals: dict[str, int] = {}
        for namespace in (yield from self._namespaces()):
            done = yield call(self._brain(namespace), "sleep")
            for name, count in done.items():
                totals[name] = totals.get(name, 0) + int(count)
        return totals

    def sleep(self) -> dict[str, int]:
        """One sleep cycle for every namespace of this store (a Brain's sleep covers its own
        namespace only): what faded is pruned, pinned items stay. Returns the summed counts."""
        return run_sync(self._sleep())

    async def asleep(self) -> dict[str, int]:
        return await run_async(self._sleep())

    # -- BaseStore -------------------------------------------------------------------------------
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return run_sync(self._batch(ops))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await run_async(self._batch(ops))

    def __repr__(self) -> str:
        return f"NeuramStore(root={self.root!r})"


def _validate(op: Op) -> None:
    """The label checks BaseStore's helpers make, also for ops passed to batch directly."""
    if isinstance(op, GetOp | PutOp):
        labels: tuple[str, ...] = tuple(op.namespace)
        if not labels:
            raise InvalidNamespaceError("Namespace cannot be empty.")
    elif isinstance(op, SearchOp):
        labels = tuple(op.namespace_prefix)
    elif isinstance(op, ListNamespacesOp):
        labels = tuple(label for c in op.match_conditions or () for label in c.path)
    else:
        return
    for label in labels:
        # "." joins labels into a neuram namespace, which holds no "/" or control character.
        if not isinstance(label, str) or not label or any(c in "./" or unicodedata.category(c) == "Cc" for c in label):
            raise InvalidNamespaceError(
                f"Invalid namespace label {label!r}: labels are non-empty str without '.', '/' or control characters"
            )


def _created(engram: Engram) -> tuple[float, int]:
    record = engram.metadata.get(ITEM)
    if isinstance(record, dict):
        return float(record["created_at"]), int(record.get("seq", 0))
    return engram.encoded_at, 0


def _unindexed(engram: Engram) -> bool:
    record = engram.metadata.get(ITEM)
    return isinstance(record, dict) and record.get("indexed") is False


def _string_leaves(value: Any) -> list[str]:
    """All the strings in a JSON value, in order (the default text to embed)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _string_leaves(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _string_leaves(v)]
    return []


def _matches(actual: Any, wanted: Any) -> bool:
    """LangGraph's filter semantics (as InMemoryStore): equality, nesting, $-operators."""
    if isinstance(wanted, dict):
        if any(k.startswith("$") for k in wanted):
            return all(_compare(actual, op, v) for op, v in wanted.items())
        return isinstance(actual, dict) and all(_matches(actual.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(wanted)
            and all(_matches(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)


def _compare(actual: Any, operator: str, operand: Any) -> bool:
    if operator == "$eq":
        return bool(actual == operand)
    if operator == "$ne":
        return bool(actual != operand)
    if operator in ("$gt", "$gte", "$lt", "$lte"):
        try:
            a, b = float(actual), float(operand)
        except (TypeError, ValueError):
            return False
        return {"$gt": a > b, "$gte": a >= b, "$lt": a < b, "$lte": a <= b}[operator]
    raise ValueError(f"Unsupported operator: {operator}")


def _namespace_matches(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    path = tuple(condition.path)
    if len(namespace) < len(path):
        return False
    if condition.match_type == "prefix":
        pairs = zip(namespace, path, strict=False)
    elif condition.match_type == "suffix":
        pairs = zip(reversed(namespace), reversed(path), strict=False)
    else:
        raise ValueError(f"Unsupported match type: {condition.match_type}")
    return all(p == "*" or n == p for n, p in pairs)
