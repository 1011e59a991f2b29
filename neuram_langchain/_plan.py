"""Adapter logic written once, run sync or async.

An adapter method is a generator (a *plan*) that yields the Brain calls it needs and
receives their results. :func:`run_sync` performs each call through ``brain.sync``;
:func:`run_async` awaits the Brain coroutine natively. So every adapter has one copy of
its logic, its async path never touches a thread, and its sync path never runs an event
loop of its own.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

from neuram_core import Brain

__all__ = ["BrainCall", "Plan", "call", "run_async", "run_sync"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BrainCall:
    """One Brain method call a plan asks for: ``brain.<method>(*args, **kwargs)``."""

    brain: Brain
    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


Plan: TypeAlias = Generator[BrainCall, Any, T]


def call(brain: Brain, method: str, /, *args: Any, **kwargs: Any) -> BrainCall:
    return BrainCall(brain, method, args, kwargs)


def run_sync(plan: Plan[T]) -> T:
    """Drive ``plan`` from sync code: each call goes through ``brain.sync``."""
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            step = plan.send(result) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        result, error = None, None
        try:
            result = getattr(step.brain.sync, step.method)(*step.args, **step.kwargs)
        except Exception as exc:  # handed back to the plan, which may handle it
            error = exc


async def run_async(plan: Plan[T]) -> T:
    """Drive ``plan`` from async code: each call awaits the Brain coroutine."""
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            step = plan.send(result) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        result, error = None, None
        try:
            result = await getattr(step.brain, step.method)(*step.args, **step.kwargs)
        except Exception as exc:
            error = exc
