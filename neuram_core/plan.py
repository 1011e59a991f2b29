"""Adapter logic written once, run sync or async.

An adapter method is a generator (a *plan*) that yields the brain calls it needs and
receives their results. :func:`run_sync` performs each call through ``brain.sync``;
:func:`run_async` awaits the brain's coroutine natively. So every adapter has one copy of
its logic, its async path never touches a thread, and its sync path never runs an event
loop of its own.

A plan may ``try``/``except`` around a ``yield``: a call's exception is thrown back into
the plan at that point, from either driver. Any object with async methods and a ``.sync``
facade of the same names (a :class:`~neuram_core.Brain`, or a remote client shaped like
one) can be the target of a call.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, TypeVar

__all__ = ["BrainCall", "BrainLike", "Plan", "call", "run_async", "run_sync"]

T = TypeVar("T")


class BrainLike(Protocol):
    """What a plan can call: async methods, plus a ``sync`` facade with the same names."""

    @property
    def sync(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class BrainCall:
    """One call a plan asks for: ``brain.<method>(*args, **kwargs)``."""

    brain: BrainLike
    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


Plan: TypeAlias = Generator[BrainCall, Any, T]


def call(brain: BrainLike, method: str, /, *args: Any, **kwargs: Any) -> BrainCall:
    """The step ``yield call(brain, "recall", query)``: its value is the call's result."""
    if not isinstance(method, str) or not method.isidentifier() or method.startswith("_"):
        raise ValueError(f"method must be a public method name, got {method!r}")
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
    """Drive ``plan`` from async code: each call awaits the brain's coroutine."""
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
        except Exception as exc:  # handed back to the plan, which may handle it
            error = exc
