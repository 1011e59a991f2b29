"""The server side of the explorer, over HTTP against the real server process: the page
and its files at ``/``, the list's filters, sorts and pages, ``forget_at``, ``access``."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from neuram_server.app import EXPLORER
from tests.server.harness import ServerProcess

pytestmark = pytest.mark.server
CAT_NOTE = "Ada adopted a grey cat named Turing"

NOTES = [
    ("Ada adopted a grey cat named Turing", {"user": "ada"}, True),
    ("Ada's cat Turing sleeps on the balcony", {"user": "ada", "room": "balcony"}, False),
    ("Bob keeps bees in the garden", {"user": "bob"}, False),
    ("The quarterly report is due on Friday", {"user": "bob", "n": 3}, True),
    ("Use the staging database for load tests", {}, False),
]


def seed(http: httpx.Client) -> list[dict[str, Any]]:
    start = time.time() - 3600 * len(NOTES)
    made = []
    for i, (content, metadata, pinned) in enumerate(NOTES):
        body = {"content": content, "metadata": metadata, "pinned": pinned, "gate": False, "at": start + 3600 * i}
        answer = http.post("/v1/namespaces/default/memories", json=body)
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    return made


def listed(http: httpx.Client, **params: Any) -> list[str]:
    answer = http.get("/v1/namespaces/default/memories", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == len(body["items"]) or body["next_cursor"]
    return [m["content"] for m in body["items"]]


def test_the_page_and_its_files_are_served(server: ServerProcess) -> None:
    with server.client() as http:
        page = http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        for name in ("app.js", "style.css"):
            asset = http.get(f"/explorer/{name}")
            assert asset.status_code == 200 and asset.content == (EXPLORER / name).read_bytes()
        # No CDN: the page loads nothing from another host.
        assert "http://" not in page.text and "https://" not in page.text
        assert http.get("/explorer/nothing.js").status_code == 404
        assert http.get("/explorer/../rest.py").status_code == 404


def test_filters_sorts_and_total(server: ServerProcess) -> None:
    with server.client() as http:
        made = seed(http)
        assert listed(http, q="TURING") == [NOTES[0][0], NOTES[1][0]]  # any case
        assert listed(http, pinned="true") == [NOTES[0][0], NOTES[3][0]]
        assert listed(http, pinned="false", q="cat") == [NOTES[1][0]]
        assert listed(http, metadata=json.dumps({"user": "bob"})) == [NOTES[2][0], NOTES[3][0]]
        assert listed(http, metadata=json.dumps({"n": 3})) == [NOTES[3][0]]
        middle = made[2]["encoded_at"]
        assert listed(http, since=middle) == [n[0] for n in NOTES[2:]]
        assert listed(http, until=middle) == [n[0] for n in NOTES[:3]]
        assert listed(http, order="desc") == [n[0] for n in reversed(NOTES)]
        for _ in range(3):  # recalled three times: the most accessed, and the freshest
            recalled = http.post("/v1/namespaces/default/recall", json={"query": "bees garden", "top_k": 1})
            assert recalled.status_code == 200
        assert listed(http, sort="access_count", order="desc")[0] == NOTES[2][0]
        assert listed(http, sort="retention", order="desc")[0] == NOTES[2][0]
        assert listed(http, sort="last_accessed", order="desc")[0] == NOTES[2][0]
        by_stability = http.get("/v1/namespaces/default/memories", params={"sort": "stability"}).json()["items"]
        assert [m["stability"] for m in by_stability] == sorted(m["stability"] for m in by_stability)
        assert http.get("/v1/namespaces/default/memories", params={"q": "zebra"}).json() == {
            "items": [], "next_cursor": None, "total": 0
        }
        refused = http.get("/v1/namespaces/default/memories", params={"sort": "content"})
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_request"


@pytest.mark.parametrize(("sort", "order"), [("encoded_at", "asc"), ("retention", "desc"), ("access_count", "desc")])
def test_sorted_pages_hold_each_memory_once(server: ServerProcess, sort: str, order: str) -> None:
    with server.client() as http:
        seed(http)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"sort": sort, "order": order, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = http.get("/v1/namespaces/default/memories", params=params).json()
            assert body["total"] == len(NOTES)
            seen += [m["engram_id"] for m in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == len(NOTES)


def test_one_memory_says_when_it_is_forgotten(server: ServerProcess) -> None:
    with server.client() as http:
        made = seed(http)
        pinned = http.get(f"/v1/namespaces/default/memories/{made[0]['engram_id']}").json()
        assert pinned["forget_at"] is None  # never pruned
        fading = http.get(f"/v1/namespaces/default/memories/{made[1]['engram_id']}").json()
        assert fading["forget_at"] > fading["last_accessed"]
        # It is the moment retention e^(-t/S) crosses the threshold the store prunes at.
        hours = (fading["forget_at"] - fading["last_accessed"]) / 3600
        threshold = math.exp(-hours / fading["stability"])
        assert 0 < threshold < 1
        # A list item carries no forget_at: only the one memory's page draws a curve.
        assert "forget_at" not in http.get("/v1/namespaces/default/memories").json()["items"][0]


def test_access_says_whether_the_page_may_write(server: ServerProcess) -> None:
    with server.client() as http:
        assert http.get("/v1/namespaces/default/access").json() == {
            "namespace": "default", "write": True, "read_only_server": False
        }


def test_history_keeps_background_and_asked_for_cycles(tmp_path: Path) -> None:
    with ServerProcess(f"sqlite:///{tmp_path / 'memory.db'}", "--sleep-interval", "0.3") as running, \
            running.client() as http:
        assert http.post("/v1/namespaces/ada/memories", json={"content": CAT_NOTE, "gate": False}).status_code == 201
        deadline = time.monotonic() + 20
        cycles: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not any(c["consolidated"] for c in cycles):
            time.sleep(0.2)
            cycles = http.get("/v1/namespaces/ada/history").json()["cycles"]
        background = next(c for c in cycles if c["consolidated"])  # the background sleep's
        assert background == {**background, "consolidated": 1, "pruned_wm": 0, "pruned_ltm": 0, "size": 1}
        assert http.post("/v1/namespaces/ada/sleep").status_code == 200
        after = http.get("/v1/namespaces/ada/history").json()
        assert len(after["cycles"]) > len(cycles) and after["kept"] == 2880
        assert [c["at"] for c in after["cycles"]] == sorted(c["at"] for c in after["cycles"])
        # Another namespace's history is its own.
        assert http.get("/v1/namespaces/bob/history").json()["cycles"] == []


def test_the_wheel_ships_the_explorer(tmp_path: Path) -> None:
    """The page's files are package data: a `pip install neuram[server]` serves them."""
    import subprocess
    import sys
    import zipfile

    from tests.server.harness import ROOT

    pytest.importorskip("hatchling", reason="hatchling is in the dev extra")
    built = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"neuram_server/explorer/{n}" for n in ("index.html", "app.js", "style.css")} <= names
