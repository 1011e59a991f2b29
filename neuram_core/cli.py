"""The ``neuram`` command: look at and handle a memory store from the shell.

    neuram [--store URL | --redis-url URL | --path FILE] [--namespace NS] COMMAND ...

Commands: ``stats``, ``list``, ``namespaces``, ``recall``, ``perceive``, ``sleep``,
``pin``, ``unpin``, ``forget``, ``export``, ``import`` and ``reembed`` (which moves a
namespace to another embedding model).
``--store`` takes any store URL :func:`~neuram_core.stores.open_store` knows
(``sqlite:///memory.db``, ``redis://host:6379/0``, a plugin's scheme); the embedded
SQLite store's default file is the default. Only ``perceive``, ``recall`` and ``reembed``
embed text, so only they load the embedding model; the others read and write the store
directly. ``export`` writes JSON Lines, one engram per line with every field (floats
exactly, the embedding as base64 of its little-endian float32 bytes; the format is
:mod:`neuram_core.codec`'s, with its schema version); ``import`` validates
the whole file before it writes anything, then writes it in one atomic put.
Only ``perceive`` and ``import`` create a store that does not exist; the other commands
say so and create nothing, so a mistyped ``--path`` never leaves an empty store behind.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import sys
import textwrap
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from tqdm import tqdm

from neuram_core import progress as progress_bars
from neuram_core.clock import SystemClock
from neuram_core.codec import dangling_fragment, engram_from_export, engram_to_export
from neuram_core.config import NeuramConfig
from neuram_core.dynamics import compute_retention, forget_at_for
from neuram_core.engram import Engram, MemoryType
from neuram_core.errors import NeuramError
from neuram_core.explain import Explanation
from neuram_core.identity import DEFAULT_BATCH, DIMENSION, EMBEDDER, REEMBEDDING
from neuram_core.regions import LONG_TERM_REGIONS, region_class_for
from neuram_core.stores import SQLiteStore, open_store
from neuram_core.types import DerivedDataStore, Embedder, LongTermStore
from neuram_core.validation import check_namespace, check_text

__all__ = ["CliError", "main"]

PROG = "neuram"
# Which long-term system holds each memory type (as the sleep cycle routes them).
_HISTOGRAM_BINS = 10
_BAR_WIDTH = 40
# The commands that add memories, so make a store that does not exist yet; every other
# command only finds one.
_CREATES = frozenset({"perceive", "import"})
# Commands of the server extra (neuram_server), imported lazily.
_SERVER_COMMANDS = frozenset({"serve", "mcp", "hash-key", "explore"})


class CliError(Exception):
    """A failure to report on stderr as ``neuram: error: ...`` with exit status 1."""


# The first line of an export: which namespace it came from and which embedder made its
# vectors, so that an import never mixes two models' vectors in one namespace.
EXPORT_HEADER = "neuram_export"


def read_export(path: str, *, progress: bool = False) -> tuple[list[Engram], dict[str, Any]]:
    """Parse and validate a whole JSON Lines export, and its header (empty for an export
    written before it had one); the first bad line raises CliError."""
    header: dict[str, Any] = {}
    try:
        handle: IO[str] = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    engrams: list[Engram] = []
    seen: dict[str, int] = {}
    dimension: tuple[int, int] | None = None  # (dimension, line it was first seen on)
    try:
        lines = tqdm(handle, desc="reading", unit=" lines", disable=not progress, file=sys.stderr)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if not engrams and not seen and not header and line.lstrip().startswith(f'{{"{EXPORT_HEADER}"'):
                header = _export_header(path, number, line)
                continue
            try:
                engram = engram_from_export(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CliError(f"{path}, line {number}: not valid JSON ({exc.msg}); nothing was imported") from None
            except (ValueError, TypeError) as exc:
                raise CliError(f"{path}, line {number}: {exc}; nothing was imported") from None
            if engram.engram_id in seen:
                raise CliError(
                    f"{path}, line {number}: engram_id {engram.engram_id!r} repeats line {seen[engram.engram_id]}; "
                    "nothing was imported"
                )
            seen[engram.engram_id] = number
            if engram.embedding is not None:
                if dimension is None:
                    dimension = (engram.embedding.shape[0], number)
                elif engram.embedding.shape[0] != dimension[0]:
                    raise CliError(
                        f"{path}, line {number}: embedding has {engram.embedding.shape[0]} dimensions, "
                        f"line {dimension[1]} has {dimension[0]}; nothing was imported"
                    )
            engrams.append(engram)
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text ({exc.reason}); nothing was imported") from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        if handle is not sys.stdin:
            handle.close()
    orphan = dangling_fragment(engrams)
    if orphan is not None:
        raise CliError(
            f"{path}, line {seen[orphan.engram_id]}: a fragment of {orphan.fragment_of!r}, which the file does not "
            "hold; nothing was imported"
        )
    return engrams, header


def _export_header(path: str, number: int, line: str) -> dict[str, Any]:
    """The header line's object: the embedder's name (or null) and dimension (or null)."""
    try:
        header = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}, line {number}: not valid JSON ({exc.msg}); nothing was imported") from None
    embedder, dimension = header.get("embedder"), header.get("dimension")
    if not (embedder is None or isinstance(embedder, str)) or not (
        dimension is None or (isinstance(dimension, int) and not isinstance(dimension, bool) and dimension > 0)
    ):
        raise CliError(f"{path}, line {number}: the export header's embedder or dimension is malformed")
    return {"embedder": embedder, "dimension": dimension}


# -- opening things --------------------------------------------------------------------------
def _store_of(args: argparse.Namespace) -> LongTermStore:
    """The store the global options name: ``--store URL``, or its older spellings
    ``--redis-url`` (which also takes ``unix://``) and ``--path``; else the default file."""
    if args.store is not None:
        store = open_store(args.store)
    elif args.redis_url is not None:
        from neuram_core.stores.redis import RedisStore

        return RedisStore.from_url(args.redis_url)
    else:
        store = SQLiteStore(None if args.path is None else os.path.expanduser(args.path))
    if isinstance(store, SQLiteStore) and args.command not in _CREATES:
        _must_exist(store)
    return store


def _must_exist(store: SQLiteStore) -> None:
    """A command that only finds a store must not create one (a mistyped path would
    otherwise answer from a new, empty file, and leave it behind)."""
    if store.path != ":memory:" and not os.path.exists(store.path):
        raise CliError(f"no store at {store.path}; nothing was created (perceive or import creates one)")
    store.create = False  # and should it vanish before it opens, SQLite must not make it either


def _embedder(spec: str | None) -> Embedder | str | None:
    """The embedder ``--embedder`` names: ``hashing`` or ``hashing-N`` (as an error names it),
    a sentence-transformers model name or path; None, the default model."""
    if spec is not None and (spec == "hashing" or spec.startswith("hashing-")):
        from neuram_core.embeddings import HashingEmbedder

        size = spec.partition("-")[2]
        if size and not size.isdigit():
            raise CliError(f"--embedder {spec}: hashing-N takes a dimension, e.g. hashing-384")
        return HashingEmbedder(int(size)) if size else HashingEmbedder()
    from neuram_core.embeddings import resolve_model_path

    # A model on disk needs no hub: skip its network round trips, and keep stderr quiet.
    if Path(resolve_model_path(spec)).is_dir():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    return spec  # None: the default model; else a model name or path


async def _with_store(args: argparse.Namespace, work: Callable[[LongTermStore], Awaitable[int]]) -> int:
    store = _store_of(args)
    try:
        return await work(store)
    finally:
        await store.close()


async def _with_brain(args: argparse.Namespace, work: Callable[[Any], Awaitable[int]]) -> int:
    if args.url is not None:  # a server's brain (RemoteBrain): the server embeds, no model loads here
        brain_there = _remote_cli().remote_brain(args)
        try:
            return await work(brain_there)
        finally:
            await brain_there.close()
    from neuram_core.brain import Brain

    brain = await Brain.create(store=_store_of(args), namespace=args.namespace, embedder=_embedder(args.embedder))
    try:
        return await work(brain)
    finally:
        await brain.close()


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars go to stderr, on a terminal only unless forced (the library's rule)."""
    return progress_bars.wanted(args.progress)


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- commands -----------------------------------------------------------------------------
async def cmd_stats(args: argparse.Namespace) -> int:
    async def work(store: LongTermStore) -> int:
        now = SystemClock().now()
        config = NeuramConfig()
        threshold = config.retention_threshold
        total = await store.count(args.namespace)
        if not total:
            print(empty_namespace_note(args.namespace), file=sys.stderr)  # a typo'd -n reads as empty
        by_type: Counter[str] = Counter()
        by_region: Counter[str] = Counter()
        bins = [0] * _HISTOGRAM_BINS
        due = pending = parts = 0
        bar = tqdm(total=total, desc="scanning", unit=" engrams", disable=not _progress(args), file=sys.stderr)
        async for engram in store.scan(args.namespace):
            bar.update()
            if engram.fragment_of is not None:  # part of a long text, counted apart
                parts += 1
                continue
            by_type[engram.memory_type.value] += 1
            value = compute_retention(engram, now)
            bins[min(int(value * _HISTOGRAM_BINS), _HISTOGRAM_BINS - 1)] += 1
            due += forget_at_for(engram, config) <= now
            if engram.consolidated:
                by_region[region_class_for(engram.memory_type).__name__] += 1
            else:
                pending += 1
        bar.close()
        corrupt = getattr(store, "corrupt_records", 0)
        regions = {region.__name__: by_region[region.__name__] for region in LONG_TERM_REGIONS}
        types = {t.value: by_type[t.value] for t in MemoryType}
        histogram = [
            {"from": i / _HISTOGRAM_BINS, "to": (i + 1) / _HISTOGRAM_BINS, "count": n} for i, n in enumerate(bins)
        ]
        if args.json:
            _print_json(
                {
                    "store": repr(store),
                    "namespace": args.namespace,
                    "long_term": total - pending - parts,
                    "pending": pending,
                    "fragments": parts,
                    "by_region": regions,
                    "by_type": types,
                    "retention_histogram": histogram,
                    "due_for_pruning": due,
                    "corrupt_records": corrupt,
                }
            )
            return 0
        print(f"store       {store!r}")
        print(f"namespace   {args.namespace}")
        print(f"long-term   {total - pending - parts} engrams")
        print(f"pending     {pending} engrams (perceived, not yet consolidated by a sleep)")
        if parts:
            print(f"fragments   {parts} (parts of long texts, each cueing its whole)")
        print("by region   " + ", ".join(f"{k} {v}" for k, v in regions.items()))
        print("by type     " + ", ".join(f"{k} {v}" for k, v in types.items()))
        print("retention now:")
        peak = max(bins) or 1
        for row in reversed(histogram):
            bar = "█" * math.ceil(_BAR_WIDTH * row["count"] / peak) if row["count"] else ""
            print(f"  {row['from']:4.0%}–{row['to']:<4.0%} {row['count']:>7}  {bar}".rstrip())
        print(
            f"due for pruning at the next sleep (retention < {threshold:.0%}, "
            f"pending < {config.consolidation_threshold:.0%}): {due}"
        )
        if corrupt:
            print(f"corrupt records skipped: {corrupt}")
        return 0

    return await _with_store(args, work)


async def cmd_list(args: argparse.Namespace) -> int:
    kind = None if args.type is None else MemoryType.parse(args.type)

    async def work(store: LongTermStore) -> int:
        now = SystemClock().now()
        found = [
            e
            async for e in store.scan(args.namespace)
            if (kind is None or e.memory_type is kind) and e.fragment_of is None  # a fragment is part of its whole
        ]
        found.sort(key=lambda e: (e.encoded_at, e.engram_id))
        if args.limit is not None:
            found = found[-args.limit :] if args.limit else []
        if not found and kind is None and not await store.count(args.namespace):
            print(empty_namespace_note(args.namespace), file=sys.stderr)  # a typo'd -n reads as empty
        if args.json:
            _print_json([_summary(e, now) for e in found])
            return 0
        for engram in found:
            print(
                f"{engram.engram_id}  {engram.memory_type.value:<10}  R={compute_retention(engram, now):.2f}  "
                f"S={engram.stability:,.0f}h  {_short(engram.content)}"
            )
        return 0

    return await _with_store(args, work)


def empty_namespace_note(namespace: str) -> str:
    """What list and stats say of a namespace that holds nothing: a mistyped one reads as
    empty."""
    return f"{PROG}: namespace {namespace!r} holds no memories ('{PROG} namespaces' lists the ones that do)"


def print_namespaces(names: list[str], as_json: bool) -> int:
    """``namespaces``' output, local or through a server: sorted, one per line or JSON."""
    names = sorted(names)
    if as_json:
        _print_json(names)
    else:
        for name in names:
            print(name)
    return 0


async def cmd_namespaces(args: argparse.Namespace) -> int:
    async def work(store: LongTermStore) -> int:
        return print_namespaces(await store.namespaces(), args.json)

    return await _with_store(args, work)


def _summary(engram: Engram, now: float) -> dict[str, Any]:
    return {
        "engram_id": engram.engram_id,
        "memory_type": engram.memory_type.value,
        "content": engram.content,
        "salience": engram.salience,
        "stability_hours": engram.stability,
        "retention": compute_retention(engram, now),
        "access_count": engram.access_count,
        "metadata": engram.metadata,
        "pinned": engram.pinned,
        "expires_at": engram.expires_at,
    }


async def cmd_recall(args: argparse.Namespace) -> int:
    check_text(args.query, "the query")  # before the model loads

    async def work(brain: Any) -> int:
        if args.explain:
            return await _explain(brain, args)
        results = await brain.recall(args.query, top_k=args.top_k, memory_type=args.type)
        now = brain.clock.now()
        if args.json:
            _print_json([{**_summary(e, now), "score": s} for e, s in results])
            return 0
        if not results:
            print("nothing recalled")
        for engram, score in results:
            print(f"{score:.3f}  {engram.memory_type.value:<10}  {engram.engram_id}  {_short(engram.content)}")
        return 0

    return await _with_brain(args, work)


async def _explain(brain: Any, args: argparse.Namespace) -> int:
    """recall --explain: what recall returns, each with the parts of its score; what is
    shown is strengthened as a recall would."""
    explained = await brain.explain(args.query, top_k=args.top_k, memory_type=args.type)
    await brain.rehearse([x.engram.engram_id for x in explained])
    now = brain.clock.now()
    if args.json:
        _print_json([{**_summary(x.engram, now), **x.as_dict()} for x in explained])
        return 0
    if not explained:
        print("nothing recalled")
    for x in explained:
        print("\n".join(explained_lines(x)))
    return 0


def explained_lines(x: Explanation) -> list[str]:
    """How ``neuram recall --explain`` shows one result: the memory, the parts of its
    score, and the passage of a long text the cue matched (only when it matched at all)."""
    engram = x.engram
    lines = [f"{x.score:.3f}  {engram.memory_type.value:<10}  {engram.engram_id}  {_short(engram.content)}"]
    parts = f"dense {x.similarity:.3f} + words {x.lexical:.3f} + spread {x.spread:.3f}"
    if x.spread_from is not None:
        via = "" if x.spread_via in (None, x.spread_from) else f" via {x.spread_via}"  # one hop: no "via" itself
        parts += f" (from {x.spread_from}{via}, edge {x.spread_weight:.2f})"
    parts += f" = {x.activation:.3f}; × retention {x.retention:.2f} (factor {x.retention_factor:.3f})"
    if x.superseded_factor != 1.0:
        parts += f" × superseded {x.superseded_factor:.2f}"
    lines.append(f"       {parts}")
    if x.fragment_id is not None and x.similarity + x.lexical >= 0.0005:  # a match that shows as 0.000 is none
        # The whole passage (a fragment is at most fragment_words words): the sentence that
        # matched may be its last.
        passage = textwrap.wrap(" ".join((x.fragment_content or "").split()), width=90) or [""]
        lines.append(f"       matched in its fragment {x.fragment_id}: {passage[0]}")
        lines += [f"         {line}" for line in passage[1:]]
    return lines


async def cmd_perceive(args: argparse.Namespace) -> int:
    metadata = args.metadata
    text = _text_to_perceive(args.text)

    async def work(brain: Any) -> int:
        engram = await brain.perceive(
            text,
            memory_type=args.type,
            salience=args.salience,
            reward=args.reward,
            metadata=metadata,
            gate=not args.no_gate,
            consolidate=True,  # a command-line process has no later sleep: store it now
            engram_id=args.id,
            pinned=args.pinned,
            at=args.at,
            expires_at=args.expires_at,
        )
        if engram.filtered:
            raise CliError(
                f"not stored: the Thalamus filtered it ({engram.filtered_reason}); pass --no-gate to store it anyway"
            )
        if args.json:
            _print_json(_summary(engram, brain.clock.now()))
        else:
            print(
                f"{engram.engram_id}  {engram.memory_type.value}  S={engram.stability:,.0f}h  {_short(engram.content)}"
            )
        retention = compute_retention(engram, brain.clock.now())
        if not engram.pinned and retention < NeuramConfig().retention_threshold:  # history told late has faded
            print(
                f"{PROG}: warning: told as of --at, it has already faded (retention {retention:.2f}): the next "
                "sleep prunes it; perceive it with --pinned to keep it",
                file=sys.stderr,
            )
        return 0

    return await _with_brain(args, work)


def _text_to_perceive(argument: str) -> str:
    """The argument, or for ``-`` all of stdin (a long note does not fit in an argument),
    without its trailing newlines; checked before the model loads."""
    if argument == "-":
        data = sys.stdin.buffer.read()
        try:
            argument = data.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise CliError(f"the text on stdin is not valid UTF-8 text at byte {exc.start}") from None
    return check_text(argument, "the text")


def _namespace(raw: str) -> str:
    """--namespace's value, checked for every command (an empty one is a bad option)."""
    try:
        return check_namespace(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _metadata(raw: str) -> dict[str, Any]:
    """--metadata's value: a JSON object (a bad one is a bad option, exit status 2)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"--metadata is not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--metadata must be a JSON object")
    return value


async def cmd_sleep(args: argparse.Namespace) -> int:
    async def work(brain: Any) -> int:
        report = await brain.sleep()
        if args.json:
            _print_json(report)
        elif report.get("locked_out"):
            print("another process is sleeping on this namespace; nothing done")
        else:
            print(", ".join(f"{k} {v}" for k, v in report.items() if k != "locked_out"))
        return 0

    return await _with_brain(args, work)


async def cmd_pin(args: argparse.Namespace) -> int:
    return await _set_pinned(args, True)


async def cmd_unpin(args: argparse.Namespace) -> int:
    return await _set_pinned(args, False)


async def _set_pinned(args: argparse.Namespace, pinned: bool) -> int:
    """pin / unpin by id, in the store (no model loads): every id is looked up first, so
    an unknown one changes nothing; then all in one atomic update, forget-at included."""
    verb = "pinned" if pinned else "unpinned"
    for engram_id in args.ids:
        if not engram_id.strip():
            raise CliError("an engram id must not be empty")
    ids = list(dict.fromkeys(args.ids))
    config = NeuramConfig()

    def change(engram: Engram) -> tuple[Engram, float]:
        marked = dataclasses.replace(engram, pinned=pinned)
        return marked, forget_at_for(marked, config)

    async def work(store: LongTermStore) -> int:
        found = await store.get(args.namespace, ids)
        missing = [i for i, e in zip(ids, found, strict=True) if e is None]
        if missing:
            raise CliError(
                f"unknown engram id(s) in namespace {args.namespace!r}: {', '.join(missing)}; nothing was {verb}"
            )
        for engram in await store.update(args.namespace, ids, change):
            if engram is not None:  # None: forgotten by another process meanwhile
                print(f"{verb}  {engram.engram_id}  {_short(engram.content)}")
        return 0

    return await _with_store(args, work)


def forget_refusal(namespace: str, ids: list[str], found: Sequence[Engram | None]) -> str | None:
    """Why forgetting ``ids`` (looked up as ``found``) forgets nothing: an unknown id, or a
    fragment's (a long text is forgotten whole); None when all may go. Local and remote
    ``forget`` refuse alike."""
    missing = [i for i, e in zip(ids, found, strict=True) if e is None]
    if missing:
        return f"unknown engram id(s) in namespace {namespace!r}: {', '.join(missing)}; nothing was forgotten"
    for engram in found:
        if engram is not None and engram.fragment_of is not None:
            return f"{engram.engram_id} is a fragment of {engram.fragment_of}: forget that; nothing was forgotten"
    return None


async def cmd_forget(args: argparse.Namespace) -> int:
    """forget by id, as ``Brain.forget`` does: every id is looked up first, so an unknown
    one or a fragment's (a long text is forgotten whole) forgets nothing; a long text's
    fragments go with it."""

    async def work(store: LongTermStore) -> int:
        ids = list(dict.fromkeys(args.ids))
        found = await store.get(args.namespace, ids)
        refused = forget_refusal(args.namespace, ids, found)
        if refused is not None:
            raise CliError(refused)
        wholes = {e.engram_id: e for e in found if e is not None}
        listed = [part for e in wholes.values() for part in e.fragments]  # a long text's fragments go with it
        stored = await store.get(args.namespace, listed)
        parts = [e.engram_id for e in stored if e is not None and e.fragment_of in wholes]
        gone = await store.delete(args.namespace, ids)
        if parts:
            await store.delete(args.namespace, parts)
        print(f"forgot {gone}")
        return 0

    for engram_id in args.ids:
        if not engram_id.strip():
            raise CliError("an engram id must not be empty")
    return await _with_store(args, work)


def engrams_phrase(total: int, parts: int) -> str:
    """A count of engrams as list and stats count memories: a long text's fragments apart."""
    if not parts:
        return f"{total} engrams"
    return f"{total} engrams ({total - parts} memories and {parts} fragments of them)"


async def cmd_export(args: argparse.Namespace) -> int:
    async def work(store: LongTermStore) -> int:
        total = await store.count(args.namespace)
        out: IO[str]
        target = Path(args.file)
        _check_not_a_folder(args.file)
        tmp = target.with_name(f".{target.name}.partial") if args.file != "-" else None
        try:
            out = sys.stdout if tmp is None else _open_for_writing(tmp)
        except OSError as exc:
            raise CliError(f"cannot write {args.file}: {exc.strerror or exc}") from None
        written = parts = 0
        info = await store.get_info(args.namespace)
        header = {EXPORT_HEADER: 1, "namespace": args.namespace, "embedder": info.get(EMBEDDER)}
        header["dimension"] = info.get(DIMENSION)
        try:
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            bar = tqdm(total=total, desc="exporting", unit=" engrams", disable=not _progress(args), file=sys.stderr)
            async for engram in store.scan(args.namespace):
                out.write(json.dumps(engram_to_export(engram), ensure_ascii=False, allow_nan=False) + "\n")
                written += 1
                parts += engram.fragment_of is not None
                bar.update()
            bar.close()
        except BaseException:
            if tmp is not None:
                out.close()
                tmp.unlink(missing_ok=True)
            raise
        if tmp is not None:
            out.close()
            os.replace(tmp, target)
        else:
            out.flush()
        print(f"exported {engrams_phrase(written, parts)} from namespace {args.namespace!r}", file=sys.stderr)
        corrupt = getattr(store, "corrupt_records", 0)
        if corrupt:
            print(f"{PROG}: warning: skipped {corrupt} corrupt record(s) the store could not read", file=sys.stderr)
        return 0

    return await _with_store(args, work)


async def cmd_import(args: argparse.Namespace) -> int:
    engrams, header = read_export(args.file, progress=_progress(args))
    if not engrams:  # not an error: an empty namespace exports an empty file
        print(f"nothing to import: {args.file} holds no engrams; nothing was written", file=sys.stderr)
        return 0
    config = NeuramConfig()

    async def work(store: LongTermStore) -> int:
        info = await store.get_info(args.namespace)
        _check_import_embedder(args, header, info)
        dimensions = {e.embedding.shape[0] for e in engrams if e.embedding is not None}
        if dimensions:
            async for existing in store.scan(args.namespace):
                if existing.embedding is not None:
                    if existing.embedding.shape[0] not in dimensions:
                        raise CliError(
                            f"{args.file}: embeddings have {dimensions.pop()} dimensions, namespace "
                            f"{args.namespace!r} holds {existing.embedding.shape[0]}; nothing was imported"
                        )
                    break
        # Each engram keeps its state: a pending one stays pending, for a sleep to decide.
        items = [(e, forget_at_for(e, config)) for e in engrams]
        await store.put(args.namespace, items)  # one atomic write: all or nothing
        if isinstance(store, DerivedDataStore):  # it may have rewritten memories: no index keeps their old text
            await store.drop_derived(args.namespace)
        if header.get("embedder") and not info.get(EMBEDDER):  # the namespace learns its model
            recorded = {**info, EMBEDDER: header["embedder"], DIMENSION: header.get("dimension")}
            await store.set_info(args.namespace, {k: v for k, v in recorded.items() if v is not None})
        parts = sum(e.fragment_of is not None for e in engrams)
        print(f"imported {engrams_phrase(len(items), parts)} into namespace {args.namespace!r}", file=sys.stderr)
        return 0

    return await _with_store(args, work)


def _check_import_embedder(args: argparse.Namespace, header: dict[str, Any], info: dict[str, Any]) -> None:
    """Refuse to mix two models' vectors in one namespace: an export says which embedder
    made it (exports written before the header say nothing and are checked by dimension)."""
    if info.get(REEMBEDDING):
        raise CliError(f"namespace {args.namespace!r} is being re-embedded; nothing was imported")
    exported, recorded = header.get("embedder"), info.get(EMBEDDER)
    if exported and recorded and exported != recorded:
        raise CliError(
            f"{args.file} was embedded with {exported}, namespace {args.namespace!r} with {recorded}: "
            "import it into another namespace, or re-embed one of them first; nothing was imported"
        )


async def cmd_reembed(args: argparse.Namespace) -> int:
    from neuram_core.embeddings import embedder_identity, resolve_embedder
    from neuram_core.identity import reembed

    embedder = resolve_embedder(_embedder(args.target))

    async def work(store: LongTermStore) -> int:
        done = await reembed(store, args.namespace, embedder, batch_size=args.batch, progress=_progress(args))
        print(
            f"re-embedded {done} engrams of namespace {args.namespace!r} with {embedder_identity(embedder)}",
            file=sys.stderr,
        )
        return 0

    return await _with_store(args, work)


def _check_not_a_folder(path: str) -> None:
    if path != "-" and os.path.isdir(path):
        raise CliError(f"cannot write {path}: it is a folder; name a file in it")


def _open_for_writing(path: Path) -> IO[str]:
    """A new file only its user can read (0600, whatever the umask): an export is memories."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return open(fd, "w", encoding="utf-8")


COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "stats": cmd_stats,
    "list": cmd_list,
    "namespaces": cmd_namespaces,
    "recall": cmd_recall,
    "perceive": cmd_perceive,
    "sleep": cmd_sleep,
    "forget": cmd_forget,
    "export": cmd_export,
    "import": cmd_import,
    "reembed": cmd_reembed,
    "pin": cmd_pin,
    "unpin": cmd_unpin,
}


# -- argument parsing ------------------------------------------------------------------------
def _unit(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must lie in [{low:g}, {high:g}], got {text}")
        return value

    return parse


def _time(text: str) -> float:
    """A moment: epoch seconds, or ISO 8601 (2024-05-01T09:30:00+00:00; without an offset,
    local time)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (give epoch seconds or ISO 8601, e.g. 2024-05-01T09:30:00+00:00)"
        ) from None


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be >= 1, got 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"must lie in 1..65535, got {text}")
    return value


def _server_options(p: argparse.ArgumentParser) -> None:
    """The options `serve` and `mcp` share (neuram_server.settings.ServerSettings)."""
    p.add_argument("--read-only", action="store_true", help="refuse every write; recall does not strengthen")
    p.add_argument("--max-loaded-engrams", type=_positive, default=1_000_000,
                   help="engrams kept loaded over all namespaces; idle namespaces beyond it are unloaded")
    p.add_argument("--max-text-bytes", type=_positive, default=64 * 1024, help="largest text (default 64 KB)")
    p.add_argument("--max-top-k", type=_positive, default=100, help="largest top_k (default 100)")
    p.add_argument("--max-body-bytes", type=_positive, default=8 * 1024 * 1024, help="largest body (default 8 MB)")
    p.add_argument("--sleep-interval", type=_unit(0, 1e9), metavar="SECONDS",
                   help="background sleep of every loaded namespace (default 30; 0: none)")


def _remote_cli() -> Any:
    """neuram_server.remote_cli, for ``--url``; a clear error without the server extra."""
    try:
        from neuram_server import remote_cli
    except ImportError as exc:
        raise CliError(f"--url needs the server extra ({exc.name} is missing): pip install 'neuram[server]'") from None
    return remote_cli


def _run_remote(args: argparse.Namespace) -> int:
    """A command through a server (``--url``): recall, perceive and sleep run their own code
    on a RemoteBrain; the commands that handle the store directly run remote_cli's."""
    if args.command in _SERVER_COMMANDS:
        raise CliError(f"{args.command} starts a server; it does not take --url")
    remote = _remote_cli()
    try:
        if args.command in remote.COMMANDS:
            return int(asyncio.run(remote.COMMANDS[args.command](args)))
        return asyncio.run(COMMANDS[args.command](args))
    except remote.RemoteCliError as exc:
        raise CliError(str(exc)) from None


def _run_server(args: argparse.Namespace) -> int:
    """`serve`, `mcp` and `hash-key`: neuram_server, imported only now (the CLI stays fast)."""
    try:
        from neuram_server import serve as server
        from neuram_server.settings import ServerSettings
    except ImportError as exc:
        raise CliError(f"{args.command} needs the server extra ({exc.name} is missing): "
                       'pip install "neuram[server]"') from None
    if args.command == "hash-key":
        from neuram_server.keys import hash_key, new_key

        if not args.read and not args.write:
            raise CliError("a key that may neither read nor write is refused by the server: give --read or --write")
        key = new_key()
        print(f"key: {key}")
        entry = {"name": args.name, "sha256": hash_key(key), "read": args.read, "write": args.write}
        print(json.dumps(entry))
        return 0
    if args.store is not None:
        store = args.store
    elif args.redis_url is not None:
        store = args.redis_url
    elif args.path is not None:
        store = "sqlite:///" + os.path.abspath(os.path.expanduser(args.path))
    else:
        store = None
    port = getattr(args, "port", 8765)
    if args.command == "explore" and port is None:
        port = _free_port()
    settings = ServerSettings(
        store=store,
        embedder=args.embedder,
        host=getattr(args, "host", "127.0.0.1"),
        port=port,
        keys_file=getattr(args, "keys", None),
        read_only=args.read_only,
        max_loaded_engrams=args.max_loaded_engrams,
        max_text_bytes=args.max_text_bytes,
        max_top_k=args.max_top_k,
        max_body_bytes=args.max_body_bytes,
        sleep_interval_seconds=args.sleep_interval,
    )
    try:
        if args.command == "mcp":
            return server.run_mcp_stdio(settings, args.namespace)
        if args.command == "explore":
            return server.explore(settings, open_browser=not args.no_browser)
        return server.serve(settings)
    except server.ServeError as exc:
        raise CliError(str(exc)) from None


def _free_port() -> int:
    """A loopback port nobody listens on now (the explorer's default: it never collides
    with a `neuram serve` already on 8765)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Options of neuram itself, not of a command: they come before the command.
_GLOBAL_OPTIONS = frozenset(
    [
        *("--store", "--redis-url", "--path", "--url", "--api-key"),
        *("--namespace", "-n", "--embedder", "--progress", "--no-progress"),
    ]
)


def build_parser() -> argparse.ArgumentParser:
    types = [t.value for t in MemoryType]
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Look at and handle a neuram memory store.",
        epilog="With no --store, the embedded SQLite store's default file is used: $NEURAM_PATH, "
        "else $XDG_DATA_HOME/neuram/memory.db, else ~/.local/share/neuram/memory.db. "
        "Only perceive and import create a store that does not exist (its file private to you); "
        "the other commands report it and create nothing.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--store",
        metavar="URL",
        help="the store to use: sqlite:///relative.db, sqlite:////absolute.db, redis://host:6379/0, "
        "rediss://..., redis+cluster://host:7000, or a plugin's scheme",
    )
    where.add_argument("--redis-url", metavar="URL", help="the same as --store for a Redis URL (also unix://)")
    where.add_argument("--path", metavar="FILE", help="the embedded store's SQLite file (as --store sqlite:///FILE)")
    where.add_argument(
        "--url",
        metavar="URL",
        help="a running neuram server (http://host:8765): every command goes through it (neuram[server])",
    )
    parser.add_argument(
        "--api-key", metavar="KEY", help="the server's API key for --url (default: $NEURAM_API_KEY)"
    )
    parser.add_argument(
        "--namespace", "-n", type=_namespace, metavar="NS", default="default", help="whose memory (default: default)"
    )
    # Advanced: "hashing" (fast, for tests) or a sentence-transformers model name or path.
    parser.add_argument(
        "--embedder",
        metavar="MODEL",
        default=None,
        help="the embedding model of a namespace made with another than the default "
        "(a sentence-transformers name or path, or hashing-N, as a mismatch error names it)",
    )
    bars = parser.add_mutually_exclusive_group()
    bars.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="always show progress bars"
    )
    bars.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")
    from neuram_core import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".")

    p = command("stats", "counts per region and memory type, and a retention histogram")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("list", "list long-term engrams, oldest first")
    p.add_argument("--type", "-t", choices=types, help="only this memory type")
    p.add_argument("--limit", type=_count, help="only the newest N")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("namespaces", "the namespaces the store holds memories for (with --url: those the key may read)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("recall", "what a query brings back (each recall strengthens what it returns)")
    p.add_argument("query")
    p.add_argument("--top-k", "-k", type=_count, default=5, help="how many (default 5)")
    p.add_argument("--type", "-t", choices=types, help="only this memory type")
    p.add_argument("--explain", action="store_true", help="show why each came back: the parts of its score")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("perceive", "take in a text and store it long-term at once")
    p.add_argument("text", help="the text (UTF-8), or '-' to read it from stdin")
    p.add_argument("--type", "-t", choices=types, help="memory type (default: routed from the text)")
    p.add_argument("--salience", "-s", type=_unit(0, 1), help="0–1 (default: appraised from the text)")
    p.add_argument("--reward", "-r", type=_unit(-1, 1), help="-1–1 (default 0)")
    p.add_argument("--metadata", "-m", type=_metadata, metavar="JSON", help='a JSON object, e.g. \'{"user": "ada"}\'')
    p.add_argument("--id", metavar="ID", help="replace the engram with this id")
    p.add_argument("--no-gate", action="store_true", help="skip the Thalamus filter (store small talk too)")
    p.add_argument("--pinned", action="store_true", help="never prune it, however it fades")
    p.add_argument("--at", type=_time, metavar="TIME", help="when it happened (epoch seconds or ISO 8601; not future)")
    p.add_argument(
        "--expires-at", type=_time, metavar="TIME", help="hide it from recall after TIME, prune it at the next sleep"
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("sleep", "one sleep cycle: consolidate and prune what faded")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("pin", "keep engrams for good: never pruned, however they fade")
    p.add_argument("ids", nargs="+", metavar="ID")

    p = command("unpin", "let pinned engrams fade (and be pruned) again")
    p.add_argument("ids", nargs="+", metavar="ID")

    p = command("forget", "remove engrams by id, now")
    p.add_argument("ids", nargs="+", metavar="ID")

    p = command("export", "write every engram of the namespace as JSON Lines")
    p.add_argument("file", metavar="FILE", help="output file ('-' for stdout)")

    p = command("import", "read a JSON Lines export into the namespace (all or nothing)")
    p.add_argument(
        "file",
        metavar="FILE",
        help="input file ('-' for stdin); a file with no engrams imports nothing, says so, and exits 0",
    )

    p = command("serve", "serve the store over HTTP: a REST API under /v1 and MCP at /mcp (neuram[server])")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; others need --keys)")
    p.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    p.add_argument("--keys", metavar="FILE", help="API keys file (hashed keys -> namespaces); see docs/server.md")
    _server_options(p)

    p = command("mcp", "serve the MCP tools over stdio, for a desktop client that starts a command (neuram[server])")
    _server_options(p)

    p = command("explore", "look at the store in a browser: the explorer, served on localhost only (neuram[server])")
    p.add_argument("--port", type=_port, default=None, help="port (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; print the address only")
    _server_options(p)

    p = command("hash-key", "print a new API key and the line for its keys file (neuram[server])")
    p.add_argument("--name", default="key", help="the key's name in the keys file")
    p.add_argument("--read", nargs="*", default=[], metavar="NS", help="namespaces it may read ('*' for all)")
    p.add_argument("--write", nargs="*", default=[], metavar="NS", help="namespaces it may write ('*' for all)")

    p = command("reembed", "move the namespace to another embedding model, re-embedding every engram")
    p.add_argument(
        "--embedder",
        dest="target",
        metavar="MODEL",
        required=True,
        help="the new model: a sentence-transformers name or path, or hashing-N (as an error names it)",
    )
    p.add_argument("--batch", type=_positive, default=DEFAULT_BATCH, help="engrams per batch (default %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuram`` console script; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        misplaced = next((a for a in extra if a.split("=")[0] in _GLOBAL_OPTIONS), None)
        name = (misplaced or "").split("=")[0]
        hint = f" ({name} is a global option: it comes before the command, {PROG} {misplaced} ... {args.command})"
        parser.error(f"unrecognized arguments: {' '.join(extra)}" + (hint if misplaced else ""))
    if args.api_key is not None and args.url is None:
        parser.error("--api-key goes with --url (a server's key)")
    try:
        if args.url is not None:
            return _run_remote(args)
        if args.command in _SERVER_COMMANDS:
            return _run_server(args)
        return asyncio.run(COMMANDS[args.command](args))
    except CliError as exc:
        _fail(str(exc))
    except (ValueError, TypeError, NeuramError) as exc:  # bad input the library rejected, store down
        _fail(str(exc))
    except ImportError as exc:  # a store plugin (or an optional dependency) that does not load
        _fail(str(exc))
    except BrokenPipeError:  # e.g. `neuram export - | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        _fail(f"{type(exc).__name__}: {exc}")


def _fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(1)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
