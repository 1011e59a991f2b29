"""Fixtures: a real headless Chromium (the system's, through Playwright) and a real
``neuram serve`` process on SQLite or Redis, on a free loopback port."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.harness import ROOT, ServerProcess
from tests.server.harness import store_url as store_url  # the fixture, shared with the server's tests

SHOTS = ROOT / "docs" / "images"


def chromium_path() -> str:
    """The system's Chromium; the tests skip, saying why, where it is not installed."""
    pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra: pip install -e '.[dev]'")
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no chromium on PATH: `make system-deps` (or apt-get install -y chromium) installs it")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module, not per session: Playwright's sync API holds an event loop running on
    this thread while it lives, which the asyncio tests after these must not find."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page at 1280×800 that fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
    assert not errors, f"the page's script failed: {errors}"


@pytest.fixture
def server(store_url: str) -> Iterator[ServerProcess]:
    with ServerProcess(store_url, "--sleep-interval", "0") as running:
        yield running


def shot(page: Any, name: str, tmp_path: Path, store_url: str) -> Path:
    """A screenshot into tmp_path; also into docs/images when NEURAM_EXPLORER_SCREENSHOTS=1
    (how the docs' pictures are made: from the SQLite run of these very tests)."""
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 1000
    if os.environ.get("NEURAM_EXPLORER_SCREENSHOTS") == "1" and store_url.startswith("sqlite"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, SHOTS / f"{name}.png")
    return target
