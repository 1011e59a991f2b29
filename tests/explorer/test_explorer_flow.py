"""The explorer as a person uses it, in a real headless Chromium against the real server
process: add a memory, find it, open it, pin it, ask and read why it came back, walk its
associations, forget it, and see it gone from the store itself (through the Python API)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from neuram_core.brain import Brain
from neuram_core.embeddings import HashingEmbedder
from neuram_core.errors import UnknownEngramError
from tests.explorer.conftest import shot
from tests.server.harness import ServerProcess

pytestmark = [pytest.mark.server, pytest.mark.browser]
T = TypeVar("T")

CAT = "Ada adopted a grey cat named Turing in Lisbon"
REPORT = "The quarterly report for the Porto office is due on Friday"


def add(page: Any, content: str, metadata: str = "") -> None:
    page.get_by_role("link", name="Add").click()
    page.get_by_label("Content").fill(content)
    page.get_by_label("Metadata (a JSON object)").fill(metadata)
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator("#memory-content").filter(has_text=content).wait_for()


def memory_over_rest(server: ServerProcess, engram_id: str) -> dict[str, Any]:
    with server.client() as http:
        answer = http.get(f"/v1/namespaces/default/memories/{engram_id}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


def apart(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a thread of its own: Playwright's sync API holds this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


async def in_the_store(store_url: str) -> list[str]:
    """What the store itself holds for the namespace, read by a Brain of our own."""
    brain = await Brain.create(url=store_url, namespace="default", embedder=HashingEmbedder())
    try:
        return [e.content for e in await brain.list()]
    finally:
        await brain.close()


async def gone_from_store(store_url: str, engram_id: str) -> bool:
    brain = await Brain.create(url=store_url, namespace="default", embedder=HashingEmbedder())
    try:
        await brain.get(engram_id)
    except UnknownEngramError:
        return True
    finally:
        await brain.close()
    return False


def test_add_find_open_pin_ask_forget(page: Any, server: ServerProcess, store_url: str, tmp_path: Path) -> None:
    page.goto(server.url + "/")
    page.get_by_role("heading", name="Memories").wait_for()
    odd = '{"user": "ada", "note": "<b>not bold</b> & \\"quoted\\" ✓"}'
    add(page, CAT, odd)
    cat_id = page.locator("#memory-fields dd").first.inner_text()
    # Metadata with markup is shown as text, never as markup.
    assert "<b>not bold</b>" in page.locator("#memory-fields").inner_text()
    assert page.locator("#memory-fields b").count() == 0
    add(page, REPORT)
    shot(page, "explorer-add", tmp_path, store_url)

    # Browse: the search finds one, and only one.
    page.get_by_role("link", name="Browse").click()
    page.locator("#memories tbody tr").nth(1).wait_for()
    page.get_by_label("Search").fill("turing")
    page.get_by_role("button", name="Find").click()
    page.get_by_text("1 memory matches").wait_for()
    rows = page.locator("#memories tbody tr")
    assert rows.count() == 1 and CAT in rows.first.inner_text()
    page.get_by_label("Search").fill("")
    page.get_by_role("button", name="Find").click()
    page.get_by_text("2 memories match").wait_for()
    shot(page, "explorer-browse", tmp_path, store_url)

    # Open it and pin it: the server holds it pinned.
    page.get_by_role("link", name=CAT).click()
    page.locator("#memory-content").filter(has_text=CAT).wait_for()
    assert page.locator("#curve svg polyline").count() == 1  # the forgetting curve
    page.get_by_role("button", name="Pin", exact=True).click()
    page.get_by_role("status").filter(has_text="Pinned.").wait_for()
    assert page.get_by_role("button", name="Unpin").is_visible()
    assert memory_over_rest(server, cat_id)["pinned"] is True
    assert "never (pinned)" in page.locator("#memory-fields").inner_text()
    shot(page, "explorer-memory", tmp_path, store_url)

    # Ask: the explanation is on the page; nothing is strengthened unless ticked.
    before = memory_over_rest(server, cat_id)["access_count"]
    page.get_by_role("link", name="Ask").click()
    page.get_by_label("Query").fill("grey cat Turing")
    page.get_by_role("button", name="Recall").click()
    first = page.locator("#results li").first
    first.get_by_role("link", name=CAT).wait_for()
    explained = first.locator("table.explain").inner_text()
    for part in ("Dense similarity", "Lexical (rare words)", "Spread", "Retention"):
        assert part in explained
    # The report came back by spread from the cat (perceived together): the page says from which.
    spread = page.locator("#results tr", has_text="Spread from")
    assert spread.count() == 1 and CAT in spread.inner_text()
    assert memory_over_rest(server, cat_id)["access_count"] == before
    shot(page, "explorer-ask", tmp_path, store_url)
    page.get_by_label("Strengthen what comes back").check()
    page.get_by_role("button", name="Recall").click()
    page.get_by_role("status").filter(has_text="strengthened").wait_for()
    assert memory_over_rest(server, cat_id)["access_count"] == before + 1

    # Forget, with a confirmation: dismissed, nothing happens; accepted, it is gone.
    first.get_by_role("link", name=CAT).click()
    page.locator("#memory-content").filter(has_text=CAT).wait_for()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Forget…").click()
    assert memory_over_rest(server, cat_id)["content"] == CAT
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Forget…").click()
    page.get_by_role("status").filter(has_text="Forgotten.").wait_for()
    page.get_by_text("1 memory matches").wait_for()
    assert CAT not in page.locator("#memories").inner_text()
    assert apart(gone_from_store(store_url, cat_id))
    assert apart(in_the_store(store_url)) == [REPORT]


def test_reward_and_sleep_go_through_the_api(page: Any, server: ServerProcess, store_url: str, tmp_path: Path) -> None:
    page.goto(server.url + "/")
    add(page, "Use the staging database for load tests, never production")
    engram_id = page.locator("#memory-fields dd").first.inner_text()
    stability = memory_over_rest(server, engram_id)["stability"]
    page.get_by_role("button", name="Reward +").click()
    page.get_by_role("status").filter(has_text="Rewarded.").wait_for()
    assert memory_over_rest(server, engram_id)["reward"] > 0
    assert memory_over_rest(server, engram_id)["stability"] >= stability
    page.get_by_role("button", name="Reward −").click()
    page.get_by_role("status").filter(has_text="Punished.").wait_for()
    page.get_by_role("link", name="Browse").click()
    page.get_by_role("button", name="Run a sleep cycle").click()
    page.get_by_role("status").filter(has_text="Sleep:").wait_for()
    assert memory_over_rest(server, engram_id)["consolidated"] is True  # sleep consolidated it


def test_walk_the_association_graph(page: Any, server: ServerProcess) -> None:
    with server.client() as http:
        made = [
            http.post("/v1/namespaces/default/memories", json={"content": text, "gate": False}).json()
            for text in (CAT, "Turing the cat likes the balcony in Lisbon", REPORT)
        ]
    linked = {i for m in made for i, _ in memory_over_rest(server, m["engram_id"])["associations"]}
    assert linked, "memories perceived together are associated"
    start = next(m for m in made if memory_over_rest(server, m["engram_id"])["associations"])
    neighbour_id = memory_over_rest(server, start["engram_id"])["associations"][0][0]
    neighbour = memory_over_rest(server, neighbour_id)["content"]
    page.goto(f"{server.url}/#/memory/{start['engram_id']}")
    page.locator("#memory-content").filter(has_text=start["content"]).wait_for()
    page.locator("#graph svg a").first.wait_for()
    page.locator("#graph .neighbours").get_by_role("link", name=neighbour).click()
    page.locator("#memory-content").filter(has_text=neighbour).wait_for()
    # and back the other way: the neighbour's graph links to where the walk started
    page.locator("#graph .neighbours").get_by_role("link", name=start["content"]).click()
    page.locator("#memory-content").filter(has_text=start["content"]).wait_for()


def test_readable_at_phone_width(page: Any, server: ServerProcess, store_url: str, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/")
    add(page, CAT)
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= 390, f"the memory page scrolls sideways at phone width ({scroll}px)"
    shot(page, "explorer-phone", tmp_path, store_url)


def test_history_shows_each_sleep_cycle(page: Any, server: ServerProcess, store_url: str, tmp_path: Path) -> None:
    page.goto(server.url + "/#/history")
    page.get_by_text("No sleep cycle yet").wait_for()
    add(page, CAT)
    add(page, REPORT)
    page.get_by_role("link", name="Browse").click()
    page.get_by_role("button", name="Run a sleep cycle").click()
    page.get_by_role("status").filter(has_text="consolidated 2").wait_for()
    page.get_by_role("link", name="History").click()
    row = page.locator("#cycles tbody tr")
    row.first.wait_for()
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[1:] == ["2", "0", "0", "", "2"]  # consolidated 2, pruned none, 2 memories after
    assert page.locator("#size-chart svg polyline").count() == 1
    shot(page, "explorer-history", tmp_path, store_url)


def test_usable_from_the_keyboard_with_labelled_controls(page: Any, server: ServerProcess) -> None:
    with server.client() as http:
        assert http.post("/v1/namespaces/default/memories", json={"content": CAT, "gate": False}).status_code == 201
    page.goto(server.url + "/")
    page.get_by_role("heading", name="Memories").wait_for()
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
                 .filter((c) => c.type !== 'hidden' && c.labels.length === 0).map((c) => c.name || c.id)"""
    )
    assert unlabelled == []
    page.get_by_label("Search").focus()
    page.keyboard.type("turing")
    page.keyboard.press("Enter")
    page.get_by_text("1 memory matches").wait_for()
    page.get_by_role("link", name=CAT).focus()
    page.keyboard.press("Enter")
    page.locator("#memory-content").filter(has_text=CAT).wait_for()
    page.get_by_role("button", name="Pin", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Pinned.").wait_for()
    assert page.evaluate("document.activeElement.textContent") == "Unpin"  # focus stays on the control


def test_a_slow_older_list_never_overwrites_a_newer_search(page: Any, server: ServerProcess) -> None:
    """The unfiltered list asked for on opening answers after the search typed meanwhile:
    the page keeps showing the search's result (out-of-order answers are dropped)."""
    with server.client() as http:
        for content in (CAT, REPORT):
            answer = http.post("/v1/namespaces/default/memories", json={"content": content, "gate": False})
            assert answer.status_code == 201
    held: list[Any] = []

    def hold_unfiltered(route: Any) -> None:
        if "q=" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route("**/v1/namespaces/default/memories?*", hold_unfiltered)
    page.goto(server.url + "/")
    page.get_by_role("heading", name="Memories").wait_for()
    page.get_by_label("Search").fill("turing")
    page.get_by_label("Search").press("Enter")
    page.get_by_text("1 memory matches").wait_for()
    assert held, "the opening list's request was not held"
    with page.expect_response(lambda response: "q=" not in response.url and "/memories?" in response.url):
        for route in held:
            route.continue_()
    page.wait_for_timeout(200)  # let the late answer's handler run
    assert page.locator("#browse-count").text_content().startswith("1 memory matches")
    assert page.locator("#memories tbody tr").count() == 1


def test_a_list_drawn_again_keeps_the_keyboard_focus(page: Any, server: ServerProcess) -> None:
    """A keyboard user searches, then tabs to a row of the list still shown while the
    search's answer is on its way (slow, as on a busy Redis): when the list is drawn
    again, the same memory keeps the focus, and Enter still opens it."""
    with server.client() as http:
        assert http.post("/v1/namespaces/default/memories", json={"content": CAT, "gate": False}).status_code == 201
    held: list[Any] = []

    def hold_searches(route: Any) -> None:
        if "q=" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route("**/v1/namespaces/default/memories?*", hold_searches)
    page.goto(server.url + "/")
    page.get_by_text("1 memory matches").wait_for()  # the opening list
    page.get_by_label("Search").focus()
    page.keyboard.type("turing")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=CAT).focus()
    for _ in range(50):  # the search's request reaches the route a moment after the key
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the search's request was not held"
    with page.expect_response(lambda response: "q=" in response.url):
        for route in held:
            route.continue_()
    page.wait_for_timeout(200)  # the search's list drawn
    page.keyboard.press("Enter")
    page.locator("#memory-content").filter(has_text=CAT).wait_for(timeout=5000)


def test_a_long_note_is_one_memory_and_the_answer_names_its_passage(page: Any, server: ServerProcess) -> None:
    note = "Minutes of the board meeting. " + " ".join(
        f"Item {i}: the board reviewed budget line {i} and approved it." for i in range(30)
    ) + " Last: the spare key to the archive is in the blue envelope at reception."
    page.goto(server.url + "/")
    page.get_by_role("heading", name="Memories").wait_for()
    add(page, note)
    page.get_by_role("link", name="Browse").click()
    page.get_by_text("1 memory matches").wait_for()  # its fragments are part of it, not memories
    page.get_by_role("link", name="Ask").click()
    page.get_by_label("Query").fill("where is the spare key to the archive?")
    page.get_by_role("button", name="Recall").click()
    passage = page.locator("#results tr", has_text="Matched in the passage")
    passage.wait_for()
    assert "blue envelope at reception" in passage.inner_text()
    assert page.locator("#results li").count() == 1
