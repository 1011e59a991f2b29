"""``neuram pin`` / ``unpin`` and ``perceive --pinned --at --expires-at`` (issue 16, items 4-6)."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.cli.test_cli import db, neuram, stored  # noqa: F401 - fixtures

__all__: list[str] = []

DAY = 86400.0
TEN_YEARS = 3650 * DAY


def perceive(neuram: Any, text: str, *options: str) -> dict[str, Any]:  # noqa: F811
    run = neuram("perceive", text, "--type", "semantic", "--salience", "0.5", "--json", *options)
    assert run.code == 0, run.err
    result: dict[str, Any] = json.loads(run.out)
    return result


def forget_at_column(path: Path, engram_id: str) -> float:
    with sqlite3.connect(path) as conn:
        [(score,)] = conn.execute("SELECT forget_at FROM engrams WHERE id = ?", (engram_id,))
    return float(score)


def test_pinned_history_survives_a_sleep_that_prunes_its_unpinned_twin(neuram: Any, db: Path) -> None:  # noqa: F811
    decade_ago = f"{time.time() - TEN_YEARS:.0f}"
    kept = perceive(neuram, "My passport number is X1234567", "--at", decade_ago, "--pinned")
    twin = perceive(neuram, "The storage unit code is 4471", "--at", decade_ago)
    assert kept["pinned"] is True and twin["pinned"] is False
    assert forget_at_column(db, kept["engram_id"]) == math.inf
    report = json.loads(neuram("sleep", "--json").out)
    assert (report["pruned_ltm"], report["pruned_wm"]) == (1, 0)  # 87,600 h > ln(20) × 1,344 h
    assert list(stored(db)) == [kept["engram_id"]]
    run = neuram("unpin", kept["engram_id"])
    assert run.code == 0 and run.out.startswith(f"unpinned  {kept['engram_id']}  My passport")
    assert not stored(db)[kept["engram_id"]].pinned
    assert json.loads(neuram("sleep", "--json").out)["pruned_ltm"] == 1
    assert stored(db) == {}


def test_history_that_has_already_faded_is_warned_about(neuram: Any) -> None:  # noqa: F811
    decade_ago, hour_ago = f"{time.time() - TEN_YEARS:.0f}", f"{time.time() - 3600:.0f}"
    faded = neuram("perceive", "The storage unit code is 4471", "--type", "semantic", "--at", decade_ago)
    assert faded.code == 0 and "warning: told as of --at, it has already faded (retention 0.00)" in faded.err
    assert "--pinned to keep it" in faded.err
    kept = neuram("perceive", "My passport number is X1234567", "--at", decade_ago, "--pinned")
    recent = neuram("perceive", "The garage code is 1234", "--type", "semantic", "--at", hour_ago)
    assert kept.err == recent.err == ""


def test_pin_marks_the_store_and_reports_each_id(neuram: Any, db: Path) -> None:  # noqa: F811
    a = perceive(neuram, "The backup drive sits in the left drawer")
    b = perceive(neuram, "The spare office keys hang by the door")
    run = neuram("pin", a["engram_id"], b["engram_id"], a["engram_id"])  # a repeated id counts once
    assert run.code == 0
    assert run.out.splitlines() == [
        f"pinned  {a['engram_id']}  The backup drive sits in the left drawer",
        f"pinned  {b['engram_id']}  The spare office keys hang by the door",
    ]
    engrams = stored(db)
    assert engrams[a["engram_id"]].pinned and engrams[b["engram_id"]].pinned
    assert forget_at_column(db, b["engram_id"]) == math.inf
    listed = json.loads(neuram("list", "--json").out)
    assert [e["pinned"] for e in listed] == [True, True]


def test_an_unknown_id_pins_nothing(neuram: Any, db: Path) -> None:  # noqa: F811
    a = perceive(neuram, "The backup drive sits in the left drawer")
    run = neuram("pin", a["engram_id"], "no-such-id")
    assert run.code == 1
    assert "unknown engram id(s) in namespace 'default': no-such-id; nothing was pinned" in run.err
    assert not stored(db)[a["engram_id"]].pinned
    assert neuram("unpin", "   ").code == 1
    assert "an engram id must not be empty" in neuram("unpin", "   ").err


def test_pin_on_a_missing_store_creates_nothing(neuram: Any, db: Path) -> None:  # noqa: F811
    run = neuram("pin", "abc")
    assert run.code == 1 and "no store at" in run.err
    assert not db.exists()


def test_perceive_takes_an_event_time_and_an_expiry(neuram: Any, db: Path) -> None:  # noqa: F811
    at = time.time() - 3 * DAY
    expires = datetime.fromtimestamp(at + 7 * DAY, UTC).isoformat()
    note = perceive(neuram, "The pilot review is in room four", "--at", f"{at}", "--expires-at", expires)
    engram = stored(db)[note["engram_id"]]
    assert engram.encoded_at == engram.last_accessed == at
    assert engram.expires_at == datetime.fromisoformat(expires).timestamp() and note["expires_at"] == engram.expires_at
    assert engram.consolidated  # the CLI stores at once, as always


def test_an_expired_memory_is_hidden_then_pruned(neuram: Any, db: Path) -> None:  # noqa: F811
    now = time.time()
    note = perceive(neuram, "The wifi password is tulip42", "--at", f"{now - 7200}", "--expires-at", f"{now - 60}")
    assert neuram("recall", "office wifi password").out == "nothing recalled\n"
    assert forget_at_column(db, note["engram_id"]) == now - 60
    report = json.loads(neuram("sleep", "--json").out)
    assert report["pruned_ltm"] == 1 and stored(db) == {}


def test_bad_times_fail_clearly_and_store_nothing(neuram: Any, db: Path) -> None:  # noqa: F811
    run = neuram("perceive", "The pilot review is in room four", "--at", f"{time.time() + DAY}")
    assert run.code == 1 and "at (" in run.err and "is after the clock's now" in run.err
    run = neuram("perceive", "The pilot review is in room four", "--at", "last tuesday")
    assert run.code == 2 and "not a time: 'last tuesday'" in run.err
    run = neuram("perceive", "The pilot review is in room four", "--pinned", "--expires-at", f"{time.time() + DAY}")
    assert run.code == 1 and "a pinned memory never expires" in run.err
    now = time.time()
    run = neuram("perceive", "The pilot review is in room four", "--at", f"{now - 60}", "--expires-at", f"{now - 120}")
    assert run.code == 1 and "must be after the event time" in run.err
    assert stored(db) == {}
