"""``neuram --url``: every CLI command through RemoteBrain against a running server, with
the same output as local; no model loads in the CLI process (the server embeds)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli.runner import run_cli
from tests.server.harness import ServerProcess, require_server_extra
from tests.server.test_keys import write_keys_file


def test_every_command_through_a_server(
    server: ServerProcess, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = ("--url", server.url, "--namespace", "ada")
    code, out, err = run_cli(capsys, *url, "perceive", "Ada keeps three hives of bees on the roof", "--no-gate",
                             "--metadata", '{"topic": "bees"}', "--json").parts()
    assert code == 0, err
    made = json.loads(out)
    assert made["metadata"] == {"topic": "bees"}
    engram_id = made["engram_id"]
    code, out, err = run_cli(capsys, *url, "recall", "Ada bees hives roof").parts()
    assert code == 0 and engram_id in out and "Ada keeps three hives" in out, err
    [listed] = json.loads(run_cli(capsys, *url, "list", "--json").out)
    assert listed["engram_id"] == engram_id and listed["access_count"] == 1
    assert "Ada keeps three hives" in run_cli(capsys, *url, "list", "--type", "episodic").out
    assert json.loads(run_cli(capsys, *url, "stats", "--json").out)["indexed"] == 1
    assert run_cli(capsys, *url, "pin", engram_id).out.startswith(f"pinned  {engram_id}")
    assert run_cli(capsys, *url, "unpin", engram_id).out.startswith(f"unpinned  {engram_id}")
    code, _, err = run_cli(capsys, *url, "pin", "nope").parts()
    assert code == 1 and "unknown engram id(s) in namespace 'ada': nope; nothing was pinned" in err
    assert run_cli(capsys, *url, "sleep", "--json").code == 0
    exported = tmp_path / "ada.jsonl"
    assert run_cli(capsys, *url, "export", str(exported)).code == 0
    assert stat.S_IMODE(os.stat(exported).st_mode) == 0o600
    code, _, err = run_cli(capsys, "--url", server.url, "--namespace", "copy", "import", str(exported)).parts()
    assert code == 0 and "imported 1 engrams into namespace 'copy'" in err
    assert run_cli(capsys, "--url", server.url, "namespaces").out.split() == ["ada", "copy"]
    code, out, err = run_cli(capsys, "--url", server.url, "--namespace", "adaa", "list").parts()
    assert code == 0 and out == "" and "namespace 'adaa' holds no memories" in err
    assert "namespace 'adaa' holds no memories" in run_cli(capsys, "--url", server.url, "-n", "adaa", "stats").err
    code, _, err = run_cli(capsys, *url, "forget", engram_id, "no-such-id").parts()  # all or nothing
    assert code == 1 and "no-such-id; nothing was forgotten" in err
    assert run_cli(capsys, *url, "forget", engram_id).out == "forgot 1\n"
    code, _, err = run_cli(capsys, *url, "forget", engram_id).parts()
    assert code == 1 and "unknown engram id(s)" in err
    code, _, err = run_cli(capsys, *url, "reembed", "--embedder", "hashing").parts()
    assert code == 1 and "reembed runs where the store is" in err


def test_a_long_text_through_a_server_is_counted_and_forgotten_whole(
    server: ServerProcess, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = ("--url", server.url, "--namespace", "notes")
    long_text = " ".join(f"Line {i}: the crate went from dock {i} to the north warehouse." for i in range(30))
    code, out, err = run_cli(capsys, *url, "perceive", long_text, "--no-gate", "--json").parts()
    assert code == 0, err
    note = json.loads(out)
    exported = tmp_path / "notes.jsonl"
    err = run_cli(capsys, *url, "export", str(exported)).err
    assert "exported 7 engrams (1 memories and 6 fragments of them)" in err
    records = [json.loads(line) for line in exported.read_text().splitlines()[1:]]
    part = next(r["engram_id"] for r in records if r.get("fragment_of") == note["engram_id"])
    code, _, err = run_cli(capsys, *url, "forget", part).parts()
    assert code == 1 and f"is a fragment of {note['engram_id']}: forget that; nothing was forgotten" in err
    assert run_cli(capsys, *url, "forget", note["engram_id"]).out == "forgot 1\n"
    assert run_cli(capsys, *url, "list").err.startswith("neuram: namespace 'notes' holds no memories")


def test_no_model_loads_in_the_cli_process(server: ServerProcess) -> None:
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"torch", "sentence_transformers", "transformers", "tokenizers"}:
                    raise ImportError(f"blocked {name}")
        sys.meta_path.insert(0, Block())
        from neuram_core.cli import main
        url = sys.argv[1]
        assert main(["--url", url, "perceive", "The bus to the lake leaves at nine", "--no-gate"]) == 0
        assert main(["--url", url, "recall", "bus lake nine"]) == 0
        print("heavy:", [m for m in ("torch", "sentence_transformers", "neuram_core.bert") if m in sys.modules])
        """
    )
    result = subprocess.run([sys.executable, "-c", code, server.url], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert result.returncode == 0, result.stderr
    assert "The bus to the lake leaves at nine" in result.stdout and "heavy: []" in result.stdout


def test_api_key_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    require_server_extra()
    keys = write_keys_file(tmp_path / "keys.json")
    with ServerProcess(f"sqlite:///{tmp_path / 'm.db'}", "--keys", str(keys)) as running:
        code, _, err = run_cli(capsys, "--url", running.url, "--namespace", "alice", "stats").parts()
        assert code == 1 and "missing_api_key" in err
        assert run_cli(capsys, "--url", running.url, "--api-key", "key-alice", "-n", "alice", "stats").code == 0
        monkeypatch.setenv("NEURAM_API_KEY", "key-alice")
        code, _, err = run_cli(capsys, "--url", running.url, "-n", "bob", "list").parts()
        assert code == 1 and "namespace_not_found" in err
    code, _, err = run_cli(capsys, "--api-key", "k", "stats").parts()
    assert code == 2 and "--api-key goes with --url" in err
    code, _, err = run_cli(capsys, "--url", running.url, "stats").parts()  # the server is gone
    assert code == 1 and "cannot reach the neuram server" in err
