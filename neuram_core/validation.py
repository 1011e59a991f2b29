"""Input checks for the public API: a clear ValueError/TypeError, before anything is written."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

__all__ = [
    "check_engram_id",
    "check_event_time",
    "check_expiry",
    "check_json_integers",
    "check_metadata",
    "check_namespace",
    "check_new_engram_id",
    "check_non_negative",
    "check_text",
    "check_time",
    "check_top_k",
    "check_unit_interval",
    "utf8_error_offset",
]


def check_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} is empty")
    offset = utf8_error_offset(value)
    if offset is not None:
        raise ValueError(f"{name} is not valid UTF-8 text at byte {offset}")
    return value


def utf8_error_offset(text: str) -> int | None:
    """Where ``text`` stops being valid UTF-8, as a byte offset, or None if it is valid.

    Bytes that are not UTF-8 reach Python as lone surrogates (``sys.argv`` and other
    surrogateescape decodes keep each bad byte as one); the valid text before the first of
    them encodes back to exactly the bytes that preceded the bad one, so the offset is the
    one in the user's input."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return len(text[: exc.start].encode("utf-8"))
    return None


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def check_unit_interval(value: object, name: str, low: float = 0.0, high: float = 1.0) -> float:
    number = _number(value, name)
    if not low <= number <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
    return number


def check_non_negative(value: object, name: str) -> float:
    """A finite number ≥ 0 (a bool is not a number here)."""
    number = _number(value, name)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def check_top_k(value: object, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"top_k must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"top_k must be >= 0, got {value}")
    return value


def check_time(value: object, name: str) -> float | None:
    """Epoch seconds from a number or a timezone-aware datetime (naive means local time)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return _number(value, name)


def check_event_time(value: object, name: str, now: float) -> float | None:
    """When something happened (:func:`check_time`'s forms): never after ``now``, since a
    memory of the future would fade from a moment that has not come."""
    when = check_time(value, name)
    if when is not None and when > now:
        raise ValueError(f"{name} ({when:.3f}) is after the clock's now ({now:.3f}): a memory cannot be of the future")
    return when


def check_expiry(value: object, event_time: float, name: str = "expires_at") -> float | None:
    """When a memory stops being true (:func:`check_time`'s forms): after its event time,
    or it would be hidden from the moment it was made."""
    when = check_time(value, name)
    if when is not None and when <= event_time:
        raise ValueError(f"{name} ({when:.3f}) must be after the event time ({event_time:.3f})")
    return when


def check_engram_id(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"engram_id must be a str, not {type(value).__name__}")
    if not value or len(value) > 256 or not value.isprintable():
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise ValueError(f"invalid engram id {shown!r}: an id is 1 to 256 printable characters")
    return value


def check_new_engram_id(value: object) -> str:
    """An id given to a new memory: :func:`check_engram_id`, and one a REST path can carry,
    so the memory can be fetched and forgotten through the server too: no "/", not "." or
    ".." (clients resolve those as path steps). Reads still take any stored id."""
    engram_id = check_engram_id(value)
    if "/" in engram_id or engram_id in {".", ".."}:
        raise ValueError(f"invalid engram id {engram_id!r}: an id holds no '/' and is not '.' or '..'")
    return engram_id


def check_namespace(value: object) -> str:
    """A namespace every door reaches: no "/" (a REST path cannot carry one) and no control
    characters (nothing prints or types them), at most 512 characters."""
    if not isinstance(value, str):
        raise TypeError(f"namespace must be a str, not {type(value).__name__}")
    if not value or len(value) > 512:
        raise ValueError("namespace must be a non-empty str of at most 512 characters")
    check_text(value if value.strip() else value + "x", "namespace")
    if "/" in value:
        raise ValueError(f"namespace {value!r} holds '/': use another separator ('.', ':', '-')")
    if value in {".", ".."}:
        raise ValueError(f"namespace {value!r} is a path step, which no server URL can carry: name it")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError(f"namespace {value!r} holds a control character")
    return value


def check_metadata(value: object) -> dict[str, Any]:
    """A JSON-serialisable dict with str keys (copied, so later caller edits do not leak in)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"metadata must be a dict, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"metadata keys must be str, not {type(key).__name__}")
    try:
        encoded = json.dumps(dict(value), ensure_ascii=False, allow_nan=False)
        encoded.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"metadata must be JSON-serialisable: {exc}") from None
    result: dict[str, Any] = json.loads(encoded)
    try:
        orjson.dumps(result)  # refuses an integer past 64 bits, as a store's reader would
    except TypeError:
        check_json_integers(result, "metadata", text_instead=True)  # names where it is
    return result


# What a store's JSON reader (orjson) reads back exactly: a wider integer comes back a
# float, or not at all (the record would be skipped as corrupt at the next load).
_INTEGERS = range(-(2**63), 2**64)


def check_json_integers(value: object, what: str, *, text_instead: bool = False) -> None:
    """ValueError naming an integer in ``value`` (JSON-like: dicts, lists, scalars) that a
    store could not read back exactly; ``text_instead``: the value could be a string."""
    stack: list[tuple[object, str]] = [(value, what)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, f"{where}[{k!r}]") for k, v in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
        elif type(item) is int and item not in _INTEGERS:
            advice = ": store it as a string" if text_instead else ""
            raise ValueError(f"{where} is an integer outside the 64-bit range a store reads back exactly{advice}")
