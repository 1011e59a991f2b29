"""API keys: a file maps hashed keys to the namespaces they may read and write.

The file is JSON (documented in docs/server.md)::

    {"keys": [
      {"name": "alice-app", "sha256": "<hex of sha256(key)>", "read": ["alice"], "write": ["alice"]},
      {"name": "dashboards", "sha256": "...", "read": ["*"]}
    ]}

A pattern is a namespace name, ``*`` (every namespace) or a prefix ending in ``*``
(``team-a-*``). ``write`` implies ``read``. Only hashes are stored, so the file is not a
secret store; keys are compared by hash in constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ALL", "Grant", "KeyRing", "KeysFileError", "hash_key", "key_of", "new_key"]


class KeysFileError(ValueError):
    """The keys file is missing, unreadable or malformed: the server does not start."""


def hash_key(key: str) -> str:
    """The hex SHA-256 of a key: what the keys file stores. API keys are long random
    tokens (see :func:`new_key`), so a fast hash suffices; no password is ever a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random API key (256 bits, URL-safe)."""
    return "nrm_" + secrets.token_urlsafe(32)


def key_of(x_api_key: str | None, authorization: str | None) -> str | None:
    """The API key a request sends: ``X-API-Key``, else ``Authorization: Bearer <key>``;
    None when it sends neither (REST, MCP and the MCP gate read it the same way)."""
    if x_api_key:
        return x_api_key
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _matches(pattern: str, namespace: str) -> bool:
    if pattern.endswith("*"):
        return namespace.startswith(pattern[:-1])
    return pattern == namespace


@dataclass(frozen=True, slots=True)
class Grant:
    """What one caller may do: read and write namespace patterns."""

    name: str
    read: tuple[str, ...]
    write: tuple[str, ...]

    def can_read(self, namespace: str) -> bool:
        return any(_matches(p, namespace) for p in self.read + self.write)

    def can_write(self, namespace: str) -> bool:
        return any(_matches(p, namespace) for p in self.write)


ALL = Grant("local", ("*",), ("*",))
"""The grant of every caller when the server runs without a keys file (localhost only)."""


def _patterns(entry: Mapping[str, Any], field: str, where: str) -> tuple[str, ...]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise KeysFileError(f"{where}: {field!r} must be a list of namespace names or patterns")
    for pattern in value:
        if "*" in pattern[:-1]:  # a glob elsewhere would silently be a plain name
            raise KeysFileError(
                f"{where}: {field!r} pattern {pattern!r}: '*' may only end a pattern (a prefix), or stand alone"
            )
    return tuple(value)


class KeyRing:
    """The keys file, loaded: ``grant_for(key)`` is the key's Grant, or None."""

    def __init__(self, entries: Iterable[tuple[str, Grant]]) -> None:
        self._entries = [(bytes.fromhex(digest), grant) for digest, grant in entries]

    @classmethod
    def load(cls, path: str | Path) -> KeyRing:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeysFileError(f"cannot read keys file {path}: {exc.strerror or exc}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KeysFileError(f"keys file {path} is not valid JSON: {exc}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("keys"), list):
            raise KeysFileError(f'keys file {path} must be an object with a "keys" list')
        entries: list[tuple[str, Grant]] = []
        seen: dict[str, int] = {}
        for i, entry in enumerate(raw["keys"]):
            where = f"keys file {path}, keys[{i}]"
            if not isinstance(entry, dict):
                raise KeysFileError(f"{where} must be an object")
            unknown = set(entry) - {"name", "sha256", "read", "write"}
            if unknown:
                raise KeysFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
            digest = entry.get("sha256")
            if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise KeysFileError(f"{where}: 'sha256' must be 64 lowercase hex digits (neuram hash-key prints it)")
            name = entry.get("name", f"key-{i}")
            if not isinstance(name, str):
                raise KeysFileError(f"{where}: 'name' must be a string")
            grant = Grant(name, _patterns(entry, "read", where), _patterns(entry, "write", where))  # none: revoked
            if digest in seen:
                raise KeysFileError(f"{where}: the same key as keys[{seen[digest]}] (one entry per key)")
            seen[digest] = i
            entries.append((digest, grant))
        return cls(entries)

    def grant_for(self, key: str) -> Grant | None:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        found = None
        for known, grant in self._entries:  # every entry, so timing does not tell which matched
            if hmac.compare_digest(known, digest):
                found = grant
        return found

    def __len__(self) -> int:
        return len(self._entries)
