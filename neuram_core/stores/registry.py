"""Long-term stores by URL, and the registry that maps a URL's scheme to its backend.

    open_store("sqlite:///memory.db")             # relative to the working directory
    open_store("sqlite:////var/lib/neuram.db")    # absolute: four slashes, as in SQLAlchemy
    open_store("sqlite://:memory:")               # in memory, gone at close (tests)
    open_store("redis://localhost:6379/0")        # also rediss://, redis+cluster://, rediss+cluster://

A backend is a factory from its URL to a :class:`~neuram_core.types.LongTermStore`,
registered under its scheme with :func:`register_store`, or declared by an installed
package in the ``neuram.stores`` entry-point group. Entry points are read only when a
scheme is not registered, so opening a built-in store scans no package metadata; the
Redis backend imports redis only when a Redis URL is opened.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from importlib import metadata
from urllib.parse import unquote, urlsplit

from neuram_core.types import LongTermStore

__all__ = ["ENTRY_POINT_GROUP", "StoreFactory", "open_store", "register_store", "shown_url", "store_schemes"]

# Makes a store from its whole URL (scheme included); raises ValueError for a bad URL.
StoreFactory = Callable[[str], LongTermStore]
ENTRY_POINT_GROUP = "neuram.stores"

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")  # RFC 3986, compared in lower case
_EXAMPLE = "sqlite:///memory.db, sqlite://:memory: or redis://localhost:6379/0"
_factories: dict[str, StoreFactory] = {}
_lock = threading.Lock()


def register_store(scheme: str, factory: StoreFactory, *, replace: bool = False) -> None:
    """Make ``open_store("<scheme>://...")`` call ``factory(url)``. Registering another
    factory for a taken scheme is an error unless ``replace=True``, so two backends cannot
    silently fight over one scheme."""
    name = _check_scheme(scheme)
    if not callable(factory):
        raise TypeError(f"factory must be callable (url -> LongTermStore), not {type(factory).__name__}")
    with _lock:
        current = _factories.get(name)
        if current is not None and current is not factory and not replace:
            raise ValueError(f"store scheme {name!r} is already registered; pass replace=True to override it")
        _factories[name] = factory


def open_store(url: str) -> LongTermStore:
    """The long-term store a URL names (see the module docstring and docs/stores.md).
    Nothing is connected yet: stores connect on first use."""
    scheme = _scheme_of(url)
    factory = _factories.get(scheme) or _discover(scheme)
    store = factory(url)
    if not isinstance(store, LongTermStore):
        raise TypeError(f"the {scheme!r} store factory returned a {type(store).__name__}, not a LongTermStore")
    return store


def store_schemes() -> list[str]:
    """Every scheme :func:`open_store` knows: registered ones and installed entry points."""
    return sorted(set(_factories) | set(_entry_points()))


def _check_scheme(scheme: object) -> str:
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be a str, not {type(scheme).__name__}")
    name = scheme.lower()
    if not _SCHEME.match(name):
        raise ValueError(f"invalid URL scheme {scheme!r}: a letter, then letters, digits, '+', '-' or '.'")
    return name


def shown_url(url: str) -> str:
    """``url`` as it may be printed or logged: a password in it replaced by ``***``
    (``redis://:***@host:6379/0``), so a banner or an error never spills it into logs."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # a URL too broken to split: show only its scheme
        return url.partition("://")[0] + "://..." if "://" in url else "..."
    query = "&".join(  # redis-py also takes ?password=...
        f"{item.partition('=')[0]}=***" if item.partition("=")[0].lower() == "password" else item
        for item in parts.query.split("&")
    )
    if password is None and query == parts.query:
        return url  # nothing to hide: exactly as given
    if password is not None:
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}")
    return parts._replace(query=query).geturl()


def _scheme_of(url: object) -> str:
    if not isinstance(url, str):
        raise TypeError(f"a store URL must be a str, not {type(url).__name__}")
    scheme, sep, _ = url.partition("://")
    if not sep or not _SCHEME.match(scheme.lower()):
        # Never echo the URL: it may carry a password.
        raise ValueError(f"a store URL looks like scheme://..., e.g. {_EXAMPLE}")
    return scheme.lower()


def _entry_points() -> dict[str, list[metadata.EntryPoint]]:
    """The installed ``neuram.stores`` entry points by scheme (read, not loaded)."""
    found: dict[str, list[metadata.EntryPoint]] = {}
    for point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name.lower(), []).append(point)
    return found


def _discover(scheme: str) -> StoreFactory:
    """Load the entry point of a scheme no one registered, and register it."""
    points = {p.value: p for p in _entry_points().get(scheme, [])}
    if not points:
        known = ", ".join(store_schemes())
        raise ValueError(f"unknown store scheme {scheme + '://'!r}; known schemes: {known}")
    if len(points) > 1:
        raise ValueError(f"store scheme {scheme!r} is claimed by several entry points: {', '.join(sorted(points))}")
    [point] = points.values()
    try:
        factory = point.load()
    except Exception as exc:
        raise ImportError(f"the {scheme!r} store backend ({point.value}) failed to load: {exc}") from exc
    if not callable(factory):
        raise TypeError(f"entry point {point.value} for store scheme {scheme!r} is not callable")
    with _lock:
        return _factories.setdefault(scheme, factory)


# -- the built-in backends ---------------------------------------------------------------------
def _open_sqlite(url: str) -> LongTermStore:
    from neuram_core.stores.sqlite import SQLiteStore

    return SQLiteStore(_sqlite_path(url))


def _sqlite_path(url: str) -> str:
    """The file of a ``sqlite:`` URL, as SQLAlchemy reads it: ``sqlite:///rel.db`` is
    relative to the working directory (resolved now), ``sqlite:////abs.db`` absolute,
    ``sqlite://:memory:`` (or ``sqlite:///:memory:``) in memory. The path is
    percent-decoded and ``~`` expanded; no host, query or fragment."""
    rest = url.partition("://")[2]
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    if "?" in rest or "#" in rest:
        raise ValueError("a sqlite URL takes no query or fragment (write ? as %3F and # as %23 in a file name)")
    path = unquote(rest[1:]) if rest.startswith("/") else ""
    if not path or path.endswith("/") or "\x00" in path:
        raise ValueError(
            f"{url!r} names no file: write sqlite:///relative.db, sqlite:////absolute/path.db or sqlite://:memory:"
        )
    return os.path.abspath(os.path.expanduser(path))


def _open_redis(url: str) -> LongTermStore:
    from neuram_core.stores.redis import RedisStore

    return RedisStore.from_url(url)


register_store("sqlite", _open_sqlite)
register_store("redis", _open_redis)
register_store("rediss", _open_redis)
register_store("redis+cluster", _open_redis)
register_store("rediss+cluster", _open_redis)
