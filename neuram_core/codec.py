"""The engram record: the one module that knows an engram's stored fields.

Every store keeps an engram as two parts: its *fields* (a JSON object of native values,
everything but the embedding) and its embedding (little-endian float32 bytes). The
export format of ``neuram export`` is the same fields under their long names, plus the
id, the consolidation flag and the embedding in base64. Each record carries the schema
version that wrote it (``"v"``); records of an older version are upgraded when read, so a
store written by an older neuram opens and recalls as it did.

Version history:
    1. (neuram before the codec) the same fields, no ``"v"``; SQLite kept them in columns.
    2. ``"v": 2`` in every record; SQLite keeps the fields as one JSON column.
    3. ``"consolidated"``: false while a perceived trace waits for sleep (written through at
       perception, so it outlives the process); everything stored before it was consolidated.
    4. ``"pinned"``, ``"expires_at"``, ``"supersedes"``, ``"superseded_by"``: present only
       when they differ from their defaults (false, null), so most records do not grow; and
       ``"consolidated"`` only when false (a pending trace).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np
import orjson

from neuram_core.engram import Engram, MemoryType, Vector
from neuram_core.validation import check_engram_id, check_json_integers

__all__ = [
    "EXPORT_FIELDS",
    "SCHEMA_VERSION",
    "V1_COLUMNS",
    "dangling_fragment",
    "decode_embeddings",
    "embedding_from_bytes",
    "embedding_to_bytes",
    "engram_from_export",
    "engram_from_fields",
    "engram_to_export",
    "engram_to_fields",
    "fields_from_v1_columns",
    "pack_fields",
    "unpack_fields",
]

SCHEMA_VERSION = 4

# Stored name -> long (export) name, in record order. The one list of an engram's fields.
_FIELDS: dict[str, str] = {
    "content": "content",
    "type": "memory_type",
    "salience": "salience",
    "strength": "synaptic_strength",
    "stability": "stability",
    "access_count": "access_count",
    "encoded_at": "encoded_at",
    "last_accessed": "last_accessed",
    "reward": "reward",
    "assoc": "associations",
    "fragments": "fragments",
    "fragment_of": "fragment_of",
    "meta": "metadata",
}
_LONG_NAMES = {long: short for short, long in _FIELDS.items()}
# Fields a record holds only when they differ from their default (version 4 on): most
# engrams are not pinned, do not expire and revise nothing, and a record stays small.
_OPTIONAL: dict[str, Any] = {"pinned": False, "expires_at": None, "supersedes": None, "superseded_by": None}
EXPORT_FIELDS: tuple[str, ...] = ("v", "engram_id", *_FIELDS.values(), "consolidated", *_OPTIONAL, "embedding")
# The SQLite columns of version 1, in table order (read once, by the upgrade).
V1_COLUMNS: tuple[str, ...] = (
    "content", "type", "salience", "strength", "stability", "access_count", "encoded_at",
    "last_accessed", "reward", "assoc", "fragments", "meta", "fragment_of",
)  # fmt: skip

_TYPES = {t.value: t for t in MemoryType}
_NUMBERS = ("salience", "strength", "stability", "encoded_at", "last_accessed", "reward")
_NUMERIC = frozenset({int, float})
_STRINGS = frozenset({str})


# -- embeddings ---------------------------------------------------------------------------
def embedding_to_bytes(vector: Vector) -> bytes:
    """Little-endian float32 bytes: 1,536 bytes for 384 dimensions, no JSON, no pickle."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def embedding_from_bytes(data: bytes) -> Vector:
    if len(data) % 4:
        raise ValueError(f"embedding of {len(data)} bytes is not a float32 vector")
    vector = np.frombuffer(data, dtype="<f4").astype(np.float32)
    if not np.isfinite(vector).all():
        raise ValueError("embedding has non-finite values")
    return vector


def decode_embeddings(blobs: Sequence[bytes | None]) -> list[Vector | None]:
    """Float32 embeddings of many records at once (one frombuffer, one finiteness check: a
    load's hot path); None where a blob is absent or unusable, for the per-record decode to
    report. Each vector is a copy: no engram keeps a whole batch's buffer alive."""
    present = [b for b in blobs if b]
    if not present:
        return [None] * len(blobs)
    size = len(present[0])
    if size % 4 or any(len(b) != size or not isinstance(b, bytes) for b in present):
        return [None] * len(blobs)  # mixed sizes or types: each record decodes (and is checked) alone
    matrix = np.frombuffer(b"".join(present), dtype="<f4").reshape(len(present), size // 4)
    finite = np.isfinite(matrix).all(axis=1).tolist()
    rows = iter(range(len(present)))
    out: list[Vector | None] = []
    for blob in blobs:
        if not blob:
            out.append(None)
            continue
        j = next(rows)
        out.append(matrix[j].astype(np.float32) if finite[j] else None)
    return out


# -- the stored fields --------------------------------------------------------------------
def engram_to_fields(engram: Engram) -> dict[str, Any]:
    """The record's fields as native JSON values (everything but the embedding)."""
    return {
        "v": SCHEMA_VERSION,
        "content": engram.content,
        "type": engram.memory_type.value,
        "salience": engram.salience,
        "strength": engram.synaptic_strength,
        "stability": engram.stability,
        "access_count": engram.access_count,
        "encoded_at": engram.encoded_at,
        "last_accessed": engram.last_accessed,
        "reward": engram.reward,
        "assoc": [[i, w] for i, w in engram.associations],
        "fragments": list(engram.fragments),
        "fragment_of": engram.fragment_of,
        "meta": engram.metadata,
        **({} if engram.consolidated else {"consolidated": False}),  # most records are long-term
        **{k: v for k in _OPTIONAL if (v := getattr(engram, k)) != _OPTIONAL[k]},
    }


def pack_fields(engram: Engram) -> bytes:
    """The fields as compact UTF-8 JSON; floats keep their exact shortest form. A NaN or
    infinity anywhere (a weight, a metadata value) is refused: nothing is written."""
    return json.dumps(engram_to_fields(engram), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def unpack_fields(payload: bytes | str) -> dict[str, Any]:
    """The fields of a packed record; ValueError if it is not a JSON object. (orjson: five
    times faster than json on the load path, and it never yields NaN or infinity.)"""
    fields = orjson.loads(payload)
    if not isinstance(fields, dict):
        raise ValueError("record fields are not a JSON object")
    return fields


def _all_numbers(values: Sequence[Any]) -> bool:
    """Every value a finite int or float (not a bool, not a string): checked in C, per batch."""
    return _NUMERIC.issuperset(map(type, values)) and all(map(math.isfinite, values))


def _upgrade(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of any known version as the current version's."""
    version = fields.get("v", 1)
    if type(version) is not int or version < 1:
        raise ValueError(f"record has an invalid schema version {version!r}")
    if version > SCHEMA_VERSION:
        raise ValueError(f"record has schema version {version}, newer than this neuram's {SCHEMA_VERSION}")
    while version < SCHEMA_VERSION:
        fields = _UPGRADES[version](fields)
        version += 1
    return fields


def _v1_to_v2(fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "v": 2}  # version 2 added only the version itself


def _v2_to_v3(fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "v": 3, "consolidated": True}  # before v3 only sleep wrote to a store


def _v3_to_v4(fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "v": 4}  # version 4 added optional fields whose absence means their default


_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def engram_from_fields(engram_id: str, fields: dict[str, Any], embedding: Vector | None = None) -> Engram:
    """The engram of a record's fields, every one checked (a load's hot path: all checks at
    once, and only a failing record is looked at field by field); ValueError naming the
    first bad field. ``embedding`` is the already decoded vector, else the fields'
    ``"embedding"`` bytes are decoded, if any."""
    if fields.get("v") != SCHEMA_VERSION:
        fields = _upgrade(fields)
    try:
        content, kind, meta = fields["content"], fields["type"], fields["meta"]
        assoc, fragments, fragment_of = fields["assoc"], fields["fragments"], fields["fragment_of"]
        access_count, consolidated = fields["access_count"], fields.get("consolidated", True)
        numbers = [fields[k] for k in _NUMBERS]
    except KeyError as exc:
        raise ValueError(f"missing field {exc}") from None
    salience, strength, stability, encoded_at, last_accessed, reward = numbers
    if not (
        type(content) is str
        and content.strip()
        and kind in _TYPES
        and type(meta) is dict
        and type(assoc) is list
        and type(fragments) is list
        and (fragment_of is None or type(fragment_of) is str)
        and type(access_count) is int
        and access_count >= 0
        and type(consolidated) is bool
        and _all_numbers(numbers)
        and 0.0 <= salience <= 1.0
        and 0.0 <= strength <= 1.0
        and stability > 0.0
        and _STRINGS.issuperset(map(type, fragments))
    ):
        _reject(fields)
    try:  # a load decodes 100k of these: one pass over the edges, then one check in C
        links = [(sys.intern(str(i)), w) for i, w in assoc]  # one string per id: see engram_id below
    except (TypeError, ValueError):
        _reject(fields)
    if not _all_numbers([w for _, w in links]):
        _reject(fields)
    pinned, expires_at = fields.get("pinned", False), fields.get("expires_at")
    supersedes, superseded_by = fields.get("supersedes"), fields.get("superseded_by")
    if not (
        type(pinned) is bool
        and (expires_at is None or _all_numbers([expires_at]))
        and (supersedes is None or type(supersedes) is str)
        and (superseded_by is None or type(superseded_by) is str)
    ):
        _reject_optional(fields)
    if embedding is None and fields.get("embedding"):
        embedding = embedding_from_bytes(fields["embedding"])
    return Engram(
        content=content,
        memory_type=_TYPES[kind],
        salience=float(salience),
        embedding=embedding,
        synaptic_strength=float(strength),
        stability=float(stability),
        access_count=access_count,
        associations=[(i, float(w)) for i, w in links],
        fragments=list(fragments),
        engram_id=sys.intern(engram_id),  # shared with the links naming it: ~60-80 B per link
        encoded_at=float(encoded_at),
        last_accessed=float(last_accessed),
        metadata=meta,
        reward=float(reward),
        fragment_of=fragment_of or None,
        consolidated=consolidated,
        pinned=pinned,
        expires_at=None if expires_at is None else float(expires_at),
        supersedes=supersedes,
        superseded_by=superseded_by,
    )


def _reject_optional(fields: Mapping[str, Any]) -> NoReturn:
    """Raise the ValueError that names the first bad optional field of a record."""
    if type(fields.get("pinned", False)) is not bool:
        raise ValueError("field 'pinned' must be true or false")
    if fields.get("expires_at") is not None:
        _number(fields, "expires_at")
    for name in ("supersedes", "superseded_by"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise ValueError(f"field {name!r} must be an engram id or null")
    raise ValueError("record is malformed")


def _number(fields: Mapping[str, Any], name: str) -> float:
    value = fields[name]
    if type(value) not in _NUMERIC:
        raise ValueError(f"field {name!r} must be a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"field {name!r} must be finite, got {value!r}")
    return float(value)


def _reject(fields: Mapping[str, Any]) -> NoReturn:
    """Raise the ValueError that names the first bad field of a record."""
    content = fields["content"]
    if not isinstance(content, str) or not content.strip():
        raise ValueError("field 'content' must be a non-empty string")
    kind = fields["type"]
    if not isinstance(kind, str):
        raise ValueError(f"field 'type' must be a string, not {type(kind).__name__}")
    MemoryType.parse(kind)
    if kind not in _TYPES:
        raise ValueError(f"field 'type' must be a memory type's value, got {kind!r}")
    for name in _NUMBERS:
        _number(fields, name)
    for name, low, high in (("salience", 0.0, 1.0), ("strength", 0.0, 1.0)):
        if not low <= fields[name] <= high:
            raise ValueError(f"field {name!r} must lie in [{low:g}, {high:g}], got {fields[name]!r}")
    if fields["stability"] <= 0:
        raise ValueError(f"field 'stability' must be > 0, got {fields['stability']!r}")
    count = fields["access_count"]
    if type(count) is not int or count < 0:
        raise ValueError(f"field 'access_count' must be an integer >= 0, got {count!r}")
    assoc = fields["assoc"]
    if not isinstance(assoc, list):
        raise ValueError("field 'assoc' must be a list")
    for link in assoc:
        if not (isinstance(link, list) and len(link) == 2 and isinstance(link[0], str) and _all_numbers([link[1]])):
            raise ValueError(f"field 'assoc' must hold [engram_id, weight] pairs of finite weight, got {link!r}")
    fragments = fields["fragments"]
    if not isinstance(fragments, list) or not all(isinstance(f, str) for f in fragments):
        raise ValueError("field 'fragments' must be a list of engram ids")
    if fields["fragment_of"] is not None and not isinstance(fields["fragment_of"], str):
        raise ValueError("field 'fragment_of' must be an engram id or null")
    if not isinstance(fields["meta"], dict):
        raise ValueError("field 'meta' must be an object")
    if not isinstance(fields.get("consolidated", True), bool):
        raise ValueError("field 'consolidated' must be true or false")
    raise ValueError("record is malformed")


def fields_from_v1_columns(values: Sequence[Any]) -> dict[str, Any]:
    """The fields of a version-1 SQLite row (``V1_COLUMNS``: numbers as repr strings, lists
    and metadata as JSON strings), for the upgrade of such a file."""
    row = dict(zip(V1_COLUMNS, values, strict=True))
    fields: dict[str, Any] = {"v": 1}
    for name in V1_COLUMNS:
        value = row[name]
        if name in ("assoc", "fragments", "meta"):
            fields[name] = None if value is None else orjson.loads(value)
        elif name in _NUMBERS:
            fields[name] = None if value is None else float(value)
        elif name == "access_count":
            fields[name] = None if value is None else int(value)
        else:
            fields[name] = value
    fields["fragment_of"] = fields["fragment_of"] or None
    return fields


# -- the export format --------------------------------------------------------------------
def engram_to_export(engram: Engram) -> dict[str, Any]:
    """One export line's object: the fields under their long names, the id, whether it is
    consolidated, and the embedding in base64 (floats survive JSON exactly)."""
    fields = engram_to_fields(engram)
    return {
        "v": SCHEMA_VERSION,
        "engram_id": engram.engram_id,
        **{long: fields[short] for short, long in _FIELDS.items()},
        "consolidated": engram.consolidated,
        **{name: getattr(engram, name) for name in _OPTIONAL},
        "embedding": None
        if engram.embedding is None
        else base64.b64encode(embedding_to_bytes(engram.embedding)).decode("ascii"),
    }


def engram_from_export(obj: Any) -> Engram:
    """Inverse of :func:`engram_to_export`, for lines of any known version (version 1 has
    no ``"v"``); ValueError naming the first bad field. The id is checked as the Brain
    checks every id, so what is imported can be fetched and forgotten."""
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - set(EXPORT_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(map(repr, unknown))}")
    missing = [f for f in EXPORT_FIELDS if f not in obj and f != "v" and f not in _OPTIONAL]
    if missing:
        raise ValueError(f"missing field {missing[0]!r}")
    _check_exportable(obj)
    engram_id = obj["engram_id"]
    if not isinstance(engram_id, str):
        raise ValueError(f"field 'engram_id' must be a string, not {type(engram_id).__name__}")
    try:
        check_engram_id(engram_id)  # any id a store holds: an older export restores as it was
    except ValueError as exc:
        raise ValueError(f"field 'engram_id': {exc}") from None
    consolidated = obj["consolidated"]
    if not isinstance(consolidated, bool):
        raise ValueError("field 'consolidated' must be true or false")
    fields = {short: obj[long] for short, long in _FIELDS.items()}
    fields.update({name: obj[name] for name in _OPTIONAL if name in obj})  # older lines lack them
    fields["v"] = obj.get("v", 1)
    fields["consolidated"] = consolidated
    kind = fields["type"]
    if isinstance(kind, str):
        fields["type"] = MemoryType.parse(kind).value
    embedding = _export_embedding(obj["embedding"])
    try:
        engram = engram_from_fields(engram_id, fields, embedding)
    except KeyError as exc:  # pragma: no cover - every field was checked present above
        raise ValueError(f"missing field {exc}") from None
    except ValueError as exc:
        raise ValueError(_long_message(str(exc))) from None
    engram.consolidated = consolidated
    return engram


def _check_exportable(obj: Mapping[str, Any]) -> None:
    """What a store could not write or read back: a lone surrogate (JSON's "\\ud800"
    escapes decode to one) in the content or metadata, or an integer past 64 bits. The
    embedding (base64, checked apart) is left out. orjson refuses both, so one dump of the
    line clears it (a line is checked in microseconds); only a refused one is looked at
    field by field, to name the field."""
    try:
        orjson.dumps(obj)
        return
    except TypeError:  # orjson.JSONEncodeError: a surrogate, or an integer past 64 bits
        pass
    for name, value in obj.items():
        if name == "embedding":
            continue
        if isinstance(value, dict | list) or type(value) is int:
            check_json_integers(value, f"field {name!r}", text_instead=name == "metadata")
        if isinstance(value, str | dict | list) and not _encodes(value):
            raise ValueError(f"field {name!r} holds text that is not valid UTF-8 (a lone surrogate)")


def _encodes(value: str | dict[str, Any] | list[Any]) -> bool:
    try:
        (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def dangling_fragment(engrams: Sequence[Engram]) -> Engram | None:
    """The first fragment among ``engrams`` whose whole is not among them: imported, it
    would be a passage of nothing, never listed and never recalled."""
    ids = {e.engram_id for e in engrams}
    return next((e for e in engrams if e.fragment_of is not None and e.fragment_of not in ids), None)


def _export_embedding(raw: Any) -> Vector | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueError("field 'embedding' must be a base64 string or null")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("field 'embedding' is not valid base64") from None
    if not data:
        raise ValueError("field 'embedding' is empty")
    try:
        return embedding_from_bytes(data)
    except ValueError as exc:
        raise ValueError(f"field 'embedding': {exc}") from None


def _long_message(message: str) -> str:
    """A field error in the export's own names (``'metadata'``, not ``'meta'``)."""
    for short, long in _FIELDS.items():
        message = message.replace(f"field {short!r}", f"field {long!r}")
    return message
