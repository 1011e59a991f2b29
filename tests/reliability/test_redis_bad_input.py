"""Bad input on Redis: malformed Redis URLs (property-based) either work or raise our
documented errors (ValueError / TypeError / StoreUnavailableError), fast and writing
nothing; corrupt records in Redis are skipped with a warning and counted, and recall and
sleep go on."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from neuram_core import Brain, HashingEmbedder, ManualClock, StoreUnavailableError
from tests.redis_records import corrupt_sync
from tests.servers import free_port, shared_server

pytest.importorskip("redis")

import redis

pytestmark = [pytest.mark.redis, pytest.mark.timeout(180)]

DOCUMENTED = (ValueError, TypeError, StoreUnavailableError)
EXAMPLES = 250
BOUND = 3.0  # seconds an open may take, whatever the URL
SAFE_HOSTS = {None, "", "127.0.0.1", "localhost", "::1"}  # never resolve a random name


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, int]]:
    yield {"live": shared_server().port, "closed": free_port()}
    print(f"\nmalformed Redis URLs tried: {tried['urls']} ({tried['worked']} worked, {tried['refused']} refused "
          "with a documented error)")


schemes = st.sampled_from(["redis", "rediss", "unix", "redis+cluster", "rediss+cluster", "REDIS", "Redis+Cluster",
                           "http", "", "redis+", "rediss+unix"])
hosts = st.sampled_from(["127.0.0.1", "localhost", "[::1]", "", "[::1", "::1", "%31%32%37.0.0.1", "[127.0.0.1]"])
port_kinds = st.sampled_from(["live", "closed", "0", "65535", "65536", "99999", "-1", "abc", "", " 1", "1e3", "٣"])
userinfo = st.one_of(st.just(""), st.sampled_from([":pw@", "user:pw@", "default:@", ":@", "@", "a:b:c@"]),
                     st.text(max_size=8).map(lambda t: quote(t, safe=":") + "@"),
                     st.text(max_size=8).map(lambda t: t + "@"))
paths = st.one_of(st.sampled_from(["", "/", "/0", "/1", "/15", "/abc", "/0/1", "/%30", "/ 2", "/-0"]),
                  st.text(max_size=12).map(lambda t: "/" + t))
query_keys = st.sampled_from(["socket_timeout", "socket_connect_timeout", "health_check_interval", "max_connections",
                              "protocol", "retry_on_timeout", "decode_responses", "foo", "", "socket_keepalive"])
query_values = st.one_of(st.sampled_from(["", "0", "1", "-1", "2", "3", "abc", "1e9", "nan", "inf", "true", "no"]),
                         st.text(max_size=6))
queries = st.one_of(st.just(""), st.lists(st.tuples(query_keys, query_values), max_size=3).map(
    lambda kv: "?" + "&".join(f"{k}={quote(v)}" for k, v in kv)))


@st.composite
def near_valid_urls(draw: st.DrawFn, ports: dict[str, int]) -> str:
    """What a user types: a plain URL to the live server with a twist or two."""
    scheme = draw(st.sampled_from(["redis", "REDIS", "redis+cluster"]))
    host = draw(st.sampled_from(["127.0.0.1", "localhost"]))
    return f"{scheme}://{draw(userinfo)}{host}:{ports['live']}{draw(paths)}{draw(queries)}"


@st.composite
def wild_urls(draw: st.DrawFn, ports: dict[str, int]) -> str:
    scheme = draw(schemes)
    if scheme.lower().startswith("unix"):
        return f"{scheme}://" + draw(st.sampled_from(["", "/nonexistent/redis.sock", "/tmp", "relative.sock"]))
    kind = draw(port_kinds)
    if "rediss" in scheme.lower() and kind == "live":
        kind = "closed"  # TLS against a plain server waits out the 5 s connect timeout: that works, but slowly
    port = str(ports[kind]) if kind in ports else kind
    host = draw(hosts)
    separator = draw(st.sampled_from(["://", "://", ":/", ":", "//"]))
    netloc = f"{draw(userinfo)}{host}" + (f":{port}" if draw(st.booleans()) or kind in ports else "")
    return f"{scheme}{separator}{netloc}{draw(paths)}{draw(queries)}"


def safe(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = None if parts.hostname is None else unquote(parts.hostname)
        return host in SAFE_HOSTS and (parts.port or 1) != 6379
    except ValueError:
        return True


tried = {"urls": 0, "worked": 0, "refused": 0}


def open_and_check(url: Any, ports: dict[str, int]) -> None:
    admin = redis.Redis(port=ports["live"])
    keys_before = admin.dbsize()
    started = time.monotonic()
    tried["urls"] += 1
    try:
        brain = Brain.open(url, namespace="bad-url", embedder=HashingEmbedder(16))
    except DOCUMENTED:
        tried["refused"] += 1
        assert admin.dbsize() == keys_before, "a refused URL wrote something"
    else:
        tried["worked"] += 1
        try:
            stats = brain.sync.stats()
            assert stats["long_term"] == 0
        finally:
            brain.sync.close()
    finally:
        admin.close()
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"opening {url!r} took {elapsed:.2f}s"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_malformed_redis_urls_work_or_raise_documented_errors(ports: dict[str, int], data: st.DataObject) -> None:
    url = data.draw(st.one_of(near_valid_urls(ports), wild_urls(ports)))
    assume(safe(url))
    open_and_check(url, ports)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.text(max_size=40), st.binary(max_size=10), st.integers(), st.none(), st.floats(),
                     st.text(max_size=30).map(lambda t: "redis://127.0.0.1:1/" + t)))
def test_arbitrary_redis_url_values(ports: dict[str, int], raw: Any) -> None:
    assume(raw is not None)  # None means "no Redis": the embedded store, tested elsewhere
    assume(not isinstance(raw, str) or safe(raw))
    open_and_check(raw, ports)


# The bugs the URL property found: redis-py's exceptions escape Brain.create / Brain.open.
@pytest.mark.parametrize("suffix", ["/99", "/-1", "?db=16", "?client_name=a%20b", "?health_check_interval=-1"])
def test_a_url_the_server_refuses_raises_a_documented_error(ports: dict[str, int], suffix: str) -> None:
    url = f"redis://127.0.0.1:{ports['live']}{suffix}"
    try:
        Brain.open(url, embedder=HashingEmbedder(16)).sync.close()
    except DOCUMENTED:
        return
    # anything else propagates: the xfail


@pytest.mark.parametrize("url", ["redis+cluster://", "redis+cluster://127.0.0.1:1/1",
                                 "rediss://127.0.0.1:1?ssl_cert_reqs=bogus"])
def test_a_url_redis_py_rejects_at_construction_raises_a_documented_error(url: str) -> None:
    try:
        Brain.open(url, embedder=HashingEmbedder(16)).sync.close()
    except DOCUMENTED:
        return


# -- corrupt records ------------------------------------------------------------------------------
CORRUPTIONS: dict[str, Any] = {
    "embedding bytes not float32": lambda r, key: corrupt_sync(r, key, embedding=b"\x00\xff\x00"),
    "association weight not a number": lambda r, key: corrupt_sync(r, key, assoc=[["x", "heavy"]]),
    "fields missing": lambda r, key: corrupt_sync(r, key, type=None, stability=None, access_count=None, assoc=None),
    "record not JSON": lambda r, key: r.hset(key, "d", b"1-0|{oops"),
    "record without a version": lambda r, key: r.hset(key, "d", b"{}"),
    "a string, not a hash": lambda r, key: (r.delete(key), r.set(key, b"\x80garbage")),
    "a list, not a hash": lambda r, key: (r.delete(key), r.rpush(key, b"x")),
    "unknown memory type": lambda r, key: corrupt_sync(r, key, type="dream"),
    "non-finite stability": lambda r, key: corrupt_sync(r, key, stability="nan"),
    "content not UTF-8": lambda r, key: corrupt_sync(r, key, content=b"\xff\xfe"),
    "associations not JSON": lambda r, key: corrupt_sync(r, key, assoc="[[oops"),
    "metadata not an object": lambda r, key: corrupt_sync(r, key, meta="[1, 2]"),
}


@pytest.fixture
def corrupted(redis_url: str) -> Iterator[tuple[str, list[str], str, ManualClock]]:
    """A namespace with one good engram and one engram per corruption, corrupted in Redis."""
    clock = ManualClock()
    brain = Brain.open(redis_url, namespace="corrupt", embedder=HashingEmbedder(64), clock=clock)
    try:
        good = brain.sync.perceive("the archive room key is blue", memory_type="semantic", gate=False,
                                   consolidate=True)
        victims = [brain.sync.perceive(f"victim number {i}: the server rack is in aisle {i}", memory_type="semantic",
                                       gate=False, consolidate=True).engram_id for i in range(len(CORRUPTIONS))]
    finally:
        brain.sync.close()
    admin = redis.Redis.from_url(redis_url)
    try:
        for corrupt, engram_id in zip(CORRUPTIONS.values(), victims, strict=True):
            corrupt(admin, f"neuram:{{corrupt}}:e:{engram_id}")
    finally:
        admin.close()
    yield redis_url, victims, good.engram_id, clock


async def test_corrupt_records_in_redis_are_skipped_counted_and_pruned(
    corrupted: tuple[str, list[str], str, ManualClock], caplog: pytest.LogCaptureFixture
) -> None:
    url, victims, good, clock = corrupted
    with caplog.at_level(logging.WARNING, logger="neuram_core"):
        brain = await Brain.create(redis_url=url, namespace="corrupt", embedder=HashingEmbedder(64), clock=clock)
    try:
        found = await brain.recall("the server rack archive room key aisle", top_k=20)
        assert [e.engram_id for e, _ in found] == [good]
        assert all(math.isfinite(score) for _, score in found)
        stats = await brain.stats()
        assert stats["corrupt_records"] == len(CORRUPTIONS)
        assert stats["indexed"] == 1 and stats["long_term"] == 1 + len(CORRUPTIONS)
        assert (await brain.for_namespace("another").stats())["corrupt_records"] == 0  # never another's
        warned = [r for r in caplog.records if "engram record" in r.getMessage()]
        assert len(warned) == len(CORRUPTIONS)
        assert {v for v in victims if any(v in r.getMessage() for r in warned)} == set(victims)
        # Sleep goes on: it consolidates new items; later it prunes the corrupt records by forget-at.
        await brain.perceive("a new fact about the blue archive key", gate=False)
        result = await brain.sleep()
        assert (result["consolidated"], result["pruned_ltm"]) == (1, 0)
        clock.advance(days=30_000)
        assert (await brain.sleep())["pruned_ltm"] == 2 + len(CORRUPTIONS)
        assert (await brain.stats())["long_term"] == 0
        print(f"\ncorrupt Redis records: {len(CORRUPTIONS)} kinds skipped, counted and pruned")
    finally:
        await brain.close()


async def test_a_record_corrupted_after_loading_is_skipped_when_the_change_stream_brings_it(redis_url: str) -> None:
    """Another process rewrites an engram badly: the next recall skips it, counts it, goes on."""
    brain = await Brain.create(redis_url=redis_url, namespace="corrupt", embedder=HashingEmbedder(64))
    try:
        good = await brain.perceive("the archive room key is blue", gate=False, consolidate=True)
        victim = await brain.perceive("the server rack is in aisle four", gate=False, consolidate=True)
        admin = redis.Redis.from_url(redis_url)
        try:
            corrupt_sync(admin, f"neuram:{{corrupt}}:e:{victim.engram_id}", embedding=b"abc")
            admin.xadd("neuram:{corrupt}:log", {"id": victim.engram_id, "op": "put", "origin": "elsewhere"})
        finally:
            admin.close()
        found = await brain.recall("server rack aisle archive key", top_k=5)
        assert [e.engram_id for e, _ in found] == [good.engram_id]
        assert (await brain.stats())["corrupt_records"] == 1
        assert (await brain.sleep())["locked_out"] == 0
    finally:
        await brain.close()


def corrupt_one(redis_url: str, change: Any) -> str:
    brain = Brain.open(redis_url, namespace="corrupt", embedder=HashingEmbedder(64))
    try:
        brain.sync.perceive("the archive room key is blue", gate=False, consolidate=True)
        victim = brain.sync.perceive("the server rack is in aisle four", gate=False, consolidate=True)
    finally:
        brain.sync.close()
    admin = redis.Redis.from_url(redis_url)
    try:
        change(admin, f"neuram:{{corrupt}}:e:{victim.engram_id}")
    finally:
        admin.close()
    return victim.engram_id


async def test_an_embedding_of_the_wrong_dimension_is_skipped_and_counted(redis_url: str) -> None:
    corrupt_one(redis_url, lambda r, key: corrupt_sync(r, key, embedding=np.ones(8, "<f4").tobytes()))
    brain = await Brain.create(redis_url=redis_url, namespace="corrupt", embedder=HashingEmbedder(64))
    try:
        assert len(await brain.recall("archive room key", top_k=5)) == 1
        assert (await brain.stats())["corrupt_records"] == 1
    finally:
        await brain.close()


async def test_a_non_finite_embedding_is_skipped_and_counted(redis_url: str) -> None:
    victim = corrupt_one(redis_url, lambda r, key: corrupt_sync(r, key, embedding=np.full(64, np.nan, "<f4").tobytes()))
    brain = await Brain.create(redis_url=redis_url, namespace="corrupt", embedder=HashingEmbedder(64))
    try:
        with np.errstate(invalid="ignore"):
            found = await brain.recall("archive room key", top_k=5)
        assert victim not in [e.engram_id for e, _ in found]
        assert all(math.isfinite(s) for _, s in found)
        assert (await brain.stats())["corrupt_records"] == 1
    finally:
        await brain.close()


async def test_a_record_without_an_embedding_is_counted(redis_url: str) -> None:
    corrupt_one(redis_url, lambda r, key: r.hdel(key, "e"))
    brain = await Brain.create(redis_url=redis_url, namespace="corrupt", embedder=HashingEmbedder(64))
    try:
        assert len(await brain.recall("archive room key", top_k=5)) == 1
        assert (await brain.stats())["corrupt_records"] == 1
    finally:
        await brain.close()
