"""BasalGanglia: habits, strengthened or weakened by a dopamine-style reward signal."""

from __future__ import annotations

from neuram_core.dynamics import apply_reward, forget_at_for
from neuram_core.engram import Engram, MemoryType
from neuram_core.errors import UnknownEngramError
from neuram_core.regions.longterm import LongTermRegion

__all__ = ["BasalGanglia"]


class BasalGanglia(LongTermRegion):
    """Habits and preferences; :meth:`reinforce` applies reward atomically in the store."""

    memory_types = frozenset({MemoryType.HABITUAL})

    async def reinforce(self, engram_id: str, reward: float) -> Engram:
        """Scale a stored memory's stability by e^(gain·reward); negative reward weakens it.
        A pending trace stays pending (and keeps its own forget-at threshold)."""
        config = self.config

        def change(engram: Engram) -> tuple[Engram, float]:
            rewarded = apply_reward(engram, reward, config)
            return rewarded, forget_at_for(rewarded, config)

        [result] = await self.store.update(self.namespace, [engram_id], change)
        if result is None:
            raise UnknownEngramError(engram_id)
        return result
