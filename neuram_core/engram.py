"""The memory unit. Semon (1904) called the physical trace a memory leaves an *engram*."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

__all__ = [
    "Engram",
    "MemoryType",
    "Vector",
    "decode_embeddings",
    "embedding_from_bytes",
    "embedding_to_bytes",
    "engram_from_record",
    "engram_to_record",
    "new_engram_id",
]

Vector = npt.NDArray[np.float32]


class MemoryType(StrEnum):
    """Which long-term system a memory belongs to; sleep routes it by this."""

    EPISODIC = "episodic"  # events: what happened, when (Neocortex)
    SEMANTIC = "semantic"  # facts, independent of when they were learned (Neocortex)
    PROCEDURAL = "procedural"  # skills and workflows (Cerebellum)
    HABITUAL = "habitual"  # preferences and routines shaped by reward (BasalGanglia)

    @classmethod
    def parse(cls, value: MemoryType | str) -> MemoryType:
        """Accept a member, its value or its name in any case; reject anything else."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, str):
            raise TypeError(f"memory_type must be a MemoryType or str, not {type(value).__name__}")
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(m.name for m in cls)
            raise ValueError(f"unknown memory type {value!r}; expected one of {names}") from None


def new_engram_id() -> str:
    return uuid.uuid4().hex


@dataclass(eq=False)
class Engram:
    """One memory trace: its content, how it was encoded and how it has been used.

    ``synaptic_strength`` is how vivid the memory was when last read (its retention then);
    ``stability`` (hours) is how slowly it fades, and grows with each recall (LTP).
    """

    content: str
    memory_type: MemoryType
    salience: float
    embedding: Vector | None = None
    synaptic_strength: float = 1.0
    stability: float = 1.0
    access_count: int = 0
    associations: list[tuple[str, float]] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)
    engram_id: str = field(default_factory=new_engram_id)
    encoded_at: float = 0.0
    last_accessed: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)
    reward: float = 0.0
    fragment_of: str | None = None
    consolidated: bool = False
    filtered_reason: str | None = None

    @property
    def filtered(self) -> bool:
        """True when the Thalamus kept this input out of memory."""
        return self.filtered_reason is not None

    def __repr__(self) -> str:
        text = self.content if len(self.content) <= 40 else self.content[:37] + "..."
        state = f"filtered={self.filtered_reason!r}" if self.filtered else f"S={self.stability:.1f}h"
        return (
            f"Engram({self.engram_id[:8]}, {self.memory_type.value}, {text!r}, "
            f"salience={self.salience:.2f}, {state}, access_count={self.access_count})"
        )


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


def engram_to_record(engram: Engram) -> dict[str, str | bytes]:
    """A flat string/bytes mapping (a Redis hash, a row): floats as exact repr strings."""
    record: dict[str, str | bytes] = {
        "content": engram.content,
        "type": engram.memory_type.value,
        "salience": repr(engram.salience),
        "strength": repr(engram.synaptic_strength),
        "stability": repr(engram.stability),
        "access_count": str(engram.access_count),
        "encoded_at": repr(engram.encoded_at),
        "last_accessed": repr(engram.last_accessed),
        "reward": repr(engram.reward),
        "assoc": json.dumps([[i, w] for i, w in engram.associations], allow_nan=False),
        "fragments": json.dumps(engram.fragments),
        "meta": json.dumps(engram.metadata, ensure_ascii=False),
        "fragment_of": engram.fragment_of or "",
    }
    if engram.embedding is not None:
        record["embedding"] = embedding_to_bytes(engram.embedding)
    return record


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


_TYPES = {t.value: t for t in MemoryType}


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _number(record: dict[str, str | bytes], key: str) -> float:
    value = float(record[key])  # float() takes str and bytes alike
    if not math.isfinite(value):
        raise ValueError(f"field {key!r} is not finite")
    return value


def engram_from_record(engram_id: str, record: dict[str, str | bytes], embedding: Vector | None = None) -> Engram:
    """Inverse of :func:`engram_to_record`; raises ``ValueError``/``KeyError`` on a bad record.
    ``embedding`` is the already decoded vector, else the record's bytes are decoded."""
    raw_embedding = record.get("embedding")
    if embedding is None and raw_embedding:
        embedding = embedding_from_bytes(
            raw_embedding if isinstance(raw_embedding, bytes) else raw_embedding.encode("latin-1")
        )
    kind = _text(record["type"])
    return Engram(
        content=_text(record["content"]),
        memory_type=_TYPES.get(kind) or MemoryType.parse(kind),
        salience=_number(record, "salience"),
        embedding=embedding,
        synaptic_strength=_number(record, "strength"),
        stability=_number(record, "stability"),
        access_count=int(record["access_count"]),
        associations=[(str(i), float(w)) for i, w in orjson.loads(record["assoc"])],
        fragments=[str(i) for i in orjson.loads(record["fragments"])],
        engram_id=engram_id,
        encoded_at=_number(record, "encoded_at"),
        last_accessed=_number(record, "last_accessed"),
        metadata=dict(orjson.loads(record["meta"])),
        reward=_number(record, "reward"),
        fragment_of=_text(record.get("fragment_of", "")) or None,
        consolidated=True,
    )
