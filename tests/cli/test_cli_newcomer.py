"""The ``neuram`` command as a newcomer meets it: a mistyped store creates nothing, a new
one is private, long notes come from stdin, bad UTF-8 and empty imports say so plainly."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from neuram_core.cli import main
from tests.cli.runner import QUICK, run_cli

ROOT = Path(__file__).resolve().parents[2]
ARGS = QUICK
NOTE = "Ada keeps bees on the roof of the old library in Lyon"


def neuram(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_cli(capsys, *ARGS, *argv).parts()


def stdin_of(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# -- a store that does not exist -------------------------------------------------------------------
READERS = [["stats"], ["list"], ["recall", "bees"], ["export", "-"], ["sleep"], ["forget", "some-id"]]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
@pytest.mark.parametrize("spelling", ["--path", "--store"])
def test_a_command_that_only_reads_creates_no_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str], spelling: str
) -> None:
    typo = tmp_path / "no" / "such" / "typo.db"
    where = [spelling, str(typo) if spelling == "--path" else f"sqlite:///{typo}"]
    code, out, err = neuram(capsys, *where, *command)
    assert code == 1 and out == ""
    assert err == f"neuram: error: no store at {typo}; nothing was created (perceive or import creates one)\n"
    assert not (tmp_path / "no").exists()


def test_the_default_store_is_not_created_by_a_reader(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEURAM_PATH", str(tmp_path / "data" / "memory.db"))
    code, _, err = neuram(capsys, "stats")
    assert code == 1 and "no store at" in err and not (tmp_path / "data").exists()
    assert neuram(capsys, "perceive", NOTE)[0] == 0
    code, out, _ = neuram(capsys, "stats")
    assert code == 0 and "long-term   1 engrams" in out


@pytest.mark.usefixtures("open_umask")
def test_a_writing_command_creates_a_private_store(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    db = tmp_path / "mine" / "memory.db"
    code, _, err = neuram(capsys, "--path", str(db), "perceive", NOTE)
    assert code == 0, err
    assert stat.S_IMODE((tmp_path / "mine").stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    export = tmp_path / "out.jsonl"
    assert neuram(capsys, "--path", str(db), "export", str(export))[0] == 0
    copy = tmp_path / "copy" / "memory.db"
    assert neuram(capsys, "--store", f"sqlite:///{copy}", "import", str(export))[0] == 0
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700


def test_help_says_which_commands_create_a_store(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "Only perceive and import create a store" in " ".join(capsys.readouterr().out.split())


# -- perceive - ----------------------------------------------------------------------------------
def test_perceive_reads_a_long_note_from_stdin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = " ".join(f"line {i} of the meeting notes about the garden budget." for i in range(20_000))
    assert len(note.encode()) > 1_000_000  # far over what one argument may hold (128 KiB)
    stdin_of(monkeypatch, note.encode() + b"\n")
    db = tmp_path / "m.db"
    code, _, err = neuram(capsys, "--path", str(db), "perceive", "-", "--json")
    assert code == 0, err
    code, out, _ = neuram(capsys, "--path", str(db), "list", "--json")
    assert code == 0 and '"content": "' + note + '"' in out  # whole, without the trailing newline


def test_perceive_of_bad_utf8_on_stdin_names_the_byte(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin_of(monkeypatch, b"caf\xe9 au lait")
    db = tmp_path / "m.db"
    code, _, err = neuram(capsys, "--path", str(db), "perceive", "-")
    assert (code, err) == (1, "neuram: error: the text on stdin is not valid UTF-8 text at byte 3\n")
    assert not db.exists()


def test_perceive_of_an_empty_stdin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin_of(monkeypatch, b"\n")
    code, _, err = neuram(capsys, "--path", str(tmp_path / "m.db"), "perceive", "-")
    assert (code, err) == (1, "neuram: error: the text is empty\n")


def test_bad_utf8_in_an_argument_names_the_byte(tmp_path: Path) -> None:
    """Bytes in argv that are not UTF-8 arrive as lone surrogates (surrogateescape)."""
    db = tmp_path / "m.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUTF8": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "neuram_core.cli", *ARGS, "--path", str(db), "perceive", b"caf\xe9 au lait"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert (run.returncode, run.stderr) == (1, b"neuram: error: the text is not valid UTF-8 text at byte 3\n")
    assert not db.exists()


def test_a_query_of_bad_utf8_names_the_byte(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert neuram(capsys, "--path", str(db), "perceive", NOTE)[0] == 0
    code, _, err = neuram(capsys, "--path", str(db), "recall", b"bees \xff".decode("utf-8", "surrogateescape"))
    assert (code, err) == (1, "neuram: error: the query is not valid UTF-8 text at byte 5\n")


# -- import of nothing ------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"", b"\n  \n\t\n"], ids=["empty", "blank lines"])
def test_import_of_nothing_says_so_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    source = tmp_path / "empty.jsonl"
    source.write_bytes(content)
    db = tmp_path / "new.db"
    code, out, err = neuram(capsys, "--path", str(db), "import", str(source))
    assert (code, out) == (0, "")
    assert err == f"nothing to import: {source} holds no engrams; nothing was written\n"
    assert not db.exists()


# -- a path that is not a store ------------------------------------------------------------------
@pytest.mark.parametrize("command", [["stats"], ["perceive", NOTE]], ids=["stats", "perceive"])
def test_a_folder_or_a_foreign_file_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    """Found in review: a folder or a file that is not a database gave a 30-line traceback."""
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database, just notes\n" * 100)
    for path in (tmp_path, foreign):
        code, _, err = neuram(capsys, "--path", str(path), *command)
        assert code == 1 and err.startswith("neuram: error:") and "Traceback" not in err, err
        assert f"cannot open the SQLite store at {path}" in err
    assert foreign.read_text().startswith("not a database")  # untouched
