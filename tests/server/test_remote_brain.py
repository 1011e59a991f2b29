"""RemoteBrain against the real server process: the Brain API over HTTP, async and sync,
from any loop; errors come back as the exceptions a Brain raises."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from neuram_core import UnknownEngramError
from neuram_core.api import BrainAPI
from tests.server.harness import ServerProcess, require_server_extra
from tests.server.test_keys import write_keys_file


async def test_the_brain_api_over_http(server: ServerProcess) -> None:
    from neuram import RemoteBrain

    async with RemoteBrain(server.url, namespace="ada") as brain:
        assert isinstance(brain, BrainAPI)
        engram = await brain.perceive("Ada prefers the window seat on trains", metadata={"topic": "travel"},
                                      pinned=True)
        assert engram.pinned and engram.metadata == {"topic": "travel"} and not engram.filtered
        many = await brain.perceive_many([f"Ada visited museum {i} in Lisbon" for i in range(3)], gate=False)
        [(hit, score)] = await brain.recall("Ada window seat trains", top_k=1)
        assert hit.engram_id == engram.engram_id and hit.access_count == 1 and score > 0
        assert brain.retention(hit) == pytest.approx(1.0, abs=1e-3)
        [why] = await brain.explain("Ada window seat trains", top_k=1)  # only looks
        assert why.engram.engram_id == engram.engram_id and why.engram.access_count == 1
        assert why.similarity + why.lexical + why.spread == pytest.approx(why.activation)
        assert why.activation * why.retention_factor * why.superseded_factor == pytest.approx(why.score)
        assert len(await brain.recall("Ada window seat trains", top_k=4, min_relevance=0.0, strengthen=False)) == 4
        assert (await brain.list())[0].content == engram.content
        assert len(await brain.list(metadata={"topic": "travel"})) == 1
        assert (await brain.get(many[0].engram_id)).content == "Ada visited museum 0 in Lisbon"
        assert (await brain.reinforce(many[0].engram_id, 0.5)).reward > 0
        assert not (await brain.unpin(engram.engram_id)).pinned
        assert [e.engram_id for e in await brain.rehearse([many[1].engram_id])] == [many[1].engram_id]
        assert await brain.forget(many[2].engram_id) is True
        assert await brain.forget(many[2].engram_id) is False
        with pytest.raises(UnknownEngramError) as unknown:
            await brain.get(many[2].engram_id)
        assert unknown.value.engram_id == many[2].engram_id
        with pytest.raises(UnknownEngramError):
            await brain.rehearse(["nope"])
        with pytest.raises(ValueError, match="top_k"):
            await brain.recall("x", top_k=10_000)
        assert isinstance(await brain.sleep(), dict)
        assert (await brain.stats())["namespace"] == "ada"
        other = brain.for_namespace("bob")
        await other.perceive("Bob plays cello", gate=False)
        assert {"ada", "bob"} <= set(await brain.namespaces())
        assert len(brain.working_memory) >= 1
        assert await other.clear() == 1 and await other.list() == []


def test_the_sync_facade_and_any_loop(server: ServerProcess) -> None:
    from neuram import RemoteBrain

    brain = RemoteBrain(server.url, namespace="sync")
    with brain.sync as sync:
        sync.perceive("The boiler is serviced every October", gate=False)
        [(found, _)] = sync.recall("boiler serviced October")
        assert found.content == "The boiler is serviced every October"
        for _ in range(2):  # one RemoteBrain, awaited from two different event loops
            assert len(asyncio.run(brain.list())) == 1


def test_keys_and_tenants_through_remote_brain(tmp_path: Path) -> None:
    require_server_extra()
    from neuram_server.remote import RemoteAccessError, RemoteBrain

    keys = write_keys_file(tmp_path / "keys.json")
    with ServerProcess(f"sqlite:///{tmp_path / 'm.db'}", "--keys", str(keys)) as running:
        alice = RemoteBrain(running.url, api_key="key-alice", namespace="alice")
        alice.sync.perceive("Alice's secret: the spare key is under the mat", gate=False)
        with pytest.raises(RemoteAccessError) as hidden:
            alice.for_namespace("bob").sync.list()
        assert hidden.value.code == "namespace_not_found" and hidden.value.status == 404
        reader = RemoteBrain(running.url, api_key="key-reader", namespace="alice")
        assert len(reader.sync.recall("spare key mat")) == 1
        with pytest.raises(RemoteAccessError, match="read_only"):
            reader.sync.perceive("not allowed")
        with pytest.raises(RemoteAccessError, match="invalid_api_key"):
            RemoteBrain(running.url, api_key="wrong", namespace="alice").sync.stats()
        for brain in (alice, reader):
            brain.sync.close()


def test_a_server_that_is_not_there_is_a_store_unavailable_error() -> None:
    require_server_extra()
    from neuram import RemoteBrain, StoreUnavailableError
    from tests.servers import free_port

    port = free_port()
    brain = RemoteBrain(f"http://ada:s3cret@127.0.0.1:{port}", timeout=2)
    with pytest.raises(StoreUnavailableError, match="cannot reach") as caught:
        brain.sync.stats()
    brain.sync.close()
    # A password in the URL never reaches an error or a repr (and so no log).
    assert f"http://ada:***@127.0.0.1:{port}" in str(caught.value) and "s3cret" not in str(caught.value)
    assert "s3cret" not in repr(brain)
