"""The memory unit. Semon (1904) called the physical trace a memory leaves an *engram*.

How an engram is stored and exported is :mod:`neuram_core.codec`'s business alone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Engram", "MemoryType", "Vector", "new_engram_id"]

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
            names = ", ".join(m.value for m in cls)  # as the CLI, REST and docs spell them
            raise ValueError(f"unknown memory type {value!r}; expected one of {names}") from None


def new_engram_id() -> str:
    return uuid.uuid4().hex


@dataclass(eq=False, slots=True)
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
    pinned: bool = False  # never pruned (kept out of the forget-at index)
    expires_at: float | None = None  # epoch seconds: hidden from recall after, pruned at the next sleep
    supersedes: str | None = None  # the older engram this one revises
    superseded_by: str | None = None  # the newer engram that revises this one
    filtered_reason: str | None = None

    def __post_init__(self) -> None:
        # An index lends the engrams it holds their vectors as read-only views of its matrix
        # (one copy of each vector). A new engram made from one (dataclasses.replace) takes
        # its own copy: the index re-points only its own engrams when a row moves.
        vector = self.embedding
        if vector is not None and isinstance(getattr(vector, "base", None), np.ndarray) and not vector.flags.writeable:
            self.embedding = vector.copy()

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
