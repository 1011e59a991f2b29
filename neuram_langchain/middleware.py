"""NeuramMiddleware: long-term memory for LangChain 1.x agents.

``create_agent(model, tools, middleware=[NeuramMiddleware(brain=brain)])``: before each
model call the brain recalls what it holds about the latest user message and the
memories are appended to the system message (the request only: the agent state is not
changed); after the run the new user and assistant turns are perceived, through the
Thalamus, so the next run (any thread) can recall them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, NotRequired

from langchain.agents.middleware.types import (
    AgentMiddleware,
    AgentState,
    ModelRequest,
    ModelResponse,
    PrivateStateAttr,
)
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime

from neuram_core import MemoryType
from neuram_core.api import BrainAPI
from neuram_core.plan import Plan, call, run_async, run_sync
from neuram_core.recalled import PROMPT_MIN_RELEVANCE, rehearse_shown
from neuram_core.validation import check_non_negative
from neuram_langchain.messages import ROLE, memory_block

__all__ = ["NeuramMiddleware", "NeuramState"]

DEFAULT_HEADER = "Relevant memories from earlier conversations:"


class NeuramState(AgentState[Any]):
    """Agent state plus the ids of the messages already perceived in this thread."""

    neuram_perceived: NotRequired[Annotated[list[str], PrivateStateAttr]]


class NeuramMiddleware(AgentMiddleware[NeuramState, Any]):
    """Recall into the system message before each model call; perceive after the run.

    ``k`` memories are recalled per model call (``memory_type`` narrows them); they are
    strengthened (LTP) once per user turn, at its first model call, and only those shown;
    ``perceive=False`` only recalls (nothing of the run is perceived). Perceived turns carry ``role``,
    ``source="agent"`` and, when the run has one, ``thread_id`` in their metadata.
    """

    state_schema = NeuramState

    def __init__(
        self,
        brain: BrainAPI,
        *,
        k: int = 4,
        memory_type: MemoryType | str | None = None,
        header: str = DEFAULT_HEADER,
        perceive: bool = True,
        metadata: dict[str, Any] | None = None,
        min_relevance: float = PROMPT_MIN_RELEVANCE,
    ) -> None:
        super().__init__()
        if not isinstance(brain, BrainAPI):
            raise TypeError(f"brain must be a neuram Brain or RemoteBrain, not {type(brain).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ValueError(f"k must be an int >= 0, got {k!r}")
        self.brain = brain
        self.k = k
        self.memory_type = None if memory_type is None else MemoryType.parse(memory_type)
        self.header = header
        self.perceive = perceive
        self.metadata = dict(metadata or {})
        self.min_relevance = check_non_negative(min_relevance, "min_relevance")
        self.tools = []

    # -- the logic, once ----------------------------------------------------------------------
    def _recall(self, request: ModelRequest[Any]) -> Plan[ModelRequest[Any]]:
        query = _latest_user_text(request.messages)
        if not query or self.k == 0:
            return request
        # Memories of messages the request already carries (this thread's earlier turns,
        # with a checkpointer) would only repeat them: skip those, keep k others.
        in_request = {m.id for m in request.messages if m.id is not None}
        hits = yield call(
            self.brain,
            "recall",
            query,
            top_k=2 * self.k,
            memory_type=self.memory_type,
            strengthen=False,
            min_relevance=self.min_relevance,
        )
        shown = [e for e, _ in hits if e.metadata.get("message_id") not in in_request][: self.k]
        block = memory_block(self.header, shown, "User", "Assistant")
        if not block:
            return request
        # LTP once per user turn, on what the model is shown: the tool loop's later model
        # calls (the last message is then a tool result) see the same memories, untouched.
        if isinstance(request.messages[-1], HumanMessage):
            # One forgotten meanwhile by another process is still shown, its LTP skipped.
            yield from rehearse_shown(self.brain, shown)
        return request.override(system_message=_with_block(request.system_message, block))

    def _perceive(self, state: NeuramState) -> Plan[dict[str, Any] | None]:
        messages = state.get("messages", [])
        seen = list(state.get("neuram_perceived", []))
        known = set(seen)
        new = [m for m in messages if m.id is None or m.id not in known]
        if not new:
            return None
        if self.perceive:
            extra = {**self.metadata, "source": "agent"}
            thread_id = _thread_id()
            if thread_id is not None:
                extra["thread_id"] = thread_id
            for message in new:
                if isinstance(message, HumanMessage | AIMessage) and message.text.strip():
                    meta: dict[str, Any] = {**extra, ROLE: message.type}
                    if message.id is not None:
                        meta["message_id"] = message.id
                    yield call(self.brain, "perceive", message.text, metadata=meta)
        return {"neuram_perceived": seen + [m.id for m in new if m.id is not None]}

    # -- hooks -----------------------------------------------------------------------------------
    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        return handler(run_sync(self._recall(request)))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        return await handler(await run_async(self._recall(request)))

    def after_agent(self, state: NeuramState, runtime: Runtime[Any]) -> dict[str, Any] | None:
        return run_sync(self._perceive(state))

    async def aafter_agent(self, state: NeuramState, runtime: Runtime[Any]) -> dict[str, Any] | None:
        return await run_async(self._perceive(state))


def _latest_user_text(messages: Sequence[AnyMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text.strip()
    return ""


def _with_block(system: SystemMessage | None, block: str) -> SystemMessage:
    """The system message with the memory block appended (a new message; the original,
    which may be shared, is left alone)."""
    if system is None:
        return SystemMessage(content=block)
    if isinstance(system.content, str):
        content: Any = f"{system.content}\n\n{block}" if system.content else block
    else:
        content = [*system.content, {"type": "text", "text": block}]
    return system.model_copy(update={"content": content})


def _thread_id() -> str | None:
    try:
        configurable = get_config().get("configurable") or {}
    except RuntimeError:  # not inside a runnable
        return None
    thread_id = configurable.get("thread_id")
    return None if thread_id is None else str(thread_id)
