"""Bad input and faults: every error is an RFC 9457 problem document with a stable code,
never a 500 with a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.harness import ServerProcess, require_server_extra

NS = "/v1/namespaces/ada"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    require_server_extra()
    path = tmp_path_factory.mktemp("errors") / "memory.db"
    with ServerProcess(
        f"sqlite:///{path}", "--max-text-bytes", "200", "--max-top-k", "10", "--max-body-bytes", "4000"
    ) as running:
        yield running


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status
    assert body["type"] == f"urn:neuram:problem:{code}" and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def test_malformed_json_and_wrong_types(limited: ServerProcess) -> None:
    with limited.client() as http:
        problem(http.post(f"{NS}/recall", content=b"{oops", headers={"content-type": "application/json"}),
                400, "malformed_json")
        body = problem(http.post(f"{NS}/recall", json={"query": 5}), 422, "invalid_request")
        assert body["detail"].startswith("query:") and body["errors"][0]["loc"] == ["body", "query"]
        problem(http.post(f"{NS}/recall", json={"query": "x", "top_k": "3"}), 422, "invalid_request")
        problem(http.post(f"{NS}/recall", json={"query": "x", "surprise": 1}), 422, "invalid_request")
        problem(http.post(f"{NS}/recall", json=[1, 2]), 422, "invalid_request")
        problem(http.post(f"{NS}/memories", json={"content": "x", "salience": 2}), 422, "invalid_request")
        problem(http.post(f"{NS}/memories", json={"content": "   "}), 422, "invalid_value")
        for raw in (b'{"content": "x", "salience": NaN}', b'{"content": "x", "metadata": {"a": Infinity}}'):
            response = http.post(f"{NS}/memories", content=raw, headers={"content-type": "application/json"})
            assert response.status_code == 422 and response.json()["code"] in {"invalid_request", "invalid_value"}
        nan = http.post(f"{NS}/memories", content=b'{"content": "x", "salience": NaN}',
                        headers={"content-type": "application/json"})
        assert nan.json()["detail"].startswith("salience: Input should be a finite number")
        body = problem(http.post(f"{NS}/memories", json={"content": "later", "at": 4e9}), 422, "invalid_value")
        assert "future" in body["detail"]


def test_limits(limited: ServerProcess) -> None:
    with limited.client() as http:
        body = problem(http.post(f"{NS}/memories", json={"content": "é" * 101}), 422, "text_too_long")
        assert body["limit"] == 200 and "202 bytes" in body["detail"]
        problem(http.post(f"{NS}/recall", json={"query": "q" * 201}), 422, "text_too_long")
        problem(http.post(f"{NS}/memories", json={"content": "ok", "metadata": {"k": "v" * 300}}), 422,
                "text_too_long")
        problem(http.post(f"{NS}/recall", json={"query": "x", "top_k": 11}), 422, "top_k_too_large")
        problem(http.post(f"{NS}/memories", content=b'{"content": "' + b"a" * 5000 + b'"}',
                          headers={"content-type": "application/json"}), 413, "body_too_large")

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what streams in
            yield b'{"content": "'
            for _ in range(10):
                yield b"a" * 1000
            yield b'"}'

        problem(http.post(f"{NS}/memories", content=chunks(), headers={"content-type": "application/json"}),
                413, "body_too_large")


def test_unknown_things(limited: ServerProcess) -> None:
    with limited.client() as http:
        problem(http.get(f"{NS}/memories/nope"), 404, "engram_not_found")
        problem(http.post(f"{NS}/memories/nope/reinforce", json={"reward": 0.5}), 404, "engram_not_found")
        problem(http.post(f"{NS}/memories/nope/pin"), 404, "engram_not_found")
        problem(http.get("/v1/nothing-here"), 404, "not_found")
        problem(http.put(f"{NS}/recall", json={}), 405, "method_not_allowed")
        problem(http.get("/v1/namespaces/" + "n" * 600 + "/stats"), 422, "invalid_namespace")


def test_read_only_server(tmp_path: Path) -> None:
    require_server_extra()
    url = f"sqlite:///{tmp_path / 'memory.db'}"
    with ServerProcess(url) as writable, writable.client() as http:
        engram_id = http.post(f"{NS}/memories", json={"content": "Ada keeps bees on the roof"}).json()["engram_id"]
    with ServerProcess(url, "--read-only") as reader, reader.client() as http:
        problem(http.post(f"{NS}/memories", json={"content": "more"}), 403, "read_only")
        problem(http.delete(f"{NS}/memories/{engram_id}"), 403, "read_only")
        problem(http.post(f"{NS}/sleep"), 403, "read_only")
        [hit] = http.post(f"{NS}/recall", json={"query": "Ada bees roof"}).json()["results"]
        assert hit["memory"]["access_count"] == 0  # a read-only server looks, never strengthens
        assert http.get(f"{NS}/memories/{engram_id}").status_code == 200


ROUTES = [
    ("POST", f"{NS}/memories"),
    ("POST", f"{NS}/memories/batch"),
    ("POST", f"{NS}/recall"),
    ("POST", f"{NS}/rehearse"),
    ("POST", f"{NS}/memories/x/reinforce"),
    ("POST", "/v1/namespaces/copy/import"),
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(["content", "contents", "query", "top_k", "metadata", "salience", "memory_type", "at",
                          "expires_at", "since", "engram_ids", "reward", "explain", "strengthen", "gate"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=st.dictionaries(FIELDS, JSON, max_size=5) | JSON)
def test_random_bodies_never_fail_the_server(limited: ServerProcess, route: tuple[str, str], body: object) -> None:
    with limited.client() as http:
        response = http.request(route[0], route[1], json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_model_that_cannot_be_loaded_is_refused_before_serving(tmp_path: Path) -> None:
    """One line naming the model, not a start-up traceback after "serving ..."."""
    require_server_extra()
    server = ServerProcess(f"sqlite:///{tmp_path / 'm.db'}", embedder="nosuch-model", env={"HF_HUB_OFFLINE": "1"})
    with pytest.raises(RuntimeError, match="exited 1") as caught:
        server.start()
    said = str(caught.value)
    assert "neuram: error: the embedding model 'nosuch-model' could not be loaded" in said
    assert "serving" not in said and "Traceback" not in said


def test_a_store_that_does_not_answer_is_one_line_without_its_password() -> None:
    """No Redis listens on that loopback port: one error line before any banner, and the
    password stays out of it."""
    require_server_extra()
    from tests.servers import free_port

    port = free_port()
    server = ServerProcess(f"redis://:s3cret@127.0.0.1:{port}/0")
    with pytest.raises(RuntimeError) as caught:
        server.start()
    said = str(caught.value)
    assert "exited 1" in said and "neuram: error: Redis is unavailable" in said
    assert "s3cret" not in said and "serving" not in said and "Traceback" not in said
