"""Long-term stores: the embedded SQLite store (default) and Redis (production)."""

from neuram_core.stores.sqlite import SQLiteStore, default_path

__all__ = ["SQLiteStore", "default_path"]
