"""The ``neuram`` command's ``--store URL`` (any scheme open_store knows, plugins included),
its older spellings, and import refusing ids the Brain would refuse."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.cli.runner import QUICK, run_cli
from tests.contract.memory_store import install_plugin

ARGS = QUICK


def neuram(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_cli(capsys, *ARGS, *argv).parts()


def listed(capsys: pytest.CaptureFixture[str], *where: str) -> list[str]:
    code, out, err = neuram(capsys, *where, "list", "--json")
    assert code == 0, err
    return [e["engram_id"] for e in json.loads(out)]


def perceive(capsys: pytest.CaptureFixture[str], *where: str, text: str = "Ada wrote the first program") -> str:
    code, out, err = neuram(capsys, *where, "perceive", text, "--no-gate", "--json")
    assert code == 0, err
    return str(json.loads(out)["engram_id"])


def test_store_url_and_path_name_the_same_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    engram_id = perceive(capsys, "--store", f"sqlite:///{db}")
    assert listed(capsys, "--path", str(db)) == [engram_id]
    assert listed(capsys, "--store", f"sqlite:///{db}") == [engram_id]


def test_a_relative_sqlite_url_is_under_the_working_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engram_id = perceive(capsys, "--store", "sqlite:///data/rel.db")
    assert (tmp_path / "data" / "rel.db").is_file()
    assert listed(capsys, "--path", str(tmp_path / "data" / "rel.db")) == [engram_id]


def test_a_plugin_store_works_through_every_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    here, there = (f"memtest://{uuid.uuid4().hex}" for _ in range(2))
    engram_id = perceive(capsys, "--store", here)
    assert listed(capsys, "--store", here) == [engram_id]
    code, out, _ = neuram(capsys, "--store", here, "recall", "first program", "--json")
    assert code == 0 and [r["engram_id"] for r in json.loads(out)] == [engram_id]
    export = tmp_path / "out.jsonl"
    assert neuram(capsys, "--store", here, "export", str(export))[0] == 0
    assert neuram(capsys, "--store", there, "import", str(export))[0] == 0
    assert listed(capsys, "--store", there) == [engram_id]
    code, out, _ = neuram(capsys, "--store", there, "stats", "--json")
    assert code == 0 and json.loads(out)["long_term"] == 1
    assert neuram(capsys, "--store", there, "forget", engram_id)[:2] == (0, "forgot 1\n")
    assert listed(capsys, "--store", there) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nosuch://x", "unknown store scheme 'nosuch://'; known schemes: "),
        ("sqlite://", "names no file"),
        ("memory.db", "a store URL looks like scheme://"),
    ],
)
def test_a_bad_store_url_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = neuram(capsys, "--store", url, "stats")
    assert code == 1 and out == ""
    assert err.startswith("neuram: error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_plugin_that_does_not_load_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = f"broken{uuid.uuid4().hex[:8]}"
    install_plugin(tmp_path, scheme, target="tests.cli.no_such_backend:factory")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = neuram(capsys, "--store", f"{scheme}://x", "stats")
    assert code == 1 and err.count("\n") == 1
    assert f"neuram: error: the '{scheme}' store backend (tests.cli.no_such_backend:factory) failed to load" in err


def test_store_and_its_aliases_exclude_each_other(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for alias in (["--path", str(tmp_path / "x.db")], ["--redis-url", "redis://127.0.0.1:1"]):
        code, _, err = neuram(capsys, "--store", "sqlite://:memory:", *alias, "stats")
        assert code == 2 and "not allowed with argument" in err
    assert list(tmp_path.iterdir()) == []


# -- bug 4: an id the Brain refuses is refused by import too ---------------------------------
def export_lines(capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path) -> list[dict[str, object]]:
    perceive(capsys, "--path", str(db), text="Paris is the capital of France")
    export = tmp_path / "export.jsonl"
    assert neuram(capsys, "--path", str(db), "export", str(export))[0] == 0
    return [json.loads(line) for line in export.read_text().splitlines()[1:]]  # after the header


def write_lines(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_import_refuses_an_id_longer_than_the_brain_takes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    [line] = export_lines(capsys, db, tmp_path)
    before = listed(capsys, "--path", str(db))
    bad = write_lines(tmp_path / "bad.jsonl", [{**line, "engram_id": "fresh"}, {**line, "engram_id": "x" * 300}])
    code, _, err = neuram(capsys, "--path", str(db), "import", str(bad))
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"neuram: error: {bad}, line 2: ") and "engram" in err and "id" in err
    assert err.rstrip().endswith("nothing was imported")
    assert listed(capsys, "--path", str(db)) == before  # not even line 1 was written


def test_import_takes_the_longest_id_the_brain_takes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    [line] = export_lines(capsys, db, tmp_path)
    longest = "y" * 256
    good = write_lines(tmp_path / "good.jsonl", [{**line, "engram_id": longest}])
    assert neuram(capsys, "--path", str(db), "import", str(good))[0] == 0
    assert longest in listed(capsys, "--path", str(db))
    assert neuram(capsys, "--path", str(db), "forget", longest)[:2] == (0, "forgot 1\n")  # and it can be forgotten


@pytest.mark.redis
def test_redis_url_is_an_alias_of_store(capsys: pytest.CaptureFixture[str], redis_url: str) -> None:
    engram_id = perceive(capsys, "--redis-url", redis_url)
    assert listed(capsys, "--store", redis_url) == [engram_id]
