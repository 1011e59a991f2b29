"""``neuram explore``: the server on localhost with the explorer at ``/``, and the user's
browser ($BROWSER, here a script that notes the address it was given) opened on it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server.harness import NEURAM, ROOT, require_server_extra
from tests.servers import free_port

pytestmark = pytest.mark.server


def start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
    require_server_extra()
    log = tmp_path / "explore.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [NEURAM, "--store", f"sqlite:///{tmp_path / 'memory.db'}", "--embedder", "hashing", "explore", *args],
            cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
        )
    return process, log


def wait_for(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, OSError):
            if check():  # type: ignore[operator]
                return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


def test_explore_serves_the_explorer_and_opens_the_browser(tmp_path: Path) -> None:
    port = free_port()
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text("import sys, pathlib\npathlib.Path(sys.argv[2]).write_text(sys.argv[1])\n")
    process, log = start(tmp_path, "--port", str(port), env={"BROWSER": f"{sys.executable} {browser} %s {opened}"})
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(opened.exists, "the browser to be opened")
        assert opened.read_text() == url
        page = httpx.get(url)
        assert page.status_code == 200 and "neuram explorer" in page.text
        made = httpx.post(url + "v1/namespaces/default/memories", json={"content": "Ada keeps bees in Lisbon"})
        assert made.status_code == 201, made.text
    finally:
        assert stop(process) in {0, -signal.SIGTERM}  # uvicorn re-raises the SIGTERM it handled
    assert f"the explorer is at {url}" in log.read_text()


def test_explore_picks_a_free_port_and_can_leave_the_browser_closed(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text("import sys, pathlib\npathlib.Path(sys.argv[2]).write_text(sys.argv[1])\n")
    process, log = start(tmp_path, "--no-browser", env={"BROWSER": f"{sys.executable} {browser} %s {opened}"})
    try:
        wait_for(lambda: "the explorer is at" in log.read_text(), "the address")
        found = re.search(r"the explorer is at (http://127\.0\.0\.1:\d+/)", log.read_text())
        assert found is not None
        wait_for(lambda: httpx.get(found[1]).status_code == 200, "the explorer to answer")
        time.sleep(1)  # as long as the browser takes to open when it is asked for
        assert not opened.exists()
    finally:
        assert stop(process) in {0, -signal.SIGTERM}
