"""SleepCycle.listeners: told what every cycle did; a failing one never fails the cycle."""

from __future__ import annotations

from neuram_core.brain import Brain


async def test_listeners_hear_each_cycle_and_cannot_break_it(brain: Brain) -> None:
    heard: list[dict[str, int]] = []

    def broken(done: dict[str, int]) -> None:
        raise RuntimeError("an observer's bug")

    brain.sleep_cycle.listeners += [broken, heard.append]
    await brain.perceive("Ada adopted a grey cat named Turing", gate=False)
    done = await brain.sleep()
    assert done["consolidated"] == 1
    assert heard == [done]
    heard[0]["consolidated"] = 99  # each listener gets its own copy
    assert done["consolidated"] == 1
