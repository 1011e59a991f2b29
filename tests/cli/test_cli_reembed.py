"""``neuram reembed``: move a namespace to another embedding model, losing nothing, and
never leaving it silently mixed (a crash midway is refused until the command runs again).

Runs in-process through ``main(argv)`` with hashing embedders, so no model loads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuram_core import Brain, EmbedderMismatchError, Engram, HashingEmbedder, ManualClock, MemoryType
from neuram_core.cli import main
from neuram_core.engram import Vector
from neuram_core.identity import REEMBEDDING, reembed
from neuram_core.stores.sqlite import SQLiteStore
from tests.cli.runner import Run, run_cli
from tests.conftest import START

NS = "default"
FACTS = [
    "Paris is the capital of France",
    "Alice met Bob at the Redis meetup in Lyon",
    "To deploy, build the wheel and upload it",
    "The user prefers concise answers",
    "The staging server is called kestrel",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A namespace of five memories made with hashing-384, consolidated and recalled."""
    path = tmp_path / "memory.db"
    with open_on(path, HashingEmbedder()).sync as sync:
        for fact in FACTS:
            sync.perceive(fact, memory_type="semantic")
        sync.sleep()
        sync.recall("capital of France")
    return path


@pytest.fixture
def neuram(db: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str) -> Run:
        return run_cli(capsys, "--path", str(db), *args)

    return run


def open_on(path: Path, embedder: Any) -> Brain:
    return Brain.open(path=str(path), embedder=embedder, clock=ManualClock(START), namespace=NS)


def on_store(path: Path, work: Any) -> Any:
    async def go() -> Any:
        store = SQLiteStore(path)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(go())


def stored(path: Path) -> dict[str, Engram]:
    async def scan(store: SQLiteStore) -> dict[str, Engram]:
        return {e.engram_id: e async for e in store.scan(NS)}

    result: dict[str, Engram] = on_store(path, scan)
    return result


def info(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = on_store(path, lambda store: store.get_info(NS))
    return result


def all_but_embeddings(engrams: dict[str, Engram]) -> dict[str, dict[str, Any]]:
    return {
        i: {f.name: getattr(e, f.name) for f in dataclasses.fields(Engram) if f.name != "embedding"}
        for i, e in engrams.items()
    }


def assert_embedded_by(engrams: dict[str, Engram], embedder: HashingEmbedder) -> None:
    for engram in engrams.values():
        assert engram.embedding is not None
        np.testing.assert_array_equal(engram.embedding, embedder.embed([engram.content])[0])


class Failing(HashingEmbedder):
    """hashing-64 that dies after ``batches`` calls (a crash, a killed process, a lost GPU)."""

    def __init__(self, batches: int) -> None:
        super().__init__(64)
        self.left = batches

    def _embed(self, texts: list[str]) -> Vector:
        if self.left == 0:
            raise RuntimeError("the model server went away")
        self.left -= 1
        return super()._embed(texts)


# -- the command ----------------------------------------------------------------------------------
def test_reembed_moves_the_namespace_and_keeps_everything_else(db: Path, neuram: Any) -> None:
    before = stored(db)
    run = neuram("--no-progress", "reembed", "--embedder", "hashing-64", "--batch", "2")
    assert run.code == 0, run.err
    assert f"re-embedded 5 engrams of namespace '{NS}' with hashing-64" in run.err
    after = stored(db)
    assert all_but_embeddings(after) == all_but_embeddings(before)  # strength, links, recalls: all kept
    assert_embedded_by(after, HashingEmbedder(64))
    assert info(db) == {"embedder": "hashing-64", "dimension": 64}
    with pytest.raises(EmbedderMismatchError, match="embedded with hashing-64"):
        open_on(db, HashingEmbedder())
    with open_on(db, HashingEmbedder(64)).sync as sync:
        [(found, _), *_] = sync.recall("the capital of France", strengthen=False)
        assert found.content == "Paris is the capital of France"


def test_the_fix_an_error_names_works(db: Path, neuram: Any) -> None:
    """The mismatch error's command, run as it stands, opens the namespace to that embedder."""
    with pytest.raises(EmbedderMismatchError) as caught:
        open_on(db, HashingEmbedder(32))
    command = str(caught.value).split("`")[1].split()
    assert command[:3] == ["neuram", "reembed", "--embedder"]
    assert neuram("--no-progress", *command[1:]).code == 0
    open_on(db, HashingEmbedder(32)).sync.close()


def test_a_crash_midway_is_refused_until_the_command_runs_again(db: Path, neuram: Any) -> None:
    before = stored(db)

    async def crash(store: SQLiteStore) -> None:
        await reembed(store, NS, Failing(batches=2), batch_size=2, progress=False)

    with pytest.raises(RuntimeError, match="went away"):
        on_store(db, crash)
    mixed = stored(db)
    moved = [i for i, e in mixed.items() if e.embedding is not None and e.embedding.shape == (64,)]
    assert len(moved) == 4  # two batches of two, then the crash: the namespace is mixed...
    assert info(db) == {"embedder": "hashing-384", "dimension": 384, REEMBEDDING: "hashing-64"}
    for embedder in (HashingEmbedder(), HashingEmbedder(64)):  # ...and refused, whichever model asks
        with pytest.raises(EmbedderMismatchError, match=r"Run `neuram reembed --embedder hashing-64` again"):
            open_on(db, embedder)
    run = neuram("--no-progress", "reembed", "--embedder", "hashing-64")
    assert run.code == 0, run.err
    after = stored(db)
    assert all_but_embeddings(after) == all_but_embeddings(before)
    assert_embedded_by(after, HashingEmbedder(64))
    assert info(db) == {"embedder": "hashing-64", "dimension": 64}
    open_on(db, HashingEmbedder(64)).sync.close()


def test_a_reembed_refused_by_the_cli_says_how_to_finish(db: Path, neuram: Any) -> None:
    async def crash(store: SQLiteStore) -> None:
        await reembed(store, NS, Failing(batches=0), progress=False)

    with pytest.raises(RuntimeError):
        on_store(db, crash)
    run = neuram("--embedder", "hashing", "recall", "France")
    assert run.code == 1
    assert "neuram: error: namespace 'default' is being re-embedded to hashing-64" in run.err


def test_rerunning_a_finished_reembed_changes_nothing(db: Path, neuram: Any) -> None:
    assert neuram("--no-progress", "reembed", "--embedder", "hashing-64").code == 0
    first = stored(db)
    assert neuram("--no-progress", "reembed", "--embedder", "hashing-64").code == 0
    again = stored(db)
    assert all_but_embeddings(again) == all_but_embeddings(first)
    for engram_id, engram in again.items():
        np.testing.assert_array_equal(engram.embedding, first[engram_id].embedding)  # type: ignore[arg-type]


def test_the_progress_bar_counts_engrams(neuram: Any) -> None:
    run = neuram("--progress", "reembed", "--embedder", "hashing-64", "--batch", "2")
    assert run.code == 0
    assert "reembedding" in run.err and "5/5" in run.err
    quiet = neuram("--no-progress", "reembed", "--embedder", "hashing-64")
    assert "reembedding" not in quiet.err


def test_an_empty_namespace_just_records_the_new_model(db: Path, neuram: Any) -> None:
    run = neuram("--no-progress", "--namespace", "fresh", "reembed", "--embedder", "hashing-16")
    assert run.code == 0 and "re-embedded 0 engrams of namespace 'fresh'" in run.err
    got: dict[str, Any] = on_store(db, lambda store: store.get_info("fresh"))
    assert got == {"embedder": "hashing-16", "dimension": 16}


async def test_an_engram_rewritten_meanwhile_gets_the_vector_of_its_new_text(tmp_path: Path) -> None:
    """The content of an id can change between its embedding and its update (a replace by
    id): the vector stored is always that of the text stored."""
    store = SQLiteStore(tmp_path / "race.db")
    loop = asyncio.get_running_loop()
    original = Engram(
        content="the old text",
        memory_type=MemoryType.SEMANTIC,
        salience=0.5,
        engram_id="e1",
        embedding=HashingEmbedder(64).embed(["x"])[0],
        consolidated=True,
    )

    class Racing(HashingEmbedder):
        def __init__(self) -> None:
            super().__init__(64)
            self.raced = False

        def _embed(self, texts: list[str]) -> Vector:
            if not self.raced:  # a writer replaces e1 while its old text is being embedded
                self.raced = True
                rewritten = dataclasses.replace(original, content="the new text")
                asyncio.run_coroutine_threadsafe(store.put(NS, [(rewritten, 2e9)]), loop).result()
            return super()._embed(texts)

    try:
        await store.put(NS, [(original, 2e9)])
        assert await reembed(store, NS, Racing(), progress=False) == 1
        [got] = await store.get(NS, ["e1"])
        assert got is not None and got.content == "the new text"
        np.testing.assert_array_equal(got.embedding, HashingEmbedder(64).embed(["the new text"])[0])  # type: ignore[arg-type]
    finally:
        await store.close()


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["reembed"], 2, "the following arguments are required: --embedder"),
        (["reembed", "--embedder", "hashing-64", "--batch", "0"], 2, "must be >= 1, got 0"),
        (["reembed", "--embedder", "hashing-64", "--batch", "x"], 2, "not an integer"),
        (["reembed", "--embedder", "hashing-4"], 1, "dimension must be an int >= 8, got 4"),
    ],
)
def test_bad_arguments_are_refused_before_anything_changes(
    db: Path, neuram: Any, args: Sequence[str], code: int, message: str
) -> None:
    before = stored(db)
    run = neuram(*args)
    assert run.code == code and message in run.err
    assert info(db) == {"embedder": "hashing-384", "dimension": 384}
    assert all_but_embeddings(stored(db)) == all_but_embeddings(before)


def test_a_store_that_does_not_exist_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    with pytest.raises(SystemExit):
        main(["--path", str(missing), "reembed", "--embedder", "hashing-64"])
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists()


# -- export and import keep the model --------------------------------------------------------------
def test_an_export_says_its_embedder_and_an_import_keeps_or_refuses_it(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: an export carried no model, so an import into a fresh store adopted
    the default model on open and recalled noise, and an import into a namespace of another
    model mixed two models' vectors."""
    export = tmp_path / "hashing.jsonl"
    assert run_cli(capsys, "--path", str(db), "export", str(export)).code == 0
    assert json.loads(export.read_text().splitlines()[0])["embedder"] == "hashing-384"
    assert os.stat(export).st_mode & 0o777 == 0o600  # an export holds memories: private
    copy = tmp_path / "copy.db"
    assert run_cli(capsys, "--path", str(copy), "import", str(export)).code == 0
    with pytest.raises(EmbedderMismatchError, match="hashing-384"):
        open_on(copy, HashingEmbedder(64))  # the copy knows its model: no silent noise
    open_on(copy, HashingEmbedder()).sync.close()
    other = tmp_path / "minilm.db"
    with open_on(other, HashingEmbedder(64)).sync as sync:
        sync.perceive("The staging server is called kestrel", memory_type="semantic")
    run = run_cli(capsys, "--path", str(other), "import", str(export))
    assert run.code == 1 and "was embedded with hashing-384" in run.err and "nothing was imported" in run.err
    with open_on(other, HashingEmbedder(64)).sync as sync:
        assert len(sync.list()) == 1


def test_the_embedder_a_mismatch_error_names_opens_the_namespace(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: the error said "open it with hashing-384", but --embedder was hidden
    and took only "hashing"."""
    wrong = run_cli(capsys, "--path", str(db), "--embedder", "hashing-64", "recall", "capital of France")
    assert wrong.code == 1 and "hashing-384" in wrong.err and "Traceback" not in wrong.err
    right = run_cli(capsys, "--path", str(db), "--embedder", "hashing-384", "recall", "capital of France")
    assert right.code == 0 and "Paris is the capital of France" in right.out
    bad = run_cli(capsys, "--path", str(db), "--embedder", "hashing-many", "recall", "capital of France")
    assert bad.code == 1 and "hashing-N takes a dimension" in bad.err
