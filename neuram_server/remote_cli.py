"""``neuram --url http://host:port [--api-key K] COMMAND``: the CLI through RemoteBrain.

``recall``, ``perceive`` and ``sleep`` run the CLI's own code on a RemoteBrain instead of a
Brain (so no model loads in the CLI process: the server embeds). The commands that read
and write the store directly when local (``stats``, ``list``, ``namespaces``, ``pin``,
``unpin``, ``forget``, ``export``, ``import``) are here, over the REST API, with the same
output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from neuram_core.cli import empty_namespace_note, engrams_phrase, forget_refusal, print_namespaces
from neuram_core.engram import Engram
from neuram_core.errors import UnknownEngramError
from neuram_server.remote import RemoteBrain

__all__ = ["COMMANDS", "RemoteCliError", "remote_brain"]


class RemoteCliError(Exception):
    """Reported as ``neuram: error: ...``, exit status 1 (the CLI's own CliError)."""


def remote_brain(args: argparse.Namespace) -> RemoteBrain:
    key = args.api_key or os.environ.get("NEURAM_API_KEY") or None
    return RemoteBrain(args.url, api_key=key, namespace=args.namespace)


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary(brain: RemoteBrain, engram: Engram) -> dict[str, Any]:
    return {
        "engram_id": engram.engram_id,
        "memory_type": engram.memory_type.value,
        "content": engram.content,
        "salience": engram.salience,
        "stability_hours": engram.stability,
        "retention": brain.retention(engram),
        "access_count": engram.access_count,
        "metadata": engram.metadata,
        "pinned": engram.pinned,
        "expires_at": engram.expires_at,
    }


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


async def _with(args: argparse.Namespace, work: Callable[[RemoteBrain], Coroutine[Any, Any, int]]) -> int:
    brain = remote_brain(args)
    try:
        return await work(brain)
    finally:
        await brain.close()


def _holds_nothing(stats: dict[str, Any]) -> bool:
    """Whether a namespace's stats count nothing at all (a mistyped one reads so)."""
    return not (stats["long_term"] or stats["pending"] or stats.get("fragments"))


async def cmd_stats(args: argparse.Namespace) -> int:
    async def work(brain: RemoteBrain) -> int:
        stats = await brain.stats()
        if _holds_nothing(stats):
            print(empty_namespace_note(args.namespace), file=sys.stderr)  # a typo'd -n reads as empty
        if args.json:
            _print_json({"server": brain.url, **stats})
            return 0
        print(f"server      {brain.url}")
        print(f"namespace   {stats['namespace']}")
        print(f"long-term   {stats['long_term']} engrams")
        print(f"pending     {stats['pending']} engrams (perceived, not yet consolidated by a sleep)")
        print("by type     " + ", ".join(f"{k} {v}" for k, v in stats["by_type"].items()))
        return 0

    return await _with(args, work)


async def cmd_list(args: argparse.Namespace) -> int:
    async def work(brain: RemoteBrain) -> int:
        found = sorted(await brain.list(args.type), key=lambda e: (e.encoded_at, e.engram_id))
        if not found and args.type is None and _holds_nothing(await brain.stats()):
            print(empty_namespace_note(args.namespace), file=sys.stderr)  # a typo'd -n reads as empty
        if args.limit is not None:
            found = found[-args.limit :] if args.limit else []
        if args.json:
            _print_json([_summary(brain, e) for e in found])
            return 0
        for engram in found:
            print(
                f"{engram.engram_id}  {engram.memory_type.value:<10}  R={brain.retention(engram):.2f}  "
                f"S={engram.stability:,.0f}h  {_short(engram.content)}"
            )
        return 0

    return await _with(args, work)


async def _set_pinned(args: argparse.Namespace, pinned: bool) -> int:
    verb = "pinned" if pinned else "unpinned"
    ids = list(dict.fromkeys(args.ids))

    async def work(brain: RemoteBrain) -> int:
        missing = []
        for engram_id in ids:  # every id first: an unknown one changes nothing
            try:
                await brain.get(engram_id)
            except UnknownEngramError:
                missing.append(engram_id)
        if missing:
            raise RemoteCliError(
                f"unknown engram id(s) in namespace {args.namespace!r}: {', '.join(missing)}; nothing was {verb}"
            )
        for engram_id in ids:
            engram = await (brain.pin(engram_id) if pinned else brain.unpin(engram_id))
            print(f"{verb}  {engram.engram_id}  {_short(engram.content)}")
        return 0

    return await _with(args, work)


async def cmd_pin(args: argparse.Namespace) -> int:
    return await _set_pinned(args, True)


async def cmd_unpin(args: argparse.Namespace) -> int:
    return await _set_pinned(args, False)


async def cmd_forget(args: argparse.Namespace) -> int:
    """As the local forget: every id is looked up first, so an unknown one or a fragment's
    forgets nothing (a long text's fragments go with it, on the server)."""

    async def work(brain: RemoteBrain) -> int:
        ids = list(dict.fromkeys(args.ids))
        found = [await _get(brain, i) for i in ids]
        refused = forget_refusal(args.namespace, ids, found)
        if refused is not None:
            raise RemoteCliError(refused)
        gone = sum([await brain.forget(i) for i in ids])
        print(f"forgot {gone}")
        return 0

    return await _with(args, work)


async def _get(brain: RemoteBrain, engram_id: str) -> Engram | None:
    try:
        return await brain.get(engram_id)
    except UnknownEngramError:
        return None


def _write_private(path: str, lines: list[str]) -> None:
    """Write ``path`` whole or not at all, readable by its user only (0600): it is memories."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with open(fd, "w", encoding="utf-8") as out:
        out.writelines(lines)
    os.replace(tmp, target)


def _read(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise RemoteCliError(f"cannot read {path}: {exc.strerror or exc}") from None


def _check_not_a_folder(path: str) -> None:
    if path != "-" and os.path.isdir(path):
        raise RemoteCliError(f"cannot write {path}: it is a folder; name a file in it")


def _counted(lines: list[str]) -> tuple[int, int]:
    """Engrams and fragments among export lines (the header and blank lines are neither)."""
    total = parts = 0
    for line in lines:
        if line.strip():
            try:
                record = json.loads(line.lstrip("\ufeff"))
            except ValueError:  # the server read the file; a line this cannot is only not counted
                continue
            if isinstance(record, dict) and "engram_id" in record:
                total += 1
                parts += record.get("fragment_of") is not None
    return total, parts


async def cmd_export(args: argparse.Namespace) -> int:
    _check_not_a_folder(args.file)

    async def work(brain: RemoteBrain) -> int:
        lines = await brain.export_lines()
        if args.file == "-":
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        else:
            _write_private(args.file, lines)
        total, parts = _counted(lines[1:])
        print(f"exported {engrams_phrase(total, parts)} from namespace {args.namespace!r}", file=sys.stderr)
        return 0

    return await _with(args, work)


async def cmd_import(args: argparse.Namespace) -> int:
    data = _read(args.file)

    async def work(brain: RemoteBrain) -> int:
        done = await brain.import_lines(data)
        if not done:
            print(f"nothing to import: {args.file} holds no engrams; nothing was written", file=sys.stderr)
        else:
            _, parts = _counted(data.decode("utf-8", errors="replace").splitlines())
            print(f"imported {engrams_phrase(done, parts)} into namespace {args.namespace!r}", file=sys.stderr)
        return 0

    return await _with(args, work)


async def cmd_namespaces(args: argparse.Namespace) -> int:
    async def work(brain: RemoteBrain) -> int:
        return print_namespaces(await brain.namespaces(), args.json)

    return await _with(args, work)


async def cmd_reembed(args: argparse.Namespace) -> int:
    raise RemoteCliError("reembed runs where the store is (give --store, not --url): it rewrites every vector")


COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "stats": cmd_stats,
    "list": cmd_list,
    "namespaces": cmd_namespaces,
    "pin": cmd_pin,
    "unpin": cmd_unpin,
    "forget": cmd_forget,
    "export": cmd_export,
    "import": cmd_import,
    "reembed": cmd_reembed,
}
