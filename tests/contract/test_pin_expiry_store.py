"""Every backend keeps version-4 fields and honours their forget-at: a pinned engram is
never pruned, an expiring one is pruned at its expiry, revision links survive."""

from __future__ import annotations

import math

from neuram_core.dynamics import forget_at_for
from neuram_core.types import LongTermStore
from tests.contract.support import engram

NS = "tenant"
NOW = 1_700_000_000.0


async def test_pin_expiry_and_revision_links_round_trip(store: LongTermStore) -> None:
    pinned = engram("pinned", pinned=True)
    expiring = engram("expiring", expires_at=NOW + 60.0)
    newer = engram("newer", supersedes="older")
    older = engram("older", superseded_by="newer")
    await store.put(NS, [(e, forget_at_for(e)) for e in (pinned, expiring, newer, older)])
    got = {e.engram_id: e for e in await store.get(NS, ["pinned", "expiring", "newer", "older"]) if e is not None}
    assert got["pinned"].pinned and not got["expiring"].pinned
    assert got["expiring"].expires_at == NOW + 60.0 and got["pinned"].expires_at is None
    assert (got["newer"].supersedes, got["older"].superseded_by) == ("older", "newer")
    assert {e.engram_id: e.pinned async for e in store.scan(NS)}["pinned"] is True


async def test_a_pinned_engram_is_never_pruned_and_an_expired_one_is(store: LongTermStore) -> None:
    pinned = engram("pinned", pinned=True, stability=0.001)  # would be long faded
    expiring = engram("expiring", expires_at=NOW + 60.0, stability=1e6)  # would last for ages
    assert forget_at_for(pinned) == math.inf
    await store.put(NS, [(e, forget_at_for(e)) for e in (pinned, expiring)])
    assert await store.prune(NS, NOW + 59.0, 100) == []
    assert await store.prune(NS, NOW + 61.0, 100) == ["expiring"]
    assert await store.prune(NS, NOW + 1e12, 100) == []
    assert [e.engram_id for e in await store.get(NS, ["pinned"]) if e is not None] == ["pinned"]
    assert await store.count(NS) == 1
