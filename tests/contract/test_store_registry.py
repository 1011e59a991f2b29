"""Stores by URL: ``open_store``'s schemes, the registry, entry-point discovery, and
``Brain.create(url=...)`` beside the older keywords."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

import neuram
from neuram_core import Brain, HashingEmbedder
from neuram_core.stores import SQLiteStore, open_store, register_store, store_schemes
from neuram_core.types import LongTermStore
from tests.contract.memory_store import MemoryStore, install_plugin, open_memory_store
from tests.contract.support import engram

BUILT_IN = ["redis", "redis+cluster", "rediss", "rediss+cluster", "sqlite"]


def fresh_scheme() -> str:
    """A scheme no other test has registered (the registry is process-wide)."""
    return f"t{uuid.uuid4().hex[:10]}"


def sqlite_path(url: str) -> str:
    store = open_store(url)
    assert isinstance(store, SQLiteStore)
    return store.path


# -- sqlite URLs -----------------------------------------------------------------------------
def test_sqlite_urls_read_as_sqlalchemy_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_path("sqlite:///rel.db") == str(tmp_path / "rel.db")  # three slashes: relative
    assert sqlite_path("sqlite:///sub/dir/x.db") == str(tmp_path / "sub" / "dir" / "x.db")
    assert sqlite_path(f"sqlite:///{tmp_path}/abs.db") == str(tmp_path / "abs.db")  # four slashes: absolute
    assert sqlite_path("sqlite:////var/lib/neuram/memory.db") == "/var/lib/neuram/memory.db"
    assert sqlite_path("sqlite://:memory:") == ":memory:"
    assert sqlite_path("sqlite:///:memory:") == ":memory:"
    assert sqlite_path("SQLite:///upper.db") == str(tmp_path / "upper.db")  # schemes ignore case
    assert sqlite_path("sqlite:///with%20space%3F.db") == str(tmp_path / "with space?.db")  # percent-decoded
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert sqlite_path("sqlite:///~/memory.db") == str(tmp_path / "home" / "memory.db")


def test_a_relative_sqlite_url_is_fixed_when_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///here.db")
    monkeypatch.chdir(tmp_path.parent)  # the store connects later: it must not follow the cwd
    assert isinstance(store, SQLiteStore) and store.path == str(tmp_path / "here.db")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "names no file"),
        ("sqlite:///", "names no file"),
        ("sqlite:////", "names no file"),
        ("sqlite:///some/dir/", "names no file"),
        ("sqlite://host/x.db", "names no file"),
        ("sqlite:///x.db?mode=ro", "no query"),
        ("sqlite:///x.db#frag", "no query"),
    ],
)
def test_a_sqlite_url_without_a_file_is_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_store(url)


async def test_a_sqlite_url_store_keeps_its_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/kept.db"
    first = open_store(url)
    await first.put("ns", [(engram("a"), 1e9)])
    await first.close()
    again = open_store(url)
    try:
        assert [e.engram_id for e in await again.get("ns", ["a"]) if e is not None] == ["a"]
    finally:
        await again.close()


# -- redis URLs ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "client"),
    [
        ("redis://127.0.0.1:1/0", "Redis"),
        ("rediss://user:pw@127.0.0.1:1/2", "Redis"),
        ("REDIS://127.0.0.1:1", "Redis"),
        ("redis+cluster://127.0.0.1:1", "RedisCluster"),
        ("rediss+cluster://127.0.0.1:1", "RedisCluster"),
    ],
)
async def test_redis_urls_open_a_redis_store_without_connecting(url: str, client: str) -> None:
    from neuram_core.stores.redis import RedisStore

    store = open_store(url)
    try:
        assert isinstance(store, RedisStore)
        assert type(store.client).__name__ == client
    finally:
        await store.close()


def test_import_and_sqlite_urls_never_import_redis() -> None:
    code = """
        import sys, neuram
        store = neuram.open_store("sqlite://:memory:")
        print("redis" in sys.modules)
        store = neuram.open_store("redis://127.0.0.1:1/0")
        print("redis" in sys.modules, type(store).__name__)
    """
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["False", "True RedisStore"]


# -- bad input -------------------------------------------------------------------------------
def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown store scheme 'nosuch://'; known schemes: ") as caught:
        open_store("nosuch://somewhere")
    listed = str(caught.value).rpartition("known schemes: ")[2].split(", ")
    assert set(BUILT_IN) <= set(listed) and listed == sorted(listed)


@pytest.mark.parametrize("url", ["memory.db", "", "://x", "1redis://x", "redis//:s3cret@host", "re dis://x"])
def test_a_string_that_is_no_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ValueError, match=r"scheme://") as caught:
        open_store(url)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("url", [None, 42, b"sqlite://:memory:", Path("x.db")])
def test_a_url_that_is_not_a_str_is_a_type_error(url: object) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        open_store(url)  # type: ignore[arg-type]


# -- the registry ----------------------------------------------------------------------------
def test_a_registered_factory_gets_the_whole_url() -> None:
    scheme = fresh_scheme()
    seen: list[str] = []

    def factory(url: str) -> LongTermStore:
        seen.append(url)
        return open_memory_store(url)

    register_store(scheme.upper(), factory)  # schemes ignore case
    store = open_store(f"{scheme}://space?x=1")
    assert isinstance(store, MemoryStore) and seen == [f"{scheme}://space?x=1"]
    assert scheme in store_schemes()
    register_store(scheme, factory)  # the same factory again: no conflict


def test_a_taken_scheme_is_replaced_only_on_request() -> None:
    scheme = fresh_scheme()
    register_store(scheme, open_memory_store)

    def other(url: str) -> LongTermStore:
        return SQLiteStore(":memory:")

    with pytest.raises(ValueError, match="already registered; pass replace=True"):
        register_store(scheme, other)
    assert isinstance(open_store(f"{scheme}://x"), MemoryStore)
    register_store(scheme, other, replace=True)
    assert isinstance(open_store(f"{scheme}://x"), SQLiteStore)


def test_register_store_checks_its_arguments() -> None:
    for bad in ("", "1abc", "a b", "a:b", "a/b", "é"):
        with pytest.raises(ValueError, match="invalid URL scheme"):
            register_store(bad, open_memory_store)
    with pytest.raises(TypeError, match="scheme must be a str"):
        register_store(None, open_memory_store)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="factory must be callable"):
        register_store(fresh_scheme(), "tests.contract.memory_store:open_memory_store")  # type: ignore[arg-type]


def test_a_factory_that_returns_no_store_is_a_type_error() -> None:
    scheme = fresh_scheme()
    register_store(scheme, lambda url: object())  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=f"the '{scheme}' store factory returned a object, not a LongTermStore"):
        open_store(f"{scheme}://x")


# -- entry points ----------------------------------------------------------------------------
async def test_an_installed_entry_point_is_a_third_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scheme = fresh_scheme()
    with pytest.raises(ValueError, match="unknown store scheme"):
        open_store(f"{scheme}://space")
    install_plugin(tmp_path, scheme)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert scheme in store_schemes()
    store = open_store(f"{scheme}://{scheme}")
    assert isinstance(store, MemoryStore)
    await store.put("ns", [(engram("a"), 1e9)])
    # Loaded once, then registered: uninstalling the metadata does not lose it.
    monkeypatch.undo()
    other = open_store(f"{scheme}://{scheme}")
    assert [e is not None for e in await other.get("ns", ["a"])] == [True]


def test_entry_points_are_read_only_for_an_unregistered_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = fresh_scheme()
    install_plugin(tmp_path, scheme, target="tests.contract.no_such_module:factory")
    monkeypatch.syspath_prepend(str(tmp_path))
    reads: list[str] = []
    real = importlib.metadata.entry_points

    def counting(**kwargs: str) -> object:
        reads.append(kwargs["group"])
        return real(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    assert isinstance(open_store("sqlite://:memory:"), SQLiteStore)
    assert reads == []  # a built-in scheme scans no package metadata, loads no plugin
    with pytest.raises(ImportError, match=f"the '{scheme}' store backend .*no_such_module.* failed to load"):
        open_store(f"{scheme}://x")
    assert reads == ["neuram.stores"]


def test_a_scheme_claimed_by_two_packages_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scheme = fresh_scheme()
    install_plugin(tmp_path / "one", scheme)
    second = install_plugin(tmp_path / "two", scheme)
    (second / "entry_points.txt").write_text(f"[neuram.stores]\n{scheme} = tests.contract.other:factory\n")
    (second / "METADATA").write_text(f"Metadata-Version: 2.1\nName: other-{scheme}\nVersion: 1.0\n")
    second.rename(second.with_name(f"other_{scheme}-1.0.dist-info"))
    monkeypatch.syspath_prepend(str(tmp_path / "one"))
    monkeypatch.syspath_prepend(str(tmp_path / "two"))
    with pytest.raises(ValueError, match=f"store scheme '{scheme}' is claimed by several entry points"):
        open_store(f"{scheme}://x")


def test_open_store_is_exported_at_the_top() -> None:
    assert neuram.open_store is open_store and neuram.register_store is register_store


# -- Brain.create(url=...) --------------------------------------------------------------------
async def test_brain_create_takes_a_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/brain.db"
    brain = await Brain.create(url=url, embedder=HashingEmbedder())
    try:
        assert isinstance(brain.store, SQLiteStore) and brain.store.path == str(tmp_path / "brain.db")
        await brain.perceive("Ada Lovelace wrote the first program", consolidate=True, gate=False)
    finally:
        await brain.close()
    # The old keyword opens the same file.
    again = Brain.open(path=str(tmp_path / "brain.db"), embedder=HashingEmbedder())
    with again.sync as sync:
        assert [e.content for e, _ in sync.recall("first program")] == ["Ada Lovelace wrote the first program"]


def test_brain_open_on_the_plugin_store(memtest_plugin: None) -> None:
    """A Brain perceives, sleeps and recalls on the third backend, opened by its URL."""
    brain = Brain.open(url=f"memtest://{uuid.uuid4().hex}", embedder=HashingEmbedder())
    with brain.sync as sync:
        assert isinstance(brain.store, MemoryStore)
        sync.perceive("The deploy key lives in the team vault", memory_type="semantic", gate=False)
        sync.sleep()
        assert sync.stats()["long_term"] == 1
        [(found, _)] = sync.recall("where is the deploy key", top_k=1)
        assert found.content == "The deploy key lives in the team vault"


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"url": "sqlite://:memory:", "path": ":memory:"}, "url and path"),
        ({"url": "sqlite://:memory:", "redis_url": "redis://127.0.0.1:1"}, "url and redis_url"),
        ({"url": "sqlite://:memory:", "store": "STORE"}, "url and store"),
        ({"redis_url": "redis://127.0.0.1:1", "path": "x.db"}, "redis_url and path"),
    ],
)
async def test_brain_refuses_two_stores(
    keywords: dict[str, object], named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if keywords.get("store") == "STORE":
        keywords["store"] = SQLiteStore(":memory:")
    with pytest.raises(ValueError, match=f"give at most one of url, redis_url, path and store, not {named}$"):
        await Brain.create(**keywords, embedder=HashingEmbedder())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=named):
        Brain.open(**keywords, embedder=HashingEmbedder())  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


async def test_brain_with_a_bad_url_raises_and_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="unknown store scheme 'mysql://'"):
        await Brain.create(url="mysql://db/x", embedder=HashingEmbedder())
    with pytest.raises(TypeError, match="must be a str"):
        Brain.open(url=Path("x.db"), embedder=HashingEmbedder())  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


@pytest.mark.redis
async def test_brain_create_takes_a_redis_url(redis_url: str) -> None:
    brain = await Brain.create(url=redis_url, namespace="by-url", embedder=HashingEmbedder())
    try:
        await brain.perceive("Redis by URL", consolidate=True, gate=False)
    finally:
        await brain.close()
    again = await Brain.create(redis_url, namespace="by-url", embedder=HashingEmbedder())  # the old keyword
    try:
        assert (await again.stats())["long_term"] == 1
    finally:
        await again.close()
