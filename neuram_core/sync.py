"""SyncBrain: the blocking face of a Brain, written once over the async core.

Each method submits the Brain's coroutine to the Brain's private loop thread and waits,
so it works from plain scripts and from sync code inside a running loop (Jupyter).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from neuram_core.brain import Brain
from neuram_core.engram import Engram

__all__ = ["SyncBrain"]

P = ParamSpec("P")
R = TypeVar("R")


def _blocking(
    method: Callable[Concatenate[Brain, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[SyncBrain, P], R]:
    def call(self: SyncBrain, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.brain.call_blocking(method(self.brain, *args, **kwargs))

    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


class SyncBrain:
    """``brain.sync``: every Brain coroutine as a blocking call."""

    __slots__ = ("brain",)

    def __init__(self, brain: Brain) -> None:
        self.brain = brain

    perceive = _blocking(Brain.perceive)
    perceive_many = _blocking(Brain.perceive_many)
    recall = _blocking(Brain.recall)
    activations = _blocking(Brain.activations)
    explain = _blocking(Brain.explain)
    rehearse = _blocking(Brain.rehearse)
    get = _blocking(Brain.get)
    list = _blocking(Brain.list)
    listing = _blocking(Brain.listing)
    forget = _blocking(Brain.forget)
    reinforce = _blocking(Brain.reinforce)
    pin = _blocking(Brain.pin)
    unpin = _blocking(Brain.unpin)
    focus = _blocking(Brain.focus)
    sleep = _blocking(Brain.sleep)
    start_sleep_cycle = _blocking(Brain.start_sleep_cycle)
    stop_sleep_cycle = _blocking(Brain.stop_sleep_cycle)
    clear = _blocking(Brain.clear)
    stats = _blocking(Brain.stats)
    namespaces = _blocking(Brain.namespaces)
    ping = _blocking(Brain.ping)

    def close(self) -> None:
        """Close the brain (the loop thread stops; the store is closed)."""
        self.brain.close_blocking()

    @property
    def working_memory(self) -> builtins.list[Engram]:
        return self.brain.working_memory

    def __enter__(self) -> SyncBrain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
