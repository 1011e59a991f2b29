"""An engram on the wire: the export format's fields (codec.py, the one place that knows
them) without the embedding, plus what a reader wants now (retention, why it was filtered).

The REST API, the MCP tools and RemoteBrain all use these two functions, so a field added
to the codec reaches every client with no change here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from neuram_core.codec import engram_from_export, engram_to_export
from neuram_core.dynamics import compute_retention
from neuram_core.engram import Engram

__all__ = ["WIRE_EXTRAS", "engram_from_wire", "engram_to_wire"]

WIRE_EXTRAS = ("retention", "filtered_reason", "forget_at")
"""Keys a wire engram carries beyond the export format's (``forget_at``: one memory's GET only)."""


def engram_to_wire(engram: Engram, now: float) -> dict[str, Any]:
    body = engram_to_export(dataclasses.replace(engram, embedding=None))
    body["retention"] = compute_retention(engram, now)
    body["filtered_reason"] = engram.filtered_reason
    return body


def engram_from_wire(body: dict[str, Any]) -> Engram:
    fields = {k: v for k, v in body.items() if k not in WIRE_EXTRAS}
    fields.setdefault("embedding", None)
    engram = engram_from_export(fields)
    engram.filtered_reason = body.get("filtered_reason")
    return engram
