"""How a LangChain message becomes an engram and back, shared by every adapter.

An engram's ``content`` is the message's text (what gets embedded and recalled); its
metadata carries the role, the session, an ordering key and, when it serialises, the
whole message, so a history gives back exactly what it was given (tool calls included).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)

from neuram_core import Engram

__all__ = [
    "MESSAGE",
    "ROLE",
    "SEQ",
    "SESSION",
    "SUPERSEDED",
    "engram_to_message",
    "memory_block",
    "message_metadata",
    "message_text",
    "next_seq",
    "sort_key",
    "speaker_line",
    "whole_exchanges",
]

ROLE = "role"  # the message type: "human", "ai", "system", "tool", ...
SESSION = "session_id"
SEQ = "seq"  # ordering key inside a session: timestamps tie under a manual clock
MESSAGE = "message"  # the serialised message (langchain_core.messages.message_to_dict)
SUPERSEDED = "(out of date: revised by a later memory)"

_seq_lock = threading.Lock()
_last_seq = 0


def next_seq() -> int:
    """Strictly increasing in this process, and roughly wall-clock ordered across them."""
    global _last_seq
    with _seq_lock:
        _last_seq = max(time.time_ns(), _last_seq + 1)
        return _last_seq


def message_text(message: BaseMessage) -> str:
    """The text to remember a message by; tool calls are spelled out when there is none."""
    text = message.text.strip()
    if text:
        return text
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return "; ".join(f"tool call {c['name']}({json.dumps(c.get('args', {}), ensure_ascii=False)})" for c in calls)
    return f"({message.type} message)"


def message_metadata(
    message: BaseMessage, extra: dict[str, Any] | None = None, *, keep_message: bool = True
) -> dict[str, Any]:
    """Engram metadata for ``message``: role, ordering key, and the message itself."""
    meta: dict[str, Any] = {**(extra or {}), ROLE: message.type, SEQ: next_seq()}
    if keep_message:
        record = message_to_dict(message)
        try:  # a message holding something JSON cannot carry is kept as role + text only
            json.dumps(record, allow_nan=False)
        except (TypeError, ValueError):
            return meta
        meta[MESSAGE] = record
    return meta


def engram_to_message(engram: Engram) -> BaseMessage:
    """The message an engram was made from, or a plain one built from its role and text."""
    record = engram.metadata.get(MESSAGE)
    if isinstance(record, dict):
        try:
            return messages_from_dict([record])[0]
        except (KeyError, TypeError, ValueError):
            pass
    role = engram.metadata.get(ROLE)
    if role == "human":
        return HumanMessage(content=engram.content)
    if role == "ai":
        return AIMessage(content=engram.content)
    if role == "system" or role is None:
        return SystemMessage(content=engram.content)
    return ChatMessage(role=str(role), content=engram.content)


def whole_exchanges(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """``messages`` without the halves of a tool exchange whose other half has faded: an
    assistant's tool calls lacking one of their results (unless nothing but results follow
    it: an exchange still under way), and a result whose call is gone. Chat model APIs
    refuse a history holding either. Calls without an id cannot be matched and are kept."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}

    def broken(i: int, message: BaseMessage) -> bool:
        if not isinstance(message, AIMessage):
            return False
        missing = [c for c in message.tool_calls if c.get("id") is not None and c.get("id") not in answered]
        return bool(missing) and any(not isinstance(m, ToolMessage) for m in messages[i + 1 :])

    whole = [m for i, m in enumerate(messages) if not broken(i, m)]
    asked = {c.get("id") for m in whole if isinstance(m, AIMessage) for c in m.tool_calls}
    return [m for m in whole if not isinstance(m, ToolMessage) or m.tool_call_id in asked]


def speaker_line(engram: Engram, human_prefix: str = "Human", ai_prefix: str = "AI") -> str:
    """``"Human: ..."`` for a chat turn; the bare content for any other memory. A memory a
    later one revised says so, so a model does not take it for the current fact."""
    role = engram.metadata.get(ROLE)
    if role == "human":
        line = f"{human_prefix}: {engram.content}"
    elif role == "ai":
        line = f"{ai_prefix}: {engram.content}"
    else:
        line = engram.content
    return line if engram.superseded_by is None else f"{line} {SUPERSEDED}"


def memory_block(
    header: str,
    engrams: Sequence[Engram],
    human_prefix: str = "Human",
    ai_prefix: str = "AI",
) -> str:
    """A header and one ``- line`` per memory; empty when there is nothing to say."""
    if not engrams:
        return ""
    current_first = sorted(engrams, key=lambda e: e.superseded_by is not None)  # stable: else as given
    lines = [f"- {speaker_line(e, human_prefix, ai_prefix)}" for e in current_first]
    return "\n".join([header, *lines])


def sort_key(engram: Engram) -> tuple[int, float]:
    """Session order: the ordering key, then encoding time (a stable sort keeps the rest)."""
    seq = engram.metadata.get(SEQ)
    return (seq if isinstance(seq, int) else 0, engram.encoded_at)
