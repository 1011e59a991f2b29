"""Long-term stores: the embedded SQLite store (default) and Redis (production), and
:func:`open_store`, which opens any registered backend by URL (see ``registry``).

``RedisStore`` is loaded on first access, so importing this package never imports redis.
"""

from __future__ import annotations

from typing import Any

from neuram_core.stores.registry import ENTRY_POINT_GROUP, StoreFactory, open_store, register_store, store_schemes
from neuram_core.stores.sqlite import SQLiteStore, default_path

__all__ = [  # RedisStore: lazy, see __getattr__
    "ENTRY_POINT_GROUP",
    "SQLiteStore",
    "StoreFactory",
    "default_path",
    "open_store",
    "register_store",
    "store_schemes",
]


def __getattr__(name: str) -> Any:
    if name == "RedisStore":
        from neuram_core.stores.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
