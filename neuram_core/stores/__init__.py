"""Long-term stores: the embedded SQLite store (default) and Redis (production).

``RedisStore`` is loaded on first access, so importing this package never imports redis.
"""

from __future__ import annotations

from typing import Any

from neuram_core.stores.sqlite import SQLiteStore, default_path

__all__ = ["SQLiteStore", "default_path"]  # RedisStore: lazy, see __getattr__


def __getattr__(name: str) -> Any:
    if name == "RedisStore":
        from neuram_core.stores.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
