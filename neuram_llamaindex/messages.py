"""Helpers shared by the adapters: which chat messages the brain perceives, what to
recall for, and how recalled engrams read in a prompt. No I/O here: the one plan,
:func:`recall_lines`, only yields the brain calls its driver makes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from neuram_core import Engram
from neuram_core.plan import Plan
from neuram_core.recalled import RecallingBrain, look, rehearse_shown

__all__ = [
    "DEFAULT_MEMORY_PROMPT",
    "DEFAULT_TOP_K",
    "in_view",
    "memory_lines",
    "message_metadata",
    "message_text",
    "perceivable",
    "query_from",
    "recall_lines",
    "recall_size",
    "recent_window",
    "shown_memories",
]

DEFAULT_TOP_K = 5
DEFAULT_MEMORY_PROMPT = (
    "Long-term memories recalled for this conversation (most relevant first). "
    "Use them when they help; they may be out of date.\n{memories}"
)

# Instructions, not experiences: a system prompt is configuration, never a memory.
_UNPERCEIVED_ROLES = frozenset({MessageRole.SYSTEM, MessageRole.DEVELOPER})


def message_text(message: ChatMessage) -> str:
    """The text blocks of a message, stripped ("" for tool calls, images and the like)."""
    return (message.content or "").strip()


def perceivable(message: ChatMessage) -> str | None:
    """The text the brain should perceive from ``message``, or None to skip it."""
    if message.role in _UNPERCEIVED_ROLES:
        return None
    return message_text(message) or None


def message_metadata(message: ChatMessage) -> dict[str, Any]:
    """What an engram remembers about the message it came from."""
    return {"role": message.role.value}


def query_from(messages: Sequence[ChatMessage], input: str | ChatMessage | None = None) -> str:
    """What to recall for: the explicit input, else the latest user message, else the
    latest message with text ("" when there is nothing to ask about)."""
    if isinstance(input, ChatMessage):
        input = message_text(input)
    if input and input.strip():
        return input.strip()
    for role in (MessageRole.USER, None):
        for message in reversed(messages):
            text = message_text(message)
            if text and (role is None or message.role == role):
                return text
    return ""


def recent_window(messages: Sequence[ChatMessage], limit: int | None) -> list[ChatMessage]:
    """The last ``limit`` messages, starting at a user message so that no tool result
    loses the call it answers; a leading system message stays pinned."""
    messages = list(messages)
    if limit is None or len(messages) <= limit:
        return messages
    pinned = messages[:1] if messages[0].role == MessageRole.SYSTEM else []
    window = messages[len(messages) - limit :]
    starts = [i for i, m in enumerate(window) if m.role == MessageRole.USER]
    if starts:
        window = window[starts[0] :]
    else:
        # One turn longer than the limit: keep that whole turn rather than cut it.
        users = [i for i, m in enumerate(messages) if m.role == MessageRole.USER]
        window = messages[users[-1] :] if users else window
    return pinned + window


def in_view(messages: Sequence[ChatMessage]) -> list[str]:
    """The texts of ``messages`` the brain may hold: no need to recall them."""
    return [text for text in map(perceivable, messages) if text is not None]


def recall_size(top_k: int, visible: Sequence[str]) -> int:
    """Look at enough to show ``top_k`` engrams that are not already in view (looking
    leaves no trace: only what is shown is strengthened)."""
    return top_k + len(visible)


def shown_memories(recalled: Sequence[Engram], visible: Sequence[str], top_k: int) -> list[Engram]:
    """The recalled engrams to show, best first: none already visible in the chat, and
    one per wording (the same words heard from two speakers are two engrams but one line)."""
    shown: list[Engram] = []
    listed: set[str] = set()
    for engram in recalled:
        content = engram.content.strip()
        if not content or content in listed or any(content in text for text in visible):
            continue
        listed.add(content)
        shown.append(engram)
        if len(shown) == top_k:
            break
    return shown


def memory_lines(engrams: Sequence[Engram]) -> list[str]:
    """One bullet per engram, with the speaker when it has one."""
    lines: list[str] = []
    for engram in engrams:
        role = engram.metadata.get("role")
        body = engram.content.strip().replace("\n", "\n  ")
        lines.append(f"- {role}: {body}" if isinstance(role, str) and role else f"- {body}")
    return lines


def recall_lines(
    brain: RecallingBrain, query: str, visible: Sequence[str], top_k: int, min_relevance: float
) -> Plan[list[str]]:
    """The lines of the ``top_k`` memories ``query`` brings back that the chat does not
    already show and that stand out from chance (``min_relevance``); only those are
    strengthened (LTP), not the rest looked at."""
    found = yield from look(brain, query, top_k=recall_size(top_k, visible), min_relevance=min_relevance)
    shown = shown_memories([memory.engram for memory in found], visible, top_k)
    yield from rehearse_shown(brain, shown)
    return memory_lines(shown)
