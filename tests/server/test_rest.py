"""The REST API end to end: the real server process, on SQLite and on a real redis-server."""

from __future__ import annotations

import json

import pytest

from tests.server.harness import ServerProcess

NS = "/v1/namespaces/ada"


def test_perceive_recall_get_list_forget(server: ServerProcess) -> None:
    with server.client() as http:
        made = http.post(f"{NS}/memories", json={"content": "Ada prefers the window seat on long flights",
                                                 "metadata": {"topic": "travel"}, "memory_type": "habitual"})
        assert made.status_code == 201, made.text
        memory = made.json()
        assert memory["content"].startswith("Ada prefers") and memory["metadata"] == {"topic": "travel"}
        assert memory["embedding"] is None and memory["filtered_reason"] is None
        engram_id = memory["engram_id"]

        found = http.post(f"{NS}/recall", json={"query": "Ada window seat on flights", "explain": True})
        assert found.status_code == 200, found.text
        [hit] = found.json()["results"]
        assert hit["memory"]["engram_id"] == engram_id and hit["memory"]["access_count"] == 1  # strengthened
        parts = hit["explain"]
        assert {"similarity", "lexical", "spread", "activation", "retention", "relevance"} <= set(parts)
        assert parts["similarity"] + parts["lexical"] + parts["spread"] == pytest.approx(parts["activation"])
        assert parts["activation"] * parts["retention_factor"] * parts["superseded_factor"] == pytest.approx(
            hit["score"]
        )

        looked = http.post(f"{NS}/recall", json={"query": "window seat", "strengthen": False})
        assert looked.json()["results"][0]["memory"]["access_count"] == 1

        assert http.get(f"{NS}/memories/{engram_id}").json()["content"] == memory["content"]
        page = http.get(f"{NS}/memories").json()
        assert [m["engram_id"] for m in page["items"]] == [engram_id] and page["next_cursor"] is None

        assert http.delete(f"{NS}/memories/{engram_id}").status_code == 204
        gone = http.get(f"{NS}/memories/{engram_id}")
        assert gone.status_code == 404 and gone.json()["code"] == "engram_not_found"
        assert http.delete(f"{NS}/memories/{engram_id}").json()["code"] == "engram_not_found"


def test_small_talk_is_answered_200_not_created(server: ServerProcess) -> None:
    with server.client() as http:
        dropped = http.post(f"{NS}/memories", json={"content": "hi"})
        assert dropped.status_code == 200 and dropped.json()["filtered_reason"] == "phatic"
        assert http.get(f"{NS}/memories/{dropped.json()['engram_id']}").status_code == 404
        all_dropped = http.post(f"{NS}/memories/batch", json={"contents": ["hi", "thanks!"]})
        assert all_dropped.status_code == 200 and [m["filtered_reason"] for m in all_dropped.json()] == [
            "phatic",
            "phatic",
        ]
        some = http.post(f"{NS}/memories/batch", json={"contents": ["hi", "I keep bees"]})
        assert some.status_code == 201 and [m["filtered_reason"] for m in some.json()] == ["phatic", None]


def test_batch_filters_and_pages(server: ServerProcess) -> None:
    with server.client() as http:
        texts = [f"Fact number {i}: the lab keeps sample {i} in freezer {i % 3}" for i in range(25)]
        made = http.post(f"{NS}/memories/batch", json={"contents": texts, "memory_type": "semantic",
                                                       "metadata": [{"n": i} for i in range(25)]})
        assert made.status_code == 201, made.text
        assert len(made.json()) == 25
        seen, cursor = [], None
        while True:
            params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
            page = http.get(f"{NS}/memories", params=params).json()
            seen += [m["metadata"]["n"] for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == list(range(25)) and len(seen) == 25
        only = http.get(f"{NS}/memories", params={"metadata": json.dumps({"n": 7})}).json()["items"]
        assert [m["metadata"]["n"] for m in only] == [7]
        assert http.get(f"{NS}/memories", params={"memory_type": "episodic"}).json()["items"] == []
        hits = http.post(f"{NS}/recall", json={"query": "sample 7 freezer", "top_k": 3,
                                               "metadata": {"n": 7}}).json()["results"]
        assert [h["memory"]["metadata"]["n"] for h in hits] == [7]
        bad = http.get(f"{NS}/memories", params={"cursor": "not-a-cursor"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"


def test_reinforce_pin_rehearse_sleep_stats_namespaces(server: ServerProcess) -> None:
    with server.client() as http:
        engram_id = http.post(f"{NS}/memories", json={"content": "Ada drinks green tea every morning"}).json()[
            "engram_id"
        ]
        rewarded = http.post(f"{NS}/memories/{engram_id}/reinforce", json={"reward": 1.0}).json()
        assert rewarded["reward"] > 0
        assert http.post(f"{NS}/memories/{engram_id}/pin").json()["pinned"] is True
        assert http.post(f"{NS}/memories/{engram_id}/unpin").json()["pinned"] is False
        [rehearsed] = http.post(f"{NS}/rehearse", json={"engram_ids": [engram_id]}).json()
        assert rehearsed["access_count"] == 1
        missing = http.post(f"{NS}/rehearse", json={"engram_ids": ["nope"]})
        assert missing.status_code == 404 and missing.json()["code"] == "engram_not_found"
        report = http.post(f"{NS}/sleep").json()
        assert isinstance(report, dict) and all(isinstance(v, int) for v in report.values())
        stats = http.get(f"{NS}/stats").json()
        assert stats["namespace"] == "ada" and stats["indexed"] == 1
        http.post("/v1/namespaces/bob/memories", json={"content": "Bob plays the cello in an orchestra"})
        assert {"ada", "bob"} <= set(http.get("/v1/namespaces").json()["namespaces"])


def test_export_then_import_into_another_namespace(server: ServerProcess) -> None:
    with server.client() as http:
        texts = [f"Ada visited city number {i} in spring" for i in range(5)]
        http.post(f"{NS}/memories/batch", json={"contents": texts, "gate": False})
        exported = http.get(f"{NS}/export")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
        lines = exported.text.splitlines()
        assert json.loads(lines[0])["neuram_export"] == 1 and len(lines) == 6
        done = http.post("/v1/namespaces/copy/import", content=exported.content,
                         headers={"content-type": "application/x-ndjson"})
        assert done.status_code == 200 and done.json() == {"imported": 5}, done.text
        copied = http.get("/v1/namespaces/copy/memories").json()["items"]
        assert sorted(m["content"] for m in copied) == sorted(texts)
        assert http.post("/v1/namespaces/copy/recall", json={"query": "city number 3"}).json()["results"]
        broken = http.post("/v1/namespaces/copy2/import", content=lines[0] + "\n" + lines[1] + "\n{oops\n")
        assert broken.status_code == 400 and broken.json()["code"] == "malformed_json"
        assert "line 3" in broken.json()["detail"]
        assert http.get("/v1/namespaces/copy2/memories").json()["items"] == []  # nothing imported
        orphan = json.dumps({**json.loads(lines[2]), "fragment_of": "gone"})
        lonely = http.post("/v1/namespaces/copy3/import", content=lines[1] + "\n" + orphan + "\n")
        assert lonely.status_code == 422 and lonely.json()["code"] == "invalid_value"
        assert lonely.json()["detail"].startswith("line 2: a fragment of 'gone', which the body does not hold")
        assert http.get("/v1/namespaces/copy3/stats").json()["fragments"] == 0


def test_openapi_describes_every_route(server: ServerProcess) -> None:
    with server.client() as http:
        spec = http.get("/openapi.json").json()
        assert spec["info"]["title"] == "neuram"
        paths = set(spec["paths"])
        for path in ("/v1/namespaces/{namespace}/memories", "/v1/namespaces/{namespace}/recall",
                     "/v1/namespaces/{namespace}/memories/{engram_id}", "/v1/namespaces/{namespace}/sleep",
                     "/v1/namespaces/{namespace}/stats", "/v1/namespaces", "/v1/namespaces/{namespace}/export",
                     "/v1/namespaces/{namespace}/import", "/v1/namespaces/{namespace}/rehearse", "/v1/ready"):
            assert path in paths, path
        for path in ("/v1/namespaces/{namespace}/memories", "/v1/namespaces/{namespace}/memories/batch"):
            answers = spec["paths"][path]["post"]["responses"]
            assert {"200", "201"} <= set(answers) and "nothing was stored" in answers["200"]["description"]
        assert http.get("/docs").status_code == 200
