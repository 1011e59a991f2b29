"""A process that perceives one memory, prints its id and then hangs, for a test to SIGKILL:
what perceive returned must already be durable (tests/*/test_durable_pending*.py).

    python -m tests.crash_after_perceive STORE_URL NAMESPACE TEXT
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(url: str, namespace: str, text: str) -> None:
    from neuram_core import Brain, HashingEmbedder

    brain = Brain.open(url=url, namespace=namespace, embedder=HashingEmbedder())
    engram = brain.sync.perceive(text, memory_type="semantic", gate=False)
    print(engram.engram_id, flush=True)
    time.sleep(120)  # never closed: the parent kills us first


def perceive_then_sigkill(url: str, namespace: str, text: str) -> str:
    """Run this module in a fresh process, SIGKILL it as soon as perceive has returned,
    and return the id it printed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_after_perceive", url, namespace, text],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        engram_id = process.stdout.readline().strip()
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    assert engram_id, "the worker printed no engram id"
    return engram_id


if __name__ == "__main__":
    main(*sys.argv[1:4])
