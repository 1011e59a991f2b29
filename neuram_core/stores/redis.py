"""The production long-term store: Redis (a single node or a Redis Cluster).

Only this module imports redis, and only when a Redis store is made
(``neuram_core.stores`` does not import it, nor does ``import neuram``).

Key layout, one hash tag per namespace so every multi-key step of a namespace runs on
one Cluster slot, and namespaces spread over the shards::

    neuram:{<ns>}:e:<id>        hash of two fields: "e", the embedding as float32
                                bytes, and "d", "<version>|<JSON object of the other
                                fields as native JSON values>" (the version is the id of
                                the change-log entry that wrote it; the fields, with
                                their schema version "v", are neuram_core.codec's)
    neuram:{<ns>}:forget_at     zset: id -> epoch seconds when retention hits the
                                threshold; also the namespace's id index (ZSCAN, ZCARD)
    neuram:{<ns>}:log           stream of changes (id, op, origin), MAXLEN ~ trimmed
    neuram:{<ns>}:lock:<name>   SET NX PX lock; released only by its owner (Lua)
    neuram:{<ns>}:info          hash: what is recorded about the namespace (its
                                embedder), one canonical JSON value per field
                                (neuram_core.stores.info); replaced whole by a script
    neuram:namespaces           set of the escaped namespaces ever written to

``<ns>`` is the namespace percent-encoded (``urllib.parse.quote(ns, safe="")``): only
letters, digits and ``_.-~`` stay as they are, so ``{ } * ? [ ] :`` and ``%`` never reach
a key, the hash tag is exactly the namespace, and the escape is one-to-one: no user id
can name another tenant's keys.

Every write is one Lua script: the engram hashes, the forget-at index and the change log
change together or not at all. ``update`` is optimistic: read, apply the pure Python
``change``, then a compare-and-set script writes only if the version is still the one
read (else read again and retry), so concurrent workers lose no update and the math stays
in one place (``neuram_core.dynamics``). ``prune`` picks and deletes what is due in one
script, so an engram whose forget-at a concurrent recall has moved is never deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from neuram_core.codec import decode_embeddings, embedding_to_bytes, engram_from_fields, pack_fields, unpack_fields
from neuram_core.engram import Engram
from neuram_core.errors import ChangeLogTrimmedError, StoreUnavailableError
from neuram_core.stores.info import check_info, dump_info_value
from neuram_core.types import Change, EngramChange

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

__all__ = [
    "CLUSTER_SCHEMES",
    "RedisStore",
    "escape_namespace",
    "record_version",
    "unescape_namespace",
    "unpack_record",
]

log = logging.getLogger(__name__)

# URL schemes that mean "this is a Redis Cluster" (a neuram convention, see from_url).
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
DEFAULT_PREFIX = "neuram"
# Keep about this many change-log entries per namespace (XADD MAXLEN ~).
DEFAULT_LOG_MAXLEN = 100_000
_BATCH = 500  # ids per read script call
_ID_PAGE = 5000  # ids per ZSCAN call (a hint: Redis may return fewer or more)
_LOG_PAGE = 1000  # change-log entries per XRANGE call
_SLICE = 100  # engrams decoded between two turns of the event loop during a scan
_MAX_ATTEMPTS = 1000  # optimistic update retries before giving up
_UNCONDITIONAL = "*"  # "expected version" of a plain put


# -- Lua ----------------------------------------------------------------------------------
# KEYS[1] forget_at, KEYS[2] log, KEYS[3..] engram hashes (declared, for Cluster).
# ARGV[1] origin, ARGV[2] log maxlen, ARGV[k] (k >= 3) the engram of KEYS[k], framed as
# "<length>:<bytes>" items: id, expected version ("*": unconditional), forget-at score,
# the JSON of the fields, the embedding bytes (empty: none). One argument per engram:
# redis-py packs each argument in Python, so many small ones would cost more.
# Writes each engram whose version matches; returns 1/0 per engram.
_WRITE = """
local unpack = unpack or table.unpack
local fa, logk, origin, maxlen = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local find, sub = string.find, string.sub
local done = {}
for k = 3, #KEYS do
  local blob, items, pos = ARGV[k], {}, 1
  while pos <= #blob do
    local colon = find(blob, ':', pos, true)
    local stop = colon + tonumber(sub(blob, pos, colon - 1))
    items[#items + 1] = sub(blob, colon + 1, stop)
    pos = stop + 1
  end
  local key, id, expected, score = KEYS[k], items[1], items[2], items[3]
  local ok = expected == '*'
  if not ok and redis.call('EXISTS', key) == 1 then
    local d = redis.call('HGET', key, 'd')
    ok = ((d and string.match(d, '^([^|]*)|')) or '') == expected
  end
  if ok then
    local version = redis.call('XADD', logk, 'MAXLEN', '~', maxlen, '*',
                               'id', id, 'op', 'put', 'origin', origin)
    redis.call('DEL', key)
    if #items[5] > 0 then
      redis.call('HSET', key, 'd', version .. '|' .. items[4], 'e', items[5])
    else
      redis.call('HSET', key, 'd', version .. '|' .. items[4])
    end
    redis.call('ZADD', fa, score, id)
    done[#done + 1] = 1
  else
    done[#done + 1] = 0
  end
end
return done
"""

# KEYS[1] forget_at, KEYS[2] log, KEYS[3..] engram hashes; ARGV[1] origin, ARGV[2] maxlen,
# ARGV[3..] the ids (ARGV[k] belongs to KEYS[k]). Returns how many engrams existed.
_DELETE = """
local fa, logk, origin, maxlen = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local gone = 0
for k = 3, #KEYS do
  local id = ARGV[k]
  local existed = redis.call('DEL', KEYS[k])
  local indexed = redis.call('ZREM', fa, id)
  if existed == 1 then gone = gone + 1 end
  if existed == 1 or indexed == 1 then
    redis.call('XADD', logk, 'MAXLEN', '~', maxlen, '*', 'id', id, 'op', 'delete', 'origin', origin)
  end
end
return gone
"""

# KEYS[1] forget_at, KEYS[2] log; ARGV: origin, maxlen, now, limit, engram key prefix.
# Picks and deletes in one step: nothing a concurrent recall moved past `now` can go.
_PRUNE = """
local fa, logk, origin, maxlen = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local ids = redis.call('ZRANGEBYSCORE', fa, '-inf', ARGV[3], 'LIMIT', 0, ARGV[4])
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[5] .. id)
  redis.call('ZREM', fa, id)
  redis.call('XADD', logk, 'MAXLEN', '~', maxlen, '*', 'id', id, 'op', 'delete', 'origin', origin)
end
return ids
"""

# KEYS: engram hashes. For each: 1, d, e (nil where absent), or 0, the error (a key that is
# not a hash). One call reads a whole batch: hiredis parses the reply in C, where a
# pipeline of HGETALLs costs redis-py a Python round per command.
_READ = """
local out = {}
for i = 1, #KEYS do
  local r = redis.pcall('HMGET', KEYS[i], 'd', 'e')
  if type(r) == 'table' and r.err then
    out[#out + 1] = 0
    out[#out + 1] = r.err
    out[#out + 1] = false
  else
    out[#out + 1] = 1
    out[#out + 1] = r[1]
    out[#out + 1] = r[2]
  end
end
return out
"""

# KEYS[1] lock; ARGV[1] owner, ARGV[2] ttl ms. Re-entrant for its owner (extends the ttl).
_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# KEYS[1] info hash. ARGV[1] "1": compare first, "0": unconditional; ARGV[2] n; then n
# expected field/value pairs, then the new pairs. Replaces the whole hash, or returns 0
# when it is not exactly the expected one.
_SET_INFO = """
local unpack = unpack or table.unpack
local key, n = KEYS[1], tonumber(ARGV[2])
if ARGV[1] == '1' then
  if redis.call('HLEN', key) ~= n then return 0 end
  for i = 3, 2 + 2 * n, 2 do
    if redis.call('HGET', key, ARGV[i]) ~= ARGV[i + 1] then return 0 end
  end
end
redis.call('DEL', key)
local first = 3 + 2 * n
if #ARGV >= first then redis.call('HSET', key, unpack(ARGV, first)) end
return 1
"""

# Compare-and-delete: only the owner releases.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class _Script:
    """EVALSHA of a script loaded once per client with SCRIPT LOAD (on a Cluster: on every
    primary), so a large call is never sent twice; a server that lost its script cache
    (restart, failover, SCRIPT FLUSH) gets it loaded again."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, store: RedisStore, keys: Sequence[str], args: Sequence[Any]) -> Any:
        from redis.exceptions import NoScriptError

        client = store.client
        if self.sha not in store._scripts:
            await client.script_load(self.source)
            store._scripts.add(self.sha)
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await client.script_load(self.source)
            return await client.evalsha(self.sha, len(keys), *keys, *args)


_READ_SCRIPT = _Script(_READ)
_WRITE_SCRIPT = _Script(_WRITE)
_DELETE_SCRIPT = _Script(_DELETE)
_PRUNE_SCRIPT = _Script(_PRUNE)
_ACQUIRE_SCRIPT = _Script(_ACQUIRE)
_RELEASE_SCRIPT = _Script(_RELEASE)
_SET_INFO_SCRIPT = _Script(_SET_INFO)


# -- names ----------------------------------------------------------------------------------
def escape_namespace(namespace: str) -> str:
    """The namespace as it appears in keys: percent-encoded UTF-8, one-to-one.

    Only ``A-Z a-z 0-9 _ . - ~`` are kept; ``{ } * ? [ ] : %`` and everything else become
    ``%XX``, so the hash tag is exactly this string and glob patterns cannot leak."""
    if not isinstance(namespace, str):
        raise TypeError(f"namespace must be a str, not {type(namespace).__name__}")
    if not namespace:
        raise ValueError("namespace must be a non-empty str")
    return quote(namespace, safe="", errors="strict")


def unescape_namespace(escaped: str) -> str:
    return unquote(escaped, errors="strict")


class _Keys:
    """The key names of one namespace."""

    __slots__ = ("engram_prefix", "forget_at", "info", "lock_prefix", "log", "namespace")

    def __init__(self, prefix: str, namespace: str) -> None:
        self.namespace = namespace
        base = f"{prefix}:{{{escape_namespace(namespace)}}}:"
        self.engram_prefix = base + "e:"
        self.forget_at = base + "forget_at"
        self.log = base + "log"
        self.lock_prefix = base + "lock:"
        self.info = base + "info"

    def engram(self, engram_id: str) -> str:
        return self.engram_prefix + engram_id

    def lock(self, name: str) -> str:
        return self.lock_prefix + quote(name, safe="")


@contextlib.contextmanager
def _unavailable() -> Iterator[None]:
    """Connection trouble becomes StoreUnavailableError (a RuntimeError) for the caller."""
    from redis import exceptions as rx

    try:
        yield
    except (
        rx.ConnectionError,
        rx.TimeoutError,
        rx.ClusterDownError,
        rx.TryAgainError,
        rx.MasterDownError,
        rx.ReadOnlyError,
    ) as exc:
        raise StoreUnavailableError(f"Redis is unavailable: {exc}") from exc
    except rx.OutOfMemoryError as exc:  # maxmemory reached under noeviction: writes refused
        raise StoreUnavailableError(f"Redis refused the write: {exc}") from exc
    except rx.RedisClusterException as exc:
        raise StoreUnavailableError(f"Redis Cluster is unavailable: {exc}") from exc
    except rx.RedisError as exc:  # e.g. the server refused the connection's setup (SELECT 99)
        raise StoreUnavailableError(f"Redis refused the request: {exc}") from exc


def record_version(raw: Mapping[Any, Any]) -> str:
    """The version prefix of a stored engram hash ("" if it has none)."""
    d = raw.get(b"d", raw.get("d"))
    if not isinstance(d, bytes | str):
        return ""
    version, sep, _ = _text(d).partition("|") if isinstance(d, str) else d.decode("latin-1").partition("|")
    return version if sep else ""


def unpack_record(raw: Mapping[Any, Any]) -> dict[str, Any]:
    """The fields of a stored hash (JSON values, plus "embedding" bytes); ValueError or
    KeyError if it is not one."""
    d = raw.get(b"d", raw.get("d"))
    if d is None:
        raise KeyError("d")
    _, fields = _split(d if isinstance(d, bytes) else d.encode())
    embedding = raw.get(b"e", raw.get("e"))
    if embedding:
        fields["embedding"] = embedding
    return fields


def _split(d: bytes) -> tuple[str, dict[str, Any]]:
    """The version and the record fields of "d" (see :mod:`neuram_core.codec`)."""
    version, sep, payload = d.partition(b"|")
    if not sep:
        raise ValueError("record has no version")
    return version.decode("latin-1"), unpack_fields(payload)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _score(value: float) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"forget-at score must be a number, got {value!r}")
    return repr(float(value))


def _check_ids(engram_ids: Sequence[str]) -> list[str]:
    if isinstance(engram_ids, str):
        raise TypeError("engram_ids must be a sequence of str, not a str")
    ids = list(engram_ids)
    for engram_id in ids:
        if not isinstance(engram_id, str) or not engram_id:
            raise ValueError(f"invalid engram id {engram_id!r}")
    return ids


def _stream_id(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


def _next_id(value: str) -> str:
    """The smallest stream id after ``value`` (XRANGE's "(id" needs Redis 6.2; this does not)."""
    ms, seq = _stream_id(value)
    return f"{ms}-{seq + 1}" if seq < 2**64 - 1 else f"{ms + 1}-0"


class RedisStore:
    """A :class:`~neuram_core.types.LongTermStore` in Redis or a Redis Cluster.

    ``RedisStore(client)`` takes any ``redis.asyncio.Redis`` or ``RedisCluster`` (or
    ``fakeredis.FakeAsyncRedis``) made with ``decode_responses=False``; the caller keeps
    ownership of it unless ``close_client=True``. :meth:`from_url` makes and owns one.
    """

    def __init__(
        self,
        client: Redis | RedisCluster,
        *,
        prefix: str = DEFAULT_PREFIX,
        log_maxlen: int | None = DEFAULT_LOG_MAXLEN,
        close_client: bool = False,
    ) -> None:
        if not hasattr(client, "evalsha") or not hasattr(client, "pipeline"):
            raise TypeError(f"client must be a redis.asyncio client, not {type(client).__name__}")
        kwargs = _connection_kwargs(client)
        if kwargs.get("decode_responses"):
            raise ValueError("RedisStore needs a client made with decode_responses=False")
        if not isinstance(prefix, str) or not prefix or any(c in prefix for c in "{}"):
            raise ValueError(f"prefix must be a non-empty str without braces, got {prefix!r}")
        if log_maxlen is not None and (
            isinstance(log_maxlen, bool) or not isinstance(log_maxlen, int) or log_maxlen < 1
        ):
            raise ValueError(f"log_maxlen must be a positive int or None, got {log_maxlen!r}")
        self.client: Any = client  # Redis | RedisCluster; redis-py's stubs are too loose to help
        self.prefix = prefix
        self.log_maxlen = log_maxlen
        self.origin = uuid.uuid4().hex
        self.corrupt_by_namespace: Counter[str] = Counter()  # records skipped as unreadable
        self.update_conflicts = 0  # compare-and-set writes that lost a race and were retried
        self._close_client = close_client
        self._closed = False
        self._registered: set[str] = set()
        self._scripts: set[str] = set()
        from redis.asyncio import RedisCluster

        self._is_cluster = isinstance(client, RedisCluster)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        cluster: bool | None = None,
        prefix: str = DEFAULT_PREFIX,
        log_maxlen: int | None = DEFAULT_LOG_MAXLEN,
        **kwargs: Any,
    ) -> RedisStore:
        """A store on a client made from ``url`` (which the store owns and closes).

        ``redis://``, ``rediss://`` and ``unix://`` URLs are parsed by redis-py (password,
        database number, TLS). For a Redis Cluster pass ``cluster=True`` or use the
        ``redis+cluster://`` / ``rediss+cluster://`` scheme with any node's address.
        Other keyword arguments go to the redis-py client (e.g. ``socket_timeout``).
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        scheme, sep, rest = url.partition("://")
        if not sep:
            raise ValueError("not a Redis URL: it has no scheme (redis://host:port/db)")
        if scheme.lower() in CLUSTER_SCHEMES:
            url = f"{CLUSTER_SCHEMES[scheme.lower()]}://{rest}"
            cluster = True if cluster is None else cluster
            if not cluster:
                raise ValueError(f"{scheme}:// names a cluster, but cluster=False was given")
        kwargs["decode_responses"] = False
        kwargs.setdefault("socket_connect_timeout", 5.0)
        kwargs.setdefault("socket_timeout", 30.0)
        from redis import exceptions as rx

        try:
            if cluster:
                from redis.asyncio import RedisCluster

                client: Any = RedisCluster.from_url(url, **kwargs)
            else:
                from redis.asyncio import Redis

                client = Redis.from_url(url, **kwargs)
        except (rx.RedisError, rx.RedisClusterException) as exc:
            # Not the URL itself: it may hold a password.
            raise ValueError(f"invalid Redis URL ({scheme}://...): {exc}") from exc
        return cls(client, prefix=prefix, log_maxlen=log_maxlen, close_client=True)

    # -- helpers --------------------------------------------------------------------------
    def keys(self, namespace: str) -> _Keys:
        return _Keys(self.prefix, namespace)

    @property
    def _maxlen(self) -> str:
        return str(self.log_maxlen or 2**62)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this store is closed")

    async def _register(self, namespace: str) -> None:
        """Remember the namespace in the global set (another slot: a command of its own)."""
        escaped = escape_namespace(namespace)
        if escaped not in self._registered:
            await self.client.sadd(f"{self.prefix}:namespaces", escaped)
            self._registered.add(escaped)

    def _pipeline(self) -> Any:
        return self.client.pipeline(transaction=False)

    @property
    def corrupt_records(self) -> int:
        """Records skipped as unreadable, in every namespace."""
        return sum(self.corrupt_by_namespace.values())

    def _skip(self, namespace: str, engram_id: str, why: object) -> None:
        """Count and log a record that cannot be read (the load goes on without it)."""
        self.corrupt_by_namespace[namespace] += 1
        log.warning("skipping corrupt or unreadable engram record %r: %s", engram_id, why)

    async def _read(self, keys: _Keys, ids: Sequence[str]) -> list[tuple[str, Engram | None]]:
        """(version, engram) per id, one read script call per batch."""
        out: list[tuple[str, Engram | None]] = []
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            out += self._decode_reply(keys.namespace, chunk, await self._fetch(keys, chunk))
        return out

    async def _fetch(self, keys: _Keys, ids: Sequence[str]) -> list[Any]:
        return list(await _READ_SCRIPT(self, [keys.engram(i) for i in ids], []))

    def _decode_reply(
        self, namespace: str, ids: Sequence[str], reply: list[Any]
    ) -> list[tuple[str, Engram | None]]:
        """The read script's reply (ok, d, e per id) as (version, engram) pairs; ("", None)
        for a record that is absent, or corrupt (then counted and logged)."""
        vectors = decode_embeddings(reply[2 : 3 * len(ids) : 3])
        out: list[tuple[str, Engram | None]] = []
        for n, engram_id in enumerate(ids):
            ok, d, e = reply[3 * n : 3 * n + 3]
            if not ok:  # e.g. WRONGTYPE: a key that is not an engram hash
                self._skip(namespace, engram_id, _text(d))
            elif d is None and e is None:
                pass  # absent (deleted meanwhile)
            else:
                try:
                    if d is None:
                        raise KeyError("d")
                    version, fields = _split(d)
                    if vectors[n] is None and e:
                        fields["embedding"] = e  # not batch-decodable: decoded (and checked) alone
                    out.append((version, engram_from_fields(engram_id, fields, vectors[n])))
                    continue
                except (KeyError, ValueError, TypeError) as exc:
                    self._skip(namespace, engram_id, exc)
            out.append(("", None))
        return out

    @staticmethod
    def _framed(engram: Engram, forget_at: float, expected: str) -> bytes:
        """One script argument: "<length>:<bytes>" items (see _WRITE)."""
        items = (
            engram.engram_id.encode(),
            expected.encode(),
            _score(forget_at).encode(),
            pack_fields(engram),
            b"" if engram.embedding is None else embedding_to_bytes(engram.embedding),
        )
        return b"".join(b"%d:%s" % (len(data), data) for data in items)

    async def _write(self, namespace: str, items: Sequence[tuple[Engram, float, str]]) -> list[bool]:
        keys = self.keys(namespace)
        script_keys = [keys.forget_at, keys.log]
        args: list[Any] = [self.origin, self._maxlen]
        for engram, forget_at, expected in items:
            script_keys.append(keys.engram(engram.engram_id))
            args.append(self._framed(engram, forget_at, expected))
        done = await _WRITE_SCRIPT(self, script_keys, args)
        return [bool(int(x)) for x in done]

    # -- the LongTermStore protocol ------------------------------------------------------------
    async def put(self, namespace: str, items: Sequence[tuple[Engram, float]]) -> None:
        """Upsert engrams with their forget-at scores, all in one script (all or nothing)."""
        self._check_open()
        escape_namespace(namespace)
        rows = [(e, f, _UNCONDITIONAL) for e, f in items]
        for engram, _, _ in rows:
            _check_ids([engram.engram_id])
        if not rows:
            return
        with _unavailable():
            await self._register(namespace)
            await self._write(namespace, rows)

    async def get(self, namespace: str, engram_ids: Sequence[str]) -> list[Engram | None]:
        self._check_open()
        keys = self.keys(namespace)
        ids = _check_ids(engram_ids)
        with _unavailable():
            return [engram for _, engram in await self._read(keys, ids)]

    async def update(self, namespace: str, engram_ids: Sequence[str], change: EngramChange) -> list[Engram | None]:
        """Read, ``change`` in Python, compare-and-set by version; retry what raced."""
        self._check_open()
        keys = self.keys(namespace)
        ids = _check_ids(engram_ids)
        results: dict[str, Engram | None] = {}
        todo = list(dict.fromkeys(ids))
        attempt = 0
        with _unavailable():
            while todo:
                attempt += 1
                if attempt > _MAX_ATTEMPTS:
                    raise StoreUnavailableError(f"update of {len(todo)} engram(s) lost {_MAX_ATTEMPTS} races in a row")
                if attempt > 2:  # heavy contention: back off a little, with jitter
                    await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * attempt)))
                writes: list[tuple[Engram, float, str]] = []
                for engram_id, (version, current) in zip(todo, await self._read(keys, todo), strict=True):
                    outcome = None if current is None else change(current)
                    if outcome is None:
                        results[engram_id] = current
                        continue
                    updated, forget_at = outcome
                    if updated.engram_id != engram_id:
                        raise ValueError("change must not alter the engram id")
                    writes.append((updated, forget_at, version))
                if not writes:
                    break
                done = await self._write(namespace, writes)
                todo = []
                for (updated, _, _), ok in zip(writes, done, strict=True):
                    if ok:
                        results[updated.engram_id] = updated
                    else:
                        todo.append(updated.engram_id)
                        self.update_conflicts += 1
        return [results.get(i) for i in ids]

    async def delete(self, namespace: str, engram_ids: Sequence[str]) -> int:
        self._check_open()
        keys = self.keys(namespace)
        ids = list(dict.fromkeys(_check_ids(engram_ids)))
        gone = 0
        with _unavailable():
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                gone += int(
                    await _DELETE_SCRIPT(
                        self,
                        [keys.forget_at, keys.log, *(keys.engram(i) for i in chunk)],
                        [self.origin, self._maxlen, *chunk],
                    )
                )
        return gone

    async def prune(self, namespace: str, now: float, limit: int) -> list[str]:
        """Delete up to ``limit`` engrams whose forget-at is <= ``now``, in one script."""
        self._check_open()
        keys = self.keys(namespace)
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be an int, not {type(limit).__name__}")
        if limit <= 0:
            return []
        with _unavailable():
            ids = await _PRUNE_SCRIPT(
                self,
                [keys.forget_at, keys.log],
                [self.origin, self._maxlen, _score(now), limit, keys.engram_prefix],
            )
        return [_text(i) for i in ids]

    async def scan(self, namespace: str) -> AsyncIterator[Engram]:
        """Every readable engram: the ids by ZSCAN over the forget-at index, then a read
        script per batch. The next batch is requested before this one is decoded, and the
        decoding hands the loop a turn every slice: redis-py needs a few turns to send a
        request, and other tasks on the loop keep running through a long load."""
        self._check_open()
        keys = self.keys(namespace)
        ids: list[str] = []
        cursor: int = 0
        with _unavailable():
            while True:
                cursor, page = await self.client.zscan(keys.forget_at, cursor, count=_ID_PAGE)
                ids += (_text(m) for m, _ in page)
                if not cursor:
                    break
        ids = list(dict.fromkeys(ids))  # ZSCAN may repeat an element
        batches = [ids[i : i + _BATCH] for i in range(0, len(ids), _BATCH)]
        ahead: asyncio.Task[list[Any]] | None = None
        try:
            for n, batch in enumerate(batches):
                with _unavailable():
                    reply = await ahead if ahead is not None else await self._fetch(keys, batch)
                ahead = None
                if n + 1 < len(batches):
                    ahead = asyncio.ensure_future(self._fetch(keys, batches[n + 1]))
                for lo in range(0, len(batch), _SLICE):
                    await asyncio.sleep(0)
                    part = self._decode_reply(namespace, batch[lo : lo + _SLICE], reply[3 * lo : 3 * (lo + _SLICE)])
                    for _, engram in part:
                        if engram is not None:
                            yield engram
        finally:
            if ahead is not None:
                ahead.cancel()

    async def count(self, namespace: str) -> int:
        self._check_open()
        keys = self.keys(namespace)
        with _unavailable():
            return int(await self.client.zcard(keys.forget_at))

    async def namespaces(self) -> list[str]:
        """Namespaces holding at least one engram."""
        self._check_open()
        with _unavailable():
            escaped = sorted(_text(m) for m in await self.client.smembers(f"{self.prefix}:namespaces"))
            if not escaped:
                return []
            pipe = self._pipeline()
            names = [unescape_namespace(e) for e in escaped]
            for name in names:
                pipe.zcard(self.keys(name).forget_at)
            counts = await pipe.execute()
        return sorted(n for n, c in zip(names, counts, strict=True) if int(c) > 0)

    async def changes(self, namespace: str, after: str | None) -> tuple[str, list[Change]]:
        """Changes after stream id ``after``; with None, just the current cursor.

        Raises ChangeLogTrimmedError when MAXLEN trimming removed entries after ``after``
        that this reader never saw: its index must reload the namespace."""
        self._check_open()
        keys = self.keys(namespace)
        with _unavailable():
            if after is None:
                last = await self.client.xrevrange(keys.log, "+", "-", count=1)
                return (_text(last[0][0]) if last else "0-0"), []
            if not isinstance(after, str):
                raise TypeError(f"cursor must be a str, not {type(after).__name__}")
            try:
                _stream_id(after)
            except ValueError:
                raise ValueError(f"not a Redis change cursor: {after!r}") from None
            cursor, found = after, []
            while True:
                pipe = self._pipeline()
                pipe.xrange(keys.log, _next_id(cursor), "+", count=_LOG_PAGE)
                pipe.xrange(keys.log, "-", "+", count=1)
                # The oldest entry is read after the page: if the log was not trimmed past
                # the cursor then, the page missed nothing.
                page, oldest = await pipe.execute()
                if oldest and await self._trimmed_past(keys, cursor, _text(oldest[0][0])):
                    raise ChangeLogTrimmedError(namespace)
                for _, fields in page:
                    data = {_text(k): _text(v) for k, v in fields.items()}
                    op = data.get("op")
                    if op in ("put", "delete") and "id" in data:
                        found.append(Change(data["id"], op, data.get("origin", "")))  # type: ignore[arg-type]
                if page:
                    cursor = _text(page[-1][0])
                if len(page) < _LOG_PAGE:
                    break
        return cursor, found

    async def _trimmed_past(self, keys: _Keys, cursor: str, oldest: str) -> bool:
        """Whether trimming dropped entries after ``cursor``, the log's oldest entry being
        ``oldest``. Trimming drops the oldest entries and nothing else deletes any, so a
        cursor naming an entry that is gone has lost what followed it (or, rarely, nothing:
        a reload then costs time, never correctness). The cursor "0-0" (the log was empty)
        has lost something if anything was ever trimmed."""
        if _stream_id(oldest) <= _stream_id(_next_id(cursor)):
            return False
        if _stream_id(cursor) != (0, 0):
            return True
        info = await self.client.xinfo_stream(keys.log)
        length = int(info["length"])
        added = info.get("entries-added")  # Redis >= 7
        if added is not None:
            return int(added) > length
        return length >= (self.log_maxlen or 2**62)  # MAXLEN ~ never trims below the bound

    async def acquire_lock(self, namespace: str, name: str, owner: str, ttl: float) -> bool:
        """SET NX PX (re-entrant for ``owner``): a crashed owner's lock lapses after ``ttl`` s."""
        self._check_open()
        keys = self.keys(namespace)
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0:
            raise ValueError(f"ttl must be > 0 seconds, got {ttl!r}")
        ms = max(1, math.ceil(ttl * 1000))
        with _unavailable():
            return bool(await _ACQUIRE_SCRIPT(self, [keys.lock(name)], [owner, ms]))

    async def release_lock(self, namespace: str, name: str, owner: str) -> None:
        self._check_open()
        keys = self.keys(namespace)
        with _unavailable():
            await _RELEASE_SCRIPT(self, [keys.lock(name)], [owner])

    async def get_info(self, namespace: str) -> dict[str, Any]:
        self._check_open()
        keys = self.keys(namespace)
        with _unavailable():
            raw = await self.client.hgetall(keys.info)
        return {_text(k): json.loads(v) for k, v in raw.items()}

    async def set_info(
        self, namespace: str, info: Mapping[str, Any], *, expected: Mapping[str, Any] | None = None
    ) -> bool:
        """Replace the info hash in one script; with ``expected``, only if it is that now."""
        self._check_open()
        keys = self.keys(namespace)
        new = _info_pairs(check_info(info))
        old = [] if expected is None else _info_pairs(check_info(expected, "expected"))
        args = ["0" if expected is None else "1", len(old) // 2, *old, *new]
        with _unavailable():
            return bool(int(await _SET_INFO_SCRIPT(self, [keys.info], args)))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._close_client:
            with contextlib.suppress(Exception):
                await self.client.aclose()

    def __repr__(self) -> str:
        kind = "cluster" if self._is_cluster else "redis"
        return f"RedisStore({kind}, prefix={self.prefix!r})"


def _info_pairs(info: Mapping[str, Any]) -> list[str]:
    """Field, canonical JSON value, field, ... in key order."""
    return [part for key in sorted(info) for part in (key, dump_info_value(info[key]))]


def _connection_kwargs(client: Any) -> dict[str, Any]:
    getter = getattr(client, "get_connection_kwargs", None)
    if callable(getter):
        with contextlib.suppress(Exception):
            return dict(getter())
    pool = getattr(client, "connection_pool", None)
    return dict(getattr(pool, "connection_kwargs", {}) or {})
