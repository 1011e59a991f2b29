"""What a newcomer meets first: private store files, readers that create nothing, plain
words for bad UTF-8, quiet start-up, and progress bars only on a terminal."""

from __future__ import annotations

import asyncio
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuram_core import Brain, Engram, HashingEmbedder, ManualClock, MemoryType
from neuram_core.stores.sqlite import SQLiteStore
from neuram_core.validation import check_text, utf8_error_offset

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, to see what a user at one would see."""

    def isatty(self) -> bool:
        return True


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the SQLite store's files ------------------------------------------------------------------
@pytest.mark.usefixtures("open_umask")
async def test_a_new_store_is_private_to_its_user(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    db = tmp_path / "made" / "for" / "me.db"
    store = SQLiteStore(db)
    try:
        secret = Engram(content="my secret", memory_type=MemoryType.SEMANTIC, salience=0.5)
        await store.put("default", [(secret, 1e12)])
        for folder in (tmp_path / "made", tmp_path / "made" / "for"):
            assert mode(folder) == 0o700, folder
        for name in ("me.db", "me.db-wal", "me.db-shm"):  # the WAL files exist while it is open
            assert mode(db.with_name(name)) == 0o600, name
    finally:
        await store.close()
    assert mode(tmp_path) == 0o755  # a folder it did not create keeps its mode


async def test_an_existing_store_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    store = SQLiteStore(db)
    await store.count("default")
    await store.close()
    db.chmod(0o640)  # the user chose to share it with a group
    store = SQLiteStore(db)
    try:
        await store.count("default")
        assert mode(db) == 0o640
    finally:
        await store.close()


async def test_create_false_opens_an_existing_store_and_creates_none(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "typo.db"
    store = SQLiteStore(missing, create=False)
    with pytest.raises(FileNotFoundError, match=f"no SQLite store at {missing}"):
        await store.count("default")
    await store.close()
    assert not (tmp_path / "no").exists()
    made = SQLiteStore(tmp_path / "real.db")
    await made.put("default", [(Engram(content="kept", memory_type=MemoryType.SEMANTIC, salience=0.5), 1e12)])
    await made.close()
    reader = SQLiteStore(tmp_path / "real.db", create=False)
    try:
        assert await reader.count("default") == 1
    finally:
        await reader.close()
    with pytest.raises(TypeError, match="create must be a bool"):
        SQLiteStore(tmp_path / "x.db", create="no")  # type: ignore[arg-type]


# -- bad UTF-8 in plain words ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "offset"),
    [(b"caf\xe9 au lait", 3), (b"\xff", 0), ("é".encode() + b"\x80x", 2), (b"ok \xe2\x82", 3), (b"fine", None)],
)
def test_the_offset_is_the_byte_in_the_input(raw: bytes, offset: int | None) -> None:
    """argv and other surrogateescape text keep each bad byte as a lone surrogate."""
    text = raw.decode("utf-8", "surrogateescape")
    assert utf8_error_offset(text) == offset
    if offset is not None:
        with pytest.raises(UnicodeDecodeError) as strict:
            raw.decode("utf-8")
        assert strict.value.start == offset


def test_check_text_says_where_the_text_stops_being_utf8() -> None:
    with pytest.raises(ValueError, match=r"^content is not valid UTF-8 text at byte 3$"):
        check_text(b"caf\xe9 au lait".decode("utf-8", "surrogateescape"), "content")
    with pytest.raises(ValueError, match="not valid UTF-8 text at byte 4"):
        check_text("bad \ud800 here", "content")  # a lone surrogate written by a program
    assert check_text("naïve café ✓", "content") == "naïve café ✓"


# -- progress bars: on a terminal, or as asked ----------------------------------------------------
TEXTS = [f"note {i} about the garden kitchen recipe and dinner plans" for i in range(30)]


@pytest.mark.parametrize(
    ("terminal", "progress", "shown"),
    [
        (True, None, True),
        (False, None, False),
        (True, False, False),
        (False, True, True),
    ],
)
async def test_perceive_many_shows_a_bar_on_a_terminal_by_default(
    monkeypatch: pytest.MonkeyPatch, clock: ManualClock, terminal: bool, progress: bool | None, shown: bool
) -> None:
    err = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    brain = await Brain.create(path=":memory:", embedder=HashingEmbedder(), clock=clock)
    try:
        await brain.perceive_many(TEXTS, progress=progress)
    finally:
        await brain.close()
    assert ("30/30" in err.getvalue()) is shown


async def test_perceive_many_rejects_a_progress_that_is_not_a_bool(brain: Brain) -> None:
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        await brain.perceive_many(TEXTS, progress="yes")  # type: ignore[arg-type]
    assert await brain.list() == []


async def test_loading_over_ten_thousand_engrams_shows_a_bar_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "big.db"
    texts = [f"memory number {i}" for i in range(10_001)]
    vectors = HashingEmbedder().embed(texts)
    store = SQLiteStore(db)
    engrams = [
        Engram(content=t, memory_type=MemoryType.SEMANTIC, salience=0.5, embedding=np.asarray(v), consolidated=True)
        for t, v in zip(texts, vectors, strict=True)
    ]
    await store.put("default", [(e, 1e12) for e in engrams])
    await store.close()
    for err, shown in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", err)
        brain = await Brain.create(path=str(db), embedder=HashingEmbedder())
        try:
            assert (await brain.recall("memory number 7", strengthen=False))[0][0].content == "memory number 7"
        finally:
            await brain.close()
        assert ("loading memories" in err.getvalue() and "10001/10001" in err.getvalue()) is shown


# -- the real model: quiet, and the quick start keeps to its own namespace -----------------------
def _quiet_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user who set nothing: none of the knobs that hide the bars."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS")}
    return {**env, "HF_HUB_OFFLINE": "1", "NEURAM_PATH": str(tmp_path / "memory.db"), "PYTHONPATH": str(ROOT)}


@pytest.mark.slow
def test_opening_a_brain_with_the_real_model_prints_nothing(tmp_path: Path) -> None:
    code = (
        "from neuram import Brain\n"
        "from transformers.utils import logging\n"
        "brain = Brain.open()\n"
        "brain.sync.perceive('Paris is the capital of France')\n"
        "assert brain.sync.recall('capital city Europe')\n"
        "brain.sync.close()\n"
        # The user's own transformers bars are as they were.
        "assert logging.is_progress_bar_enabled() and logging.set_tqdm_hook(None) is None\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_quiet_env(tmp_path), timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert (run.stdout, run.stderr) == ("", "")


async def _namespaces(db: Path) -> dict[str, int]:
    store = SQLiteStore(db, create=False)
    try:
        return {ns: await store.count(ns) for ns in await store.namespaces()}
    finally:
        await store.close()


@pytest.mark.slow
def test_the_quick_start_keeps_its_memories_out_of_the_default_namespace(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        env=_quiet_env(tmp_path),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "Paris is the capital of France" in run.stdout.splitlines()[0]
    assert asyncio.run(_namespaces(tmp_path / "memory.db")) == {"quickstart": 4}
