"""Tenants and keys: a key sees only its namespaces (404 for the rest, as for one that does
not exist), read-only keys never write, and keys are stored and compared only as hashes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.harness import NEURAM, ServerProcess, require_server_extra

# key -> (read patterns, write patterns), as the keys file says; the test's own model of them.
GRANTS = {
    "key-alice": (["alice"], ["alice"]),
    "key-team": (["team-*"], ["team-*"]),
    "key-reader": (["alice", "team-a"], []),
    "key-admin": (["*"], ["*"]),
    "key-nothing": ([], []),
}
NAMESPACES = ["alice", "bob", "team-a", "team-b", "teamx", "never-made"]


def _allowed(patterns: list[str], namespace: str) -> bool:
    return any(namespace.startswith(p[:-1]) if p.endswith("*") else p == namespace for p in patterns)


def can_read(key: str, namespace: str) -> bool:
    read, write = GRANTS[key]
    return _allowed(read + write, namespace)


def can_write(key: str, namespace: str) -> bool:
    return _allowed(GRANTS[key][1], namespace)


def write_keys_file(path: Path) -> Path:
    from neuram_server.keys import hash_key

    entries = [{"name": k, "sha256": hash_key(k), "read": r, "write": w} for k, (r, w) in GRANTS.items()]
    path.write_text(json.dumps({"keys": entries}))
    return path


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    require_server_extra()
    folder = tmp_path_factory.mktemp("keys")
    keys = write_keys_file(folder / "keys.json")
    with ServerProcess(f"sqlite:///{folder / 'memory.db'}", "--keys", str(keys)) as running:
        with running.client("key-admin") as admin:
            for namespace in NAMESPACES[:-1]:  # every namespace but "never-made" holds a memory
                made = admin.post(f"/v1/namespaces/{namespace}/memories",
                                  json={"content": f"A private note of tenant {namespace} about bees", "gate": False})
                assert made.status_code == 201, made.text
        yield running


def test_missing_and_wrong_keys_are_refused(keyed: ServerProcess) -> None:
    with keyed.client() as http:
        missing = http.get("/v1/namespaces/alice/stats")
        assert missing.status_code == 401 and missing.json()["code"] == "missing_api_key"
        assert http.get("/v1/namespaces").json()["code"] == "missing_api_key"
    with keyed.client("wrong") as http:
        assert http.get("/v1/namespaces/alice/stats").json()["code"] == "invalid_api_key"
    with httpx.Client(base_url=keyed.url, headers={"X-API-Key": "key-alice"}) as http:
        assert http.get("/v1/namespaces/alice/stats").status_code == 200  # the other header works too
    assert httpx.get(f"{keyed.url}/v1/health").status_code == 200  # liveness needs no key
    assert "key-alice" not in keyed.stderr


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(sorted(GRANTS)), namespace=st.sampled_from(NAMESPACES),
       action=st.sampled_from(["stats", "recall", "list", "get", "perceive", "sleep"]))
def test_a_key_sees_only_its_namespaces(keyed: ServerProcess, key: str, namespace: str, action: str) -> None:
    base = f"/v1/namespaces/{namespace}"
    with keyed.client(key) as http:
        response = {
            "stats": lambda: http.get(f"{base}/stats"),
            "recall": lambda: http.post(f"{base}/recall", json={"query": "note about bees"}),
            "list": lambda: http.get(f"{base}/memories"),
            "get": lambda: http.get(f"{base}/memories/no-such-id"),
            "perceive": lambda: http.post(f"{base}/memories", json={"content": "another note on bees"}),
            "sleep": lambda: http.post(f"{base}/sleep"),
        }[action]()
    writes = action in {"perceive", "sleep"}
    if not can_read(key, namespace):
        # Exactly what a namespace that does not exist answers: nothing tells them apart.
        assert response.status_code == 404, response.text
        body = response.json()
        assert body["code"] == "namespace_not_found"
        assert body["detail"] == f"no namespace {namespace!r} for this key"
    elif writes and not can_write(key, namespace):
        assert response.status_code == 403 and response.json()["code"] == "read_only"
    elif action == "get":
        assert response.json()["code"] == "engram_not_found"
    else:
        assert response.status_code in {200, 201}, response.text
    if action == "recall" and can_read(key, namespace):
        for hit in response.json()["results"]:  # never another tenant's memory
            assert f"tenant {namespace} " in hit["memory"]["content"] or "another note" in hit["memory"]["content"]


@pytest.mark.parametrize("key", sorted(GRANTS))
def test_namespaces_lists_only_the_keys_own(keyed: ServerProcess, key: str) -> None:
    with keyed.client("key-admin") as admin:
        every = admin.get("/v1/namespaces").json()["namespaces"]  # what the store holds now
    assert set(NAMESPACES[:-1]) <= set(every)
    with keyed.client(key) as http:
        listed = http.get("/v1/namespaces").json()["namespaces"]
    assert listed == sorted(n for n in every if can_read(key, n))


def test_keys_file_is_checked_at_start(tmp_path: Path) -> None:
    require_server_extra()
    bad = tmp_path / "keys.json"
    bad.write_text('{"keys": [{"name": "k", "sha256": "not-a-hash", "read": ["*"]}]}')
    server = ServerProcess(f"sqlite:///{tmp_path / 'm.db'}", "--keys", str(bad))
    with pytest.raises(RuntimeError, match="64 lowercase hex digits"):
        server.start()


def test_no_keys_file_means_localhost_only(tmp_path: Path) -> None:
    require_server_extra()
    server = ServerProcess(f"sqlite:///{tmp_path / 'm.db'}", "--host", "0.0.0.0")
    with pytest.raises(RuntimeError, match="without --keys"):
        server.start()
    with ServerProcess(f"sqlite:///{tmp_path / 'm.db'}") as local:
        local.terminate()
    assert "serving localhost only" in local.stderr


def test_hash_key_prints_a_key_and_its_entry(tmp_path: Path) -> None:
    require_server_extra()
    import subprocess

    from neuram_server.keys import KeyRing, hash_key

    out = subprocess.run([NEURAM, "hash-key", "--name", "ci", "--read", "team-*", "--write", "team-a"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    key = out[0].removeprefix("key: ")
    entry = json.loads(out[1])
    assert entry == {"name": "ci", "sha256": hash_key(key), "read": ["team-*"], "write": ["team-a"]}
    assert key not in out[1]  # the file line holds only the hash
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [entry]}))
    grant = KeyRing.load(path).grant_for(key)
    assert grant is not None and grant.can_read("team-b") and grant.can_write("team-a")
    assert not grant.can_write("team-b") and KeyRing.load(path).grant_for(key + "x") is None


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"sha256": "a" * 64, "read": ["a*b"]}], "'*' may only end a pattern"),
        ([{"sha256": "a" * 64, "write": ["*a"]}], "'*' may only end a pattern"),
        ([{"sha256": "a" * 64, "read": ["x"]}, {"sha256": "a" * 64, "write": ["x"]}], "the same key as keys[0]"),
    ],
)
def test_a_keys_file_mistake_is_refused_not_guessed(tmp_path: Path, entries: list[Any], message: str) -> None:
    require_server_extra()
    from neuram_server.keys import KeyRing, KeysFileError

    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": entries}))
    with pytest.raises(KeysFileError, match=re.escape(message)):
        KeyRing.load(path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"keys": [{"sha256": "b" * 64, "read": ["*", "team-*", "alice"]}]}))
    assert len(KeyRing.load(good)) == 1


def test_hash_key_refuses_a_key_that_can_do_nothing() -> None:
    require_server_extra()
    import subprocess

    run = subprocess.run([NEURAM, "hash-key", "--name", "idle"], capture_output=True, text=True)
    assert run.returncode == 1 and "give --read or --write" in run.stderr and "key:" not in run.stdout


def test_a_request_sends_its_key_in_one_of_two_headers() -> None:
    require_server_extra()
    from neuram_server.keys import key_of

    assert key_of("k1", "Bearer k2") == "k1"  # X-API-Key first
    assert key_of(None, "Bearer k2") == key_of("", "bearer  k2 ") == "k2"
    assert key_of(None, "Basic abc") is None and key_of(None, "Bearer ") is None and key_of(None, None) is None
