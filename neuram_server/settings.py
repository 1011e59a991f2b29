"""What one ``neuram serve`` process is configured with, and its limits."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ServerSettings"]


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Every knob of the server; the CLI flags map onto these one to one."""

    store: str | None = None  # a store URL; None: the embedded SQLite store's default file
    embedder: str | None = None  # None: the default model; "hashing-N" for tests
    host: str = "127.0.0.1"
    port: int = 8765
    keys_file: str | None = None
    read_only: bool = False
    max_loaded_engrams: int = 1_000_000  # the LRU budget over every loaded namespace's index
    max_text_bytes: int = 64 * 1024  # one content, query or metadata value, in UTF-8 bytes
    max_top_k: int = 100
    max_body_bytes: int = 8 * 1024 * 1024  # a request body (an import is streamed up to this)
    max_page: int = 1000  # list's page size limit
    sleep_interval_seconds: float | None = None  # None: the config's (30 s); 0: no background sleep
    # BLAS (numpy's matrix library) on one thread for the whole process: a server's
    # parallelism comes from concurrent requests, and BLAS threads spinning against each
    # other under load cost more CPU per recall than they save (measured: ~14 → ~9 ms).
    one_blas_thread: bool = True

    def sleep_interval(self, default: float) -> float | None:
        """Seconds between background sleeps; None for none (read-only, or asked for 0)."""
        if self.read_only:
            return None
        chosen = default if self.sleep_interval_seconds is None else self.sleep_interval_seconds
        return chosen or None
