"""neuram_core.codec: one record format, versioned, and stores written before it still open.

The v1 fixtures in tests/data were written by neuram before the codec (commit 44f5c89,
tests/data/make_v1_fixtures.py): an SQLite file with one column per field, and the keys of
a Redis store whose records carry no schema version.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuram_core import Brain, HashingEmbedder, ManualClock
from neuram_core.codec import (
    EXPORT_FIELDS,
    SCHEMA_VERSION,
    engram_from_export,
    engram_from_fields,
    engram_to_export,
    engram_to_fields,
    pack_fields,
    unpack_fields,
)
from neuram_core.engram import Engram, MemoryType
from neuram_core.stores.sqlite import SQLiteStore
from tests.servers import require_fakeredis_lua

DATA = Path(__file__).parent.parent / "data"
START = 1_700_000_000.0
NOW = START + 30 * 3600.0  # when the fixtures' last recall happened
NAMESPACES = ("default", "tenant:b")


def sample(**changes: Any) -> Engram:
    base = Engram(
        content="ünïcode ✓",
        memory_type=MemoryType.HABITUAL,
        salience=0.1 + 0.2,
        embedding=np.array([0.1, -1e-30, 3.0], dtype=np.float32),
        synaptic_strength=1 / 3,
        stability=123.456789012345,
        access_count=7,
        associations=[("a" * 32, 0.9999999999)],
        fragments=["x"],
        engram_id="e1",
        encoded_at=START + 0.123456,
        last_accessed=START + 1.654321,
        metadata={"k": [1, {"n": None}]},
        reward=-0.25,
        fragment_of="parent",
        consolidated=True,
    )
    for name, value in changes.items():
        setattr(base, name, value)
    return base


OPTIONAL_DEFAULTS = {"pinned": False, "expires_at": None, "supersedes": None, "superseded_by": None}


def as_dict(engram: Engram) -> dict[str, Any]:
    """An export line without its version, and without optional fields at their defaults
    (lines written before version 4 have none)."""
    return {
        k: v
        for k, v in engram_to_export(engram).items()
        if k != "v" and not (k in OPTIONAL_DEFAULTS and v == OPTIONAL_DEFAULTS[k])
    }


# -- the record ----------------------------------------------------------------------------
def test_every_record_carries_the_schema_version() -> None:
    assert SCHEMA_VERSION == 4
    assert engram_to_fields(sample())["v"] == 4
    assert unpack_fields(pack_fields(sample()))["v"] == 4
    assert engram_to_export(sample())["v"] == 4 and EXPORT_FIELDS[0] == "v"


def test_fields_round_trip_exactly() -> None:
    engram = sample()
    back = engram_from_fields("e1", unpack_fields(pack_fields(engram)), engram.embedding)
    assert as_dict(back) == as_dict(engram)
    assert back.salience == 0.1 + 0.2 and back.stability == 123.456789012345  # floats exact


def test_decoded_records_share_one_string_per_id() -> None:
    """An id is named by its own record and by the links of each engram associated with
    it: decoded, they are one string object (a load holds them all)."""
    a = Engram("first", MemoryType.EPISODIC, 0.5, engram_id="a" * 32, associations=[("b" * 32, 0.5)])
    b = Engram("second", MemoryType.EPISODIC, 0.5, engram_id="b" * 32, associations=[("a" * 32, 0.5)])
    ids = ["".join(["a"] * 32), "".join(["b"] * 32)]  # fresh strings, as a store reads them
    back_a, back_b = (engram_from_fields(i, unpack_fields(pack_fields(e))) for i, e in zip(ids, (a, b), strict=True))
    assert back_a.associations[0][0] is back_b.engram_id
    assert back_b.associations[0][0] is back_a.engram_id


def test_a_version_1_record_reads_as_the_same_engram() -> None:
    fields = engram_to_fields(sample())  # a consolidated engram's record has no "consolidated"
    del fields["v"]
    assert "consolidated" not in fields
    assert as_dict(engram_from_fields("e1", fields, sample().embedding)) == as_dict(sample())


def test_the_record_says_whether_it_is_consolidated() -> None:
    """Version 3: a trace written through at perception reads back as still pending."""
    for flag in (False, True):
        fields = unpack_fields(pack_fields(sample(consolidated=flag)))
        assert fields.get("consolidated", True) is flag  # version 4 writes only false
        assert engram_from_fields("e1", fields).consolidated is flag
        assert engram_from_fields("e1", {**fields, "v": 3, "consolidated": flag}).consolidated is flag


def test_a_version_2_record_reads_as_consolidated() -> None:
    """Before version 3 only sleep wrote to a store: every such record was consolidated."""
    fields = engram_to_fields(sample(consolidated=False))
    del fields["consolidated"]
    engram = engram_from_fields("e1", {**fields, "v": 2}, sample().embedding)
    assert engram.consolidated is True
    assert as_dict(engram) == as_dict(sample())


def test_a_record_from_a_newer_neuram_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="schema version 5, newer than this neuram's 4"):
        engram_from_fields("e1", {**engram_to_fields(sample()), "v": 5})
    with pytest.raises(ValueError, match="invalid schema version"):
        engram_from_fields("e1", {**engram_to_fields(sample()), "v": "4"})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("content", "  ", "field 'content' must be a non-empty string"),
        ("type", "dream", "unknown memory type 'dream'"),
        ("salience", 1.5, "field 'salience' must lie in [0, 1]"),
        ("strength", -0.1, "field 'strength' must lie in [0, 1]"),
        ("stability", 0.0, "field 'stability' must be > 0"),
        ("stability", "12", "field 'stability' must be a number, not str"),
        ("reward", True, "field 'reward' must be a number, not bool"),
        ("access_count", -1, "field 'access_count' must be an integer >= 0"),
        ("assoc", [["x"]], "field 'assoc' must hold [engram_id, weight] pairs"),
        ("assoc", [["x", math.inf]], "field 'assoc' must hold [engram_id, weight] pairs"),
        ("fragments", [1], "field 'fragments' must be a list of engram ids"),
        ("fragment_of", 3, "field 'fragment_of' must be an engram id or null"),
        ("meta", [], "field 'meta' must be an object"),
        ("consolidated", 1, "field 'consolidated' must be true or false"),
    ],
)
def test_a_bad_field_is_named(field: str, value: Any, message: str) -> None:
    fields = {**engram_to_fields(sample()), field: value}
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        engram_from_fields("e1", fields)


def test_a_missing_field_is_named() -> None:
    fields = engram_to_fields(sample())
    del fields["reward"]
    with pytest.raises(ValueError, match="missing field 'reward'"):
        engram_from_fields("e1", fields)


def test_nan_anywhere_is_refused_at_write() -> None:
    with pytest.raises(ValueError):
        pack_fields(sample(associations=[("a", math.nan)]))
    with pytest.raises(ValueError):
        pack_fields(sample(metadata={"x": math.inf}))


# -- the export format ---------------------------------------------------------------------
def test_export_ids_are_checked_as_the_brain_checks_them() -> None:
    """Bug: import took ids of up to 512 characters, the Brain refuses more than 256, so
    such an engram could be neither fetched nor forgotten."""
    line = engram_to_export(sample())
    assert engram_from_export({**line, "engram_id": "x" * 256}).engram_id == "x" * 256
    with pytest.raises(ValueError, match="field 'engram_id': invalid engram id"):
        engram_from_export({**line, "engram_id": "x" * 300})
    with pytest.raises(ValueError, match="field 'engram_id'"):
        engram_from_export({**line, "engram_id": "tab\there"})


def test_export_errors_use_the_export_names() -> None:
    line = engram_to_export(sample())
    with pytest.raises(ValueError, match="field 'metadata' must be an object"):
        engram_from_export({**line, "metadata": []})
    with pytest.raises(ValueError, match="field 'synaptic_strength' must lie in"):
        engram_from_export({**line, "synaptic_strength": 2})
    with pytest.raises(ValueError, match="missing field 'reward'"):
        engram_from_export({k: v for k, v in line.items() if k != "reward"})


def test_a_version_1_export_line_imports() -> None:
    expected = json.loads((DATA / "v1_sqlite_expected.json").read_text())
    for line in expected["default"]:
        assert "v" not in line  # written before the codec
        engram = engram_from_export(line)
        assert as_dict(engram) == line


def test_an_export_line_keeps_its_consolidated_flag_at_every_version() -> None:
    for flag in (False, True):
        line = engram_to_export(sample(consolidated=flag))
        assert engram_from_export(line).consolidated is flag
        assert engram_from_export({**line, "v": 2}).consolidated is flag  # the key was always there


# -- stores written before the codec -------------------------------------------------------
def normal(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Engrams by id, edges by neighbour: order is not what is being compared."""
    return sorted(({**d, "associations": sorted(d["associations"])} for d in lines), key=lambda d: d["engram_id"])


async def check_opens_as_written(brain: Brain, expected: dict[str, list[dict[str, Any]]]) -> None:
    for namespace in NAMESPACES:
        mind = brain.for_namespace(namespace)
        assert normal([as_dict(e) for e in await mind.list()]) == normal(expected[namespace])
    [(paris, _)] = await brain.recall("capital of France", top_k=1)
    assert paris.content == "Paris is the capital of France" and paris.metadata == {"src": "atlas ✓"}
    assert paris.access_count == 2  # one recall when the fixture was written, one now
    [(key, _)] = await brain.for_namespace("tenant:b").recall("archive key", top_k=1)
    assert key.content == "The archive key is blue"


async def test_an_sqlite_store_written_before_the_codec_opens_and_recalls(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    shutil.copyfile(DATA / "v1_store.db", path)
    expected = json.loads((DATA / "v1_sqlite_expected.json").read_text())
    brain = await Brain.create(path=path, embedder=HashingEmbedder(dimension=64), clock=ManualClock(NOW))
    try:
        await check_opens_as_written(brain, expected)
    finally:
        await brain.close()
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(engrams)")]
        query = "SELECT json_extract(record, '$.content'), json_extract(record, '$.v') FROM engrams"
        versions = dict(conn.execute(query))
        indexes = [row[1] for row in conn.execute("PRAGMA index_list(engrams)")]
    assert columns == ["ns", "id", "record", "embedding", "forget_at"]
    assert "engrams_forget_at" in indexes  # the pruning index came along
    assert versions["Paris is the capital of France"] == SCHEMA_VERSION  # rewritten by the recall's LTP
    assert versions["The archive key is blue"] == SCHEMA_VERSION
    assert versions["User prefers short answers"] == 1  # untouched: upgraded on every read


def test_two_processes_opening_an_old_file_at_once_both_see_it_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    shutil.copyfile(DATA / "v1_store.db", path)
    counts: list[int] = []
    errors: list[BaseException] = []

    def open_and_count() -> None:
        import asyncio

        async def run() -> int:
            store = SQLiteStore(path)
            try:
                return await store.count("default")
            finally:
                await store.close()

        try:
            counts.append(asyncio.run(run()))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and counts == [4, 4, 4, 4]


async def test_an_unreadable_old_row_stays_counted_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    shutil.copyfile(DATA / "v1_store.db", path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE engrams SET meta = '{oops' WHERE content = 'The archive key is blue'")
    brain = await Brain.create(path=path, embedder=HashingEmbedder(dimension=64), clock=ManualClock(NOW))
    try:
        stats = await brain.for_namespace("tenant:b").stats()
        assert stats["corrupt_records"] == 1 and stats["indexed"] == 0
        assert await brain.store.count("tenant:b") == 1  # kept, still pruned by its forget-at
    finally:
        await brain.close()


async def test_a_redis_store_written_before_the_codec_opens_and_recalls() -> None:
    require_fakeredis_lua()
    import fakeredis

    from neuram_core.stores.redis import RedisStore

    fixture = json.loads((DATA / "v1_redis.json").read_text())
    server = fakeredis.FakeServer()
    client = fakeredis.FakeAsyncRedis(server=server)
    keys = fixture["keys"]
    for key, fields in keys["hashes"].items():
        assert '"v"' not in fields["d"]  # written before the codec
        await client.hset(key, mapping={"d": fields["d"], "e": base64.b64decode(fields["e"])})
    for key, members in keys["zsets"].items():
        await client.zadd(key, {m: s for m, s in members})
    for key, members in keys["sets"].items():
        await client.sadd(key, *members)
    await client.aclose()
    store = RedisStore(fakeredis.FakeAsyncRedis(server=server), close_client=True)
    brain = await Brain.create(store=store, embedder=HashingEmbedder(dimension=64), clock=ManualClock(NOW))
    try:
        await check_opens_as_written(brain, fixture["expected"])
    finally:
        await brain.close()


# -- version 4: optional fields ------------------------------------------------------------
def test_optional_fields_are_stored_only_when_set() -> None:
    plain = engram_to_fields(sample())
    assert not {"pinned", "expires_at", "supersedes", "superseded_by", "consolidated"} & set(plain)  # small
    assert engram_to_fields(sample(consolidated=False))["consolidated"] is False  # a pending trace says so
    assert not engram_from_fields("e1", engram_to_fields(sample(consolidated=False))).consolidated
    marked = sample(pinned=True, expires_at=START + 60.0, supersedes="old", superseded_by="new")
    fields = unpack_fields(pack_fields(marked))
    assert (fields["pinned"], fields["expires_at"], fields["supersedes"], fields["superseded_by"]) == (
        True,
        START + 60.0,
        "old",
        "new",
    )
    back = engram_from_fields("e1", fields, marked.embedding)
    assert (back.pinned, back.expires_at, back.supersedes, back.superseded_by) == (True, START + 60.0, "old", "new")
    assert as_dict(engram_from_export(json.loads(json.dumps(engram_to_export(marked))))) == as_dict(marked)


def test_a_version_3_record_reads_with_the_defaults() -> None:
    fields = {**engram_to_fields(sample()), "v": 3}
    engram = engram_from_fields("e1", fields)
    assert (engram.pinned, engram.expires_at, engram.supersedes, engram.superseded_by) == (False, None, None, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pinned", 1, "field 'pinned' must be true or false"),
        ("expires_at", "soon", "field 'expires_at' must be a number"),
        ("expires_at", math.inf, "field 'expires_at' must be finite"),
        ("supersedes", 7, "field 'supersedes' must be an engram id or null"),
        ("superseded_by", [], "field 'superseded_by' must be an engram id or null"),
    ],
)
def test_a_bad_optional_field_is_named(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        engram_from_fields("e1", {**engram_to_fields(sample()), field: value})


def test_pinned_and_expiring_forget_at() -> None:
    from neuram_core.dynamics import forget_at, forget_at_for

    consolidated = sample(consolidated=True, fragment_of=None)
    assert forget_at_for(sample(pinned=True, fragment_of=None)) == math.inf
    natural = forget_at(consolidated, 0.05)
    assert forget_at_for(consolidated) == natural
    assert forget_at_for(sample(expires_at=START + 10.0, fragment_of=None)) == START + 10.0  # the earlier
    assert forget_at_for(sample(expires_at=natural + 10.0, fragment_of=None)) == natural
    assert forget_at_for(sample(consolidated=True, fragment_of="whole")) == math.inf  # goes with its whole
