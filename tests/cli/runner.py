"""Run the ``neuram`` command in-process and capture what it printed: the CLI tests' one runner."""

from __future__ import annotations

import dataclasses

import pytest

from neuram_core.cli import main

# What most tests run with: no model to load, no progress bars in the captured output.
QUICK = ("--embedder", "hashing", "--no-progress")


@dataclasses.dataclass
class Run:
    code: int
    out: str
    err: str

    def parts(self) -> tuple[int, str, str]:
        """``code, out, err = run_cli(...).parts()``."""
        return self.code, self.out, self.err


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``main(argv)``; an argparse exit becomes its status."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)
