"""The ``neuram`` command: every subcommand, the export/import round trip, bad input.

Commands run in-process through ``main(argv)`` on a temp SQLite file with the hashing
embedder (``--embedder hashing``), so no model loads.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, MemoryType
from neuram_core.cli import main
from neuram_core.codec import EXPORT_FIELDS, engram_from_export, engram_to_export
from neuram_core.dynamics import forget_at
from neuram_core.stores.sqlite import SQLiteStore
from tests.cli.runner import QUICK, Run, run_cli

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "memory.db"


@pytest.fixture
def neuram(db: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """``neuram(*args, path=db)``: run the command in-process, capture its output."""

    def run(*args: str, path: Path | None = db, namespace: str | None = None) -> Run:
        argv = [*QUICK]
        if path is not None:
            argv += ["--path", str(path)]
        if namespace is not None:
            argv += ["--namespace", namespace]
        return run_cli(capsys, *argv, *args)

    return run


def brain_on(path: Path, clock: ManualClock | None = None, namespace: str = "default") -> Brain:
    return Brain.open(path=str(path), embedder=HashingEmbedder(), clock=clock or ManualClock(), namespace=namespace)


def fill(path: Path) -> list[Engram]:
    """A store with real dynamics: temporal associations, consolidation, LTP, metadata."""
    clock = ManualClock(time.time() - 3 * DAY)
    brain = brain_on(path, clock)
    with brain.sync as sync:
        sync.perceive("Paris is the capital of France", memory_type="semantic", metadata={"src": "atlas"})
        clock.advance(20)
        sync.perceive("I met Alice at the Redis meetup in Lyon", memory_type="episodic", salience=0.9)
        clock.advance(20)
        sync.perceive("To deploy: build the wheel, then upload it", memory_type="procedural")
        clock.advance(20)
        sync.perceive("The user always prefers concise answers", memory_type="habitual", reward=0.5)
        sync.sleep()
        clock.advance(days=1)
        sync.recall("capital of France")
        clock.advance(hours=5)
        sync.recall("Alice meetup in Lyon")
        engrams = sync.list()
    assert len(engrams) == 4 and all(e.consolidated for e in engrams)
    assert any(e.associations for e in engrams) and any(e.access_count for e in engrams)
    return engrams


def stored(path: Path, namespace: str = "default") -> dict[str, Engram]:
    async def scan() -> dict[str, Engram]:
        store = SQLiteStore(path)
        try:
            return {e.engram_id: e async for e in store.scan(namespace)}
        finally:
            await store.close()

    return asyncio.run(scan())


def same(a: Engram, b: Engram) -> bool:
    for f in dataclasses.fields(Engram):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "embedding":
            if (x is None) != (y is None) or (x is not None and x.tobytes() != y.tobytes()):
                return False
        elif x != y:
            return False
    return True


# -- the export format ----------------------------------------------------------------------
def test_json_form_has_every_field_and_round_trips_exactly() -> None:
    engram = Engram(
        content="ünïcode ✓",
        memory_type=MemoryType.HABITUAL,
        salience=0.1 + 0.2,
        embedding=np.array([0.1, -1e-30, 3.0], dtype=np.float32),
        synaptic_strength=1 / 3,
        stability=123.456789012345,
        access_count=7,
        associations=[("a" * 32, 0.9999999999)],
        fragments=["x"],
        encoded_at=1_700_000_000.123456,
        last_accessed=1_700_000_001.654321,
        metadata={"k": [1, {"n": None}]},
        reward=-0.25,
        fragment_of="parent",
        consolidated=True,
    )
    obj = engram_to_export(engram)
    assert tuple(obj) == EXPORT_FIELDS
    assert {f.name for f in dataclasses.fields(Engram)} - set(obj) == {"filtered_reason"}
    assert obj["v"] == 4  # the schema version of every record
    assert base64.b64decode(obj["embedding"]) == engram.embedding.astype("<f4").tobytes()  # type: ignore[union-attr]
    back = engram_from_export(json.loads(json.dumps(obj)))
    assert same(engram, back)


# -- perceive, recall, list, stats, sleep, forget -----------------------------------------
def test_perceive_stores_long_term_at_once(neuram: Any, db: Path) -> None:
    run = neuram("perceive", "Paris is the capital of France", "--type", "semantic", "-s", "0.8", "-m", '{"u": 1}')
    assert run.code == 0, run.err
    engram_id = run.out.split()[0]
    [engram] = stored(db).values()
    assert engram.engram_id == engram_id and engram.memory_type is MemoryType.SEMANTIC
    assert engram.salience == 0.8 and engram.metadata == {"u": 1} and engram.consolidated
    again = neuram("perceive", "Paris is the capital of France", "--type", "semantic", "-m", '{"u": 1}', "--json")
    assert json.loads(again.out)["engram_id"] == engram_id  # recognised, not copied
    assert json.loads(again.out)["access_count"] == 1
    assert len(stored(db)) == 1


def test_perceive_replaces_by_id(neuram: Any, db: Path) -> None:
    first = neuram("perceive", "The meeting is on Monday morning").out.split()[0]
    assert neuram("perceive", "The meeting moved to Tuesday afternoon", "--id", first).code == 0
    [engram] = stored(db).values()
    assert engram.engram_id == first and "Tuesday" in engram.content


def test_perceive_reports_what_the_thalamus_filtered(neuram: Any, db: Path) -> None:
    run = neuram("perceive", "hi")
    assert run.code == 1 and "filtered" in run.err and "--no-gate" in run.err
    assert stored(db) == {}
    assert neuram("perceive", "hi", "--no-gate").code == 0
    assert [e.content for e in stored(db).values()] == ["hi"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--salience", "1.5"], 2, "must lie in [0, 1]"),
        (["--salience", "nan"], 2, "must lie in"),
        (["--reward", "x"], 2, "not a number"),
        (["--type", "dream"], 2, "invalid choice"),
        (["--metadata", "{oops"], 2, "--metadata is not valid JSON"),
        (["--metadata", "[1]"], 2, "--metadata must be a JSON object"),
    ],
)
def test_perceive_bad_options(neuram: Any, db: Path, args: list[str], code: int, message: str) -> None:
    run = neuram("perceive", "Paris is the capital of France", *args)
    assert run.code == code and message in run.err
    assert not db.exists() or stored(db) == {}


def test_a_global_option_after_the_command_says_where_it_goes(neuram: Any) -> None:
    run = neuram("list", "-n", "default")
    assert run.code == 2 and "-n is a global option: it comes before the command, neuram -n ... list" in run.err
    assert "--path is a global option" in neuram("stats", "--path=x.db").err
    other = neuram("list", "--bogus")
    assert other.code == 2 and "unrecognized arguments: --bogus" in other.err and "global" not in other.err


def test_empty_text_is_an_error(neuram: Any) -> None:
    run = neuram("perceive", "   ")
    assert run.code == 1 and run.err.startswith("neuram: error:")


def test_recall_prints_and_strengthens(neuram: Any, db: Path) -> None:
    fill(db)
    run = neuram("recall", "capital of France", "-k", "2")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == 2 and "Paris is the capital of France" in lines[0]
    before = {e.content: e.access_count for e in stored(db).values()}
    results = json.loads(neuram("recall", "capital of France", "--json", "-k", "1").out)
    assert results[0]["content"] == "Paris is the capital of France" and results[0]["score"] > 0
    after = {e.content: e.access_count for e in stored(db).values()}
    assert after["Paris is the capital of France"] == before["Paris is the capital of France"] + 1
    procedural = json.loads(neuram("recall", "capital of France", "--json", "-t", "procedural").out)
    assert [r["memory_type"] for r in procedural] == ["procedural"]
    assert neuram("recall", "capital", namespace="nobody").out.strip() == "nothing recalled"


def test_recall_explain_shows_the_parts_of_each_score(neuram: Any, db: Path) -> None:
    fill(db)
    before = {e.content: e.access_count for e in stored(db).values()}
    run = neuram("recall", "capital of France", "-k", "2", "--explain")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == 4 and "Paris is the capital of France" in lines[0]
    assert lines[1].strip().startswith("dense ") and "+ words " in lines[1] and "× retention" in lines[1]
    [first, *_] = json.loads(neuram("recall", "capital of France", "--explain", "--json", "-k", "1").out)
    assert first["content"] == "Paris is the capital of France"
    assert first["similarity"] + first["lexical"] + first["spread"] == pytest.approx(first["activation"])
    assert first["activation"] * first["retention_factor"] * first["superseded_factor"] == pytest.approx(
        first["score"]
    )
    after = {e.content: e.access_count for e in stored(db).values()}
    assert after["Paris is the capital of France"] == before["Paris is the capital of France"] + 2  # shown: used


def test_list(neuram: Any, db: Path) -> None:
    engrams = fill(db)
    run = neuram("list")
    assert run.code == 0 and [line.split()[0] for line in run.out.splitlines()] == [e.engram_id for e in engrams]
    habits = json.loads(neuram("list", "--type", "habitual", "--json").out)
    assert [h["memory_type"] for h in habits] == ["habitual"] and 0 < habits[0]["retention"] <= 1
    assert len(neuram("list", "--limit", "2").out.splitlines()) == 2


def test_stats_counts_regions_types_and_retention(neuram: Any, db: Path) -> None:
    fill(db)
    report = json.loads(neuram("stats", "--json").out)
    assert report["long_term"] == 4 and report["namespace"] == "default"
    assert report["by_type"] == {"episodic": 1, "semantic": 1, "procedural": 1, "habitual": 1}
    assert report["by_region"] == {"Neocortex": 2, "Cerebellum": 1, "BasalGanglia": 1}
    assert sum(b["count"] for b in report["retention_histogram"]) == 4
    assert len(report["retention_histogram"]) == 10 and report["due_for_pruning"] == 0
    text = neuram("stats").out
    assert "Neocortex 2, Cerebellum 1, BasalGanglia 1" in text and "retention now" in text
    assert "semantic 1" in text and "█" in text
    empty = json.loads(neuram("stats", "--json", namespace="nobody").out)
    assert empty["long_term"] == 0 and empty["by_type"]["semantic"] == 0


def test_namespaces_are_separate(neuram: Any, db: Path) -> None:
    assert neuram("perceive", "Ada likes green tea in the morning", namespace="ada").code == 0
    assert json.loads(neuram("stats", "--json").out)["long_term"] == 0
    assert json.loads(neuram("stats", "--json", namespace="ada").out)["long_term"] == 1


def test_sleep_prunes_what_faded(neuram: Any, db: Path) -> None:
    fill(db)
    now = time.time()
    faded = Engram(
        content="an old forgotten detail",
        memory_type=MemoryType.EPISODIC,
        salience=0.5,
        embedding=HashingEmbedder().embed(["an old forgotten detail"])[0],
        stability=1.0,
        encoded_at=now - 30 * DAY,
        last_accessed=now - 30 * DAY,
        consolidated=True,
    )

    async def put() -> None:
        store = SQLiteStore(db)
        await store.put("default", [(faded, forget_at(faded))])
        await store.close()

    asyncio.run(put())
    assert json.loads(neuram("stats", "--json").out)["due_for_pruning"] == 1
    report = json.loads(neuram("sleep", "--json").out)
    assert report["pruned_ltm"] == 1 and report["locked_out"] == 0
    assert faded.engram_id not in stored(db) and len(stored(db)) == 4
    assert "pruned_ltm 0" in neuram("sleep").out


def test_forget(neuram: Any, db: Path) -> None:
    engrams = fill(db)
    run = neuram("forget", engrams[0].engram_id, engrams[1].engram_id)
    assert run.code == 0 and run.out.strip() == "forgot 2"
    assert set(stored(db)) == {e.engram_id for e in engrams[2:]}
    unknown = neuram("forget", "no-such-id")
    assert unknown.code == 1 and "unknown engram id" in unknown.err and "no-such-id" in unknown.err
    assert neuram("forget", " ").code == 1
    assert len(stored(db)) == 2
    both = neuram("forget", engrams[2].engram_id, "no-such-id")  # all or nothing, as pin is
    assert both.code == 1 and "nothing was forgotten" in both.err and len(stored(db)) == 2


def test_a_long_texts_fragments_are_counted_apart_hidden_and_forgotten_with_it(
    neuram: Any, db: Path, tmp_path: Path
) -> None:
    long_text = " ".join(f"Line {i}: the crate went from dock {i} to the north warehouse." for i in range(30))
    with brain_on(db).sync as sync:
        note = sync.perceive(long_text, gate=False)
        sync.perceive("A short note about tea.", gate=False)
    assert len(note.fragments) == 6 and len(stored(db)) == 8
    listed = {line.split()[0] for line in neuram("list").out.splitlines()}
    assert listed == {i for i, e in stored(db).items() if e.fragment_of is None} and note.engram_id in listed
    report = json.loads(neuram("stats", "--json").out)
    assert (report["pending"], report["fragments"], sum(report["by_type"].values())) == (2, 6, 2)
    assert "fragments   6" in neuram("stats").out
    export = tmp_path / "all.jsonl"
    assert "exported 8 engrams (2 memories and 6 fragments of them)" in neuram("export", str(export)).err
    copied = neuram("import", str(export), path=tmp_path / "copy.db")
    assert "imported 8 engrams (2 memories and 6 fragments of them)" in copied.err
    part = neuram("forget", note.fragments[2])  # a passage is not forgotten alone, as Brain.forget refuses
    assert part.code == 1 and f"is a fragment of {note.engram_id}" in part.err and len(stored(db)) == 8
    assert neuram("forget", note.engram_id).out.strip() == "forgot 1"
    assert [e.content for e in stored(db).values()] == ["A short note about tea."]


# -- export and import ------------------------------------------------------------------------
def test_export_import_round_trip_is_exact(neuram: Any, db: Path, tmp_path: Path) -> None:
    originals = {e.engram_id: e for e in fill(db)}
    export = tmp_path / "memory.jsonl"
    run = neuram("export", str(export))
    assert run.code == 0 and "exported 4 engrams" in run.err
    header, *lines = export.read_text(encoding="utf-8").splitlines()
    expected_header = {"neuram_export": 1, "namespace": "default", "embedder": "hashing-384", "dimension": 384}
    assert json.loads(header) == expected_header
    assert len(lines) == 4 and all(tuple(json.loads(line)) == EXPORT_FIELDS for line in lines)

    fresh = tmp_path / "fresh.db"
    run = neuram("import", str(export), path=fresh)
    assert run.code == 0 and "imported 4 engrams" in run.err
    before, after = stored(db), stored(fresh)
    assert set(after) == set(before) == set(originals)
    for engram_id, engram in before.items():
        assert same(engram, after[engram_id]), engram_id
    assert any(e.associations for e in after.values()) and any(e.access_count for e in after.values())

    again = tmp_path / "again.jsonl"
    assert neuram("export", str(again), path=fresh).code == 0
    assert again.read_bytes() == export.read_bytes()

    # The imported store works as a brain: same index, same recall, same associations.
    for path in (db, fresh):
        brain = brain_on(path, ManualClock(time.time()))
        with brain.sync as sync:
            found = [(e.engram_id, round(s, 6)) for e, s in sync.recall("capital of France", top_k=4)]
            graph = {e.engram_id: sorted(brain.hippocampus.neighbours(e.engram_id).items()) for e in sync.list()}
        if path == db:
            expected = (found, graph)
    assert (found, graph) == expected


def test_export_import_through_stdout_and_stdin(
    neuram: Any, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db)
    exported = neuram("export", "-")
    assert exported.code == 0 and len(exported.out.splitlines()) == 1 + 4  # the header, then the engrams
    monkeypatch.setattr(sys, "stdin", io.StringIO(exported.out))
    fresh = tmp_path / "fresh.db"
    assert neuram("import", "-", path=fresh).code == 0
    assert {k: engram_to_export(v) for k, v in stored(fresh).items()} == {
        k: engram_to_export(v) for k, v in stored(db).items()
    }


def test_import_into_another_namespace_and_over_existing_ids(neuram: Any, db: Path, tmp_path: Path) -> None:
    fill(db)
    export = tmp_path / "memory.jsonl"
    neuram("export", str(export))
    assert neuram("import", str(export), namespace="copy").code == 0
    assert {k: engram_to_export(v) for k, v in stored(db, "copy").items()} == {
        k: engram_to_export(v) for k, v in stored(db).items()
    }
    assert neuram("import", str(export), namespace="copy").code == 0  # same ids: replaced, not doubled
    assert len(stored(db, "copy")) == 4


def test_export_of_an_empty_namespace_and_import_of_an_empty_file(neuram: Any, db: Path, tmp_path: Path) -> None:
    fill(db)
    export = tmp_path / "empty.jsonl"
    assert neuram("export", str(export), namespace="nobody").code == 0
    assert [json.loads(line)["embedder"] for line in export.read_text().splitlines()] == [None]  # the header only
    run = neuram("import", str(export))
    assert run.code == 0 and "nothing to import" in run.err


def test_export_to_an_unwritable_place(neuram: Any, db: Path, tmp_path: Path) -> None:
    fill(db)
    run = neuram("export", str(tmp_path / "no" / "such" / "dir" / "out.jsonl"))
    assert run.code == 1 and "cannot write" in run.err


def test_import_missing_file(neuram: Any, db: Path, tmp_path: Path) -> None:
    run = neuram("import", str(tmp_path / "missing.jsonl"))
    assert run.code == 1
    assert run.err.startswith("neuram: error: cannot read") and "No such file" in run.err
    assert not db.exists() or stored(db) == {}


def _good_lines(neuram: Any, db: Path, tmp_path: Path) -> list[str]:
    fill(db)
    export = tmp_path / "good.jsonl"
    assert neuram("export", str(export)).code == 0
    return export.read_text(encoding="utf-8").splitlines()[1:]  # the engram lines, as an export before headers


def _edit(line: str, **changes: Any) -> str:
    obj = json.loads(line)
    for key, value in changes.items():
        if value is _DROP:
            del obj[key]
        else:
            obj[key] = value
    return json.dumps(obj)


_DROP = object()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (lambda line: line[:-5], "not valid JSON"),
        (lambda line: "[1, 2, 3]", "expected a JSON object"),
        (lambda line: _edit(line, memory_type="dream"), "unknown memory type 'dream'"),
        (lambda line: _edit(line, content=_DROP), "missing field 'content'"),
        (lambda line: _edit(line, stability=-1), "'stability' must be > 0"),
        (lambda line: _edit(line, salience=2), "'salience' must lie in"),
        (lambda line: _edit(line, access_count=1.5), "'access_count' must be an integer"),
        (lambda line: _edit(line, embedding="***"), "'embedding' is not valid base64"),
        (lambda line: _edit(line, embedding=base64.b64encode(b"abc").decode()), "not a float32 vector"),
        (lambda line: _edit(line, embedding=base64.b64encode(b"\0\0\xc0\x7f").decode()), "non-finite"),
        (lambda line: _edit(line, associations=[["x"]]), "[engram_id, weight] pairs"),
        (lambda line: _edit(line, extra=1), "unknown field(s) 'extra'"),
        (lambda line: _edit(line, consolidated="yes"), "'consolidated' must be true or false"),
        (lambda line: re.sub(r'"salience": [^,]+', '"salience": NaN', line), "'salience' must be finite"),
        (lambda line: _edit(line, metadata={"x": 10**400}), "field 'metadata'['x'] is an integer outside"),
        (lambda line: _edit(line, access_count=2**70), "'access_count' is an integer outside the 64-bit range a store"),
        (lambda line: _edit(line, content="bad \ud800 text"), "field 'content' holds text that is not valid UTF-8"),
        (lambda line: _edit(line, fragment_of="gone"), "a fragment of 'gone', which the file does not hold"),
        (lambda line: _edit(line, metadata={"k": "\udcff"}), "field 'metadata' holds text that is not valid UTF-8"),
    ],
)
def test_malformed_line_imports_nothing(neuram: Any, db: Path, tmp_path: Path, bad: Any, message: str) -> None:
    lines = _good_lines(neuram, db, tmp_path)
    lines[2] = bad(lines[2])
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fresh = tmp_path / "fresh.db"
    run = neuram("import", str(path), path=fresh)
    assert run.code == 1, run.err
    assert f"{path}, line 3:" in run.err and message in run.err and "nothing was imported" in run.err
    assert run.err.startswith("neuram: error:") and "Traceback" not in run.err
    assert not fresh.exists() or stored(fresh) == {}


def test_repeated_id_and_mixed_dimensions_import_nothing(neuram: Any, db: Path, tmp_path: Path) -> None:
    lines = _good_lines(neuram, db, tmp_path)
    fresh = tmp_path / "fresh.db"
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    run = neuram("import", str(path), path=fresh)
    assert run.code == 1 and "line 5" in run.err and "repeats line 2" in run.err
    small = base64.b64encode(np.ones(8, dtype="<f4").tobytes()).decode()
    path.write_text("\n".join([*lines, _edit(lines[0], engram_id=uuid.uuid4().hex, embedding=small)]), "utf-8")
    run = neuram("import", str(path), path=fresh)
    assert run.code == 1 and "line 5: embedding has 8 dimensions, line 1 has 384" in run.err
    assert not fresh.exists() or stored(fresh) == {}


def test_import_refuses_embeddings_of_another_dimension_than_the_namespace(
    neuram: Any, db: Path, tmp_path: Path
) -> None:
    fill(db)
    small = base64.b64encode(np.ones(8, dtype="<f4").tobytes()).decode()
    other = {**engram_to_export(next(iter(stored(db).values()))), "engram_id": "new", "embedding": small}
    path = tmp_path / "small.jsonl"
    path.write_text(json.dumps(other) + "\n", encoding="utf-8")
    run = neuram("import", str(path))
    assert run.code == 1 and "8 dimensions" in run.err and "holds 384" in run.err
    assert "new" not in stored(db)


def test_blank_lines_are_skipped_and_line_numbers_count_them(neuram: Any, db: Path, tmp_path: Path) -> None:
    lines = _good_lines(neuram, db, tmp_path)
    path = tmp_path / "gaps.jsonl"
    path.write_text("\n" + "\n\n".join(lines) + "\n\n", encoding="utf-8")
    assert neuram("import", str(path), path=tmp_path / "fresh.db").code == 0
    path.write_text("\n\n{oops\n", encoding="utf-8")
    assert "line 3:" in neuram("import", str(path), path=tmp_path / "fresh2.db").err


def test_non_utf8_file(neuram: Any, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"content": "caf\xe9"}\n')
    run = neuram("import", str(path))
    assert run.code == 1 and "not UTF-8" in run.err and "nothing was imported" in run.err


# -- the command line itself ---------------------------------------------------------------
def test_global_options_come_before_the_command(neuram: Any, tmp_path: Path) -> None:
    run = neuram("--redis-url", "redis://localhost:1", "stats", path=tmp_path / "x.db")
    assert run.code == 2 and "not allowed with" in run.err
    assert neuram(path=tmp_path / "x.db").code == 2  # a command is required
    assert neuram("frobnicate").code == 2


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("stats", "list", "recall", "perceive", "sleep", "forget", "export", "import"):
        assert command in out
    assert "--redis-url" in out and "--namespace" in out and "--embedder" in out and "hashing-N" in out


def test_progress_bars_go_to_stderr(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(db)
    export = tmp_path / "memory.jsonl"
    assert main(["--path", str(db), "--progress", "export", str(export)]) == 0
    err = capsys.readouterr().err
    assert "exporting" in err and "4/4" in err
    assert main(["--path", str(tmp_path / "f.db"), "--progress", "import", str(export)]) == 0
    assert "reading" in capsys.readouterr().err


def test_console_script_runs_without_loading_the_model(db: Path, tmp_path: Path) -> None:
    """stats, list, export, import, forget and sleep never import sentence-transformers."""
    fill(db)
    code = (
        "import sys\n"
        "from neuram_core.cli import main\n"
        f"db, out = {str(db)!r}, {str(tmp_path / 'out.jsonl')!r}\n"
        "for argv in (['stats'], ['list'], ['export', out], ['--namespace', 'b', 'import', out],\n"
        "             ['forget', 'nope'], ['sleep']):\n"
        "    try:\n"
        "        main(['--path', db, *argv])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('sentence_transformers' in sys.modules, 'torch' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False False"


def test_python_dash_m(tmp_path: Path) -> None:
    fill(tmp_path / "m.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "neuram_core.cli", "--path", str(tmp_path / "m.db"), "stats", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["long_term"] == 4


@pytest.mark.redis
def test_redis_store_round_trip(neuram: Any, db: Path, tmp_path: Path) -> None:
    from tests.servers import shared_server

    url = shared_server().url
    namespace = f"cli-{uuid.uuid4().hex}"
    fill(db)
    export = tmp_path / "memory.jsonl"
    assert neuram("export", str(export)).code == 0

    def on_redis(*args: str) -> Run:
        return neuram("--redis-url", url, "--namespace", namespace, *args, path=None)  # type: ignore[no-any-return]

    assert on_redis("import", str(export)).code == 0
    assert json.loads(on_redis("stats", "--json").out)["long_term"] == 4
    again = tmp_path / "again.jsonl"
    assert on_redis("export", str(again)).code == 0
    assert sorted(again.read_text().splitlines()[1:]) == sorted(export.read_text().splitlines()[1:])  # after headers
    assert "Paris" in on_redis("recall", "capital of France", "-k", "1").out
    first = json.loads(export.read_text().splitlines()[1])["engram_id"]
    assert on_redis("forget", first).code == 0
    assert json.loads(on_redis("stats", "--json").out)["long_term"] == 3


def test_console_script_entry_point() -> None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("neuram")
    except PackageNotFoundError:
        pytest.skip("neuram is not installed (pip install -e .)")
    [script] = [e for e in dist.entry_points if e.group == "console_scripts" and e.name == "neuram"]
    assert script.value == "neuram_core.cli:main" and script.load() is main


def test_export_skips_and_reports_corrupt_records(neuram: Any, db: Path, tmp_path: Path) -> None:
    import sqlite3

    engrams = fill(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE engrams SET record = json_set(record, '$.type', 'garbage') WHERE id = ?", (engrams[0].engram_id,)
        )
    run = neuram("export", str(tmp_path / "out.jsonl"))
    assert run.code == 0 and "exported 3 engrams" in run.err and "skipped 1 corrupt record" in run.err
    assert json.loads(neuram("stats", "--json").out)["corrupt_records"] == 1


def test_namespaces_lists_them_and_an_empty_one_says_so(neuram: Any, db: Path) -> None:
    fill(db)
    neuram("perceive", "Bob keeps his bike in the shed", namespace="bob")
    assert neuram("namespaces").out.split() == ["bob", "default"]
    assert json.loads(neuram("namespaces", "--json").out) == ["bob", "default"]
    typo = neuram("list", namespace="bbo")
    assert typo.code == 0 and typo.out == ""
    assert "namespace 'bbo' holds no memories ('neuram namespaces' lists the ones that do)" in typo.err
    assert neuram("list", namespace="bob").err == ""
    stats = neuram("stats", "--json", namespace="bbo")
    assert stats.code == 0 and json.loads(stats.out)["by_type"] and "'bbo' holds no memories" in stats.err
    empty = neuram("list", namespace="")
    assert empty.code == 2 and "namespace must be a non-empty str" in empty.err


@pytest.mark.parametrize(
    ("similarity", "lexical", "shown"), [(0.41, 0.2, True), (0.0002, 0.0, False), (-0.1, 0.0, False)]
)
def test_explain_names_the_passage_only_when_the_cue_matched_it(similarity: float, lexical: float, shown: bool) -> None:
    from neuram_core.cli import explained_lines
    from neuram_core.explain import Explanation

    note = Engram("A long note about crates and docks", MemoryType.EPISODIC, 0.5, engram_id="n1")
    x = Explanation(
        note, 0.5, similarity, lexical, 0.0, None, None, 0.0, similarity + lexical, 1.0, 1.0, 1.0, 1.0,
        fragment_id="f7", fragment_content="the crate went to dock 7",
    )
    lines = explained_lines(x)
    assert lines[0].endswith("n1  A long note about crates and docks")
    assert (lines[-1] == "       matched in its fragment f7: the crate went to dock 7") is shown
    assert len(lines) == (3 if shown else 2)


def test_explain_shows_the_whole_passage_and_one_hop_once() -> None:
    from neuram_core.cli import explained_lines
    from neuram_core.explain import Explanation

    note = Engram("A long note about crates and docks", MemoryType.EPISODIC, 0.5, engram_id="n1")
    passage = "The gardener postponed the heating schedule. " * 3 + "The spare car key hides under the blue pot."
    x = Explanation(
        note, 0.5, 0.4, 0.1, 0.2, "s1", "s1", 0.8, 0.7, 1.0, 1.0, 1.0, 1.0,
        fragment_id="f7", fragment_content=passage,
    )
    lines = explained_lines(x)
    assert "(from s1, edge 0.80)" in lines[1] and "via" not in lines[1]
    assert lines[2].startswith("       matched in its fragment f7: The gardener postponed")
    assert " ".join(line.strip() for line in lines[3:]).endswith("The spare car key hides under the blue pot.")
    assert all(len(line) <= 130 for line in lines[2:])
