"""The long-notes harness on the hand-made LoCoMo sample (the real data set is not in the repo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.long_notes import BIG_FACT, big_note, main
from tests.benchmarks.test_locomo import sample


def test_each_session_is_one_note_and_each_size_one_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = tmp_path / "toy.json", tmp_path / "out.json"
    path.write_text(json.dumps(sample()))
    argv = ["--data", str(path), "--fragment-words", "0,5", "--json", str(out), "--embedder", "hashing"]
    assert main(argv) == 0
    rows = json.loads(out.read_text())
    assert [(r["fragment_words"], r["lexical"]) for r in rows] == [(0, True), (5, True), (0, False), (5, False)]
    assert all(r["notes"] == 2 and r["questions"] == 3 for r in rows)  # a question with no evidence is skipped
    assert [r["fragments_per_note"] for r in rows] == [0.0, 6.0, 0.0, 6.0]  # 8 and 4 pieces of at most 5 words
    assert all(r["recall"]["5"]["all"] == 100.0 for r in rows)  # two notes: both are in the top 5
    assert rows[0]["recall"]["1"]["conv6-10"] == 0.0  # one conversation: nothing in the second half
    assert "| 5 | dense only |" in capsys.readouterr().out


def test_the_data_is_required_unless_the_big_note_is_asked_for() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--embedder", "hashing"])
    assert exc.value.code == 2


def test_the_big_note_holds_its_fact_where_asked() -> None:
    start, end = big_note(False), big_note(True)
    assert start.startswith(BIG_FACT) and end.endswith(BIG_FACT) and len(start) == len(end) > 850_000


async def test_in_the_big_note_only_a_fragment_finds_the_fact_at_its_end() -> None:
    from benchmarks.long_notes import run_big_note
    from neuram_core import HashingEmbedder

    whole = await run_big_note(0, True, HashingEmbedder())
    parts = await run_big_note(60, True, HashingEmbedder())
    assert (whole["fragments"], whole["recalled_first"]) == (0, False)  # the weather note comes first
    assert parts["fragments"] > 2_000 and parts["recalled_first"] is True
    assert parts["similarity"] > whole["similarity"] + 0.3
