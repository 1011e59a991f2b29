"""What a store keeps about a namespace besides its engrams: one small JSON object.

neuram records there which embedder made the namespace's vectors (see
:func:`neuram_core.embeddings.check_recorded_identity`). Stores keep it opaque; these
helpers check and encode it the same way for every store, so a compare-and-set compares
the same text everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["check_info", "dump_info", "dump_info_value", "load_info"]


def check_info(info: object, name: str = "info") -> dict[str, Any]:
    """A plain copy of ``info`` if it is a JSON object with non-empty str keys; else a
    TypeError or ValueError naming the problem (before a store writes anything)."""
    if not isinstance(info, Mapping):
        raise TypeError(f"{name} must be a mapping, not {type(info).__name__}")
    for key in info:
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be str, not {type(key).__name__}")
        if not key:
            raise ValueError(f"{name} keys must not be empty")
    try:
        return dict(json.loads(dump_info(info)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold JSON values only: {exc}") from None


def dump_info_value(value: Any) -> str:
    """The canonical JSON of one value: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def dump_info(info: Mapping[str, Any]) -> str:
    return dump_info_value(dict(info))


def load_info(text: str | bytes | None) -> dict[str, Any]:
    """A stored info object ({} for nothing stored)."""
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("stored namespace info is not a JSON object")
    return value
