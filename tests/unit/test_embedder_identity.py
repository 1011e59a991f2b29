"""A namespace records the embedder that made its vectors, and refuses another one.

Issue 14: opening a MiniLM store with ``HashingEmbedder()`` (same dimension) recalled junk
and strengthened it. Every test here fails on the code before identities were recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from neuram_core import (
    BaseEmbedder,
    Brain,
    EmbedderMismatchError,
    HashingEmbedder,
    ManualClock,
    NeuramError,
    SentenceTransformerEmbedder,
)
from neuram_core.embeddings import DEFAULT_MODEL, MODEL_ENV_VAR, embedder_identity, model_identity, resolve_model_path
from neuram_core.engram import Vector
from neuram_core.identity import REEMBEDDING, check_identity
from tests.conftest import START

NS = "default"


class FakeMiniLM(HashingEmbedder):
    """384-dimensional vectors under the default model's name, without loading it."""

    @property
    def identity(self) -> str:
        return DEFAULT_MODEL


class Probed(BaseEmbedder):
    """A model whose dimension is known only once it embeds (as a remote API's is)."""

    def __init__(self, size: int, identity: str = "probed") -> None:
        self.size = size
        self.name = identity
        self.calls = 0

    @property
    def identity(self) -> str:
        return self.name

    def _embed(self, texts: list[str]) -> Vector:
        self.calls += 1
        return HashingEmbedder(self.size).embed(texts)


class Plain:
    """An embedder that only follows the protocol: no identity of its own."""

    dimension = 384

    def embed(self, texts: Sequence[str]) -> Vector:
        return HashingEmbedder().embed(texts)


def open_on(path: Path, embedder: object, namespace: str = NS) -> Brain:
    return Brain.open(path=str(path), embedder=embedder, clock=ManualClock(START), namespace=namespace)  # type: ignore[arg-type]


def info_of(path: Path, namespace: str = NS) -> dict[str, object]:
    with_brain = open_on(path, FakeMiniLM(), namespace="__probe__")
    try:
        return with_brain.call_blocking(with_brain.store.get_info(namespace))
    finally:
        with_brain.sync.close()


def set_info(path: Path, info: dict[str, object], namespace: str = NS) -> None:
    brain = open_on(path, FakeMiniLM(), namespace="__probe__")
    try:
        brain.call_blocking(brain.store.set_info(namespace, info))
    finally:
        brain.sync.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "memory.db"


@pytest.fixture
def minilm_store(db: Path) -> Path:
    """A namespace written by "MiniLM", consolidated, with one memory strengthened once."""
    brain = open_on(db, FakeMiniLM())
    with brain.sync as sync:
        sync.perceive("Alice prefers the window seat on long flights", memory_type="semantic")
        sync.sleep()
    return db


# -- identities ----------------------------------------------------------------------------------
def test_the_hashing_embedder_is_named_by_its_dimension() -> None:
    assert HashingEmbedder().identity == "hashing-384"
    assert HashingEmbedder(64).identity == "hashing-64"


def test_the_default_model_has_one_identity_however_it_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled copy, the short name and the hub name are one model (and asking loads nothing)."""
    monkeypatch.delenv(MODEL_ENV_VAR, raising=False)
    bundled = SentenceTransformerEmbedder()
    assert bundled.identity == DEFAULT_MODEL
    assert SentenceTransformerEmbedder("all-MiniLM-L6-v2").identity == DEFAULT_MODEL
    assert SentenceTransformerEmbedder(DEFAULT_MODEL).identity == DEFAULT_MODEL
    path = resolve_model_path()
    if path != DEFAULT_MODEL:  # a package bundles the weights: its path names the same model
        assert SentenceTransformerEmbedder(Path(path)).identity == DEFAULT_MODEL
        monkeypatch.setenv(MODEL_ENV_VAR, path)
        assert SentenceTransformerEmbedder().identity == DEFAULT_MODEL
    assert bundled._model is None and bundled.known_dimension is None


def test_model_identity_names_a_directory_by_its_model(tmp_path: Path) -> None:
    snapshot = tmp_path / "hub" / "models--BAAI--bge-small-en-v1.5" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    assert model_identity(snapshot) == "BAAI/bge-small-en-v1.5"
    mine = tmp_path / "my-model"
    mine.mkdir()
    assert model_identity(mine) == str(mine.resolve())
    assert model_identity("BAAI/bge-small-en-v1.5") == "BAAI/bge-small-en-v1.5"


def test_an_embedder_without_a_name_is_named_by_its_class() -> None:
    assert embedder_identity(Plain()) == "Plain"
    assert embedder_identity(Probed(8, "mine")) == "mine"

    class Custom(BaseEmbedder):
        pass

    assert Custom().identity.endswith("<locals>.Custom")


def test_the_framework_wrappers_name_the_class_and_its_model() -> None:
    pytest.importorskip("langchain_core")
    pytest.importorskip("llama_index.core")
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from llama_index.core.embeddings import MockEmbedding

    from neuram_langchain import LangChainEmbedder
    from neuram_llamaindex import LlamaIndexEmbedder

    assert LangChainEmbedder(DeterministicFakeEmbedding(size=8)).identity == "DeterministicFakeEmbedding"

    class Named(DeterministicFakeEmbedding):
        model: str = "text-embedding-3-small"

    assert LangChainEmbedder(Named(size=8)).identity.endswith("<locals>.Named:text-embedding-3-small")
    mock = MockEmbedding(embed_dim=8, model_name="mock-8")
    assert LlamaIndexEmbedder(mock).identity == "MockEmbedding:mock-8"


def test_check_identity() -> None:
    record = {"embedder": "m", "dimension": 8}
    check_identity(NS, {}, "anything", 3)  # nothing recorded
    check_identity(NS, record, "m", 8)
    check_identity(NS, record, "m", None)  # dimension unknown yet: the name decides
    with pytest.raises(EmbedderMismatchError, match=r"embedded with m \(8 dimensions\), not m \(9 dimensions\)"):
        check_identity(NS, record, "m", 9)
    with pytest.raises(EmbedderMismatchError, match=r"embedded with m .*not n"):
        check_identity(NS, record, "n", 8)
    with pytest.raises(EmbedderMismatchError, match="being re-embedded to n"):
        check_identity(NS, {**record, REEMBEDDING: "n"}, "n", 8)


# -- recorded on the first write, checked on open ------------------------------------------------
def test_the_first_write_records_the_embedder(db: Path) -> None:
    brain = open_on(db, HashingEmbedder(64))
    with brain.sync as sync:
        assert brain.call_blocking(brain.store.get_info(NS)) == {}  # opening alone records nothing
        sync.perceive("the deploy key lives in the vault", memory_type="semantic")
        assert brain.call_blocking(brain.store.get_info(NS)) == {"embedder": "hashing-64", "dimension": 64}


def test_an_embedder_no_command_can_name_is_moved_to_in_python(minilm_store: Path) -> None:
    """A LangChain or custom embedder's identity is its class name: the fix offered is the
    Python call, not a `neuram reembed --embedder <class name>` that cannot load it."""

    class InHouseEmbedder(HashingEmbedder):
        name = "InHouseEmbedder:v2"

        @property
        def identity(self) -> str:
            return self.name

    for name in ("InHouseEmbedder:v2", "HuggingFaceEmbeddings:sentence-transformers/all-mpnet-base-v2"):
        InHouseEmbedder.name = name
        with pytest.raises(EmbedderMismatchError) as caught:
            open_on(minilm_store, InHouseEmbedder())
        message = str(caught.value)
        assert "await neuram_core.identity.reembed(store, namespace, embedder)" in message
        assert "neuram reembed" not in message


def test_a_minilm_store_refuses_the_hashing_embedder_of_the_same_dimension(minilm_store: Path) -> None:
    """The reported bug: same dimension, another model. Refused at open, with both names
    and both fixes, and nothing recalled or strengthened."""
    before = info_of(minilm_store)
    with pytest.raises(EmbedderMismatchError) as caught:
        open_on(minilm_store, HashingEmbedder())
    message = str(caught.value)
    assert f"embedded with {DEFAULT_MODEL} (384 dimensions), not hashing-384 (384 dimensions)" in message
    assert "open it with that embedder" in message and "`neuram reembed --embedder hashing-384`" in message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, NeuramError)
    assert (caught.value.recorded, caught.value.given) == (DEFAULT_MODEL, "hashing-384")
    assert info_of(minilm_store) == before
    brain = open_on(minilm_store, FakeMiniLM())  # the right model still opens it, unstrengthened
    with brain.sync as sync:
        [(engram, _)] = sync.recall("window seat", strengthen=False)
        assert engram.access_count == 0


async def test_create_refuses_too_and_closes_what_it_opened(minilm_store: Path) -> None:
    with pytest.raises(EmbedderMismatchError):
        await Brain.create(path=str(minilm_store), embedder=HashingEmbedder())


def test_the_same_name_with_another_dimension_is_refused(db: Path) -> None:
    with open_on(db, Probed(16, "model-x")).sync as sync:
        sync.perceive("the office closes at six on fridays", memory_type="semantic")
    with pytest.raises(EmbedderMismatchError, match=r"model-x \(16 dimensions\), not model-x \(8 dimensions\)"):
        open_on(db, FakeProbedKnown(8, "model-x"))


class FakeProbedKnown(Probed):
    """The same model name, its dimension known at open."""

    @property
    def known_dimension(self) -> int | None:
        return self.size


def test_a_dimension_known_only_after_embedding_is_checked_before_the_first_write(db: Path) -> None:
    with open_on(db, Probed(16, "model-x")).sync as sync:
        sync.perceive("the office closes at six on fridays", memory_type="semantic")
    other = Probed(8, "model-x")
    brain = open_on(db, other)  # the name matches; the dimension is unknown until it embeds
    assert other.calls == 0  # opening embedded nothing to learn it
    with brain.sync as sync:
        with pytest.raises(EmbedderMismatchError, match=r"\(16 dimensions\), not model-x \(8 dimensions\)"):
            sync.perceive("the printer on floor two is broken", memory_type="semantic")
        assert brain.call_blocking(brain.store.count(NS)) == 1  # nothing was written or indexed
        assert len(brain.hippocampus) == 1


def test_the_first_writer_wins_a_new_namespace(db: Path) -> None:
    """Two workers with different models open a new namespace; the first write claims it."""
    first, second = open_on(db, HashingEmbedder()), open_on(db, FakeMiniLM())
    with first.sync as one, second.sync as two:
        one.perceive("the staging server is called kestrel", memory_type="semantic")
        with pytest.raises(EmbedderMismatchError, match="embedded with hashing-384"):
            two.perceive("the production server is called osprey", memory_type="semantic")
        assert first.call_blocking(first.store.count(NS)) == 1


def test_each_namespace_records_its_own_embedder(db: Path) -> None:
    brain = open_on(db, HashingEmbedder())
    with brain.sync as sync:
        sync.perceive("the staging server is called kestrel", memory_type="semantic")
    set_info(db, {"embedder": "other-model", "dimension": 384}, namespace="other")
    brain = open_on(db, HashingEmbedder())
    with brain.sync as sync:
        with pytest.raises(EmbedderMismatchError, match="'other' was embedded with other-model"):
            brain.for_namespace("other").sync.list()
        assert len(sync.list()) == 1


# -- namespaces written before identities were recorded ------------------------------------------
def legacy(db: Path, embedder: BaseEmbedder) -> None:
    """A namespace as an older neuram left it: engrams, nothing recorded."""
    with open_on(db, embedder).sync as sync:
        sync.perceive("the staging server is called kestrel", memory_type="semantic")
        sync.sleep()
    set_info(db, {})


def test_a_legacy_namespace_adopts_an_embedder_of_its_dimension(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    legacy(db, HashingEmbedder())
    with caplog.at_level(logging.WARNING, logger="neuram_core.identity"):
        brain = open_on(db, HashingEmbedder())
    with brain.sync as sync:
        assert brain.call_blocking(brain.store.get_info(NS)) == {"embedder": "hashing-384", "dimension": 384}
        assert len(sync.list()) == 1
    assert "holds 384-dimensional vectors of an unrecorded model; recorded hashing-384" in caplog.text


def test_a_legacy_namespace_refuses_an_embedder_of_another_dimension(db: Path) -> None:
    legacy(db, HashingEmbedder())
    with pytest.raises(EmbedderMismatchError, match=r"an unrecorded model \(384 dimensions\), not hashing-64"):
        open_on(db, HashingEmbedder(64))
    assert info_of(db) == {}


def test_a_legacy_namespace_adopts_a_model_not_loaded_yet_at_its_first_write(db: Path) -> None:
    legacy(db, Probed(16))
    brain = open_on(db, Probed(16))
    with brain.sync as sync:
        assert brain.call_blocking(brain.store.get_info(NS)) == {}  # its dimension is not known yet
        sync.perceive("the production server is called osprey", memory_type="semantic")
        assert brain.call_blocking(brain.store.get_info(NS)) == {"embedder": "probed", "dimension": 16}


# -- an unfinished reembed --------------------------------------------------------------------------
def test_a_namespace_midway_through_a_reembed_is_refused(minilm_store: Path) -> None:
    set_info(minilm_store, {"embedder": DEFAULT_MODEL, "dimension": 384, REEMBEDDING: "hashing-384"})
    for embedder in (FakeMiniLM(), HashingEmbedder()):
        with pytest.raises(EmbedderMismatchError) as caught:
            open_on(minilm_store, embedder)
        assert "being re-embedded to hashing-384, or a re-embed stopped midway" in str(caught.value)
        assert "Run `neuram reembed --embedder hashing-384` again" in str(caught.value)
