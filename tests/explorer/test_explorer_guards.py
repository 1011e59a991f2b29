"""What the explorer must refuse, in a real Chromium against the real server: bad input
shows the server's own message and changes nothing; a read-only server, or a key that may
only read, offers no tending action and the server refuses one anyway; without its API
key the page says so, with it the page works and lists only that key's namespaces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.explorer.test_explorer_flow import CAT, add
from tests.server.harness import ServerProcess, require_server_extra

pytestmark = [pytest.mark.server, pytest.mark.browser]


def total(server: ServerProcess, key: str | None = None, namespace: str = "default") -> int:
    with server.client(key) as http:
        answer = http.get(f"/v1/namespaces/{namespace}/memories")
        assert answer.status_code == 200, answer.text
        count: int = answer.json()["total"]
        return count


def submit_add(page: Any, content: str, metadata: str = "") -> str:
    """Fill and send the Add form; the alert's text."""
    page.get_by_role("link", name="Add").click()
    page.get_by_label("Content").fill(content)
    page.get_by_label("Metadata (a JSON object)").fill(metadata)
    page.get_by_role("button", name="Add", exact=True).click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    text: str = alert.inner_text()
    return text


@pytest.mark.parametrize(
    ("content", "metadata", "message"),
    [
        ("", "", "content is empty"),
        ("   \n\t ", "", "content is empty"),
        ("x" * 100_000, "", "content is 100000 bytes; this server takes at most 65536"),
        ("A note with odd metadata", '["not", "an", "object"]', "metadata: Input should be a valid dictionary"),
        ("A note with odd metadata", '{"k": "\\ud800"}', "metadata must be JSON-serialisable"),
        ("A note with broken metadata", '{"k": ', "metadata is not JSON"),
    ],
    ids=["empty", "blank", "huge-paste", "metadata-list", "lone-surrogate", "metadata-not-json"],
)
def test_bad_input_shows_the_error_and_changes_nothing(
    page: Any, server: ServerProcess, content: str, metadata: str, message: str
) -> None:
    page.goto(server.url + "/")
    page.get_by_role("heading", name="Memories").wait_for()
    shown = submit_add(page, content, metadata)
    assert message in shown, shown
    assert page.locator("#view-add").is_visible()  # still on the form, the text kept
    assert page.get_by_label("Content").input_value() == content
    assert total(server) == 0


def test_an_empty_query_shows_the_servers_message(page: Any, server: ServerProcess) -> None:
    page.goto(server.url + "/#/ask")
    page.get_by_role("button", name="Recall").click()
    assert "query is empty" in page.get_by_role("alert").inner_text()


def test_the_error_is_shown_as_text(page: Any, server: ServerProcess) -> None:
    page.goto(server.url + "/")
    shown = submit_add(page, "A note", '{"<img src=x onerror=alert(1)>": "\\ud800"}')
    assert shown and page.locator("#error img").count() == 0


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[ServerProcess]:
    """A --read-only server over a store that already holds one memory."""
    require_server_extra()
    store = f"sqlite:///{tmp_path / 'memory.db'}"
    with ServerProcess(store, "--sleep-interval", "0") as writer, writer.client() as http:
        assert http.post("/v1/namespaces/default/memories", json={"content": CAT}).status_code == 201
    with ServerProcess(store, "--read-only") as running:
        yield running


def test_a_read_only_server_offers_no_tending(page: Any, read_only: ServerProcess, tmp_path: Path) -> None:
    with read_only.client() as http:
        assert http.get("/v1/namespaces/default/access").json()["write"] is False
    page.goto(read_only.url + "/")
    page.get_by_text("Read only:").wait_for()
    assert not page.get_by_role("link", name="Add").is_visible()
    assert not page.get_by_role("button", name="Run a sleep cycle").is_visible()
    page.get_by_role("link", name=CAT).click()
    page.locator("#memory-content").filter(has_text=CAT).wait_for()
    for name in ("Pin", "Reward +", "Reward −", "Forget…"):
        assert not page.get_by_role("button", name=name, exact=True).is_visible()
    page.goto(read_only.url + "/#/add")
    page.get_by_role("heading", name="Memories").wait_for()
    assert not page.get_by_label("Content").is_visible()
    page.get_by_role("link", name="Ask").click()
    assert not page.get_by_label("Strengthen what comes back").is_visible()
    # A write sent from the page anyway is refused by the server.
    status = page.evaluate(
        """async () => (await fetch('/v1/namespaces/default/memories',
             {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"content": "sneaky"}'})).status"""
    )
    assert status == 403 and total(read_only) == 1


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[ServerProcess]:
    require_server_extra()
    from neuram_server.keys import hash_key

    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [
        {"name": "alice", "sha256": hash_key("key-alice"), "read": ["alice"], "write": ["alice"]},
        {"name": "reader", "sha256": hash_key("key-reader"), "read": ["alice"], "write": []},
        {"name": "bob", "sha256": hash_key("key-bob"), "read": ["bob"], "write": ["bob"]},
    ]}))
    keys.chmod(0o600)
    with ServerProcess(f"sqlite:///{tmp_path / 'memory.db'}", "--keys", str(keys), "--sleep-interval", "0") as running:
        with running.client("key-bob") as http:
            made = http.post("/v1/namespaces/bob/memories", json={"content": "Bob's secret plan for the garden"})
            assert made.status_code == 201
        yield running


def open_with(page: Any, namespace: str, key: str) -> None:
    page.get_by_label("Namespace").fill(namespace)
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Open").click()


def test_keys_are_asked_for_and_respected(page: Any, keyed: ServerProcess) -> None:
    page.goto(keyed.url + "/")
    page.get_by_role("alert").filter(has_text="send the API key as").wait_for()
    open_with(page, "alice", "wrong-key")
    page.get_by_role("alert").filter(has_text="not in the server's keys file").wait_for()
    open_with(page, "alice", "key-alice")
    page.get_by_role("heading", name="Memories").wait_for()
    add(page, CAT)
    assert total(keyed, "key-alice", "alice") == 1
    # The picker offers this key's namespaces only: bob's is not named.
    open_with(page, "alice", "key-alice")
    page.locator("#namespaces option").first.wait_for(state="attached")  # (the page's CSP forbids eval)
    assert page.locator("#namespaces option").evaluate_all("os => os.map(o => o.value)") == ["alice"]
    # Another tenant's namespace answers as one that does not exist.
    open_with(page, "bob", "key-alice")
    page.get_by_role("alert").filter(has_text="no namespace 'bob' for this key").wait_for()
    # The key lives for the tab's session only, never in localStorage.
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("sessionStorage.getItem('neuram-api-key')") == "key-alice"
    # A key that may only read sees no tending actions.
    open_with(page, "alice", "key-reader")
    page.get_by_text("Read only:").wait_for()
    assert not page.get_by_role("link", name="Add").is_visible()
