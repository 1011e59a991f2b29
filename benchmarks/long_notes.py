"""Recall of long notes: can a cue find a text by a part the model never read?

    python -m benchmarks.long_notes --data PATH [--fragment-words 0,30,60,100,150] [--json OUT]

Each LoCoMo session (its turns as "Speaker: text" lines, median 529 words: two to six
times what all-MiniLM-L6-v2 reads, 256 word pieces) is perceived as one note, and every
question is recalled against the notes of its conversation. Recall@k is the share of the
question's evidence sessions among the top k notes, averaged over questions; columns
conv1-5 and conv6-10 split the conversations in halves (constants are chosen on the first).

Each ``--fragment-words`` value is one run (0: no fragments, the text's embedding alone),
with the word cue on and off (``dense only``): the word cue finds a rare word anywhere in a
text, the embedding only what the model read.

    python -m benchmarks.long_notes --big-note [--fragment-words 0,60]

puts one fact at the start, then at the end, of a 0.88 MB note (11,500 generated
sentences; no data set needed) and prints the fact's question's dense similarity to the
note (its best part), whether recall puts the note before a short unrelated one, and what
perceiving the note and recalling it cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.locomo import HALVES, Conversation, load, session_start
from neuram_core import Brain, ManualClock, NeuramConfig
from neuram_core.types import Embedder

KS = (1, 3, 5)


async def run_conversation(conv: Conversation, config: NeuramConfig, embedder: Embedder) -> dict[str, Any]:
    """Recall@k per question (evidence sessions among the top k notes), fragments held and
    recall latencies for one conversation."""
    clock = ManualClock(0.0)
    brain = await Brain.create(path=":memory:", embedder=embedder, clock=clock, config=config)
    try:
        when = 0.0
        for date, turns in conv.sessions:
            when = session_start(when, date)
            clock.set(when)
            note = "\n".join(turn.text for turn in turns)
            if note:
                await brain.perceive(note, metadata={"session": turns[0].session}, gate=False)
        clock.advance(86400.0)
        hits: dict[int, list[float]] = {k: [] for k in KS}
        latencies = []
        for question, _category, evidence in conv.questions:
            sessions = {int(e.split(":")[0][1:]) for e in evidence}
            if not sessions or not question.strip():
                continue
            started = time.perf_counter()
            found = await brain.recall(question, top_k=max(KS))
            latencies.append(1000 * (time.perf_counter() - started))
            ranked = [e.metadata.get("session") for e, _ in found]
            for k in KS:
                hits[k].append(len(sessions & set(ranked[:k])) / len(sessions))
        stats = await brain.stats()
        return {"hits": hits, "latencies": latencies, "notes": stats["indexed"], "fragments": stats["fragments"]}
    finally:
        await brain.close()


async def run(path: Path, fragment_words: int, lexical: bool, embedder: Embedder) -> dict[str, Any]:
    conversations = load(path)
    config = NeuramConfig().replace(
        fragment_words=fragment_words,
        recall_retention_weight=0.0,  # notes of one day: ranking by the cues alone
        **({} if lexical else {"lexical_weight": 0.0}),
    )
    middle = (len(conversations) + 1) // 2
    per_half: dict[str, dict[int, list[float]]] = {h: {k: [] for k in KS} for h in HALVES}
    latencies: list[float] = []
    notes = fragments = 0
    for index, conv in enumerate(conversations):
        out = await run_conversation(conv, config, embedder)
        half = HALVES[0] if index < middle else HALVES[1]
        for k in KS:
            per_half[half][k] += out["hits"][k]
        latencies += out["latencies"]
        notes += out["notes"]
        fragments += out["fragments"]
    recall: dict[str, dict[str, float]] = {}
    for k in KS:
        every = per_half[HALVES[0]][k] + per_half[HALVES[1]][k]
        recall[str(k)] = {"all": _percent(every), **{h: _percent(per_half[h][k]) for h in HALVES}}
    return {
        "fragment_words": fragment_words,
        "lexical": lexical,
        "recall": recall,
        "notes": notes,
        "fragments_per_note": round(fragments / notes, 2) if notes else 0.0,
        "questions": sum(len(per_half[h][KS[0]]) for h in HALVES),
        "recall_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
    }


def _percent(values: list[float]) -> float:
    return round(100.0 * sum(values) / len(values), 1) if values else 0.0


BIG_FACT = "Maria's daughter is called Sofia and she turns five in May."
BIG_QUESTION = "what is Maria's daughter called?"


def big_note(fact_at_end: bool) -> str:
    """0.88 MB of logistics sentences with :data:`BIG_FACT` at its start or its end."""
    lines = " ".join(
        f"On day {i} the logistics team moved crate {i} from dock {i % 7} to warehouse {i % 13}." for i in range(11_500)
    )
    return f"{lines} {BIG_FACT}" if fact_at_end else f"{BIG_FACT} {lines}"


async def run_big_note(fragment_words: int, fact_at_end: bool, embedder: Embedder) -> dict[str, Any]:
    """The question's dense similarity to the note (its best part: its own start or a
    fragment), whether recall puts the note before a short unrelated one, and the costs."""
    config = NeuramConfig().replace(fragment_words=fragment_words)
    brain = await Brain.create(path=":memory:", embedder=embedder, config=config)
    try:
        await brain.perceive("A short note about the weather.", gate=False)
        text = big_note(fact_at_end)
        started = time.perf_counter()
        note = await brain.perceive(text, gate=False)
        perceive_s = time.perf_counter() - started
        started = time.perf_counter()
        found = await brain.recall(BIG_QUESTION, top_k=2, strengthen=False)
        recall_ms = 1000 * (time.perf_counter() - started)
        query = embedder.embed([BIG_QUESTION])[0]
        parts = [note, *(p for p in await brain.store.get(brain.namespace, note.fragments) if p is not None)]
        return {
            "fragment_words": fragment_words,
            "fact": "end" if fact_at_end else "start",
            "megabytes": round(len(text.encode()) / 1e6, 2),
            "similarity": round(max(float(p.embedding @ query) for p in parts if p.embedding is not None), 3),
            "recalled_first": bool(found) and found[0][0].engram_id == note.engram_id,
            "fragments": len(note.fragments),
            "perceive_s": round(perceive_s, 1),
            "recall_ms": round(recall_ms, 1),
        }
    finally:
        await brain.close()


def print_table(rows: list[dict[str, Any]]) -> None:
    head = "| fragment words | cues | " + " | ".join(f"R@{k}" for k in KS)
    head += " | R@1 conv 1–5 / 6–10 | R@3 conv 1–5 / 6–10 | fragments per note | recall p50 ms |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for row in rows:
        r = row["recall"]
        cells = [
            str(row["fragment_words"] or "off"),
            "dense + words" if row["lexical"] else "dense only",
            *(f"{r[str(k)]['all']:.1f}" for k in KS),
            f"{r['1'][HALVES[0]]:.1f} / {r['1'][HALVES[1]]:.1f}",
            f"{r['3'][HALVES[0]]:.1f} / {r['3'][HALVES[1]]:.1f}",
            f"{row['fragments_per_note']:.2f}",
            f"{row['recall_p50_ms']:.1f}",
        ]
        print("| " + " | ".join(cells) + " |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="LoCoMo JSON (read in place, never copied)")
    parser.add_argument("--big-note", action="store_true", help="one fact in a 0.88 MB note instead")
    parser.add_argument("--fragment-words", default="0,30,60,100,150", help="comma-separated; 0 is no fragments")
    parser.add_argument("--embedder", choices=("minilm", "hashing"), default="minilm", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)
    from neuram_core.embeddings import HashingEmbedder, resolve_embedder

    embedder: Embedder = HashingEmbedder() if args.embedder == "hashing" else resolve_embedder(None)
    sizes = [int(v) for v in args.fragment_words.split(",") if v.strip()]
    if args.big_note:
        found = [asyncio.run(run_big_note(size, at_end, embedder)) for size in sizes for at_end in (False, True)]
        print("| fragment words | fact at | MB | similarity | recalled first | fragments | perceive s | recall ms |")
        print("|---|---|---|---|---|---|---|---|")
        for r in found:
            first = "yes" if r["recalled_first"] else "no"
            print(
                f"| {r['fragment_words'] or 'off'} | {r['fact']} | {r['megabytes']} | {r['similarity']:.3f} | "
                f"{first} | {r['fragments']:,} | {r['perceive_s']} | {r['recall_ms']} |"
            )
        if args.json is not None:
            args.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
        return 0
    if args.data is None:
        parser.error("--data is required (or --big-note)")
    rows = []
    for lexical in (True, False):
        for size in sizes:
            row = asyncio.run(run(args.data, size, lexical, embedder))
            rows.append(row)
            print(f"done: {size or 'off'} {'dense + words' if lexical else 'dense only'}", file=sys.stderr)
    print_table(rows)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
